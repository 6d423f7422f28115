import { describe, it, expect } from 'vitest';
import type { Deployment, DeploymentStatus, ReplicaSet } from '../../src-main/api/types.js';
import { MAX_REPLICAS_ANNOTATION, DESIRED_REPLICAS_ANNOTATION } from '../../src-main/controllers/deployment/util/annotations.js';
import { getCondition, newCondition, removeCondition, setCondition } from '../../src-main/controllers/deployment/util/conditions.js';
import { byCreation, bySizeNewer, bySizeOlder, findActiveOrLatest, findNewReplicaSet, findOldReplicaSets, getProportion, isSaturated, newRSNewReplicas, statusCounts } from '../../src-main/controllers/deployment/util/replicaSets.js';
import { deploymentComplete, deploymentProgressing, deploymentTimedOut } from '../../src-main/controllers/deployment/util/rollout.js';
import { stuckRequeueDelay } from '../../src-main/controllers/deployment/progress.js';
import { maxOldScaleDown } from '../../src-main/controllers/deployment/rolling.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function deployment(replicas: number, image = 'nginx:1', surge: number | string = '25%', unavailable: number | string = '25%'): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      progressDeadlineSeconds: 600,
    },
  };
}

function rs(name: string, replicas: number, o: { image?: string; created?: number; available?: number; max?: number; desired?: number } = {}): ReplicaSet {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: iso(o.created ?? T0),
      annotations: { ...(o.max !== undefined ? { [MAX_REPLICAS_ANNOTATION]: String(o.max) } : {}), ...(o.desired !== undefined ? { [DESIRED_REPLICAS_ANNOTATION]: String(o.desired) } : {}) },
    },
    spec: { replicas, selector: {}, template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image: o.image ?? 'old' }] } } },
    status: { replicas, availableReplicas: o.available ?? replicas },
  };
}

describe('ReplicaSets of a Deployment', () => {
  it('finds the new ReplicaSet by template (oldest if several) and the old ones', () => {
    const a = rs('a', 1, { image: 'nginx:1', created: T0 + 2000 });
    const b = rs('b', 1, { image: 'nginx:1', created: T0 + 1000 });
    const c = rs('c', 1, { image: 'nginx:0', created: T0 });
    expect(findNewReplicaSet(deployment(3), [a, b, c])!.metadata.name).toBe('b');
    expect(findOldReplicaSets(deployment(3), [a, b, c]).map((r) => r.metadata.name)).toEqual(['c', 'a']);
    expect(findNewReplicaSet(deployment(3, 'nginx:9'), [a, b, c])).toBeUndefined();
  });

  it('sorts for scaling', () => {
    const small = rs('small', 1, { created: T0 });
    const bigOld = rs('bigOld', 5, { created: T0 });
    const bigNew = rs('bigNew', 5, { created: T0 + 1000 });
    expect([small, bigOld, bigNew].sort(bySizeNewer).map((r) => r.metadata.name)).toEqual(['bigNew', 'bigOld', 'small']);
    expect([small, bigNew, bigOld].sort(bySizeOlder).map((r) => r.metadata.name)).toEqual(['bigOld', 'bigNew', 'small']);
    expect([bigNew, small].sort(byCreation).map((r) => r.metadata.name)).toEqual(['small', 'bigNew']);
  });

  it('finds the single active (or the latest) ReplicaSet', () => {
    const n = rs('n', 0, { created: T0 + 5000 });
    const o1 = rs('o1', 0, { created: T0 });
    const o2 = rs('o2', 3, { created: T0 + 1000 });
    expect(findActiveOrLatest(n, [o1, o2])!.metadata.name).toBe('o2');
    expect(findActiveOrLatest(n, [o1])!.metadata.name).toBe('n');
    expect(findActiveOrLatest(undefined, [o1, rs('o3', 0, { created: T0 + 9000 })])!.metadata.name).toBe('o3');
    expect(findActiveOrLatest(rs('n', 1), [o2])).toBeUndefined();
    expect(findActiveOrLatest(undefined, [])).toBeUndefined();
  });

  it('sizes the new ReplicaSet within maxSurge', () => {
    const d = deployment(10, 'nginx:1', 3, 2);
    const old = rs('old', 10);
    const fresh = rs('new', 0, { image: 'nginx:1' });
    expect(newRSNewReplicas(d, [old, fresh], fresh, statusCounts)).toBe(3);
    expect(newRSNewReplicas(d, [rs('old', 8), rs('new', 3)], rs('new', 3), statusCounts)).toBe(5);
    expect(newRSNewReplicas(d, [rs('old', 0), rs('new', 9)], rs('new', 9), statusCounts)).toBe(10); // never above replicas
    // Pods still being deleted count against the surge.
    const deleting = { ...rs('old', 8), status: { replicas: 10, availableReplicas: 10 } };
    expect(newRSNewReplicas(d, [deleting, rs('new', 3)], rs('new', 3), statusCounts)).toBe(3);
    const recreate = { ...d, spec: { ...d.spec, strategy: { type: 'Recreate' as const } } };
    expect(newRSNewReplicas(recreate, [old, fresh], fresh, statusCounts)).toBe(10);
  });

  it('limits how far old ReplicaSets shrink', () => {
    const d = deployment(10, 'nginx:1', 3, 2);
    // 10 old + 3 new of which none available: 13 - 8 - 3 = 2.
    expect(maxOldScaleDown(d, [rs('old', 10), rs('new', 3, { available: 0 })], rs('new', 3, { available: 0 }), statusCounts)).toBe(2);
    expect(maxOldScaleDown(d, [rs('old', 8), rs('new', 3, { available: 3 })], rs('new', 3, { available: 3 }), statusCounts)).toBe(3);
  });

  it('is saturated only when the new RS runs and reports everything', () => {
    const d = deployment(3);
    expect(isSaturated(d, rs('n', 3, { desired: 3 }), statusCounts)).toBe(true);
    expect(isSaturated(d, rs('n', 3, { desired: 2 }), statusCounts)).toBe(false);
    expect(isSaturated(d, rs('n', 3, { desired: 3, available: 2 }), statusCounts)).toBe(false);
    expect(isSaturated(d, undefined, statusCounts)).toBe(false);
  });

  it('computes proportions from the max-replicas annotation', () => {
    // A 10-replica deployment (surge 3, max 13) mid-rollout: old 8, new 5; scaled to 20 (max 23).
    const d = deployment(20, 'nginx:1', 3, 2);
    const old = rs('old', 8, { max: 13 });
    const nw = rs('new', 5, { max: 13 });
    const toAdd = 23 - 13;
    const pOld = getProportion(old, d, toAdd, 0);
    const pNew = getProportion(nw, d, toAdd, pOld);
    expect([pOld, pNew]).toEqual([Math.round((8 * 23) / 13) - 8, Math.min(Math.round((5 * 23) / 13) - 5, toAdd - pOld)]);
    expect(pOld + pNew).toBeLessThanOrEqual(toAdd);
    // Scaling down never removes more than asked, and to zero removes everything.
    expect(getProportion(old, deployment(0), -13, 0)).toBe(-8);
    expect(getProportion(rs('empty', 0), d, 5, 0)).toBe(0);
    expect(getProportion(old, d, 5, 5)).toBe(0);
  });
});

describe('rollout state', () => {
  const status = (s: Partial<DeploymentStatus>): DeploymentStatus => ({ observedGeneration: 1, ...s });

  it('is complete when all replicas are updated and available and nothing old is left', () => {
    const d = deployment(3);
    expect(deploymentComplete(d, status({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }))).toBe(true);
    expect(deploymentComplete(d, status({ replicas: 4, updatedReplicas: 3, availableReplicas: 3 }))).toBe(false);
    expect(deploymentComplete(d, status({ replicas: 3, updatedReplicas: 3, availableReplicas: 2 }))).toBe(false);
    expect(deploymentComplete({ ...d, metadata: { ...d.metadata, generation: 2 } }, status({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 }))).toBe(false);
  });

  it('notices progress', () => {
    const d = { ...deployment(3), status: { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 } };
    expect(deploymentProgressing(d, { replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 })).toBe(true);
    expect(deploymentProgressing(d, { replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 })).toBe(true); // an old pod went
    expect(deploymentProgressing(d, { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 })).toBe(false);
  });

  it('times out after progressDeadlineSeconds without progress, and says when to look again', () => {
    const d = deployment(3);
    d.spec.progressDeadlineSeconds = 10;
    const s: DeploymentStatus = { conditions: [newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'x', T0)] };
    expect(deploymentTimedOut(d, s, T0 + 10_000)).toBe(false);
    expect(deploymentTimedOut(d, s, T0 + 10_001)).toBe(true);
    expect(deploymentTimedOut(d, { conditions: [newCondition('Progressing', 'True', 'NewReplicaSetAvailable', 'x', T0)] }, T0 + 99_000)).toBe(false);
    expect(deploymentTimedOut({ ...d, spec: { ...d.spec, progressDeadlineSeconds: 2147483647 } }, s, T0 + 99_000)).toBe(false);
    expect(stuckRequeueDelay({ ...d, status: s }, { replicas: 3 }, T0 + 4000)).toBe(6050);
    expect(stuckRequeueDelay({ ...d, status: s }, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, T0)).toBeUndefined();
  });

  it('sets conditions like kube', () => {
    const s: DeploymentStatus = {};
    setCondition(s, newCondition('Progressing', 'True', 'NewReplicaSetCreated', 'a', T0));
    setCondition(s, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'b', T0));
    // Same status, other reason: transition time kept, update time and message new, moved last.
    setCondition(s, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'c', T0 + 5000));
    expect(s.conditions!.map((c) => c.type)).toEqual(['Available', 'Progressing']);
    expect(getCondition(s, 'Progressing')).toEqual({ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'c', lastTransitionTime: iso(T0), lastUpdateTime: iso(T0 + 5000) });
    // Same status and reason: nothing changes.
    setCondition(s, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'd', T0 + 9000));
    expect(getCondition(s, 'Progressing')!.message).toBe('c');
    setCondition(s, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', 'e', T0 + 9000));
    expect(getCondition(s, 'Progressing')!.lastTransitionTime).toBe(iso(T0 + 9000));
    removeCondition(s, 'Progressing');
    expect(s.conditions!.map((c) => c.type)).toEqual(['Available']);
  });
});
