import type { Taint } from '../../api/types.js';
import type { NodeInfo } from '../nodeInfo.js';
import { MAX_NODE_SCORE, type FilterPlugin, type FilterResult, type PodInfo, type ScorePlugin } from '../types.js';
import { toleratesTaint, tolerationsTolerateTaint } from '../../api/taints.js';

// TaintToleration. Filter: the first NoSchedule/NoExecute taint the pod does not tolerate rejects
// the node, with kube's reason text. Score: fewer untolerated PreferNoSchedule taints is better
// (kube counts them and reverses the normalised count).

export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

export function filterTaintToleration(pod: PodInfo, node: NodeInfo): FilterResult {
  for (const taint of node.taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerationsTolerateTaint(pod.tolerations, taint)) return untoleratedTaintReason(taint);
  }
  return null;
}

export const TaintTolerationFilter: FilterPlugin = { name: 'TaintToleration', filter: filterTaintToleration };

/** Raw score: how many PreferNoSchedule taints the pod does not tolerate. */
export function countIntolerablePreferNoSchedule(pod: PodInfo, node: NodeInfo): number {
  let n = 0;
  for (const taint of node.taints) {
    if (taint.effect !== 'PreferNoSchedule') continue;
    let tolerated = false;
    for (const t of pod.tolerations) {
      if ((!t.effect || t.effect === 'PreferNoSchedule') && toleratesTaint(t, taint)) {
        tolerated = true;
        break;
      }
    }
    if (!tolerated) n++;
  }
  return n;
}

/** kube's DefaultNormalizeScore: scale to 0..100 by the maximum, optionally reversed. */
export function defaultNormalize(scores: Float64Array, count: number, reverse: boolean): void {
  let max = 0;
  for (let i = 0; i < count; i++) if (scores[i]! > max) max = scores[i]!;
  if (max === 0) {
    if (reverse) for (let i = 0; i < count; i++) scores[i] = MAX_NODE_SCORE;
    return;
  }
  for (let i = 0; i < count; i++) {
    const s = Math.floor((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}

export const TaintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  // Without PreferNoSchedule taints anywhere every node scores the same: skip the work.
  applies: (_pod, snapshot) => snapshot.preferNoScheduleNodes === undefined || snapshot.preferNoScheduleNodes > 0,
  score: countIntolerablePreferNoSchedule,
  normalize: (scores, count) => defaultNormalize(scores, count, true),
};
