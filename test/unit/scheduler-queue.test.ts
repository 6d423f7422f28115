import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SchedulingQueue } from '../../src-main/scheduler/queue.js';
import { SchedulerCache } from '../../src-main/scheduler/cache.js';
import { Dispatcher, DroppedError } from '../../src-main/scheduler/dispatcher.js';
import { Heap } from '../../src-main/scheduler/heap.js';
import { makeNode, makePod, makePodInfo } from '../../src-main/scheduler/testing.js';
import { nodeSchedulingFingerprint } from '../../src-main/scheduler/nodeFingerprint.js';
import type { Pod } from '../../src-main/api/types.js';

const key = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;

describe('Heap', () => {
  it('pops in order', () => {
    const h = new Heap<number>((a, b) => a < b);
    for (const n of [5, 3, 9, 1, 7, 1, 8]) h.push(n);
    const out: number[] = [];
    while (h.size) out.push(h.pop()!);
    expect(out).toEqual([1, 1, 3, 5, 7, 8, 9]);
    expect(h.pop()).toBeUndefined();
  });
});

describe('SchedulingQueue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('pops higher priority first, then first come first served', () => {
    const q = new SchedulingQueue();
    const a = makePod('a');
    const b = makePod('b', { priority: 100 });
    const c = makePod('c');
    for (const p of [a, b, c]) q.addOrUpdate(p, key(p));
    expect(q.activeLength).toBe(3);
    expect([q.pop()!.key, q.pop()!.key, q.pop()!.key]).toEqual(['default/b', 'default/a', 'default/c']);
    expect(q.pop()).toBeUndefined();
    expect(q.size).toBe(3); // in flight until finished
  });

  it('does not queue a pod twice', () => {
    const q = new SchedulingQueue();
    const a = makePod('a');
    q.addOrUpdate(a, key(a));
    q.addOrUpdate({ ...a, metadata: { ...a.metadata, resourceVersion: '2' } }, key(a));
    expect(q.activeLength).toBe(1);
    q.pop();
    expect(q.pop()).toBeUndefined();
  });

  it('backs off 1 s doubling up to 10 s', () => {
    const q = new SchedulingQueue();
    expect([1, 2, 3, 4, 5, 6, 20].map((n) => q.backoffDuration(n))).toEqual([1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  it('retries a failed pod when its backoff expires', () => {
    const q = new SchedulingQueue();
    const a = makePod('a');
    q.addOrUpdate(a, key(a));
    const qp = q.pop()!;
    qp.attempts = 2;
    qp.lastAttemptAt = Date.now();
    q.backOff(qp, new Set(['NodeResourcesFit']));
    expect(q.backoffLength).toBe(1);
    expect(q.pop()).toBeUndefined();
    vi.advanceTimersByTime(1999);
    expect(q.activeLength).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.activeLength).toBe(1);
    expect(q.backoffLength).toBe(0);
    expect(q.pop()).toBe(qp);
  });

  it('lets a hint activate a backing-off pod early', () => {
    const q = new SchedulingQueue();
    const a = makePod('a');
    q.addOrUpdate(a, key(a));
    const qp = q.pop()!;
    qp.attempts = 1;
    qp.lastAttemptAt = Date.now();
    q.backOff(qp, new Set(['NodeResourcesFit']));
    expect([...q.backingOff()]).toEqual([qp]);
    q.activate(qp);
    expect(q.pop()).toBe(qp);
    // The expired backoff entry is stale now and does nothing.
    vi.advanceTimersByTime(5000);
    expect(q.activeLength).toBe(0);
  });

  it('ignores status-only updates of a backing-off pod but retries on a spec change', () => {
    const q = new SchedulingQueue();
    const a = makePod('a');
    q.addOrUpdate(a, key(a));
    const qp = q.pop()!;
    qp.attempts = 1;
    q.backOff(qp, new Set(['TaintToleration']));
    const statusOnly: Pod = { ...a, metadata: { ...a.metadata, annotations: { x: 'y' } }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] } };
    q.addOrUpdate(statusOnly, key(a));
    expect(q.activeLength).toBe(0);
    expect(qp.pod).toBe(statusOnly);
    const tolerated: Pod = { ...statusOnly, spec: { ...a.spec, tolerations: [{ operator: 'Exists' }] } };
    q.addOrUpdate(tolerated, key(a));
    expect(q.activeLength).toBe(1);
    expect(qp.info).toBeUndefined();
  });

  it('holds gated pods until their gates are removed', () => {
    const q = new SchedulingQueue();
    const a = makePod('a');
    a.spec.schedulingGates = [{ name: 'example.com/wait' }];
    q.addOrUpdate(a, key(a));
    expect(q.activeLength).toBe(0);
    expect(q.size).toBe(1);
    q.addOrUpdate({ ...a, spec: { ...a.spec, schedulingGates: [] } }, key(a));
    expect(q.activeLength).toBe(1);
  });

  it('forgets deleted pods wherever they are', () => {
    const q = new SchedulingQueue();
    const a = makePod('a');
    const b = makePod('b');
    q.addOrUpdate(a, key(a));
    q.addOrUpdate(b, key(b));
    q.delete(key(a));
    expect(q.activeLength).toBe(1);
    const qb = q.pop()!;
    q.backOff(qb, undefined);
    q.delete(key(b));
    expect(q.size).toBe(0);
    expect(q.backoffLength).toBe(0);
    vi.advanceTimersByTime(20_000);
    expect(q.pop()).toBeUndefined();
  });

  it('a pod re-created under the same name starts over', () => {
    const q = new SchedulingQueue();
    const a = makePod('a');
    q.addOrUpdate(a, key(a));
    const qp = q.pop()!;
    qp.attempts = 5;
    q.backOff(qp, undefined);
    const a2 = makePod('a');
    q.addOrUpdate(a2, key(a2));
    expect(qp.attempts).toBe(0);
    expect(q.activeLength).toBe(1);
  });

  it('wakes a waiting loop', async () => {
    vi.useRealTimers();
    const q = new SchedulingQueue();
    let woke = false;
    const p = q.whenActive().then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    const a = makePod('a');
    q.addOrUpdate(a, key(a));
    await p;
    expect(woke).toBe(true);
    q.close();
    await q.whenActive();
  });
});

describe('SchedulerCache', () => {
  it('assumes a pod at once and confirms it when the informer shows it bound', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { cpu: '1' }));
    const pi = makePodInfo('p', { cpu: '600m' });
    cache.assume(pi, 'n1');
    expect(cache.get('n1')!.requested.milliCPU).toBe(600);
    expect(cache.isAssumed('default/p')).toBe(true);
    const bound = { ...pi.pod, spec: { ...pi.pod.spec, nodeName: 'n1' } };
    expect(cache.upsertBoundPod(bound)).toBe('updated');
    expect(cache.isAssumed('default/p')).toBe(false);
    expect(cache.get('n1')!.requested.milliCPU).toBe(600);
    expect(cache.get('n1')!.podCount).toBe(1);
  });

  it('forgets an assumed pod whose binding failed', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    const pi = makePodInfo('p', { memory: '1Gi' });
    cache.assume(pi, 'n1');
    cache.forget('default/p');
    expect(cache.get('n1')!.requested.memory).toBe(0);
    expect(cache.get('n1')!.podCount).toBe(0);
    expect(cache.placeOf('default/p')).toBeUndefined();
  });

  it('moves a pod bound elsewhere than assumed', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    cache.setNode(makeNode('n2'));
    const pi = makePodInfo('p', { cpu: '1' });
    cache.assume(pi, 'n1');
    cache.upsertBoundPod({ ...pi.pod, spec: { ...pi.pod.spec, nodeName: 'n2' } });
    expect(cache.get('n1')!.requested.milliCPU).toBe(0);
    expect(cache.get('n2')!.requested.milliCPU).toBe(1000);
  });

  it('drops terminal pods and deleted pods', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    const p = makePod('p', { nodeName: 'n1', cpu: '1' });
    expect(cache.upsertBoundPod(p)).toBe('added');
    expect(cache.upsertBoundPod({ ...p, status: { phase: 'Succeeded' } })).toBe('removed');
    expect(cache.get('n1')!.requested.milliCPU).toBe(0);
    cache.upsertBoundPod(p);
    expect(cache.removePod(p)).toBe('n1');
    expect(cache.get('n1')!.podCount).toBe(0);
  });

  it('keeps pods of a node it has not seen yet, and counts them once the node arrives', () => {
    const cache = new SchedulerCache();
    cache.upsertBoundPod(makePod('p', { nodeName: 'late', memory: '1Gi' }));
    expect(cache.get('late')).toBeUndefined();
    expect(cache.nodes).toHaveLength(0);
    cache.setNode(makeNode('late'));
    expect(cache.get('late')!.requested.memory).toBe(1024 ** 3);
  });

  it('removes nodes from the schedulable list without losing their pods', () => {
    const cache = new SchedulerCache();
    for (const n of ['a', 'b', 'c']) cache.setNode(makeNode(n));
    cache.upsertBoundPod(makePod('p', { nodeName: 'a', cpu: '1' }));
    cache.removeNode('a');
    expect(cache.nodes.map((n) => n.name).sort()).toEqual(['b', 'c']);
    expect(cache.info('a')!.podCount).toBe(1);
    cache.setNode(makeNode('a'));
    expect(cache.get('a')!.requested.milliCPU).toBe(1000);
    cache.removeNode('b');
    cache.removeNode('c');
    expect(cache.nodes.map((n) => n.name)).toEqual(['a']);
    expect(cache.info('b')).toBeUndefined();
  });

  it('indexes where each controller has pods, in step with the nodes', () => {
    const cache = new SchedulerCache();
    for (const n of ['a', 'b']) cache.setNode(makeNode(n));
    const p1 = makePodInfo('w1', { owner: 'web' });
    const p2 = makePodInfo('w2', { owner: 'web' });
    cache.assume(p1, 'a');
    cache.assume(p2, 'a');
    cache.upsertBoundPod(makePod('w3', { owner: 'web', nodeName: 'b' }));
    expect(cache.ownerPlacement('rs-web')).toEqual(new Map([['a', 2], ['b', 1]]));
    expect(cache.get('a')!.ownerCounts.get('rs-web')).toBe(2);
    cache.forget('default/w1');
    cache.upsertBoundPod({ ...p2.pod, spec: { ...p2.pod.spec, nodeName: 'b' } }); // bound elsewhere
    expect(cache.ownerPlacement('rs-web')).toEqual(new Map([['b', 2]]));
    cache.removePodKey('default/w2');
    cache.removePodKey('default/w3');
    expect(cache.ownerPlacement('rs-web').size).toBe(0);
  });

  it('a re-created pod replaces the old one under the same name', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    cache.upsertBoundPod(makePod('p', { nodeName: 'n1', cpu: '1' }));
    cache.upsertBoundPod(makePod('p', { nodeName: 'n1', cpu: '2' }));
    expect(cache.get('n1')!.requested.milliCPU).toBe(2000);
    expect(cache.podCount).toBe(1);
  });
});

describe('Dispatcher', () => {
  it('bounds concurrency and reports a free slot', async () => {
    const d = new Dispatcher(2);
    const resolvers: (() => void)[] = [];
    const task = () => new Promise<void>((r) => resolvers.push(r));
    const runs = [d.run(task), d.run(task), d.run(task)];
    expect(d.running).toBe(2);
    expect(d.waiting).toBe(1);
    expect(d.full).toBe(true);
    let slot = false;
    const s = d.whenSlot().then(() => (slot = true));
    resolvers.shift()!();
    await runs[0];
    await Promise.resolve();
    expect(d.running).toBe(2); // the waiting one started
    resolvers.shift()!();
    await s;
    expect(slot).toBe(true);
    resolvers.shift()!();
    await Promise.all(runs);
    await d.whenIdle();
  });

  it('drops the oldest waiting task beyond its backlog', async () => {
    const d = new Dispatcher(1, 1);
    let release!: () => void;
    const first = d.run(() => new Promise<void>((r) => (release = r)));
    const second = d.run(async () => 'second');
    const third = d.run(async () => 'third');
    await expect(second).rejects.toBeInstanceOf(DroppedError);
    expect(d.dropped).toBe(1);
    release();
    await first;
    await expect(third).resolves.toBe('third');
  });

  it('turns a synchronous throw into a rejection', async () => {
    const d = new Dispatcher(1);
    await expect(
      d.run(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(d.running).toBe(0);
  });
});

describe('node fingerprint', () => {
  it('changes only with what filters read', () => {
    const n = makeNode('n');
    const heartbeat = { ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True' as const, lastHeartbeatTime: 'later' }] } };
    expect(nodeSchedulingFingerprint(heartbeat)).toBe(nodeSchedulingFingerprint(n));
    expect(nodeSchedulingFingerprint({ ...n, spec: { unschedulable: true } })).not.toBe(nodeSchedulingFingerprint(n));
    expect(nodeSchedulingFingerprint(makeNode('n', { labels: { a: 'b' } }))).not.toBe(nodeSchedulingFingerprint(n));
    expect(nodeSchedulingFingerprint(makeNode('n', { ready: 'False' }))).not.toBe(nodeSchedulingFingerprint(n));
    expect(nodeSchedulingFingerprint(makeNode('n', { memory: '16Gi' }))).not.toBe(nodeSchedulingFingerprint(n));
  });
});
