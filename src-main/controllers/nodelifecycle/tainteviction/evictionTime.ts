import type { Pod, Taint, Toleration } from '../../../api/types.js';
import { findToleration } from '../../../api/taints.js';
import { podCondition } from '../../util/pods.js';

// When a pod on a node with NoExecute taints must go (kube's tainteviction processPodOnNode and
// getMinTolerationTime), as a pure function of the tolerations, the taints and the clock:
//   - a NoExecute taint the pod does not tolerate: now;
//   - every taint tolerated, some for tolerationSeconds: that long after the taint appeared (or
//     after the pod landed on the node, if later), the earliest such moment;
//   - every taint tolerated forever: never.
// Kube counts from when its controller first noticed; counting from the taint's timeAdded keeps
// the deadline where it was across a control plane restart.

export type EvictionDecision = { kind: 'none' } | { kind: 'now'; taint: Taint } | { kind: 'at'; at: number; taint: Taint };

export interface EvictionClock {
  /** When the taint appeared (ms): its timeAdded, or when it was first seen without one. */
  taintStart(taint: Taint): number;
  /** When the pod was bound to the node (ms), if known. */
  boundAt?: number;
}

export function noExecuteTaints(taints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}

export function evictionDecision(tolerations: readonly Toleration[] | undefined, taints: readonly Taint[], now: number, clock: EvictionClock): EvictionDecision {
  let best: { at: number; taint: Taint } | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const tol = findToleration(tolerations, taint);
    if (!tol) return { kind: 'now', taint };
    if (tol.tolerationSeconds === undefined || tol.tolerationSeconds === null) continue; // forever
    const start = Math.max(clock.taintStart(taint), clock.boundAt ?? -Infinity);
    const at = start + Math.max(0, tol.tolerationSeconds) * 1000;
    if (!best || at < best.at) best = { at, taint };
  }
  if (!best) return { kind: 'none' };
  return best.at <= now ? { kind: 'now', taint: best.taint } : { kind: 'at', at: best.at, taint: best.taint };
}

/**
 * When the pod was bound to its node: its PodScheduled condition, or its creation for a pod
 * created with spec.nodeName already set (no scheduler involved).
 */
export function podBoundAt(pod: Pod): number | undefined {
  const c = podCondition(pod, 'PodScheduled');
  const when = c?.status === 'True' && c.lastTransitionTime ? c.lastTransitionTime : pod.metadata.creationTimestamp;
  const t = when ? Date.parse(when) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

export function parseTimeAdded(taint: Taint): number | undefined {
  if (!taint.timeAdded) return undefined;
  const t = Date.parse(taint.timeAdded);
  return Number.isNaN(t) ? undefined : t;
}
