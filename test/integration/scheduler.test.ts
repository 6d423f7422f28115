import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { HollowNodePool } from '../../src-main/hollow/hollowNodePool.js';
import type { Pod } from '../../src-main/api/types.js';
import { LAST_ATTEMPT_ANNOTATION, type LastAttempt } from '../../src-main/scheduler/lastAttempt.js';
import { Scheduler } from '../../src-main/scheduler/scheduler.js';
import { makeContext } from '../../src-main/client/controller.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../../src-main/client/controllerOptions.js';
import { InformerFactory, trimManagedFields } from '../../src-main/client/informer.js';
import { silentLogger } from '../../src-main/api/log.js';
import { until } from '../helpers/wait.js';

// The scheduler against a real control plane with three hollow nodes (2 cpu, 4Gi, 20 pods each),
// driven and observed with the real kubectl: spreading, the exact FailedScheduling message in
// `kubectl describe` and in the PodScheduled condition, taints and tolerations, nodeSelector,
// cordon, host ports, and a pending pod that lands as soon as a node that fits appears.

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster({
    scheduler: true,
    controllers: true,
    hollowNodes: { count: 3, podStartupDelayMs: 20, capacity: { cpu: '2', memory: '4Gi', pods: '20' } },
  });
});
afterAll(async () => c?.stop());

async function getPod(name: string, ns = 'default'): Promise<Pod | undefined> {
  const r = await c.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
  return r.status === 200 ? (r.json as Pod) : undefined;
}

function podManifest(name: string, o: { memory?: string; cpu?: string; nodeSelector?: Record<string, string>; tolerations?: object[]; hostPort?: number } = {}): string {
  const requests = { ...(o.memory ? { memory: o.memory } : {}), ...(o.cpu ? { cpu: o.cpu } : {}) };
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'nginx:1.25',
          ...(Object.keys(requests).length ? { resources: { requests } } : {}),
          ...(o.hostPort ? { ports: [{ containerPort: 80, hostPort: o.hostPort }] } : {}),
        },
      ],
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
    },
  });
}

async function createPod(name: string, o: Parameters<typeof podManifest>[1] = {}): Promise<void> {
  await c.kubectlOK(['apply', '-f', '-'], { input: podManifest(name, o) });
}

async function waitScheduled(name: string): Promise<Pod> {
  return until(`${name} scheduled`, async () => {
    const p = await getPod(name);
    return p?.spec.nodeName ? p : undefined;
  });
}

/** Waits for PodScheduled=False/Unschedulable with exactly `message`, as kubectl's jsonpath prints it. */
async function waitUnschedulable(name: string, message: string): Promise<void> {
  const path = `{.status.conditions[?(@.type=="PodScheduled")].status}|{.status.conditions[?(@.type=="PodScheduled")].reason}|{.status.conditions[?(@.type=="PodScheduled")].message}`;
  let last = '';
  await until(`${name} unschedulable with "${message}"`, async () => {
    last = await c.kubectlOK(['get', 'pod', name, '-o', `jsonpath=${path}`]);
    if (last !== `False|Unschedulable|${message}`) throw new Error(`last: "${last}"`);
    return true;
  });
}

async function describeEvents(name: string): Promise<string> {
  return c.kubectlOK(['describe', 'pod', name]);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function lastAttempt(p: Pod | undefined): LastAttempt | undefined {
  const text = p?.metadata.annotations?.[LAST_ATTEMPT_ANNOTATION];
  return text ? (JSON.parse(text) as LastAttempt) : undefined;
}

describe('scheduler', () => {
  it('spreads the replicas of a deployment over the nodes and records Scheduled events', async () => {
    await c.kubectlOK(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=6']);
    const pods = await until('six web pods scheduled', async () => {
      const r = await c.request('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb');
      const items = (r.json?.items ?? []) as Pod[];
      return items.length === 6 && items.every((p) => p.spec.nodeName) ? items : undefined;
    });
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    expect([...perNode.keys()].sort()).toEqual(['hollow-node-0', 'hollow-node-1', 'hollow-node-2']);
    expect([...perNode.values()]).toEqual([2, 2, 2]);

    const one = pods[0]!;
    const events = await until('Scheduled event', async () => {
      const out = await describeEvents(one.metadata.name!);
      return /Normal\s+Scheduled/.test(out) ? out : undefined;
    });
    expect(events).toMatch(new RegExp(`Normal\\s+Scheduled\\s+.*default-scheduler\\s+Successfully assigned default/${escapeRe(one.metadata.name!)} to ${one.spec.nodeName}`));
    expect(await c.kubectlOK(['get', 'pod', one.metadata.name!, '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}'])).toBe('True');

    // The last attempt is on the pod for the dashboard.
    const withAnnotation = await until('last-attempt annotation', async () => {
      const p = await getPod(one.metadata.name!);
      return lastAttempt(p) ? p : undefined;
    });
    const a = lastAttempt(withAnnotation)!;
    expect(a).toMatchObject({ result: 'Scheduled', node: one.spec.nodeName, filtered: {} });
    expect(a.scores[0]!.node).toBe(one.spec.nodeName);
    expect(a.scores.length).toBe(3);
    expect(Object.keys(a.scores[0]!.plugins)).toContain('OwnerSpread');
    // Written for this pod: not before it was created (server stamps; creation is cut to seconds).
    expect(Date.parse(a.time)).toBeGreaterThanOrEqual(Date.parse(one.metadata.creationTimestamp!));

    await c.kubectlOK(['delete', 'deployment', 'web', '--wait=false']);
  });

  it('reports a pod that fits nowhere exactly as kube-scheduler does', async () => {
    await createPod('too-big', { memory: '64Gi' });
    const message = '0/3 nodes are available: 3 Insufficient memory.';
    await waitUnschedulable('too-big', message);
    const out = await until('FailedScheduling event', async () => {
      const d = await describeEvents('too-big');
      return /FailedScheduling/.test(d) ? d : undefined;
    });
    expect(out).toMatch(new RegExp(`Warning\\s+FailedScheduling\\s+.*default-scheduler\\s+${escapeRe(message)}`));
    expect(out).toMatch(/PodScheduled\s+False/);
    expect(await c.kubectlOK(['get', 'pod', 'too-big'])).toMatch(/too-big\s+0\/1\s+Pending\s+0/);

    const a = await until('last-attempt annotation', async () => lastAttempt(await getPod('too-big')));
    expect(a).toMatchObject({ result: 'Unschedulable', filtered: { 'Insufficient memory': 3 }, scores: [] });
    expect(a.node).toBeUndefined();
    await c.kubectlOK(['delete', 'pod', 'too-big', '--wait=false']);
  });

  it('honours taints, tolerations and nodeSelector, with the kube message for a mix of reasons', async () => {
    await c.kubectlOK(['taint', 'nodes', 'hollow-node-0', 'key=value:NoSchedule']);
    try {
      // The example: a tainted node and two nodes short of memory.
      await createPod('mixed', { memory: '5Gi' });
      await waitUnschedulable('mixed', '0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient memory.');
      expect(await describeEvents('mixed')).toMatch(/Warning\s+FailedScheduling\s+.*0\/3 nodes are available: 1 node\(s\) had untolerated taint \{key: value\}, 2 Insufficient memory\./);

      await createPod('pinned', { nodeSelector: { 'kubernetes.io/hostname': 'hollow-node-0' } });
      await waitUnschedulable('pinned', "0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 node(s) didn't match Pod's node affinity/selector.");

      await createPod('tolerant', { nodeSelector: { 'kubernetes.io/hostname': 'hollow-node-0' }, tolerations: [{ key: 'key', operator: 'Equal', value: 'value', effect: 'NoSchedule' }] });
      expect((await waitScheduled('tolerant')).spec.nodeName).toBe('hollow-node-0');

      // Pods without the toleration avoid the tainted node.
      for (let i = 0; i < 4; i++) await createPod(`plain-${i}`);
      for (let i = 0; i < 4; i++) expect((await waitScheduled(`plain-${i}`)).spec.nodeName).not.toBe('hollow-node-0');
    } finally {
      await c.kubectlOK(['taint', 'nodes', 'hollow-node-0', 'key=value:NoSchedule-']);
    }
    // Removing the taint is a node update that lets "pinned" fit: it is retried at once.
    expect((await waitScheduled('pinned')).spec.nodeName).toBe('hollow-node-0');
    await c.kubectlOK(['delete', 'pod', 'mixed', 'pinned', 'tolerant', 'plain-0', 'plain-1', 'plain-2', 'plain-3', '--wait=false']);
  });

  it('does not place pods on a cordoned node', async () => {
    await c.kubectlOK(['cordon', 'hollow-node-1']);
    try {
      await createPod('on-cordoned', { nodeSelector: { 'kubernetes.io/hostname': 'hollow-node-1' } });
      await waitUnschedulable('on-cordoned', "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector.");
      for (let i = 0; i < 4; i++) await createPod(`c-${i}`);
      for (let i = 0; i < 4; i++) expect((await waitScheduled(`c-${i}`)).spec.nodeName).not.toBe('hollow-node-1');
    } finally {
      await c.kubectlOK(['uncordon', 'hollow-node-1']);
    }
    expect((await waitScheduled('on-cordoned')).spec.nodeName).toBe('hollow-node-1');
    await c.kubectlOK(['delete', 'pod', 'on-cordoned', 'c-0', 'c-1', 'c-2', 'c-3', '--wait=false']);
  });

  it('keeps host ports apart', async () => {
    const sel = { 'kubernetes.io/hostname': 'hollow-node-2' };
    await createPod('port-a', { nodeSelector: sel, hostPort: 8080 });
    expect((await waitScheduled('port-a')).spec.nodeName).toBe('hollow-node-2');
    await createPod('port-b', { nodeSelector: sel, hostPort: 8080 });
    await waitUnschedulable('port-b', "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 2 node(s) didn't match Pod's node affinity/selector.");
    await createPod('port-c', { nodeSelector: sel, hostPort: 8081 });
    expect((await waitScheduled('port-c')).spec.nodeName).toBe('hollow-node-2');
    // Deleting the pod that holds the port lets the waiting one in.
    await c.kubectlOK(['delete', 'pod', 'port-a', '--timeout=10s']);
    expect((await waitScheduled('port-b')).spec.nodeName).toBe('hollow-node-2');
    await c.kubectlOK(['delete', 'pod', 'port-b', 'port-c', '--wait=false']);
  });

  it('counts what is bound: fills nodes up to allocatable, then waits for room', async () => {
    // 3 nodes x 4Gi: six 1500Mi pods fit two per node; the seventh does not.
    for (let i = 0; i < 7; i++) await createPod(`fill-${i}`, { memory: '1500Mi' });
    for (let i = 0; i < 6; i++) await waitScheduled(`fill-${i}`);
    await waitUnschedulable('fill-6', '0/3 nodes are available: 3 Insufficient memory.');
    await c.kubectlOK(['delete', 'pod', 'fill-0', '--timeout=10s']);
    await waitScheduled('fill-6');
    await c.kubectlOK(['delete', 'pod', ...Array.from({ length: 6 }, (_, i) => `fill-${i + 1}`), '--wait=false']);
  });

  it('schedules a pending pod as soon as a node that fits is added', async () => {
    // A second scheduler of the same code, for its own pods, whose backoff no test outlives: a pod
    // it schedules after a failure was brought back by the node's arrival (a queueing hint).
    const NEVER_MS = 3_600_000;
    const client = c.cp.componentClient('patient-scheduler');
    const informers = new InformerFactory(client, { transform: trimManagedFields });
    const patient = new Scheduler(makeContext(client, informers, DEFAULT_CONTROLLER_OPTIONS, silentLogger), { schedulerName: 'patient-scheduler', initialBackoffMs: NEVER_MS, maxBackoffMs: NEVER_MS });
    patient.init();
    await informers.start();
    patient.run();
    const pool = new HollowNodePool(c.cp.componentClient('big-nodes'), { count: 1, namePrefix: 'big-node-', capacity: { cpu: '8', memory: '32Gi', pods: '20' }, podStartupDelayMs: 20 });
    try {
      await c.kubectlOK(['apply', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'needs-big' }, spec: { schedulerName: 'patient-scheduler', containers: [{ name: 'app', image: 'nginx:1.25', resources: { requests: { memory: '12Gi' } } }] } }),
      });
      await waitUnschedulable('needs-big', '0/3 nodes are available: 3 Insufficient memory.');
      expect(patient.stats()).toMatchObject({ attempts: 1, backingOff: 1 });
      await pool.start();
      const p = await waitScheduled('needs-big');
      expect(p.spec.nodeName).toBe('big-node-0');
      expect(patient.stats().attempts).toBe(2);
      await until('needs-big running', async () => (await getPod('needs-big'))?.status?.phase === 'Running');
      expect(await c.kubectlOK(['get', 'pod', 'needs-big', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}'])).toBe('True');
      await c.kubectlOK(['delete', 'pod', 'needs-big', '--timeout=10s']);
    } finally {
      await pool.stop();
      patient.stop();
      informers.stop();
      client.close();
    }
  });

  it('leaves pods for other schedulers alone', async () => {
    await c.kubectlOK(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other-sched' }, spec: { schedulerName: 'my-scheduler', containers: [{ name: 'c', image: 'nginx:1.25' }] } }),
    });
    // A positive control created after it: once the scheduler has bound this one, it has seen
    // (and passed over) the pod before it.
    await createPod('after-other');
    await waitScheduled('after-other');
    const p = await getPod('other-sched');
    expect(p!.spec.nodeName).toBeUndefined();
    expect(p!.status?.conditions ?? []).toEqual([]);
    expect(p!.metadata.annotations?.[LAST_ATTEMPT_ANNOTATION]).toBeUndefined();
    await c.kubectlOK(['delete', 'pod', 'other-sched', 'after-other', '--wait=false']);
  });
});
