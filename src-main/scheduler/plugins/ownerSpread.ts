import type { NodeInfo } from '../nodeInfo.js';
import { MAX_NODE_SCORE, type PodInfo, type ScorePlugin, type Snapshot } from '../types.js';

// Owner spread (kube's SelectorSpread, keyed by the controlling owner instead of its selector):
// replicas of one ReplicaSet/StatefulSet/Job prefer the nodes that run the fewest of their
// siblings. Raw score = siblings on the node; normalised as 100 * (max - count) / max over the
// feasible nodes, so the emptiest nodes score 100. Pods without a controller are skipped.

export function ownerSiblings(pod: PodInfo, node: NodeInfo): number {
  return pod.ownerUid ? (node.ownerCounts.get(pod.ownerUid) ?? 0) : 0;
}

/** With the snapshot's per-owner index, one small map answers for every node. */
function preScoreSpread(pod: PodInfo, snapshot: Snapshot): ReadonlyMap<string, number> | undefined {
  return pod.ownerUid && snapshot.ownerPlacement ? snapshot.ownerPlacement(pod.ownerUid) : undefined;
}

function scoreSpread(pod: PodInfo, node: NodeInfo, _snapshot: Snapshot, state?: unknown): number {
  const placement = state as ReadonlyMap<string, number> | undefined;
  return placement ? (placement.get(node.name) ?? 0) : ownerSiblings(pod, node);
}

export function normalizeSpread(scores: Float64Array, count: number): void {
  let max = 0;
  for (let i = 0; i < count; i++) if (scores[i]! > max) max = scores[i]!;
  for (let i = 0; i < count; i++) scores[i] = max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max - scores[i]!)) / max);
}

export const OwnerSpread: ScorePlugin = {
  name: 'OwnerSpread',
  weight: 2,
  applies: (pod) => pod.ownerUid !== undefined,
  preScore: preScoreSpread,
  score: scoreSpread,
  normalize: normalizeSpread,
};
