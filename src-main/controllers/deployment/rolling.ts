import type { ReplicaSet } from '../../api/types.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './sync.js';
import type { SyncContext } from './syncContext.js';
import { desiredReplicas, maxUnavailable } from './util/fenceposts.js';
import { activeReplicaSets, byCreation, newRSNewReplicas, replicasOf, type ReplicaCounts } from './util/replicaSets.js';
import { deploymentComplete } from './util/rollout.js';
import type { Deployment } from '../../api/types.js';

// RollingUpdate (kube's rolling.go): each sync either grows the new ReplicaSet as far as maxSurge
// allows or shrinks old ones as far as maxUnavailable allows, never both, and every step is
// bounded by pods as they are observed (see ReplicaCounts), so the bounds hold at every point of
// the pod watch history, not only in the ReplicaSets' specs.

export async function rolloutRolling(ctx: SyncContext): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, true);
  const allRSs = [...oldRSs, newRS!];

  if (await reconcileNewReplicaSet(ctx, allRSs, newRS!)) return syncRolloutStatus(ctx, allRSs, newRS);
  if (await reconcileOldReplicaSets(ctx, allRSs, activeReplicaSets(oldRSs.map((rs) => ctx.current(rs))), newRS!)) return syncRolloutStatus(ctx, allRSs, newRS);
  if (deploymentComplete(ctx.d, ctx.status)) await cleanupDeployment(ctx, oldRSs);
  return syncRolloutStatus(ctx, allRSs, newRS);
}

async function reconcileNewReplicaSet(ctx: SyncContext, allRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const replicas = desiredReplicas(ctx.d);
  const cur = ctx.current(newRS);
  if (replicasOf(cur) === replicas) return false;
  if (replicasOf(cur) > replicas) return (await scaleReplicaSetAndRecordEvent(ctx, cur, replicas)).scaled;
  const target = newRSNewReplicas(ctx.d, allRSs.map((rs) => ctx.current(rs)), cur, ctx.counts);
  return (await scaleReplicaSetAndRecordEvent(ctx, cur, target)).scaled;
}

/** How far old ReplicaSets may shrink now: what is counted as running, minus what must stay available, minus new pods not yet available. */
export function maxOldScaleDown(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet, counts: ReplicaCounts): number {
  const allPods = allRSs.reduce((n, rs) => n + replicasOf(rs), 0);
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - counts.available(newRS);
  return allPods - minAvailable - newUnavailable;
}

async function reconcileOldReplicaSets(ctx: SyncContext, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
  const oldPods = oldRSs.reduce((n, rs) => n + replicasOf(ctx.current(rs)), 0);
  if (oldPods === 0) return false;
  const maxScaledDown = maxOldScaleDown(ctx.d, allRSs.map((rs) => ctx.current(rs)), ctx.current(newRS), ctx.counts);
  if (maxScaledDown <= 0) return false;
  // Unhealthy old pods go first: removing them costs no availability, and they could otherwise
  // block the rollout forever (kubernetes#16737).
  const cleaned = await cleanupUnhealthyReplicas(ctx, oldRSs, maxScaledDown);
  const scaledDown = await scaleDownOldReplicaSets(ctx, [...oldRSs, newRS], oldRSs);
  return cleaned + scaledDown > 0;
}

/** Shrinks old ReplicaSets by their unavailable pods, oldest first, at most `maxCleanup` in all. */
export async function cleanupUnhealthyReplicas(ctx: SyncContext, oldRSs: ReplicaSet[], maxCleanup: number): Promise<number> {
  let total = 0;
  for (const rs of [...oldRSs].map((r) => ctx.current(r)).sort(byCreation)) {
    if (total >= maxCleanup) break;
    const spec = replicasOf(rs);
    if (spec === 0) continue;
    const unhealthy = spec - ctx.counts.available(rs);
    if (unhealthy <= 0) continue;
    const count = Math.min(maxCleanup - total, unhealthy);
    await scaleReplicaSetAndRecordEvent(ctx, rs, spec - count);
    total += count;
  }
  return total;
}

/** Shrinks old ReplicaSets, oldest first, as long as the available pods stay above minAvailable. */
export async function scaleDownOldReplicaSets(ctx: SyncContext, allRSs: ReplicaSet[], oldRSs: ReplicaSet[]): Promise<number> {
  const minAvailable = desiredReplicas(ctx.d) - maxUnavailable(ctx.d);
  const available = allRSs.reduce((n, rs) => n + ctx.counts.available(ctx.current(rs)), 0);
  if (available <= minAvailable) return 0;
  const budget = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].map((r) => ctx.current(r)).sort(byCreation)) {
    if (total >= budget) break;
    const spec = replicasOf(rs);
    if (spec === 0) continue;
    const count = Math.min(spec, budget - total);
    await scaleReplicaSetAndRecordEvent(ctx, rs, spec - count);
    total += count;
  }
  return total;
}
