import type { Deployment, ReplicaSet } from '../../../api/types.js';
import { desiredReplicasAnnotation, maxReplicasAnnotation, revisionOf } from './annotations.js';
import { equalIgnoreHash } from './hash.js';
import { desiredReplicas, isRollingUpdate, maxSurge, scaledValue } from './fenceposts.js';

// Pure helpers over a Deployment's ReplicaSets (kube's deployment_util + controller_utils sorts):
// which one is new, how big each may become, in which order they are scaled.

export function replicasOf(rs: ReplicaSet | undefined): number {
  return rs ? (rs.spec.replicas ?? 1) : 0;
}

/**
 * How the rollout math counts pods. Kubernetes reads ReplicaSet status, which lags: a ReplicaSet
 * just scaled down still reports its old pods as available until its controller catches up. The
 * controller counts from the pod informer instead, conservatively for the limit at stake.
 */
export interface ReplicaCounts {
  /** Pods the RS has or is about to have: its spec, or more while surplus pods still await deletion. */
  pods(rs: ReplicaSet): number;
  /** Pods of the RS that are available and will stay: its available pods, capped by its spec. */
  available(rs: ReplicaSet): number;
}

/** Counts from ReplicaSet status alone (what kube uses; handy in tests). */
export const statusCounts: ReplicaCounts = {
  pods: (rs) => Math.max(replicasOf(rs), rs.status?.replicas ?? 0),
  available: (rs) => Math.min(replicasOf(rs), rs.status?.availableReplicas ?? 0),
};

function created(rs: ReplicaSet): number {
  return rs.metadata.creationTimestamp ? Date.parse(rs.metadata.creationTimestamp) : 0;
}

/** Oldest first; ties broken by name (kube's ReplicaSetsByCreationTimestamp). */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const d = created(a) - created(b);
  return d !== 0 ? d : (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Largest first; among equals the newest first (where scale-ups go). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  const d = replicasOf(b) - replicasOf(a);
  return d !== 0 ? d : byCreation(b, a);
}

/** Largest first; among equals the oldest first (where scale-downs go). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  const d = replicasOf(b) - replicasOf(a);
  return d !== 0 ? d : byCreation(a, b);
}

/** Lowest revision first (kube's ReplicaSetsByRevision). */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a) || 0;
  const rb = revisionOf(b) || 0;
  return ra !== rb ? ra - rb : byCreation(a, b);
}

/** ReplicaSets that should have pods. */
export function activeReplicaSets(rss: (ReplicaSet | undefined)[]): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => !!rs && replicasOf(rs) > 0);
}

/** The ReplicaSet whose template is the Deployment's (the oldest, should there be several). */
export function findNewReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** Every other ReplicaSet of the Deployment, oldest first. */
export function findOldReplicaSets(d: Deployment, rss: ReplicaSet[]): ReplicaSet[] {
  const newRS = findNewReplicaSet(d, rss);
  return rss.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid).sort(byCreation);
}

/**
 * The only ReplicaSet with pods, or the newest one when none has pods; undefined when several
 * have pods (a resize must then be split proportionally).
 */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** The new ReplicaSet runs the whole Deployment: all replicas, all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined, counts: ReplicaCounts): boolean {
  if (!rs) return false;
  const replicas = desiredReplicas(d);
  return replicasOf(rs) === replicas && desiredReplicasAnnotation(rs) === replicas && counts.available(rs) === replicas;
}

/** Size of the new ReplicaSet after this step of a rollout (kube's NewRSNewReplicas). */
export function newRSNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet, counts: ReplicaCounts): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d)) return replicas;
  const surge = scaledValue(d.spec.strategy?.rollingUpdate?.maxSurge, replicas, true);
  const current = allRSs.reduce((n, rs) => n + counts.pods(rs), 0);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const scaleUp = Math.min(maxTotal - current, replicas - replicasOf(newRS));
  return replicasOf(newRS) + Math.max(0, scaleUp);
}

/**
 * How many replicas `rs` gains (or, negative, loses) when a Deployment running several
 * ReplicaSets is resized (kube's GetProportion): its share of the new size, judged from the size
 * it was last scaled for (the max-replicas annotation), never beyond what is left to hand out.
 */
export function getProportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number, statusReplicas = d.status?.replicas ?? 0): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d, statusReplicas);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSet, d: Deployment, statusReplicas: number): number {
  if (desiredReplicas(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = desiredReplicas(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs) ?? statusReplicas;
  if (!annotated) return 0;
  const size = (replicasOf(rs) * deploymentReplicas) / annotated;
  return Math.round(size) - replicasOf(rs);
}
