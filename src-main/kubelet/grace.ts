import type { Pod } from '../api/types.js';

// Grace periods for stopping a pod's containers, in one place (kube: pod.Spec.
// TerminationGracePeriodSeconds defaulting to 30, minimumGracePeriodInSeconds in
// kuberuntime_container.go, and metadata.deletionGracePeriodSeconds for a pod being deleted).

/** kube's default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_SECONDS = 30;

/** kube's minimum grace period for stopping a container (minimumGracePeriodInSeconds). */
export const MIN_GRACE_SECONDS = 2;

/** The pod's termination grace period: the spec's, or kube's default. */
export function terminationGraceSeconds(pod: Pod): number {
  return pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

/** The grace period of a pod being deleted: the one the delete asked for, else the spec's. */
export function deletionGraceSeconds(pod: Pod): number {
  return pod.metadata.deletionGracePeriodSeconds ?? terminationGraceSeconds(pod);
}
