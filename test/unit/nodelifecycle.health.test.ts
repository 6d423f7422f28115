import { describe, it, expect } from 'vitest';
import type { Lease, Node, NodeCondition } from '../../src-main/api/types.js';
import {
  computeZoneState,
  desiredNoScheduleTaintKeys,
  gracePeriodFor,
  isSilent,
  noExecuteTaintFor,
  observeNodeHealth,
  reconcileNoScheduleTaints,
  swapNoExecuteTaints,
  taintRateFor,
  unknownConditions,
} from '../../src-main/controllers/nodelifecycle/health.js';
import { ManualClock } from '../../src-main/api/clock.js';
import { TokenBucket } from '../../src-main/api/tokenBucket.js';
import { nodeZoneKey } from '../../src-main/controllers/util/nodes.js';

const CREATED = '2024-05-01T10:00:00Z';
const T0 = Date.parse(CREATED);

function node(conditions?: NodeCondition[], extra: Partial<Node> = {}): Node {
  return { metadata: { name: 'n1', uid: 'u1', creationTimestamp: CREATED }, spec: {}, status: conditions ? { conditions } : {}, ...extra };
}
const ready = (status: 'True' | 'False' | 'Unknown', hb: string, tt = CREATED): NodeCondition => ({ type: 'Ready', status, lastHeartbeatTime: hb, lastTransitionTime: tt });
const lease = (renewTime: string): Lease => ({ metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime } });

describe('node health', () => {
  it('gives a node that never reported the startup grace period from its creation', () => {
    const h = observeNodeHealth(undefined, node(), undefined, T0 + 5000);
    expect(h.probeTimestamp).toBe(T0);
    expect(gracePeriodFor(node(), 6000, 30_000)).toBe(30_000);
    expect(isSilent(h, 30_000, T0 + 30_000)).toBe(false);
    expect(isSilent(h, 30_000, T0 + 30_001)).toBe(true);
  });

  it('starts the clock at first sight of a node that reports (not at its old timestamps)', () => {
    const n = node([ready('True', '2020-01-01T00:00:00Z')]);
    const h = observeNodeHealth(undefined, n, undefined, T0);
    expect(h.probeTimestamp).toBe(T0);
    expect(gracePeriodFor(n, 6000, 30_000)).toBe(6000);
  });

  it('counts a renewed Lease, or a new Ready heartbeat, as a sign of life', () => {
    const n = node([ready('True', CREATED)]);
    let h = observeNodeHealth(undefined, n, lease('2024-05-01T10:00:00.000000Z'), T0);
    h = observeNodeHealth(h, n, lease('2024-05-01T10:00:00.000000Z'), T0 + 4000);
    expect(h.probeTimestamp).toBe(T0); // nothing new
    h = observeNodeHealth(h, n, lease('2024-05-01T10:00:02.000000Z'), T0 + 5000);
    expect(h.probeTimestamp).toBe(T0 + 5000);
    expect(isSilent(h, 6000, T0 + 11_000)).toBe(false);
    expect(isSilent(h, 6000, T0 + 11_001)).toBe(true);
    h = observeNodeHealth(h, node([ready('True', '2024-05-01T10:00:09Z')]), lease('2024-05-01T10:00:02.000000Z'), T0 + 9000);
    expect(h.probeTimestamp).toBe(T0 + 9000);
  });

  it('notes when the Ready condition transitions', () => {
    let h = observeNodeHealth(undefined, node([ready('True', CREATED)]), undefined, T0);
    h = observeNodeHealth(h, node([ready('False', '2024-05-01T10:00:05Z', '2024-05-01T10:00:05Z')]), undefined, T0 + 5000);
    expect(h.readyTransitionTimestamp).toBe(T0 + 5000);
  });

  it('turns the kubelet conditions Unknown, keeping heartbeats, and says if Ready changed', () => {
    const n = node([ready('True', '2024-05-01T10:00:04Z'), { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: '2024-05-01T10:00:04Z' }, { type: 'NetworkUnavailable', status: 'False' }]);
    const { conditions, readyChanged } = unknownConditions(n, '2024-05-01T10:00:12Z');
    expect(readyChanged).toBe(true);
    const byType = Object.fromEntries(conditions.map((c) => [c.type, c]));
    expect(byType.Ready).toEqual({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: '2024-05-01T10:00:04Z', lastTransitionTime: '2024-05-01T10:00:12Z' });
    expect(byType.MemoryPressure!.status).toBe('Unknown');
    expect(byType.DiskPressure).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: CREATED });
    expect(byType.PIDPressure!.status).toBe('Unknown');
    expect(byType.NetworkUnavailable!.status).toBe('False'); // not the kubelet's to report
    // Already Unknown: nothing to write.
    expect(unknownConditions(node(conditions), '2024-05-01T10:00:13Z').readyChanged).toBe(false);
    // The input is not modified.
    expect(n.status!.conditions![0]!.status).toBe('True');
  });
});

describe('zones', () => {
  it('computes disruption states like kube', () => {
    expect(computeZoneState(['True', 'True', 'Unknown']).state).toBe('Normal');
    expect(computeZoneState(['True', 'Unknown']).state).toBe('Normal');
    expect(computeZoneState(['Unknown', 'Unknown']).state).toBe('FullDisruption');
    expect(computeZoneState([undefined]).state).toBe('FullDisruption');
    // More than two NotReady and at least 55 %: partial.
    expect(computeZoneState(['True', 'True', 'Unknown', 'Unknown', 'False']).state).toBe('PartialDisruption');
    expect(computeZoneState(['True', 'True', 'True', 'Unknown', 'Unknown', 'False']).state).toBe('Normal');
    expect(computeZoneState([]).state).toBe('Normal');
  });

  it('slows or stops tainting in a partially disrupted zone', () => {
    const rates = { evictionQPS: 1, secondaryEvictionQPS: 0.01, largeClusterThreshold: 50 };
    expect(taintRateFor('Normal', 3, rates)).toBe(1);
    expect(taintRateFor('PartialDisruption', 10, rates)).toBe(0);
    expect(taintRateFor('PartialDisruption', 51, rates)).toBe(0.01);
    expect(taintRateFor('FullDisruption', 3, rates)).toBe(1);
  });

  it('keys zones by region and zone labels', () => {
    expect(nodeZoneKey(node())).toBe('');
    expect(nodeZoneKey(node(undefined, { metadata: { name: 'n', labels: { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'a' } } }))).toBe('r:\u0000:a');
  });

  it('rate limits with a token bucket', () => {
    const clock = new ManualClock(0);
    const b = new TokenBucket(1, 1, clock);
    /** Whether a token can be taken at `ms` on the clock. */
    const takeAt = (ms: number) => {
      clock.set(ms);
      return b.take();
    };
    expect([takeAt(0), takeAt(500), takeAt(1000)]).toEqual([true, false, true]);
    clock.set(2000);
    b.setRate(0);
    expect(takeAt(10_000)).toBe(false);
    b.setRate(2);
    expect([b.take(), takeAt(10_400), takeAt(10_500)]).toEqual([true, false, true]);
  });

  it('holds at most burst tokens and gains nothing from a clock stepped back', () => {
    const clock = new ManualClock(10_000);
    const b = new TokenBucket(10, 3, clock);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    clock.advance(60_000); // a minute idle refills to the burst, no further
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    clock.set(0);
    expect(b.take()).toBe(false);
    expect(new TokenBucket(0, 5, clock).take()).toBe(false);
  });
});

describe('node taints', () => {
  it('picks the NoExecute taint from Ready', () => {
    expect(noExecuteTaintFor('Unknown')).toEqual({ add: 'node.kubernetes.io/unreachable', remove: ['node.kubernetes.io/not-ready'] });
    expect(noExecuteTaintFor('False')).toEqual({ add: 'node.kubernetes.io/not-ready', remove: ['node.kubernetes.io/unreachable'] });
    expect(noExecuteTaintFor('True')).toEqual({ remove: ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'] });
  });

  it('swaps NoExecute taints, keeping others and timeAdded of kept ones', () => {
    const user = { key: 'dedicated', value: 'x', effect: 'NoExecute' as const };
    const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' as const, timeAdded: '2024-05-01T10:00:00Z' };
    expect(swapNoExecuteTaints([user], 'node.kubernetes.io/unreachable', ['node.kubernetes.io/not-ready'], 'NOW')).toEqual([user, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: 'NOW' }]);
    expect(swapNoExecuteTaints([user, unreachable], 'node.kubernetes.io/unreachable', ['node.kubernetes.io/not-ready'], 'NOW')).toBeUndefined();
    expect(swapNoExecuteTaints([unreachable, user], 'node.kubernetes.io/not-ready', ['node.kubernetes.io/unreachable'], 'NOW')).toEqual([user, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: 'NOW' }]);
    expect(swapNoExecuteTaints([unreachable, user], undefined, ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'], 'NOW')).toEqual([user]);
    expect(swapNoExecuteTaints(undefined, undefined, ['node.kubernetes.io/unreachable'], 'NOW')).toBeUndefined();
  });

  it('keeps the NoSchedule condition taints in line with the conditions (TaintNodesByCondition)', () => {
    const n = node([ready('Unknown', CREATED), { type: 'MemoryPressure', status: 'True' }, { type: 'DiskPressure', status: 'False' }], { spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }, { key: 'mine', effect: 'NoSchedule' }] } });
    expect(desiredNoScheduleTaintKeys(n)).toEqual(['node.kubernetes.io/unreachable', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/unschedulable']);
    expect(reconcileNoScheduleTaints(n, 'NOW')).toEqual([
      { key: 'mine', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: 'NOW' },
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule', timeAdded: 'NOW' },
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: 'NOW' },
    ]);
    const healthy = node([ready('True', CREATED)], { spec: { taints: [{ key: 'mine', effect: 'NoSchedule' }] } });
    expect(reconcileNoScheduleTaints(healthy, 'NOW')).toBeUndefined();
  });
});
