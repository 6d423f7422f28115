import { describe, it, expect } from 'vitest';
import type { Node, Pod } from '../../src-main/api/types.js';
import { outOfServiceTerminatingPods, terminatedPodsToCollect, unknownNodesOfPods, unscheduledTerminatingPods } from '../../src-main/controllers/podgc/selection.js';

function pod(name: string, o: { phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'; created?: string; reason?: string; node?: string; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', creationTimestamp: o.created ?? '2024-05-01T10:00:00Z', ...(o.deleting ? { deletionTimestamp: '2024-05-01T11:00:00Z' } : {}) },
    spec: { containers: [], ...(o.node ? { nodeName: o.node } : {}) },
    status: { phase: o.phase ?? 'Running', ...(o.reason ? { reason: o.reason } : {}) },
  };
}

describe('pod GC selection', () => {
  it('collects terminated pods beyond the threshold, evicted first then oldest', () => {
    const pods = [
      pod('old-ok', { phase: 'Succeeded', created: '2024-05-01T09:00:00Z' }),
      pod('new-failed', { phase: 'Failed', created: '2024-05-01T12:00:00Z' }),
      pod('evicted', { phase: 'Failed', created: '2024-05-01T13:00:00Z', reason: 'Evicted' }),
      pod('mid', { phase: 'Succeeded', created: '2024-05-01T10:00:00Z' }),
      pod('running', { created: '2024-05-01T08:00:00Z' }),
    ];
    expect(terminatedPodsToCollect(pods, 2).map((p) => p.metadata.name)).toEqual(['evicted', 'old-ok']);
    expect(terminatedPodsToCollect(pods, 4)).toEqual([]);
    expect(terminatedPodsToCollect(pods, 0)).toEqual([]); // 0 disables, as in kube
  });

  it('finds pods no kubelet will finish', () => {
    const pods = [pod('a', { deleting: true }), pod('b', { deleting: true, node: 'n1' }), pod('c', { node: 'gone' }), pod('d', { node: 'n1' })];
    expect(unscheduledTerminatingPods(pods).map((p) => p.metadata.name)).toEqual(['a']);
    expect([...unknownNodesOfPods(pods, (n) => n === 'n1')]).toEqual(['gone']);
  });

  it('force-deletes terminating pods on a NotReady node marked out of service', () => {
    const n1: Node = { metadata: { name: 'n1' }, spec: { taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
    const pods = [pod('b', { deleting: true, node: 'n1' }), pod('d', { node: 'n1' }), pod('e', { deleting: true, node: 'n1', phase: 'Succeeded' })];
    expect(outOfServiceTerminatingPods(pods, (n) => (n === 'n1' ? n1 : undefined)).map((p) => p.metadata.name)).toEqual(['b']);
    const readyNode: Node = { ...n1, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(outOfServiceTerminatingPods(pods, () => readyNode)).toEqual([]);
  });
});
