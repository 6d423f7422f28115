import type { NodeInfo } from '../nodeInfo.js';
import type { FilterPlugin, FilterResult, PodInfo } from '../types.js';

// NodeResourcesFit (filter): the pod's requests must fit in the node's allocatable minus what the
// pods already bound or assumed there request. A pod that requests nothing only needs a free pod
// slot. Every shortage is reported, in kube's order and words.

export const ERR_REASON_TOO_MANY_PODS = 'Too many pods';

export function insufficient(resource: string): string {
  return `Insufficient ${resource}`;
}

export function filterNodeResourcesFit(pod: PodInfo, node: NodeInfo): FilterResult {
  let reasons: string[] | null = null;
  const alloc = node.allocatable;
  if (node.podCount + 1 > alloc.pods) (reasons ??= []).push(ERR_REASON_TOO_MANY_PODS);
  const req = pod.requests;
  if (req.milliCPU === 0 && req.memory === 0 && !req.scalars?.size) return single(reasons);
  const used = node.requested;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) (reasons ??= []).push(insufficient('cpu'));
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) (reasons ??= []).push(insufficient('memory'));
  if (req.scalars) {
    // ephemeral-storage first, as kube checks it before extended resources.
    const names = [...req.scalars.keys()].sort((a, b) => (a === 'ephemeral-storage' ? -1 : b === 'ephemeral-storage' ? 1 : 0));
    for (const name of names) {
      const want = req.scalars.get(name)!;
      if (want <= 0) continue;
      const free = (alloc.scalars?.get(name) ?? 0) - (used.scalars?.get(name) ?? 0);
      if (want > free) (reasons ??= []).push(insufficient(name));
    }
  }
  return single(reasons);
}

function single(reasons: string[] | null): FilterResult {
  return reasons && reasons.length === 1 ? reasons[0]! : reasons;
}

export const NodeResourcesFit: FilterPlugin = { name: 'NodeResourcesFit', filter: filterNodeResourcesFit };
