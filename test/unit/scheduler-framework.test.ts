import { describe, expect, it } from 'vitest';
import { Framework } from '../../src-main/scheduler/framework.js';
import { SchedulerCache } from '../../src-main/scheduler/cache.js';
import { makeNode, makePod, makePodInfo } from '../../src-main/scheduler/testing.js';
import { milliValue, podRequests, value, nodeAllocatable, DEFAULT_MEMORY_REQUEST } from '../../src-main/scheduler/resources.js';
import { newPodInfo } from '../../src-main/scheduler/podInfo.js';

const Mi = 1024 * 1024;

describe('quantities', () => {
  it('parses cpu into millicores, rounding up', () => {
    expect(milliValue('100m')).toBe(100);
    expect(milliValue('1')).toBe(1000);
    expect(milliValue('0.5')).toBe(500);
    expect(milliValue('2.5')).toBe(2500);
    expect(milliValue('0.0001')).toBe(1);
    expect(milliValue('1500u')).toBe(2);
    expect(milliValue(2)).toBe(2000);
    expect(milliValue('garbage')).toBe(0);
  });
  it('parses memory into bytes', () => {
    expect(value('128Mi')).toBe(128 * Mi);
    expect(value('1Gi')).toBe(1024 * Mi);
    expect(value('1e9')).toBe(1e9);
    expect(value('500M')).toBe(5e8);
    expect(value('1.5Ki')).toBe(1536);
    expect(value('1.5')).toBe(2);
    expect(value('100m')).toBe(1);
    expect(value('')).toBe(0);
  });
  it('reads node allocatable, falling back to capacity', () => {
    expect(nodeAllocatable({ allocatable: { cpu: '3900m', memory: '7Gi', pods: '110', 'example.com/gpu': '2' } })).toEqual({
      milliCPU: 3900,
      memory: 7 * 1024 * Mi,
      pods: 110,
      scalars: new Map([['example.com/gpu', 2]]),
    });
    expect(nodeAllocatable({ capacity: { cpu: '2' } })).toMatchObject({ milliCPU: 2000, memory: 0, pods: 0 });
    expect(nodeAllocatable(undefined)).toMatchObject({ milliCPU: 0, memory: 0, pods: 0 });
  });
});

describe('pod requests (kube PodRequests)', () => {
  const c = (name: string, requests?: Record<string, string>, extra: object = {}) => ({ name, image: 'x', ...(requests ? { resources: { requests } } : {}), ...extra });
  it('sums app containers', () => {
    const pod = makePod('p', { containers: [c('a', { cpu: '100m', memory: '64Mi' }), c('b', { cpu: '200m' })] });
    expect(podRequests(pod)).toEqual({ milliCPU: 300, memory: 64 * Mi });
  });
  it('takes the max with init containers, which run one at a time', () => {
    const pod = makePod('p', { containers: [c('a', { cpu: '100m', memory: '64Mi' })], initContainers: [c('i1', { cpu: '1', memory: '10Mi' }), c('i2', { memory: '128Mi' })] });
    expect(podRequests(pod)).toEqual({ milliCPU: 1000, memory: 128 * Mi });
  });
  it('adds sidecars (restartable init containers) to everything that runs after them', () => {
    const pod = makePod('p', {
      containers: [c('a', { cpu: '100m' })],
      initContainers: [c('init', { cpu: '500m' }), c('side', { cpu: '200m' }, { restartPolicy: 'Always' }), c('late', { cpu: '900m' })],
    });
    // app + sidecar = 300m; "late" runs beside the sidecar: 1100m; "init" ran alone: 500m
    expect(podRequests(pod).milliCPU).toBe(1100);
  });
  it('uses limits when requests are missing, and adds overhead', () => {
    const pod = makePod('p', { containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '250m' } } }] });
    pod.spec.overhead = { cpu: '50m', memory: '10Mi' };
    expect(podRequests(pod)).toEqual({ milliCPU: 300, memory: 1024 * Mi + 10 * Mi });
  });
  it('applies the non-zero defaults only to containers that name no request', () => {
    const pod = makePod('p', { containers: [c('a'), c('b', { cpu: '0', memory: '0' }), c('c', { cpu: '300m' })] });
    expect(podRequests(pod)).toEqual({ milliCPU: 300, memory: 0 });
    expect(podRequests(pod, true)).toEqual({ milliCPU: 100 + 0 + 300, memory: DEFAULT_MEMORY_REQUEST + 0 + DEFAULT_MEMORY_REQUEST });
  });
  it('collects extended resources', () => {
    const pi = newPodInfo(makePod('p', { requests: { 'example.com/gpu': '2', 'ephemeral-storage': '1Gi' } }));
    expect(pi.requests.scalars).toEqual(new Map([['example.com/gpu', 2], ['ephemeral-storage', 1024 * Mi]]));
  });
});

function cacheWith(n: number, opts: Parameters<typeof makeNode>[1] = {}): SchedulerCache {
  const cache = new SchedulerCache();
  for (let i = 0; i < n; i++) cache.setNode(makeNode(`n${i}`, opts));
  return cache;
}

describe('numFeasibleNodesToFind', () => {
  const fw = new Framework();
  it('uses every node below 100', () => {
    expect(fw.numFeasibleNodesToFind(5)).toBe(5);
    expect(fw.numFeasibleNodesToFind(99)).toBe(99);
  });
  it('is adaptive like kube: 50% - nodes/125, at least 5%, at least 100 nodes', () => {
    expect(fw.numFeasibleNodesToFind(100)).toBe(100);
    expect(fw.numFeasibleNodesToFind(250)).toBe(120); // 48%
    expect(fw.numFeasibleNodesToFind(1000)).toBe(420); // 42%
    expect(fw.numFeasibleNodesToFind(5000)).toBe(500); // 10%
    expect(fw.numFeasibleNodesToFind(10000)).toBe(500); // 5%
  });
  it('honours a fixed percentage', () => {
    expect(new Framework({ percentageOfNodesToScore: 100 }).numFeasibleNodesToFind(1000)).toBe(1000);
    expect(new Framework({ percentageOfNodesToScore: 20 }).numFeasibleNodesToFind(1000)).toBe(200);
    expect(new Framework({ percentageOfNodesToScore: 1 }).numFeasibleNodesToFind(1000)).toBe(100);
  });
});

describe('Framework.schedule', () => {
  it('evaluates only as many nodes as needed, from a rotating start', () => {
    const cache = cacheWith(1000);
    const fw = new Framework({ random: () => 0.5 });
    const r1 = fw.schedule(makePodInfo('a'), cache);
    expect(r1.evaluated).toBe(420);
    expect(r1.feasible).toBe(420);
    const r2 = fw.schedule(makePodInfo('b'), cache);
    expect(r2.evaluated).toBe(420);
    // The second pod started where the first stopped: it cannot pick from the first window.
    const idx = (name: string) => Number(name.slice(1));
    expect(idx(r1.node!)).toBeLessThan(420);
    expect(idx(r2.node!)).toBeGreaterThanOrEqual(420);
    expect(idx(r2.node!)).toBeLessThan(840);
  });
  it('looks at every node when few fit', () => {
    const cache = new SchedulerCache();
    for (let i = 0; i < 300; i++) cache.setNode(makeNode(`n${i}`, { memory: i === 299 ? '8Gi' : '1Gi' }));
    const r = new Framework().schedule(makePodInfo('p', { memory: '2Gi' }), cache);
    expect(r.node).toBe('n299');
    expect(r.evaluated).toBe(300);
    expect(r.filtered.get('Insufficient memory')).toBe(299);
  });
  it('prefers the least allocated node', () => {
    const cache = cacheWith(3);
    cache.upsertBoundPod(makePod('x', { nodeName: 'n0', cpu: '2', memory: '4Gi' }));
    cache.upsertBoundPod(makePod('y', { nodeName: 'n2', cpu: '1', memory: '1Gi' }));
    expect(new Framework().schedule(makePodInfo('p', { cpu: '100m', memory: '100Mi' }), cache).node).toBe('n1');
  });
  it('spreads replicas of one owner, seeing assumed pods at once', () => {
    const cache = cacheWith(4);
    const fw = new Framework();
    const placed: string[] = [];
    for (let i = 0; i < 8; i++) {
      const pi = makePodInfo(`web-${i}`, { owner: 'web', cpu: '10m', memory: '10Mi' });
      const r = fw.schedule(pi, cache);
      cache.assume(pi, r.node!);
      placed.push(r.node!);
    }
    const counts = new Map<string, number>();
    for (const n of placed) counts.set(n, (counts.get(n) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2, 2, 2]);
  });
  it('spreads best-effort pods too (non-zero defaults)', () => {
    const cache = cacheWith(5);
    const fw = new Framework();
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const pi = makePodInfo(`p${i}`);
      const r = fw.schedule(pi, cache);
      cache.assume(pi, r.node!);
      seen.add(r.node!);
    }
    expect(seen.size).toBe(5);
  });
  it('breaks ties at random among the best', () => {
    const cache = cacheWith(4);
    const picks = new Set<string>();
    let seed = 1;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 40; i++) picks.add(new Framework({ random: rnd }).schedule(makePodInfo('p'), cache).node!);
    expect(picks.size).toBeGreaterThan(1);
  });
  it('returns the chosen node first in the scores, then the next best', () => {
    const cache = cacheWith(6);
    cache.upsertBoundPod(makePod('x', { nodeName: 'n3', cpu: '3', memory: '6Gi' }));
    const r = new Framework({ topScores: 3 }).schedule(makePodInfo('p', { cpu: '100m', memory: '100Mi' }), cache);
    expect(r.scores).toHaveLength(3);
    expect(r.scores[0]!.node).toBe(r.node);
    expect(r.scores.map((s) => s.node)).not.toContain('n3');
    expect(r.scores[0]!.total).toBe(r.scores[0]!.plugins.LeastAllocated! + r.scores[0]!.plugins.BalancedAllocation!);
    expect(r.scores[0]!.plugins.TaintToleration).toBeUndefined(); // no PreferNoSchedule taints anywhere
  });
  it('scores PreferNoSchedule taints once a node has one', () => {
    const cache = cacheWith(3);
    cache.setNode(makeNode('n1', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }));
    const r = new Framework({ topScores: 3 }).schedule(makePodInfo('p'), cache);
    const byNode = new Map(r.scores.map((s) => [s.node, s.plugins.TaintToleration]));
    expect(byNode).toEqual(new Map([['n0', 100], ['n1', 0], ['n2', 100]]));
    expect(r.node).not.toBe('n1');
    cache.setNode(makeNode('n1'));
    expect(cache.preferNoScheduleNodes).toBe(0);
  });
  it('keeps the best totals in order', () => {
    const cache = cacheWith(12, { cpu: '10', memory: '10Gi' });
    // Load node i with i cpus so that every node scores differently.
    for (let i = 0; i < 12; i++) if (i) cache.upsertBoundPod(makePod(`load-${i}`, { nodeName: `n${i}`, cpu: String(i * 0.5), memory: `${i * 512}Mi` }));
    const r = new Framework().schedule(makePodInfo('p', { cpu: '100m', memory: '100Mi' }), cache);
    expect(r.scores.map((s) => s.node)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    for (let i = 1; i < 5; i++) expect(r.scores[i - 1]!.total).toBeGreaterThan(r.scores[i]!.total);
  });
  it('skips nodes whose Node object is gone', () => {
    const cache = cacheWith(3);
    cache.removeNode('n1');
    const r = new Framework().schedule(makePodInfo('p'), cache);
    expect(r.numAllNodes).toBe(2);
    expect(r.node).not.toBe('n1');
  });
  it('reports no nodes', () => {
    const r = new Framework().schedule(makePodInfo('p'), new SchedulerCache());
    expect(r).toMatchObject({ numAllNodes: 0, evaluated: 0, feasible: 0 });
    expect(r.rejectors.has('*')).toBe(true);
  });
  // How fast a cycle is (the budget: a fraction of 1 ms per pod on 1,000 nodes) is measured by
  // bench:scheduler; here, that 1,000 cycles in a row over 1,000 nodes each find a node and see
  // the pods assumed before them.
  it('places 1,000 pods on 1,000 nodes, each cycle seeing the pods assumed before it', () => {
    const cache = cacheWith(1000, { cpu: '64', memory: '256Gi' });
    const fw = new Framework();
    const perNode = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const pi = makePodInfo(`p${i}`, { owner: `rs${i % 10}`, cpu: '100m', memory: '128Mi' });
      const node = fw.schedule(pi, cache).node!;
      expect(node).toBeDefined();
      cache.assume(pi, node);
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
    }
    expect([...perNode.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    let requested = 0;
    for (const n of perNode.keys()) requested += cache.get(n)!.requested.milliCPU;
    expect(requested).toBe(1000 * 100);
  });
});
