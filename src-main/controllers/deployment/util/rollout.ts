import type { Deployment, DeploymentStatus } from '../../../api/types.js';
import { getCondition, PROGRESSING, Reason } from './conditions.js';
import { desiredReplicas } from './fenceposts.js';

// Where a rollout stands (kube's DeploymentComplete / DeploymentProgressing / DeploymentTimedOut).

/** progressDeadlineSeconds of MaxInt32 means "no deadline" in Kubernetes. */
const NO_DEADLINE = 2147483647;

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== NO_DEADLINE;
}

export function hasRevisionHistoryLimit(d: Deployment): boolean {
  const l = d.spec.revisionHistoryLimit;
  return l !== undefined && l !== null && l !== NO_DEADLINE;
}

/** Every desired replica is updated and available, no old pod is left, and the spec was observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const replicas = desiredReplicas(d);
  return (s.updatedReplicas ?? 0) === replicas && (s.replicas ?? 0) === replicas && (s.availableReplicas ?? 0) === replicas && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** Something moved since the last status: new pods updated, ready or available, or old pods gone. */
export function deploymentProgressing(d: Deployment, next: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const n = (v: number | undefined) => v ?? 0;
  const oldOld = n(old.replicas) - n(old.updatedReplicas);
  const newOld = n(next.replicas) - n(next.updatedReplicas);
  return n(next.updatedReplicas) > n(old.updatedReplicas) || newOld < oldOld || n(next.readyReplicas) > n(old.readyReplicas) || n(next.availableReplicas) > n(old.availableReplicas);
}

/** When the deadline of the current Progressing condition passes (ms since epoch), if it can. */
export function progressDeadline(d: Deployment, s: DeploymentStatus): number | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const c = getCondition(s, PROGRESSING);
  if (!c || c.reason === Reason.NewReplicaSetAvailable || c.reason === Reason.TimedOut) return undefined;
  const from = Date.parse(c.lastUpdateTime ?? '');
  if (!Number.isFinite(from)) return undefined;
  return from + d.spec.progressDeadlineSeconds! * 1000;
}

/** No progress reported for longer than progressDeadlineSeconds (or already reported as timed out). */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, PROGRESSING);
  if (!c || c.reason === Reason.NewReplicaSetAvailable) return false;
  if (c.reason === Reason.TimedOut) return true;
  const deadline = progressDeadline(d, s);
  return deadline !== undefined && deadline < now;
}
