import { afterEach, describe, expect, it } from 'vitest';
import { Scheduler, truncateEventMessage } from '../../src-main/scheduler/scheduler.js';
import { LAST_ATTEMPT_ANNOTATION, type LastAttempt } from '../../src-main/scheduler/lastAttempt.js';
import { makeNode, makePod } from '../../src-main/scheduler/testing.js';
import { ApiRequestError } from '../../src-main/client/apiClient.js';
import { silentLogger } from '../../src-main/api/log.js';
import type { ControllerContext } from '../../src-main/client/controller.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../../src-main/client/controllerOptions.js';
import type { InformerHandlers } from '../../src-main/client/informer.js';
import type { KubeObject, Node, Pod } from '../../src-main/api/types.js';
import { FakeApiClient } from '../helpers/fakeApiClient.js';
import { until } from '../helpers/wait.js';

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

/**
 * The API server as the scheduler sees it: bindings and pod patches answer from (and, for
 * bindings, feed back into) the fake pod informer, as the watch would a moment later.
 */
function fakeApi(pods: FakeInformer<Pod>, opts: { keepsAnnotations: boolean }) {
  const api = new FakeApiClient();
  const control = { failBindings: 0 };
  api.react('request', 'pods', (a) => {
    if (a.sub !== 'binding') return undefined;
    if (control.failBindings > 0) {
      control.failBindings--;
      throw new ApiRequestError(500, undefined, 'etcd is having a bad day');
    }
    const body = a.body as Loose;
    const pod = structuredClone(pods.getByKey(`${a.namespace}/${a.name}`)!);
    pod.spec.nodeName = body.target.name;
    if (opts.keepsAnnotations) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...body.metadata.annotations };
    pod.metadata.resourceVersion = String(Number(pod.metadata.resourceVersion) + 1);
    setImmediate(() => pods.upsert(pod)); // the watch delivers it on a later turn
    return { kind: 'Status', status: 'Success' };
  });
  api.react('patch', 'pods', (a) => {
    const body = a.body as Loose;
    const pod = structuredClone(pods.getByKey(`${a.namespace}/${a.name}`)!);
    if (a.sub === 'status') {
      pod.status = { ...pod.status, ...body.status };
      if (opts.keepsAnnotations) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...body.metadata.annotations };
    } else {
      pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), ...body.metadata.annotations };
    }
    return pod;
  });
  return { api, control };
}

let schedulers: Scheduler[] = [];
afterEach(() => {
  for (const s of schedulers) s.stop();
  schedulers = [];
});

/** A backoff no test waits out: a pod retried before it was retried because something changed. */
const NEVER_MS = 3_600_000;

function setup(opts: { keepsAnnotations?: boolean; backoffMs?: number } = {}) {
  const pods = new FakeInformer<Pod>();
  const nodes = new FakeInformer<Node>();
  const { api, control } = fakeApi(pods, { keepsAnnotations: opts.keepsAnnotations ?? false });
  const ctx = {
    client: api,
    informers: { informer: (r: string) => (r === 'pods' ? pods : nodes) },
    options: DEFAULT_CONTROLLER_OPTIONS,
    recorder: () => {
      throw new Error('unused');
    },
    log: silentLogger,
  } as unknown as ControllerContext;
  const backoffMs = opts.backoffMs ?? 2000;
  const s = new Scheduler(ctx, { client: api, initialBackoffMs: backoffMs, maxBackoffMs: 2 * backoffMs });
  schedulers.push(s);
  s.init();
  s.run();
  return { s, pods, nodes, api, control };
}

const bindings = (api: FakeApiClient) => api.actionsOf('request', 'pods').filter((a) => a.sub === 'binding') as Loose[];
const patches = (api: FakeApiClient, sub?: string) => api.actionsOf('patch', 'pods').filter((a) => a.sub === sub) as Loose[];
const allPatches = (api: FakeApiClient) => api.actionsOf('patch', 'pods') as Loose[];
const events = (api: FakeApiClient, reason?: string): Loose[] => api.actionsOf('create', 'events').map((a) => a.body as Loose).filter((e) => !reason || e.reason === reason);

describe('Scheduler', () => {
  it('binds a pod with the last attempt in the Binding, and patches it on when the API server drops it', async () => {
    const { s, pods, nodes, api } = setup();
    nodes.upsert(makeNode('n1'));
    pods.upsert(makePod('web-1'));
    await until('web-1 bound to n1', () => pods.getByKey('default/web-1')!.spec.nodeName === 'n1');
    const b = bindings(api)[0]!;
    expect(b.path).toBe('/api/v1/namespaces/default/pods/web-1/binding');
    expect(b.body).toMatchObject({ kind: 'Binding', metadata: { name: 'web-1', namespace: 'default' }, target: { kind: 'Node', name: 'n1' } });
    const sent = JSON.parse(b.body.metadata.annotations[LAST_ATTEMPT_ANNOTATION]) as LastAttempt;
    expect(sent).toMatchObject({ result: 'Scheduled', node: 'n1' });
    const patch = await until('the annotation patch', () => allPatches(api)[0]);
    expect(patch).toMatchObject({ resource: 'pods', namespace: 'default', name: 'web-1', patchType: 'merge', sub: undefined });
    expect(patch.body).toEqual({ metadata: { annotations: { [LAST_ATTEMPT_ANNOTATION]: b.body.metadata.annotations[LAST_ATTEMPT_ANNOTATION] } } });
    await until('a Scheduled event', () => events(api, 'Scheduled').length === 1);
    expect(events(api, 'Scheduled')[0]).toMatchObject({ type: 'Normal', message: 'Successfully assigned default/web-1 to n1', involvedObject: { kind: 'Pod', name: 'web-1' } });
    expect(s.stats()).toMatchObject({ scheduled: 1, pending: 0 });
  });

  it('writes nothing more when the Binding carried the annotation (as in Kubernetes)', async () => {
    const { s, pods, nodes, api } = setup({ keepsAnnotations: true });
    nodes.upsert(makeNode('n1'));
    pods.upsert(makePod('web-1'));
    await until('web-1 bound to n1', () => pods.getByKey('default/web-1')!.spec.nodeName === 'n1');
    // The informer has shown the bound pod (the check for the annotation ran then); once no write
    // is in flight, any patch it decided on would have been sent.
    await until('the Scheduled event', () => events(api, 'Scheduled').length === 1);
    await s.whenIdle();
    expect(allPatches(api)).toHaveLength(0);
    expect(pods.getByKey('default/web-1')!.metadata.annotations?.[LAST_ATTEMPT_ANNOTATION]).toContain('"Scheduled"');
  });

  it('marks a pod that fits nowhere Unschedulable with kube’s message, an event and the annotation', async () => {
    const { pods, nodes, api } = setup();
    nodes.upsert(makeNode('n1', { memory: '1Gi' }));
    nodes.upsert(makeNode('n2', { memory: '1Gi' }));
    nodes.upsert(makeNode('n3', { taints: [{ key: 'key', value: 'value', effect: 'NoSchedule' }] }));
    pods.upsert(makePod('big', { memory: '2Gi' }));
    await until('two patches', () => allPatches(api).length >= 2);
    const [status, fallback] = allPatches(api);
    const message = '0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient memory.';
    expect(status).toMatchObject({ resource: 'pods', namespace: 'default', name: 'big', sub: 'status', patchType: 'merge' });
    expect(status!.body.status.conditions).toEqual([
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: expect.any(String) },
    ]);
    const a = JSON.parse(status!.body.metadata.annotations[LAST_ATTEMPT_ANNOTATION]) as LastAttempt;
    expect(a).toMatchObject({ result: 'Unschedulable', filtered: { 'Insufficient memory': 2, 'node(s) had untolerated taint {key: value}': 1 }, scores: [] });
    // The fake API server, like ours, kept only status: the annotation follows in a merge patch.
    expect(fallback).toMatchObject({ sub: undefined, patchType: 'merge', body: { metadata: { annotations: { [LAST_ATTEMPT_ANNOTATION]: status!.body.metadata.annotations[LAST_ATTEMPT_ANNOTATION] } } } });
    await until('a FailedScheduling event', () => events(api, 'FailedScheduling').length === 1);
    expect(events(api, 'FailedScheduling')[0]).toMatchObject({ type: 'Warning', message, source: { component: 'default-scheduler' } });
  });

  it('keeps other conditions and a pod’s first transition time when rewriting PodScheduled', async () => {
    const { s, pods, nodes, api } = setup({ keepsAnnotations: true });
    nodes.upsert(makeNode('n1', { memory: '1Gi' }));
    const pod = makePod('big', { memory: '2Gi' });
    pod.status = { phase: 'Pending', conditions: [{ type: 'Custom', status: 'True' }, { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'old', lastTransitionTime: '2020-01-01T00:00:00Z' }] };
    pods.upsert(pod);
    const status = await until('the status patch', () => patches(api, 'status')[0]);
    const conds = status.body.status.conditions;
    expect(conds.map((c: { type: string }) => c.type)).toEqual(['Custom', 'PodScheduled']);
    expect(conds[1]).toMatchObject({ message: '0/1 nodes are available: 1 Insufficient memory.', lastTransitionTime: '2020-01-01T00:00:00Z' });
    // The API server kept the annotation: no second patch.
    await s.whenIdle();
    expect(allPatches(api)).toHaveLength(1);
    expect(s.stats().unschedulable).toBe(1);
  });

  it('does not rewrite an unchanged failure, but retries after the backoff', async () => {
    const { s, pods, nodes, api } = setup({ backoffMs: 100 });
    nodes.upsert(makeNode('n1', { memory: '1Gi' }));
    pods.upsert(makePod('big', { memory: '2Gi' }));
    const status = await until('the status patch', () => patches(api, 'status')[0]);
    // Reflect the write in the informer, as the watch would.
    const p = structuredClone(pods.getByKey('default/big')!);
    p.status!.conditions = status.body.status.conditions;
    p.metadata.resourceVersion = '2';
    pods.upsert(p);
    await until('two retries after backing off', () => s.stats().attempts >= 3);
    await s.whenIdle();
    expect(patches(api, 'status')).toHaveLength(1);
    expect(events(api, 'FailedScheduling').length).toBeGreaterThanOrEqual(1);
  });

  it('retries a waiting pod at once when a node that fits appears', async () => {
    // With a backoff no test outlives, only the new node can have brought the pod back.
    const { s, pods, nodes } = setup({ backoffMs: NEVER_MS });
    nodes.upsert(makeNode('small', { memory: '1Gi' }));
    pods.upsert(makePod('big', { memory: '2Gi' }));
    await until('big unschedulable', () => s.stats().unschedulable === 1 && s.stats().backingOff === 1);
    // A node change that does not help (a heartbeat) does not wake it: node changes are weighed
    // on the next turn of the event loop, after which it still backs off.
    const hb = makeNode('small', { memory: '1Gi' });
    hb.metadata.resourceVersion = '2';
    nodes.upsert(hb);
    await new Promise<void>((r) => setImmediate(r));
    expect(s.stats()).toMatchObject({ attempts: 1, backingOff: 1 });
    // The same path with a node that fits does wake it (so the check above had a live scheduler).
    nodes.upsert(makeNode('large', { memory: '4Gi' }));
    await until('big bound to large', () => pods.getByKey('default/big')!.spec.nodeName === 'large');
    expect(s.stats().attempts).toBe(2);
  });

  it('retries a waiting pod when a bound pod leaves its node', async () => {
    const { s, pods, nodes } = setup({ backoffMs: NEVER_MS });
    nodes.upsert(makeNode('n1', { cpu: '1' }));
    const hog = makePod('hog', { nodeName: 'n1', cpu: '1' });
    pods.upsert(hog);
    pods.upsert(makePod('p', { cpu: '500m' }));
    await until('p unschedulable', () => s.stats().unschedulable === 1);
    pods.remove(hog);
    await until('p bound to n1', () => pods.getByKey('default/p')!.spec.nodeName === 'n1');
    expect(s.stats().attempts).toBe(2);
  });

  it('forgets the assumed pod and retries when binding fails', async () => {
    const { s, pods, nodes, api, control } = setup({ backoffMs: 100 });
    nodes.upsert(makeNode('n1', { cpu: '1' }));
    control.failBindings = 1;
    pods.upsert(makePod('p', { cpu: '1' }));
    await until('a binding error', () => s.stats().bindErrors === 1);
    expect(s.cache.get('n1')!.requested.milliCPU).toBe(0);
    await until('p bound to n1', () => pods.getByKey('default/p')!.spec.nodeName === 'n1');
    expect(bindings(api)).toHaveLength(2);
    await until('a FailedScheduling event', () => events(api, 'FailedScheduling').length === 1);
    expect(events(api, 'FailedScheduling')[0].message).toBe('binding rejected: running Bind plugin "DefaultBinder": etcd is having a bad day');
  });

  it('sees assumed pods at once: two pods that each need the whole node do not both go there', async () => {
    const { s, pods, nodes } = setup();
    nodes.upsert(makeNode('n1', { cpu: '1' }));
    nodes.upsert(makeNode('n2', { cpu: '1' }));
    pods.upsert(makePod('a', { cpu: '1' }));
    pods.upsert(makePod('b', { cpu: '1' }));
    pods.upsert(makePod('c', { cpu: '1' }));
    await until('two bound, one unschedulable', () => s.stats().scheduled === 2 && s.stats().unschedulable >= 1);
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
    // A pod it should schedule, added after the others: once it is bound, the scheduler has
    // seen (and passed over) the ones before it.
    pods.upsert(makePod('control'));
    await until('control bound', () => pods.getByKey('default/control')!.spec.nodeName === 'n1');
    expect(bindings(api).map((b) => b.name)).toEqual(['control']);
    expect(s.stats()).toMatchObject({ pending: 0, attempts: 1 });
    expect(s.cache.get('n1')!.podCount).toBe(2);
  });

  it('drops a pending pod that is deleted while it backs off', async () => {
    const { s, pods, nodes } = setup();
    nodes.upsert(makeNode('n1', { memory: '1Gi' }));
    const p = makePod('big', { memory: '2Gi' });
    pods.upsert(p);
    await until('big backing off', () => s.stats().backingOff === 1);
    pods.remove(pods.getByKey('default/big')!);
    expect(s.stats()).toMatchObject({ pending: 0, backingOff: 0 });
  });

  it('says no nodes are available when the cluster has none', async () => {
    const { pods, api } = setup();
    pods.upsert(makePod('lonely'));
    const status = await until('the status patch', () => patches(api, 'status')[0]);
    expect(status.body.status.conditions[0].message).toBe('no nodes available to schedule pods');
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
