import { afterEach, describe, expect, it } from 'vitest';
import { Scheduler, truncateEventMessage } from '../../src-main/scheduler/scheduler.js';
import { LAST_ATTEMPT_ANNOTATION, type LastAttempt } from '../../src-main/scheduler/lastAttempt.js';
import { makeNode, makePod } from '../../src-main/scheduler/testing.js';
import { ApiRequestError, type ApiClient } from '../../src-main/client/apiClient.js';
import type { ControllerContext } from '../../src-main/client/controller.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../../src-main/client/controllerOptions.js';
import type { InformerHandlers } from '../../src-main/client/informer.js';
import type { KubeObject, Node, Pod } from '../../src-main/api/types.js';

// The scheduler's control flow (queue, cache, binding, failure writes, hints) against fake
// informers and a fake API client, so that each path can be driven and observed exactly.

class FakeInformer<T extends KubeObject> {
  readonly items = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }
  getByKey(key: string): T | undefined {
    return this.items.get(key);
  }
  private key(o: T): string {
    return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
  }
  upsert(o: T): void {
    const k = this.key(o);
    const old = this.items.get(k);
    this.items.set(k, o);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, o);
      else h.onAdd?.(o);
    }
  }
  remove(o: T): void {
    const k = this.key(o);
    const old = this.items.get(k);
    if (!old) return;
    this.items.delete(k);
    for (const h of this.handlers) h.onDelete?.(old);
  }
}

// Request bodies are whatever the scheduler sent; the tests read them loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

interface Call {
  method: string;
  path: string;
  body: Loose;
  sub?: string;
  type?: string;
}

class FakeApi {
  calls: Call[] = [];
  /** Whether the fake API server keeps metadata sent with bindings and status patches (kube does). */
  keepsAnnotations = false;
  failBindings = 0;
  constructor(private readonly pods: FakeInformer<Pod>) {}
  async request(method: string, path: string, body?: Loose): Promise<unknown> {
    this.calls.push({ method, path, body });
    if (path.endsWith('/binding')) {
      if (this.failBindings > 0) {
        this.failBindings--;
        throw new ApiRequestError(500, undefined, 'etcd is having a bad day');
      }
      const [, ns, name] = /namespaces\/([^/]+)\/pods\/([^/]+)\/binding/.exec(path)!;
      const pod = structuredClone(this.pods.getByKey(`${ns}/${name}`)!);
      pod.spec.nodeName = body.target.name;
      if (this.keepsAnnotations) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...body.metadata.annotations };
      pod.metadata.resourceVersion = String(Number(pod.metadata.resourceVersion) + 1);
      setTimeout(() => this.pods.upsert(pod), 1);
      return { kind: 'Status', status: 'Success' };
    }
    return {};
  }
  async patch(resource: string, ns: string, name: string, body: Loose, type: string, sub?: string): Promise<unknown> {
    this.calls.push({ method: 'PATCH', path: `${resource}/${ns}/${name}`, body, sub, type });
    const pod = structuredClone(this.pods.getByKey(`${ns}/${name}`)!);
    if (sub === 'status') {
      pod.status = { ...pod.status, ...body.status };
      if (this.keepsAnnotations) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...body.metadata.annotations };
    } else {
      pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...body.metadata.annotations };
    }
    return pod;
  }
  async create(resource: string, _ns: string, obj: Loose): Promise<unknown> {
    this.calls.push({ method: 'POST', path: resource, body: obj });
    return obj;
  }
  close(): void {}
  events(reason?: string): Loose[] {
    return this.calls.filter((c) => c.path === 'events' && (!reason || c.body.reason === reason)).map((c) => c.body);
  }
}

let schedulers: Scheduler[] = [];
afterEach(() => {
  for (const s of schedulers) s.stop();
  schedulers = [];
});

function setup(opts: { keepsAnnotations?: boolean; backoffMs?: number } = {}) {
  const pods = new FakeInformer<Pod>();
  const nodes = new FakeInformer<Node>();
  const api = new FakeApi(pods);
  api.keepsAnnotations = opts.keepsAnnotations ?? false;
  const ctx = {
    client: { config: { url: 'https://127.0.0.1:1', token: 't', ca: '' } },
    informers: { informer: (r: string) => (r === 'pods' ? pods : nodes) },
    options: DEFAULT_CONTROLLER_OPTIONS,
    recorder: () => {
      throw new Error('unused');
    },
    log: () => {},
  } as unknown as ControllerContext;
  const s = new Scheduler(ctx, { client: api as unknown as ApiClient, initialBackoffMs: opts.backoffMs ?? 2000, maxBackoffMs: 2 * (opts.backoffMs ?? 2000) });
  schedulers.push(s);
  s.init();
  s.run();
  return { s, pods, nodes, api };
}

async function until(f: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const bindings = (api: FakeApi) => api.calls.filter((c) => c.path.endsWith('/binding'));

describe('Scheduler', () => {
  it('binds a pod with the last attempt in the Binding, and patches it on when the API server drops it', async () => {
    const { s, pods, nodes, api } = setup();
    nodes.upsert(makeNode('n1'));
    pods.upsert(makePod('web-1'));
    await until(() => pods.getByKey('default/web-1')!.spec.nodeName === 'n1');
    const b = bindings(api)[0]!;
    expect(b.path).toBe('/api/v1/namespaces/default/pods/web-1/binding');
    expect(b.body).toMatchObject({ kind: 'Binding', metadata: { name: 'web-1', namespace: 'default' }, target: { kind: 'Node', name: 'n1' } });
    const sent = JSON.parse(b.body.metadata.annotations[LAST_ATTEMPT_ANNOTATION]) as LastAttempt;
    expect(sent).toMatchObject({ result: 'Scheduled', node: 'n1' });
    await until(() => api.calls.some((c) => c.method === 'PATCH'));
    const patch = api.calls.find((c) => c.method === 'PATCH')!;
    expect(patch).toMatchObject({ path: 'pods/default/web-1', type: 'merge', sub: undefined });
    expect(patch.body).toEqual({ metadata: { annotations: { [LAST_ATTEMPT_ANNOTATION]: b.body.metadata.annotations[LAST_ATTEMPT_ANNOTATION] } } });
    await until(() => api.events('Scheduled').length === 1);
    expect(api.events('Scheduled')[0]).toMatchObject({ type: 'Normal', message: 'Successfully assigned default/web-1 to n1', involvedObject: { kind: 'Pod', name: 'web-1' } });
    expect(s.stats()).toMatchObject({ scheduled: 1, pending: 0 });
  });

  it('writes nothing more when the Binding carried the annotation (as in Kubernetes)', async () => {
    const { pods, nodes, api } = setup({ keepsAnnotations: true });
    nodes.upsert(makeNode('n1'));
    pods.upsert(makePod('web-1'));
    await until(() => pods.getByKey('default/web-1')!.spec.nodeName === 'n1');
    await new Promise((r) => setTimeout(r, 30));
    expect(api.calls.filter((c) => c.method === 'PATCH')).toHaveLength(0);
    expect(pods.getByKey('default/web-1')!.metadata.annotations?.[LAST_ATTEMPT_ANNOTATION]).toContain('"Scheduled"');
  });

  it('marks a pod that fits nowhere Unschedulable with kube’s message, an event and the annotation', async () => {
    const { pods, nodes, api } = setup();
    nodes.upsert(makeNode('n1', { memory: '1Gi' }));
    nodes.upsert(makeNode('n2', { memory: '1Gi' }));
    nodes.upsert(makeNode('n3', { taints: [{ key: 'key', value: 'value', effect: 'NoSchedule' }] }));
    pods.upsert(makePod('big', { memory: '2Gi' }));
    await until(() => api.calls.filter((c) => c.method === 'PATCH').length >= 2);
    const [status, fallback] = api.calls.filter((c) => c.method === 'PATCH');
    const message = '0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient memory.';
    expect(status).toMatchObject({ path: 'pods/default/big', sub: 'status', type: 'merge' });
    expect(status!.body.status.conditions).toEqual([
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: expect.any(String) },
    ]);
    const a = JSON.parse(status!.body.metadata.annotations[LAST_ATTEMPT_ANNOTATION]) as LastAttempt;
    expect(a).toMatchObject({ result: 'Unschedulable', filtered: { 'Insufficient memory': 2, 'node(s) had untolerated taint {key: value}': 1 }, scores: [] });
    // The fake API server, like ours, kept only status: the annotation follows in a merge patch.
    expect(fallback).toMatchObject({ sub: undefined, type: 'merge', body: { metadata: { annotations: { [LAST_ATTEMPT_ANNOTATION]: status!.body.metadata.annotations[LAST_ATTEMPT_ANNOTATION] } } } });
    await until(() => api.events('FailedScheduling').length === 1);
    expect(api.events('FailedScheduling')[0]).toMatchObject({ type: 'Warning', message, source: { component: 'default-scheduler' } });
  });

  it('keeps other conditions and a pod’s first transition time when rewriting PodScheduled', async () => {
    const { s, pods, nodes, api } = setup({ keepsAnnotations: true });
    nodes.upsert(makeNode('n1', { memory: '1Gi' }));
    const pod = makePod('big', { memory: '2Gi' });
    pod.status = { phase: 'Pending', conditions: [{ type: 'Custom', status: 'True' }, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'old', lastTransitionTime: '2020-01-01T00:00:00Z' }] };
    pods.upsert(pod);
    await until(() => api.calls.some((c) => c.sub === 'status'));
    const conds = api.calls.find((c) => c.sub === 'status')!.body.status.conditions;
    expect(conds.map((c: { type: string }) => c.type)).toEqual(['Custom', 'PodScheduled']);
    expect(conds[1]).toMatchObject({ message: '0/1 nodes are available: 1 Insufficient memory.', lastTransitionTime: '2020-01-01T00:00:00Z' });
    // The API server kept the annotation: no second patch.
    expect(api.calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
    expect(s.stats().unschedulable).toBe(1);
  });

  it('does not rewrite an unchanged failure, but retries after the backoff', async () => {
    const { s, pods, nodes, api } = setup({ backoffMs: 100 });
    nodes.upsert(makeNode('n1', { memory: '1Gi' }));
    pods.upsert(makePod('big', { memory: '2Gi' }));
    await until(() => api.calls.some((c) => c.sub === 'status'));
    // Reflect the write in the informer, as the watch would.
    const p = structuredClone(pods.getByKey('default/big')!);
    p.status!.conditions = api.calls.find((c) => c.sub === 'status')!.body.status.conditions;
    p.metadata.resourceVersion = '2';
    pods.upsert(p);
    await until(() => s.stats().attempts >= 3, 3000);
    expect(api.calls.filter((c) => c.sub === 'status')).toHaveLength(1);
    expect(api.events('FailedScheduling').length).toBeGreaterThanOrEqual(1);
  });

  it('retries a waiting pod at once when a node that fits appears', async () => {
    const { s, pods, nodes } = setup();
    nodes.upsert(makeNode('small', { memory: '1Gi' }));
    pods.upsert(makePod('big', { memory: '2Gi' }));
    await until(() => s.stats().unschedulable === 1);
    // A node change that does not help (a heartbeat) does not wake it.
    const hb = makeNode('small', { memory: '1Gi' });
    hb.metadata.resourceVersion = '2';
    nodes.upsert(hb);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.stats().attempts).toBe(1);
    const t0 = Date.now();
    nodes.upsert(makeNode('large', { memory: '4Gi' }));
    await until(() => pods.getByKey('default/big')!.spec.nodeName === 'large');
    expect(Date.now() - t0).toBeLessThan(1000); // well before the 2 s backoff
  });

  it('retries a waiting pod when a bound pod leaves its node', async () => {
    const { s, pods, nodes } = setup();
    nodes.upsert(makeNode('n1', { cpu: '1' }));
    const hog = makePod('hog', { nodeName: 'n1', cpu: '1' });
    pods.upsert(hog);
    pods.upsert(makePod('p', { cpu: '500m' }));
    await until(() => s.stats().unschedulable === 1);
    pods.remove(hog);
    const t0 = Date.now();
    await until(() => pods.getByKey('default/p')!.spec.nodeName === 'n1');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('forgets the assumed pod and retries when binding fails', async () => {
    const { s, pods, nodes, api } = setup({ backoffMs: 100 });
    nodes.upsert(makeNode('n1', { cpu: '1' }));
    api.failBindings = 1;
    pods.upsert(makePod('p', { cpu: '1' }));
    await until(() => s.stats().bindErrors === 1);
    expect(s.cache.get('n1')!.requested.milliCPU).toBe(0);
    await until(() => pods.getByKey('default/p')!.spec.nodeName === 'n1');
    expect(bindings(api)).toHaveLength(2);
    await until(() => api.events('FailedScheduling').length === 1);
    expect(api.events('FailedScheduling')[0].message).toBe('binding rejected: running Bind plugin "DefaultBinder": etcd is having a bad day');
  });

  it('sees assumed pods at once: two pods that each need the whole node do not both go there', async () => {
    const { s, pods, nodes } = setup();
    nodes.upsert(makeNode('n1', { cpu: '1' }));
    nodes.upsert(makeNode('n2', { cpu: '1' }));
    pods.upsert(makePod('a', { cpu: '1' }));
    pods.upsert(makePod('b', { cpu: '1' }));
    pods.upsert(makePod('c', { cpu: '1' }));
    await until(() => s.stats().scheduled === 2 && s.stats().unschedulable >= 1);
    const placed = ['a', 'b', 'c'].map((n) => pods.getByKey(`default/${n}`)!.spec.nodeName).filter(Boolean);
    expect(placed.sort()).toEqual(['n1', 'n2']);
  });

  it('ignores pods for other schedulers, bound pods and pods being deleted', async () => {
    const { s, pods, nodes, api } = setup();
    nodes.upsert(makeNode('n1'));
    pods.upsert(makePod('other', { schedulerName: 'my-scheduler' }));
    pods.upsert(makePod('bound', { nodeName: 'n1' }));
    const deleting = makePod('deleting');
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    pods.upsert(deleting);
    await new Promise((r) => setTimeout(r, 30));
    expect(bindings(api)).toHaveLength(0);
    expect(s.stats().pending).toBe(0);
    expect(s.cache.get('n1')!.podCount).toBe(1);
  });

  it('drops a pending pod that is deleted while it backs off', async () => {
    const { s, pods, nodes } = setup();
    nodes.upsert(makeNode('n1', { memory: '1Gi' }));
    const p = makePod('big', { memory: '2Gi' });
    pods.upsert(p);
    await until(() => s.stats().backingOff === 1);
    pods.remove(pods.getByKey('default/big')!);
    expect(s.stats()).toMatchObject({ pending: 0, backingOff: 0 });
  });

  it('says no nodes are available when the cluster has none', async () => {
    const { pods, api } = setup();
    pods.upsert(makePod('lonely'));
    await until(() => api.calls.some((c) => c.sub === 'status'));
    expect(api.calls.find((c) => c.sub === 'status')!.body.status.conditions[0].message).toBe('no nodes available to schedule pods');
  });
});

describe('truncateEventMessage', () => {
  it('keeps messages up to 1024 bytes and cuts longer ones like kube', () => {
    expect(truncateEventMessage('short')).toBe('short');
    const long = 'x'.repeat(2000);
    const t = truncateEventMessage(long);
    expect(t).toHaveLength(1024);
    expect(t.endsWith('x ...')).toBe(true);
  });
});
