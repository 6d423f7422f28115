import type { NodeInfo } from '../nodeInfo.js';
import { MAX_NODE_SCORE, type PodInfo, type ScorePlugin } from '../types.js';

// Least allocated (kube's NodeResourcesFit score, LeastAllocated strategy, cpu and memory with
// weight 1 each): the more of a node's allocatable would stay free after placing the pod, the
// better. Pods that request nothing count kube's defaults (100m cpu, 200Mi memory), so that a
// stream of such pods still spreads instead of piling onto one node.

export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

export function scoreLeastAllocated(pod: PodInfo, node: NodeInfo): number {
  const alloc = node.allocatable;
  let sum = 0;
  let weights = 0;
  if (alloc.milliCPU > 0) {
    sum += leastRequestedScore(node.nonZeroRequested.milliCPU + pod.nonZeroRequests.milliCPU, alloc.milliCPU);
    weights++;
  }
  if (alloc.memory > 0) {
    sum += leastRequestedScore(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, alloc.memory);
    weights++;
  }
  return weights ? Math.floor(sum / weights) : 0;
}

export const LeastAllocated: ScorePlugin = { name: 'LeastAllocated', weight: 1, score: scoreLeastAllocated };
