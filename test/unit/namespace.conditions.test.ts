import { describe, it, expect } from 'vitest';
import type { KubeObject, Pod } from '../../src-main/api/types.js';
import { addRemaining, deletionConditions, emptyReport, gracefulEstimateSeconds, mergeConditions, remainingCount } from '../../src-main/controllers/namespace/conditions.js';

const now = Date.parse('2024-05-01T10:00:00Z');

describe('namespace deletion report and conditions', () => {
  it('counts what remains, its finalizers and the longest graceful wait', () => {
    const r = emptyReport();
    const pod = (name: string, deletionTimestamp?: string): Pod => ({ metadata: { name, deletionTimestamp }, spec: { containers: [] } });
    addRemaining(r, 'pods', [pod('a', '2024-05-01T10:00:20Z'), pod('b', '2024-05-01T10:00:05Z')], now);
    addRemaining(r, 'replicasets.apps', [{ metadata: { name: 'rs', finalizers: ['foregroundDeletion'] } } as KubeObject], now);
    addRemaining(r, 'configmaps', [], now);
    expect(remainingCount(r)).toBe(3);
    expect(r.estimateSeconds).toBe(20);
    expect(gracefulEstimateSeconds(pod('c'), now)).toBe(30);
    const conds = Object.fromEntries(deletionConditions(r).map((c) => [c.type, c]));
    expect(conds.NamespaceContentRemaining).toMatchObject({ status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: pods has 2 resource instances, replicasets.apps has 1 resource instances' });
    expect(conds.NamespaceFinalizersRemaining).toMatchObject({ status: 'True', reason: 'SomeFinalizersRemain', message: 'Some content in the namespace has finalizers remaining: foregroundDeletion in 1 resource instances' });
    expect(conds.NamespaceDeletionContentFailure).toMatchObject({ status: 'False', reason: 'ContentDeleted' });
    expect(conds.NamespaceDeletionDiscoveryFailure).toMatchObject({ status: 'False', reason: 'ResourcesDiscovered' });
  });

  it('reports an empty namespace and failures like kube', () => {
    const r = emptyReport();
    r.failures.push('pods: boom');
    const conds = Object.fromEntries(deletionConditions(r).map((c) => [c.type, c]));
    expect(conds.NamespaceContentRemaining).toMatchObject({ status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' });
    expect(conds.NamespaceFinalizersRemaining).toMatchObject({ status: 'False', reason: 'ContentHasNoFinalizers' });
    expect(conds.NamespaceDeletionContentFailure).toMatchObject({ status: 'True', reason: 'ContentDeletionFailed', message: 'Failed to delete all resource types, 1 remaining: pods: boom' });
  });

  it('writes conditions only when they change, moving lastTransitionTime only on status changes', () => {
    const first = mergeConditions(undefined, [{ type: 'A', status: 'True', reason: 'R', message: 'm1' }], 'T1')!;
    expect(first).toEqual([{ type: 'A', status: 'True', reason: 'R', message: 'm1', lastTransitionTime: 'T1' }]);
    expect(mergeConditions(first, [{ type: 'A', status: 'True', reason: 'R', message: 'm1' }], 'T2')).toBeUndefined();
    expect(mergeConditions(first, [{ type: 'A', status: 'True', reason: 'R', message: 'm2' }], 'T2')).toEqual([{ type: 'A', status: 'True', reason: 'R', message: 'm2', lastTransitionTime: 'T1' }]);
    expect(mergeConditions(first, [{ type: 'A', status: 'True', reason: 'R', message: 'm2' }], 'T2', true)).toBeUndefined();
    expect(mergeConditions(first, [{ type: 'A', status: 'False', reason: 'S', message: 'm3' }], 'T3')).toEqual([{ type: 'A', status: 'False', reason: 'S', message: 'm3', lastTransitionTime: 'T3' }]);
  });
});
