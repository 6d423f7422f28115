import type { NodeInfo } from '../nodeInfo.js';
import { MAX_NODE_SCORE, type PodInfo, type ScorePlugin } from '../types.js';

// Balanced allocation (kube's NodeResourcesBalancedAllocation): prefer nodes where, after placing
// the pod, the cpu and memory fractions in use are close to each other (score = (1 - std) * 100,
// on actual requests). Pods that request nothing are skipped (as newer kube releases do), so
// that they do not all chase the same "balanced" node.

export function balancedScore(fractions: number[]): number {
  let std = 0;
  if (fractions.length === 2) std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) * (f - mean), 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export function scoreBalancedAllocation(pod: PodInfo, node: NodeInfo): number {
  const alloc = node.allocatable;
  const fractions: number[] = [];
  if (alloc.milliCPU > 0) fractions.push(Math.min(1, (node.requested.milliCPU + pod.requests.milliCPU) / alloc.milliCPU));
  if (alloc.memory > 0) fractions.push(Math.min(1, (node.requested.memory + pod.requests.memory) / alloc.memory));
  return balancedScore(fractions);
}

export const BalancedAllocation: ScorePlugin = {
  name: 'BalancedAllocation',
  weight: 1,
  applies: (pod) => pod.requests.milliCPU > 0 || pod.requests.memory > 0,
  score: scoreBalancedAllocation,
};
