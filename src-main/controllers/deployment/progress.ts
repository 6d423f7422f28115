import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from '../../api/types.js';
import { calculateStatus, statusEqual, updateDeploymentStatus } from './sync.js';
import type { SyncContext } from './syncContext.js';
import { getCondition, newCondition, PROGRESSING, Reason, REPLICA_FAILURE, removeCondition, setCondition } from './util/conditions.js';
import { deploymentComplete, deploymentProgressing, deploymentTimedOut, hasProgressDeadline, progressDeadline } from './util/rollout.js';

// The Progressing condition and its deadline (kube's progress.go). Every bit of progress (pods
// updated, ready or available, old pods gone) refreshes lastUpdateTime; when none comes for
// progressDeadlineSeconds the condition turns False with ProgressDeadlineExceeded, which is what
// makes `kubectl rollout status` give up. Nothing else happens at the deadline, so the controller
// sets itself a timer for it instead of waiting for an event that may never come.

function progressMessage(kind: 'progressing' | 'complete' | 'timedOut', d: Deployment, newRS: ReplicaSet | undefined): string {
  const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (kind === 'complete') return `${subject} has successfully progressed.`;
  if (kind === 'timedOut') return `${subject} has timed out progressing.`;
  return `${subject} is progressing.`;
}

/** The status a rollout step leads to: counts, Available, and Progressing as kube computes it. */
export function rolloutStatus(ctx: SyncContext, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentStatus {
  const d = ctx.d;
  const now = ctx.host.now();
  const status = calculateStatus(ctx, allRSs, newRS);
  if (!hasProgressDeadline(d)) removeCondition(status, PROGRESSING);
  const current = getCondition(d.status, PROGRESSING);
  const alreadyComplete = (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && current?.reason === Reason.NewReplicaSetAvailable;
  if (hasProgressDeadline(d) && !alreadyComplete) {
    if (deploymentComplete(d, status)) {
      setCondition(status, newCondition(PROGRESSING, 'True', Reason.NewReplicaSetAvailable, progressMessage('complete', d, newRS), now));
    } else if (deploymentProgressing(d, status)) {
      // Progress refreshes lastUpdateTime even when the reason stays the same, which
      // setCondition alone would not do.
      const cond = newCondition(PROGRESSING, 'True', Reason.ReplicaSetUpdated, progressMessage('progressing', d, newRS), now);
      if (current) {
        if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, PROGRESSING);
      }
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, status, now)) {
      setCondition(status, newCondition(PROGRESSING, 'False', Reason.TimedOut, progressMessage('timedOut', d, newRS), now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, REPLICA_FAILURE);
  return status;
}

/** A ReplicaFailure of the new ReplicaSet (or else of an old one) surfaces on the Deployment. */
function replicaFailure(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentCondition | undefined {
  const ordered = [newRS, ...allRSs.filter((rs) => rs && rs.metadata.uid !== newRS?.metadata.uid)];
  for (const rs of ordered) {
    const c = (rs?.status?.conditions as DeploymentCondition[] | undefined)?.find((x) => x.type === REPLICA_FAILURE);
    if (c) return { type: REPLICA_FAILURE, status: c.status, lastTransitionTime: c.lastTransitionTime, lastUpdateTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  }
  return undefined;
}

/** kube's syncRolloutStatus: writes the status when it changed, else arms the deadline timer. */
export async function syncRolloutStatus(ctx: SyncContext, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const current = allRSs.map((rs) => rs && ctx.current(rs));
  const nrs = newRS && ctx.current(newRS);
  const status = rolloutStatus(ctx, current, nrs);
  if (statusEqual(ctx.d.status, status)) {
    requeueStuckDeployment(ctx, status);
    return;
  }
  await updateDeploymentStatus(ctx, status);
}

/**
 * Milliseconds until this Deployment must be looked at again to notice a missed deadline, or
 * undefined when no deadline is running (no deadline, no Progressing condition, complete, or
 * already timed out).
 */
export function stuckRequeueDelay(d: Deployment, next: DeploymentStatus, now: number): number | undefined {
  const current = getCondition(d.status, PROGRESSING);
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, next) || current.reason === Reason.TimedOut) return undefined;
  const deadline = progressDeadline(d, d.status ?? {});
  if (deadline === undefined) return undefined;
  // A little past the deadline: the check is "deadline < now", at millisecond resolution.
  return Math.max(0, deadline - now) + 50;
}

function requeueStuckDeployment(ctx: SyncContext, next: DeploymentStatus): void {
  const after = stuckRequeueDelay(ctx.d, next, ctx.host.now());
  if (after !== undefined) ctx.host.enqueueAfter(ctx.key, after);
}
