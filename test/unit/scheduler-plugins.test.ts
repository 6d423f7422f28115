import { describe, expect, it } from 'vitest';
import { makeNode, makeNodeInfo, makePod, makePodInfo } from '../../src-main/scheduler/testing.js';
import { filterNodeUnschedulable, ERR_REASON_UNSCHEDULABLE } from '../../src-main/scheduler/plugins/nodeUnschedulable.js';
import { filterTaintToleration, countIntolerablePreferNoSchedule, defaultNormalize, TaintTolerationScore } from '../../src-main/scheduler/plugins/taintToleration.js';
import { toleratesTaint } from '../../src-main/api/taints.js';
import { filterNodeReady, ERR_REASON_NOT_READY } from '../../src-main/scheduler/plugins/nodeReady.js';
import { filterNodeAffinity, matchRequirement, preferredAffinityWeight, ERR_REASON_NODE_AFFINITY, NodeAffinityScore } from '../../src-main/scheduler/plugins/nodeAffinity.js';
import { filterNodePorts, ERR_REASON_PORTS } from '../../src-main/scheduler/plugins/nodePorts.js';
import { filterNodeResourcesFit } from '../../src-main/scheduler/plugins/nodeResourcesFit.js';
import { leastRequestedScore, scoreLeastAllocated } from '../../src-main/scheduler/plugins/leastAllocated.js';
import { balancedScore, scoreBalancedAllocation, BalancedAllocation } from '../../src-main/scheduler/plugins/balancedAllocation.js';
import { normalizeSpread, ownerSiblings, OwnerSpread } from '../../src-main/scheduler/plugins/ownerSpread.js';
import { DEFAULT_FILTERS } from '../../src-main/scheduler/plugins/index.js';
import type { Taint } from '../../src-main/api/types.js';
import type { Snapshot } from '../../src-main/scheduler/types.js';

const SNAP: Snapshot = { nodes: [], get: () => undefined };

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;

describe('NodeUnschedulable', () => {
  it('rejects a cordoned node', () => {
    const ni = makeNodeInfo(makeNode('n1', { unschedulable: true }));
    expect(filterNodeUnschedulable(makePodInfo('p'), ni)).toBe(ERR_REASON_UNSCHEDULABLE);
    expect(ERR_REASON_UNSCHEDULABLE).toBe('node(s) were unschedulable');
  });
  it('accepts a schedulable node', () => {
    expect(filterNodeUnschedulable(makePodInfo('p'), makeNodeInfo(makeNode('n1')))).toBeNull();
  });
  it('lets a pod that tolerates the unschedulable taint through', () => {
    const ni = makeNodeInfo(makeNode('n1', { unschedulable: true }));
    const exists = makePodInfo('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(filterNodeUnschedulable(exists, ni)).toBeNull();
    const all = makePodInfo('p', { tolerations: [{ operator: 'Exists' }] });
    expect(filterNodeUnschedulable(all, ni)).toBeNull();
    const wrongEffect = makePodInfo('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] });
    expect(filterNodeUnschedulable(wrongEffect, ni)).toBe(ERR_REASON_UNSCHEDULABLE);
  });
});

describe('tolerations', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  it('follow v1 ToleratesTaint', () => {
    expect(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', value: 'gpu' }, taint)).toBe(true); // empty operator = Equal, empty effect = all
    expect(toleratesTaint({ key: 'dedicated', operator: 'Equal', value: 'cpu' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Exists' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, taint)).toBe(false);
    expect(toleratesTaint({ operator: 'Exists' }, taint)).toBe(true); // empty key + Exists = everything
    expect(toleratesTaint({ operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'dedicated', operator: 'Equal' }, { key: 'dedicated', effect: 'NoSchedule' })).toBe(true); // '' == ''
    expect(toleratesTaint({ key: 'dedicated', operator: 'Bogus' as 'Equal' }, taint)).toBe(false);
  });
});

describe('TaintToleration', () => {
  const tainted = (taints: Taint[]) => makeNodeInfo(makeNode('n1', { taints }));
  it('names the first untolerated NoSchedule/NoExecute taint as kube does', () => {
    const ni = tainted([
      { key: 'soft', value: 'x', effect: 'PreferNoSchedule' },
      { key: 'key', value: 'value', effect: 'NoSchedule' },
      { key: 'other', value: 'y', effect: 'NoExecute' },
    ]);
    expect(filterTaintToleration(makePodInfo('p'), ni)).toBe('node(s) had untolerated taint {key: value}');
    const tolerKey = makePodInfo('p', { tolerations: [{ key: 'key', operator: 'Exists' }] });
    expect(filterTaintToleration(tolerKey, ni)).toBe('node(s) had untolerated taint {other: y}');
    const tolerBoth = makePodInfo('p', { tolerations: [{ key: 'key', operator: 'Exists' }, { key: 'other', value: 'y' }] });
    expect(filterTaintToleration(tolerBoth, ni)).toBeNull();
  });
  it('prints an empty value as kube does', () => {
    expect(filterTaintToleration(makePodInfo('p'), tainted([{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]))).toBe(
      'node(s) had untolerated taint {node.kubernetes.io/not-ready: }',
    );
  });
  it('ignores PreferNoSchedule when filtering and an untainted node', () => {
    expect(filterTaintToleration(makePodInfo('p'), tainted([{ key: 'a', value: 'b', effect: 'PreferNoSchedule' }]))).toBeNull();
    expect(filterTaintToleration(makePodInfo('p'), makeNodeInfo(makeNode('n')))).toBeNull();
  });
  it('the default not-ready NoExecute toleration does not tolerate the NoSchedule taint', () => {
    const pod = makePodInfo('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] });
    const ni = tainted([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    ]);
    expect(filterTaintToleration(pod, ni)).toBe('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
  });
  it('scores fewer intolerable PreferNoSchedule taints higher', () => {
    const pod = makePodInfo('p', { tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }] });
    const n0 = makeNodeInfo(makeNode('n0'));
    const n1 = tainted([{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }]);
    const n2 = tainted([{ key: 'b', effect: 'PreferNoSchedule' }, { key: 'c', effect: 'PreferNoSchedule' }, { key: 'd', effect: 'NoSchedule' }]);
    const raw = [n0, n1, n2].map((n) => countIntolerablePreferNoSchedule(pod, n));
    expect(raw).toEqual([0, 1, 2]);
    const s = Float64Array.from(raw);
    TaintTolerationScore.normalize!(s, 3);
    expect([...s]).toEqual([100, 50, 0]);
  });
  it('skips scoring when no node has a PreferNoSchedule taint', () => {
    const pod = makePodInfo('p');
    expect(TaintTolerationScore.applies!(pod, SNAP)).toBe(true); // unknown: score
    expect(TaintTolerationScore.applies!(pod, { ...SNAP, preferNoScheduleNodes: 0 })).toBe(false);
    expect(TaintTolerationScore.applies!(pod, { ...SNAP, preferNoScheduleNodes: 2 })).toBe(true);
  });
  it('normalises all-zero counts to 100 when reversed and 0 otherwise', () => {
    const a = new Float64Array([0, 0]);
    defaultNormalize(a, 2, true);
    expect([...a]).toEqual([100, 100]);
    const b = new Float64Array([0, 0]);
    defaultNormalize(b, 2, false);
    expect([...b]).toEqual([0, 0]);
    const c = new Float64Array([1, 3, 2]);
    defaultNormalize(c, 3, false);
    expect([...c]).toEqual([33, 100, 66]);
  });
});

describe('NodeReady', () => {
  it('rejects False and Unknown, accepts True and nodes without conditions', () => {
    const pod = makePodInfo('p');
    expect(filterNodeReady(pod, makeNodeInfo(makeNode('n', { ready: 'False' })))).toBe(ERR_REASON_NOT_READY);
    expect(filterNodeReady(pod, makeNodeInfo(makeNode('n', { ready: 'Unknown' })))).toBe(ERR_REASON_NOT_READY);
    expect(filterNodeReady(pod, makeNodeInfo(makeNode('n', { ready: 'True' })))).toBeNull();
    expect(filterNodeReady(pod, makeNodeInfo(makeNode('n', { ready: null })))).toBeNull();
    expect(ERR_REASON_NOT_READY).toBe('node(s) were not ready');
  });
  it('lets pods through that tolerate the matching NoSchedule taint (DaemonSet pods)', () => {
    const notReady = makePodInfo('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(filterNodeReady(notReady, makeNodeInfo(makeNode('n', { ready: 'False' })))).toBeNull();
    expect(filterNodeReady(notReady, makeNodeInfo(makeNode('n', { ready: 'Unknown' })))).toBe(ERR_REASON_NOT_READY);
    const unreachable = makePodInfo('p', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }] });
    expect(filterNodeReady(unreachable, makeNodeInfo(makeNode('n', { ready: 'Unknown' })))).toBeNull();
  });
});

describe('NodeAffinity', () => {
  const node = makeNodeInfo(makeNode('n1', { labels: { zone: 'a', disk: 'ssd', cores: '8' } }));
  it('matches nodeSelector label by label', () => {
    expect(filterNodeAffinity(makePodInfo('p', { nodeSelector: { zone: 'a' } }), node)).toBeNull();
    expect(filterNodeAffinity(makePodInfo('p', { nodeSelector: { zone: 'a', disk: 'ssd' } }), node)).toBeNull();
    expect(filterNodeAffinity(makePodInfo('p', { nodeSelector: { zone: 'b' } }), node)).toBe(ERR_REASON_NODE_AFFINITY);
    expect(filterNodeAffinity(makePodInfo('p', { nodeSelector: { gpu: 'yes' } }), node)).toBe(ERR_REASON_NODE_AFFINITY);
    expect(ERR_REASON_NODE_AFFINITY).toBe("node(s) didn't match Pod's node affinity/selector");
  });
  it('implements every operator', () => {
    const labels = { zone: 'a', cores: '8' };
    expect(matchRequirement({ key: 'zone', operator: 'In', values: ['a', 'b'] }, labels)).toBe(true);
    expect(matchRequirement({ key: 'zone', operator: 'In', values: ['b'] }, labels)).toBe(false);
    expect(matchRequirement({ key: 'zone', operator: 'NotIn', values: ['b'] }, labels)).toBe(true);
    expect(matchRequirement({ key: 'missing', operator: 'NotIn', values: ['b'] }, labels)).toBe(true);
    expect(matchRequirement({ key: 'zone', operator: 'NotIn', values: ['a'] }, labels)).toBe(false);
    expect(matchRequirement({ key: 'zone', operator: 'Exists' }, labels)).toBe(true);
    expect(matchRequirement({ key: 'missing', operator: 'Exists' }, labels)).toBe(false);
    expect(matchRequirement({ key: 'missing', operator: 'DoesNotExist' }, labels)).toBe(true);
    expect(matchRequirement({ key: 'zone', operator: 'DoesNotExist' }, labels)).toBe(false);
    expect(matchRequirement({ key: 'cores', operator: 'Gt', values: ['4'] }, labels)).toBe(true);
    expect(matchRequirement({ key: 'cores', operator: 'Gt', values: ['8'] }, labels)).toBe(false);
    expect(matchRequirement({ key: 'cores', operator: 'Lt', values: ['16'] }, labels)).toBe(true);
    expect(matchRequirement({ key: 'zone', operator: 'Lt', values: ['16'] }, labels)).toBe(false); // not a number
    expect(matchRequirement({ key: 'missing', operator: 'Gt', values: ['1'] }, labels)).toBe(false);
  });
  it('ORs required terms and ANDs expressions within a term', () => {
    const term = (...exprs: { key: string; operator: 'In' | 'Exists'; values?: string[] }[]) => ({ matchExpressions: exprs });
    const pod = (terms: object[]) => makePodInfo('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    expect(filterNodeAffinity(pod([term({ key: 'zone', operator: 'In', values: ['b'] }), term({ key: 'disk', operator: 'Exists' })]), node)).toBeNull();
    expect(filterNodeAffinity(pod([term({ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gpu', operator: 'Exists' })]), node)).toBe(ERR_REASON_NODE_AFFINITY);
    expect(filterNodeAffinity(pod([{}]), node)).toBe(ERR_REASON_NODE_AFFINITY); // an empty term matches nothing
    expect(filterNodeAffinity(pod([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }]), node)).toBeNull();
    expect(filterNodeAffinity(pod([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }]), node)).toBe(ERR_REASON_NODE_AFFINITY);
  });
  it('requires both nodeSelector and affinity when both are given', () => {
    const p = makePodInfo('p', {
      nodeSelector: { zone: 'a' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] }] } } },
    });
    expect(filterNodeAffinity(p, node)).toBe(ERR_REASON_NODE_AFFINITY);
  });
  it('scores preferred terms by summed weight, normalised to the best node', () => {
    const pod = makePodInfo('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 80, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
            { weight: 20, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
          ],
        },
      },
    });
    const b = makeNodeInfo(makeNode('b', { labels: { zone: 'b', disk: 'ssd' } }));
    const c = makeNodeInfo(makeNode('c', { labels: { zone: 'c' } }));
    const raw = [node, b, c].map((n) => preferredAffinityWeight(pod, n));
    expect(raw).toEqual([100, 20, 0]);
    const s = Float64Array.from([80, 20, 0]);
    NodeAffinityScore.normalize!(s, 3);
    expect([...s]).toEqual([100, 25, 0]);
    expect(NodeAffinityScore.applies!(pod, SNAP)).toBe(true);
    expect(NodeAffinityScore.applies!(makePodInfo('q'), SNAP)).toBe(false);
  });
});

describe('NodePorts', () => {
  const nodeWith = (ports: { hostPort: number; hostIP?: string; protocol?: 'TCP' | 'UDP' }[]) =>
    makeNodeInfo(makeNode('n'), [makePod('other', { nodeName: 'n', hostPorts: ports })]);
  it('detects conflicts on the same protocol and port', () => {
    expect(filterNodePorts(makePodInfo('p', { hostPorts: [{ hostPort: 80 }] }), nodeWith([{ hostPort: 80 }]))).toBe(ERR_REASON_PORTS);
    expect(filterNodePorts(makePodInfo('p', { hostPorts: [{ hostPort: 81 }] }), nodeWith([{ hostPort: 80 }]))).toBeNull();
    expect(filterNodePorts(makePodInfo('p', { hostPorts: [{ hostPort: 80, protocol: 'UDP' }] }), nodeWith([{ hostPort: 80 }]))).toBeNull();
    expect(ERR_REASON_PORTS).toBe("node(s) didn't have free ports for the requested pod ports");
  });
  it('treats 0.0.0.0 as every address', () => {
    expect(filterNodePorts(makePodInfo('p', { hostPorts: [{ hostPort: 80, hostIP: '10.0.0.1' }] }), nodeWith([{ hostPort: 80, hostIP: '10.0.0.2' }]))).toBeNull();
    expect(filterNodePorts(makePodInfo('p', { hostPorts: [{ hostPort: 80, hostIP: '10.0.0.1' }] }), nodeWith([{ hostPort: 80, hostIP: '10.0.0.1' }]))).toBe(ERR_REASON_PORTS);
    expect(filterNodePorts(makePodInfo('p', { hostPorts: [{ hostPort: 80 }] }), nodeWith([{ hostPort: 80, hostIP: '10.0.0.2' }]))).toBe(ERR_REASON_PORTS);
    expect(filterNodePorts(makePodInfo('p', { hostPorts: [{ hostPort: 80, hostIP: '10.0.0.1' }] }), nodeWith([{ hostPort: 80 }]))).toBe(ERR_REASON_PORTS);
  });
  it('frees a port when the pod holding it leaves', () => {
    const ni = nodeWith([{ hostPort: 80 }]);
    ni.removePod('default/other');
    expect(filterNodePorts(makePodInfo('p', { hostPorts: [{ hostPort: 80 }] }), ni)).toBeNull();
    expect(ni.usedPorts.size).toBe(0);
  });
  it('ignores pods and nodes without host ports', () => {
    expect(filterNodePorts(makePodInfo('p'), nodeWith([{ hostPort: 80 }]))).toBeNull();
  });
});

describe('NodeResourcesFit', () => {
  const node = (o: { cpu?: string; memory?: string; pods?: string } = {}, pods: ReturnType<typeof makePod>[] = []) => makeNodeInfo(makeNode('n', o), pods);
  it('fits requests within allocatable minus what is bound', () => {
    const ni = node({ cpu: '2', memory: '4Gi' }, [makePod('a', { nodeName: 'n', cpu: '1500m', memory: '1Gi' })]);
    expect(filterNodeResourcesFit(makePodInfo('p', { cpu: '500m', memory: '3Gi' }), ni)).toBeNull();
    expect(filterNodeResourcesFit(makePodInfo('p', { cpu: '501m' }), ni)).toBe('Insufficient cpu');
    expect(filterNodeResourcesFit(makePodInfo('p', { memory: '3073Mi' }), ni)).toBe('Insufficient memory');
    expect(filterNodeResourcesFit(makePodInfo('p', { cpu: '1', memory: '4Gi' }), ni)).toEqual(['Insufficient cpu', 'Insufficient memory']);
  });
  it('counts pods without requests as zero, but they still take a pod slot', () => {
    const ni = node({ cpu: '1', memory: '1Gi', pods: '2' }, [makePod('a', { nodeName: 'n', cpu: '1', memory: '1Gi' })]);
    expect(filterNodeResourcesFit(makePodInfo('p'), ni)).toBeNull();
    ni.addPod(makePodInfo('b', { nodeName: 'n' }));
    expect(filterNodeResourcesFit(makePodInfo('p'), ni)).toBe('Too many pods');
    expect(filterNodeResourcesFit(makePodInfo('p', { cpu: '1' }), ni)).toEqual(['Too many pods', 'Insufficient cpu']);
  });
  it('checks extended resources and ephemeral storage', () => {
    const ni = makeNodeInfo(makeNode('n', { extra: { 'example.com/gpu': '1', 'ephemeral-storage': '10Gi' } }));
    expect(filterNodeResourcesFit(makePodInfo('p', { requests: { 'example.com/gpu': '1' } }), ni)).toBeNull();
    expect(filterNodeResourcesFit(makePodInfo('p', { requests: { 'example.com/gpu': '2' } }), ni)).toBe('Insufficient example.com/gpu');
    expect(filterNodeResourcesFit(makePodInfo('p', { requests: { 'example.com/fpga': '1', 'ephemeral-storage': '20Gi' } }), ni)).toEqual([
      'Insufficient ephemeral-storage',
      'Insufficient example.com/fpga',
    ]);
  });
  it('a node without allocatable pods accepts nothing (kube semantics)', () => {
    expect(filterNodeResourcesFit(makePodInfo('p'), node({ pods: '0' }))).toBe('Too many pods');
  });
});

describe('LeastAllocated', () => {
  it('computes kube leastRequestedScore', () => {
    expect(leastRequestedScore(0, 4000)).toBe(100);
    expect(leastRequestedScore(1000, 4000)).toBe(75);
    expect(leastRequestedScore(3333, 10000)).toBe(66);
    expect(leastRequestedScore(5000, 4000)).toBe(0);
    expect(leastRequestedScore(0, 0)).toBe(0);
  });
  it('averages cpu and memory using non-zero defaults for pods without requests', () => {
    const ni = makeNodeInfo(makeNode('n', { cpu: '1', memory: '1000Mi' }));
    // 100m of 1000m -> 90; 200Mi of 1000Mi -> 80; (90 + 80) / 2 = 85
    expect(scoreLeastAllocated(makePodInfo('p'), ni)).toBe(85);
    // explicit requests: 500m -> 50; 500Mi -> 50
    expect(scoreLeastAllocated(makePodInfo('p', { cpu: '500m', memory: '500Mi' }), ni)).toBe(50);
    // bound best-effort pods also count their defaults
    ni.addPod(makePodInfo('b', { nodeName: 'n' }));
    expect(scoreLeastAllocated(makePodInfo('p'), ni)).toBe(70);
  });
  it('prefers the emptier node', () => {
    const empty = makeNodeInfo(makeNode('a'));
    const busy = makeNodeInfo(makeNode('b'), [makePod('x', { nodeName: 'b', cpu: '2', memory: '4Gi' })]);
    const p = makePodInfo('p', { cpu: '100m', memory: '128Mi' });
    expect(scoreLeastAllocated(p, empty)).toBeGreaterThan(scoreLeastAllocated(p, busy));
  });
  it('leaves out resources the node has none of', () => {
    const ni = makeNodeInfo(makeNode('n', { cpu: '0', memory: '1000Mi' }));
    expect(scoreLeastAllocated(makePodInfo('p'), ni)).toBe(80);
  });
});

describe('BalancedAllocation', () => {
  it('computes (1 - std) * 100', () => {
    expect(balancedScore([0.5, 0.5])).toBe(100);
    expect(balancedScore([0.2, 0.6])).toBe(80);
    expect(balancedScore([1, 0])).toBe(50);
    expect(balancedScore([0.3])).toBe(100);
    expect(balancedScore([0.1, 0.2, 0.6])).toBe(78);
  });
  it('uses actual requests and caps fractions at 1', () => {
    const ni = makeNodeInfo(makeNode('n', { cpu: '4', memory: '4Gi' }), [makePod('a', { nodeName: 'n', cpu: '1', memory: '3Gi' })]);
    // cpu (1+1)/4 = 0.5, memory (3+1)/4 = 1 -> std .25 -> 75
    expect(scoreBalancedAllocation(makePodInfo('p', { cpu: '1', memory: '1Gi' }), ni)).toBe(75);
    expect(scoreBalancedAllocation(makePodInfo('p', { cpu: '1', memory: '2Gi' }), ni)).toBe(75);
  });
  it('is skipped for pods that request nothing', () => {
    expect(BalancedAllocation.applies!(makePodInfo('p'), SNAP)).toBe(false);
    expect(BalancedAllocation.applies!(makePodInfo('p', { cpu: '1m' }), SNAP)).toBe(true);
  });
});

describe('OwnerSpread', () => {
  it('counts siblings of the same controller', () => {
    const ni = makeNodeInfo(makeNode('n'), [makePod('a', { nodeName: 'n', owner: 'web' }), makePod('b', { nodeName: 'n', owner: 'web' }), makePod('c', { nodeName: 'n', owner: 'db' })]);
    expect(ownerSiblings(makePodInfo('p', { owner: 'web' }), ni)).toBe(2);
    expect(ownerSiblings(makePodInfo('p', { owner: 'db' }), ni)).toBe(1);
    expect(ownerSiblings(makePodInfo('p', { owner: 'api' }), ni)).toBe(0);
    ni.removePod('default/a');
    expect(ownerSiblings(makePodInfo('p', { owner: 'web' }), ni)).toBe(1);
  });
  it('normalises to 100 * (max - count) / max', () => {
    const s = new Float64Array([0, 1, 3, 2]);
    normalizeSpread(s, 4);
    expect([...s]).toEqual([100, 66, 0, 33]);
    const z = new Float64Array([0, 0]);
    normalizeSpread(z, 2);
    expect([...z]).toEqual([100, 100]);
  });
  it('is skipped for pods without a controller', () => {
    expect(OwnerSpread.applies!(makePodInfo('p'), SNAP)).toBe(false);
    expect(OwnerSpread.applies!(makePodInfo('p', { owner: 'x' }), SNAP)).toBe(true);
  });
});

describe('default filter order', () => {
  it('runs in kube order with NodeReady after TaintToleration', () => {
    expect(DEFAULT_FILTERS.map((f) => f.name)).toEqual(['NodeUnschedulable', 'TaintToleration', 'NodeReady', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit']);
  });
});

describe('units', () => {
  it('reads capacity in kube units', () => {
    const ni = makeNodeInfo(makeNode('n', { cpu: '3500m', memory: '2Gi', pods: '10' }));
    expect(ni.allocatable).toMatchObject({ milliCPU: 3500, memory: 2 * Gi, pods: 10 });
  });
});
