import type { ReplicaSet } from '../../api/types.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './sync.js';
import type { SyncContext } from './syncContext.js';
import { desiredReplicas } from './util/fenceposts.js';
import { activeReplicaSets } from './util/replicaSets.js';
import { deploymentComplete } from './util/rollout.js';

// Recreate (kube's recreate.go): stop every old pod, wait until none is left running anywhere
// (terminating pods included), and only then start the new ReplicaSet, so old and new pods never
// run side by side.

export async function rolloutRecreate(ctx: SyncContext): Promise<void> {
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, false);
  let allRSs: (ReplicaSet | undefined)[] = [...oldRSs, newRS];

  if (await scaleDownOldReplicaSets(ctx, activeReplicaSets(oldRSs.map((rs) => ctx.current(rs))))) return syncRolloutStatus(ctx, allRSs, newRS);
  if (oldPodsRunning(ctx, newRS, oldRSs)) return syncRolloutStatus(ctx, allRSs, newRS);

  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, true));
    allRSs = [...oldRSs, newRS];
  }
  await scaleReplicaSetAndRecordEvent(ctx, newRS!, desiredReplicas(ctx.d));
  if (deploymentComplete(ctx.d, ctx.status)) await cleanupDeployment(ctx, oldRSs);
  return syncRolloutStatus(ctx, allRSs, newRS);
}

async function scaleDownOldReplicaSets(ctx: SyncContext, oldRSs: ReplicaSet[]): Promise<boolean> {
  let scaled = false;
  for (const rs of oldRSs) {
    if ((await scaleReplicaSetAndRecordEvent(ctx, rs, 0)).scaled) scaled = true;
  }
  return scaled;
}

/**
 * Whether any pod of an old ReplicaSet may still run: one is observed (terminating or not), an
 * old ReplicaSet still reports pods, or its controller has not yet seen it scaled to zero (and so
 * might still be creating one).
 */
export function oldPodsRunning(ctx: SyncContext, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
  for (const old of oldRSs) {
    const rs = ctx.current(old);
    if (rs.metadata.uid === newRS?.metadata.uid) continue;
    if ((rs.status?.replicas ?? 0) > 0) return true;
    if ((rs.status?.observedGeneration ?? 0) < (rs.metadata.generation ?? 0)) return true;
    const s = ctx.podStats(rs);
    if (s.active + s.terminating > 0) return true;
  }
  return false;
}
