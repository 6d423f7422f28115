import type { Deployment, DeploymentStatus, OwnerReference, ReplicaSet } from '../../api/types.js';
import { isAlreadyExists, isNotFound } from '../../client/apiClient.js';
import { errorMessage } from '../../api/errors.js';
import { setNewReplicaSetAnnotations, maxRevision, REVISION_ANNOTATION, replicasAnnotationsNeedUpdate, setReplicasAnnotations, desiredReplicasAnnotation } from './util/annotations.js';
import { AVAILABLE, getCondition, Message, newCondition, PROGRESSING, Reason, setCondition } from './util/conditions.js';
import { desiredReplicas, isRollingUpdate, maxSurge, maxUnavailable } from './util/fenceposts.js';
import { canonicalJSON, computeHash, equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './util/hash.js';
import { activeReplicaSets, byRevision, bySizeNewer, bySizeOlder, findActiveOrLatest, findNewReplicaSet, findOldReplicaSets, getProportion, isSaturated, newRSNewReplicas, replicasOf } from './util/replicaSets.js';
import { hasProgressDeadline, hasRevisionHistoryLimit } from './util/rollout.js';
import { isNamespaceTerminating } from '../util/apiErrors.js';
import { controllerRef } from '../util/ownerRefs.js';
import { DEPLOYMENTS, deploymentWithKind, REPLICASETS, type SyncContext } from './syncContext.js';

// Scaling, revisions and status (kube's sync.go): finding or creating the new ReplicaSet, keeping
// revision annotations in order, resizing ReplicaSets (proportionally while a rollout is under
// way), pruning old ReplicaSets beyond revisionHistoryLimit and writing the Deployment's status.

export function deploymentOwnerRef(d: Deployment): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name!, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export interface ReplicaSetsOfDeployment {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

// ---- writes to the Deployment ----

export async function updateDeploymentStatus(ctx: SyncContext, status: DeploymentStatus): Promise<void> {
  const updated = await ctx.host.client.update<Deployment>(DEPLOYMENTS, { ...ctx.d, status }, 'status');
  ctx.d = deploymentWithKind(updated);
}

/** The Deployment's revision annotation follows its new ReplicaSet's (what `rollout history` shows as current). */
async function setDeploymentRevision(ctx: SyncContext, revision: string): Promise<void> {
  if (ctx.d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
  // Kubernetes writes it along with status; here /status changes status only, so patch metadata.
  const updated = await ctx.host.client.patch<Deployment>(DEPLOYMENTS, ctx.d.metadata.namespace, ctx.d.metadata.name!, { metadata: { annotations: { [REVISION_ANNOTATION]: revision } } }, 'merge');
  ctx.d = deploymentWithKind(updated);
}

// ---- the new ReplicaSet ----

/**
 * The Deployment's new and old ReplicaSets, with the new one's revision raised above every old
 * one (kube's getAllReplicaSetsAndSyncRevision). With `create`, a missing new ReplicaSet is created.
 */
export async function getAllReplicaSetsAndSyncRevision(ctx: SyncContext, create: boolean): Promise<ReplicaSetsOfDeployment> {
  const oldRSs = findOldReplicaSets(ctx.d, ctx.rsList);
  const newRS = await getNewReplicaSet(ctx, oldRSs, create);
  return { newRS, oldRSs: oldRSs.map((rs) => ctx.current(rs)) };
}

async function getNewReplicaSet(ctx: SyncContext, oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
  const d = ctx.d;
  const client = ctx.host.client;
  const existing = findNewReplicaSet(d, ctx.rsList);
  const newRevision = maxRevision(oldRSs) + 1;
  const maxReplicas = desiredReplicas(d) + maxSurge(d);

  if (existing) {
    const copy = structuredClone(existing);
    const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true, maxReplicas);
    const minReadyChanged = (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
    if (annotationsChanged || minReadyChanged) {
      copy.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
      // The Deployment's revision follows on the next sync, which this update triggers.
      return ctx.wrote(await client.update<ReplicaSet>(REPLICASETS, copy));
    }
    await setDeploymentRevision(ctx, copy.metadata.annotations?.[REVISION_ANNOTATION] ?? String(newRevision));
    // A Deployment that had no Progressing condition starts its clock from the first sight of its new RS.
    if (hasProgressDeadline(ctx.d) && !getCondition(ctx.status, PROGRESSING)) {
      const status = structuredClone(ctx.status);
      setCondition(status, newCondition(PROGRESSING, 'True', Reason.FoundNewReplicaSet, Message.found(copy.metadata.name!), ctx.host.now()));
      await updateDeploymentStatus(ctx, status);
    }
    return existing;
  }
  if (!create) return undefined;

  const hash = computeHash(d.spec.template, d.status?.collisionCount);
  const template = structuredClone(d.spec.template);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  const selector = structuredClone(d.spec.selector);
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const name = `${d.metadata.name}-${hash}`;
  const draft: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: d.metadata.namespace, ownerReferences: [deploymentOwnerRef(d)], labels: { ...template.metadata.labels } },
    spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
  };
  const replicas = newRSNewReplicas(d, [...oldRSs, draft], draft, ctx.counts);
  draft.spec.replicas = replicas;
  setNewReplicaSetAnnotations(d, draft, newRevision, false, maxReplicas);

  let created: ReplicaSet;
  let alreadyExisted = false;
  try {
    created = ctx.wrote(await client.create<ReplicaSet>(REPLICASETS, d.metadata.namespace, draft));
  } catch (e) {
    if (isAlreadyExists(e)) {
      // Either our informer has not seen our own ReplicaSet yet, or another template hashes to this name.
      const found = await client.get<ReplicaSet>(REPLICASETS, d.metadata.namespace, name);
      if (controllerRef(found)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, found.spec.template)) {
        created = ctx.wrote(found);
        alreadyExisted = true;
      } else {
        const status = structuredClone(ctx.status);
        status.collisionCount = (status.collisionCount ?? 0) + 1;
        await updateDeploymentStatus(ctx, status);
        throw e; // requeued: the next sync hashes with the new collisionCount
      }
    } else if (isNamespaceTerminating(e)) {
      throw e; // the Deployment is about to go with its namespace: nothing to report
    } else {
      const msg = Message.failedCreate(name, errorMessage(e));
      if (hasProgressDeadline(d)) {
        const status = structuredClone(ctx.status);
        setCondition(status, newCondition(PROGRESSING, 'False', Reason.FailedRSCreate, msg, ctx.host.now()));
        await updateDeploymentStatus(ctx, status).catch(() => {});
      }
      ctx.host.recorder.event(ctx.d, 'Warning', Reason.FailedRSCreate, msg);
      throw e;
    }
  }
  if (!alreadyExisted && replicas > 0) {
    ctx.host.recorder.event(ctx.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
  }
  await setDeploymentRevision(ctx, String(newRevision));
  if (!alreadyExisted && hasProgressDeadline(ctx.d)) {
    const status = structuredClone(ctx.status);
    setCondition(status, newCondition(PROGRESSING, 'True', Reason.NewReplicaSetCreated, Message.created(created.metadata.name!), ctx.host.now()));
    await updateDeploymentStatus(ctx, status);
  }
  return created;
}

// ---- scaling ----

export interface ScaleResult {
  scaled: boolean;
  rs: ReplicaSet;
}

export async function scaleReplicaSetAndRecordEvent(ctx: SyncContext, rs: ReplicaSet, newScale: number): Promise<ScaleResult> {
  const cur = ctx.current(rs);
  if (replicasOf(cur) === newScale) return { scaled: false, rs: cur };
  return scaleReplicaSet(ctx, cur, newScale, replicasOf(cur) < newScale ? 'up' : 'down');
}

/** Sets an RS's size and replicas annotations; the ScalingReplicaSet event says "from N to M" as kube 1.32 does. */
export async function scaleReplicaSet(ctx: SyncContext, rs: ReplicaSet, newScale: number, operation: 'up' | 'down' | ''): Promise<ScaleResult> {
  const cur = ctx.current(rs);
  const d = ctx.d;
  const replicas = desiredReplicas(d);
  const max = replicas + maxSurge(d);
  const oldScale = replicasOf(cur);
  const sizeChanged = oldScale !== newScale;
  if (!sizeChanged && !replicasAnnotationsNeedUpdate(cur, replicas, max)) return { scaled: false, rs: cur };
  const copy = structuredClone(cur);
  copy.spec.replicas = newScale;
  setReplicasAnnotations(copy, replicas, max);
  // A conditional PUT: a stale cache makes this a 409 and the sync is retried on fresh data.
  const updated = ctx.wrote(await ctx.host.client.update<ReplicaSet>(REPLICASETS, copy));
  if (sizeChanged) {
    const op = operation || (oldScale < newScale ? 'up' : 'down');
    ctx.host.recorder.event(ctx.d, 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${updated.metadata.name} from ${oldScale} to ${newScale}`);
  }
  return { scaled: sizeChanged, rs: updated };
}

/**
 * A resize (kube's scale): one active ReplicaSet simply takes the new size; several share the
 * difference in proportion to their sizes, the leftover going to the largest, so a resize in the
 * middle of a rollout neither finishes nor restarts it.
 */
export async function scale(ctx: SyncContext, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
  const d = ctx.d;
  const replicas = desiredReplicas(d);
  const only = findActiveOrLatest(newRS && ctx.current(newRS), oldRSs.map((rs) => ctx.current(rs)));
  if (only) {
    if (replicasOf(only) !== replicas) await scaleReplicaSetAndRecordEvent(ctx, only, replicas);
    return;
  }
  if (isSaturated(d, newRS && ctx.current(newRS), ctx.counts)) {
    for (const old of activeReplicaSets(oldRSs.map((rs) => ctx.current(rs)))) await scaleReplicaSetAndRecordEvent(ctx, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = activeReplicaSets([...oldRSs, newRS].map((rs) => rs && ctx.current(rs)));
  const total = all.reduce((n, rs) => n + replicasOf(rs), 0);
  const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
  const toAdd = allowed - total;
  let operation: 'up' | 'down' | '' = '';
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = getProportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.uid!, replicasOf(rs) + p);
      added += p;
    } else sizes.set(rs.metadata.uid!, replicasOf(rs));
  }
  for (let i = 0; i < all.length; i++) {
    const rs = all[i]!;
    let size = sizes.get(rs.metadata.uid!)!;
    if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
    await scaleReplicaSet(ctx, rs, size, operation);
  }
}

/** A change of spec.replicas (not of the template): some active RS was sized for another Deployment size. */
export async function isScalingEvent(ctx: SyncContext): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, false);
  const replicas = desiredReplicas(ctx.d);
  for (const rs of activeReplicaSets([...oldRSs, newRS].map((r) => r && ctx.current(r)))) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired !== undefined && desired !== replicas) return true;
  }
  return false;
}

// ---- history ----

/** Deletes the oldest empty ReplicaSets beyond revisionHistoryLimit (kube's cleanupDeployment). */
export async function cleanupDeployment(ctx: SyncContext, oldRSs: ReplicaSet[]): Promise<void> {
  const d = ctx.d;
  if (!hasRevisionHistoryLimit(d)) return;
  const cleanable = oldRSs.map((rs) => ctx.current(rs)).filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - d.spec.revisionHistoryLimit!;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (const rs of cleanable.slice(0, diff)) {
    const stats = ctx.podStats(rs);
    const observed = (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0);
    // Never delete a ReplicaSet that still has (or may still get) pods.
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || !observed || stats.active + stats.terminating > 0) continue;
    try {
      await ctx.host.client.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    ctx.deleted(rs);
  }
}

// ---- status ----

/**
 * The Deployment's status from its ReplicaSets' pods (kube's calculateStatus, counting from the
 * pod informer rather than from ReplicaSet status, which lags it by one more watch round-trip).
 * Zero counts are omitted as Kubernetes' omitempty does.
 */
export function calculateStatus(ctx: SyncContext, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentStatus {
  const d = ctx.d;
  const rss = allRSs.filter((rs): rs is ReplicaSet => !!rs).map((rs) => ctx.current(rs));
  let replicas = 0;
  let ready = 0;
  let available = 0;
  let total = 0;
  for (const rs of rss) {
    const s = ctx.podStats(rs);
    replicas += s.active;
    ready += s.ready;
    available += s.available;
    total += replicasOf(rs);
  }
  const updated = newRS ? ctx.podStats(newRS).active : 0;
  const unavailable = Math.max(0, total - available);
  const prev = d.status ?? {};
  const status: DeploymentStatus = {};
  if (ctx.generation) status.observedGeneration = ctx.generation;
  if (replicas) status.replicas = replicas;
  if (updated) status.updatedReplicas = updated;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (unavailable) status.unavailableReplicas = unavailable;
  if (prev.conditions?.length) status.conditions = prev.conditions.map((c) => ({ ...c }));
  if (prev.collisionCount !== undefined) status.collisionCount = prev.collisionCount;
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(AVAILABLE, 'True', Reason.MinimumReplicasAvailable, Message.available, ctx.host.now()));
  } else {
    setCondition(status, newCondition(AVAILABLE, 'False', Reason.MinimumReplicasUnavailable, Message.unavailable, ctx.host.now()));
  }
  return status;
}

export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  return canonicalJSON(a ?? {}) === canonicalJSON(b ?? {});
}

export async function syncDeploymentStatus(ctx: SyncContext, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
  const status = calculateStatus(ctx, allRSs, newRS);
  if (statusEqual(ctx.d.status, status)) return;
  await updateDeploymentStatus(ctx, status);
}

/** Status only, no changes to ReplicaSets (a Deployment being deleted). */
export async function syncStatusOnly(ctx: SyncContext): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, false);
  await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS);
}

/** A paused Deployment, or a resize: scale, prune history (when paused), report (kube's sync). */
export async function syncScaling(ctx: SyncContext): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, false);
  await scale(ctx, newRS, oldRSs);
  if (ctx.d.spec.paused) await cleanupDeployment(ctx, oldRSs);
  await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS && ctx.current(newRS));
}

/**
 * Pausing and resuming show in the Progressing condition (status Unknown), so the time spent
 * paused never counts against progressDeadlineSeconds; a reported timeout is left alone.
 */
export async function checkPausedConditions(ctx: SyncContext): Promise<void> {
  const d = ctx.d;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(ctx.status, PROGRESSING);
  if (cond?.reason === Reason.TimedOut) return;
  const pausedCond = cond?.reason === Reason.Paused;
  const status = structuredClone(ctx.status);
  if (d.spec.paused && !pausedCond) setCondition(status, newCondition(PROGRESSING, 'Unknown', Reason.Paused, Message.paused, ctx.host.now()));
  else if (!d.spec.paused && pausedCond) setCondition(status, newCondition(PROGRESSING, 'Unknown', Reason.Resumed, Message.resumed, ctx.host.now()));
  else return;
  await updateDeploymentStatus(ctx, status);
}
