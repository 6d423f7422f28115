import type { Deployment, KubeObject, ReplicaSet } from '../../../api/types.js';

// The annotations a Deployment and its ReplicaSets carry (kube's deployment_util): the revision
// that orders rollouts (what `kubectl rollout history/undo` read), the revisions an RS served
// before it was reused by an undo, and the Deployment size an RS was last scaled for, which
// proportional scaling needs to split a resize between several active ReplicaSets.

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';

/** kube caps the revision-history annotation at this many characters. */
export const MAX_REVISION_HISTORY_CHARS = 2000;

const NOT_COPIED = new Set([LAST_APPLIED_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, DEPRECATED_ROLLBACK_TO]);

/** Annotations a Deployment does not pass on to its ReplicaSets (and an undo does not take back). */
export function skipCopyAnnotation(key: string): boolean {
  return NOT_COPIED.has(key);
}

/** The revision number of an object: 0 when unannotated, NaN when unparsable. */
export function revisionOf(obj: KubeObject | undefined): number {
  const v = obj?.metadata.annotations?.[REVISION_ANNOTATION];
  if (v === undefined || v === '') return 0;
  return /^\d+$/.test(v) ? Number(v) : NaN;
}

export function maxRevision(rss: ReplicaSet[]): number {
  let max = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (Number.isFinite(v) && v > max) max = v;
  }
  return max;
}

/** The second highest revision: what `rollout undo` without --to-revision goes back to. */
export function lastRevision(rss: ReplicaSet[]): number {
  let max = 0;
  let second = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (!Number.isFinite(v)) continue;
    if (v >= max) {
      second = max;
      max = v;
    } else if (v > second) second = v;
  }
  return second;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
}

export function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

/** Sets desired-replicas and max-replicas on a (mutable copy of a) ReplicaSet; true if they changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  if (!replicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  rs.metadata.annotations = { ...(rs.metadata.annotations ?? {}), [DESIRED_REPLICAS_ANNOTATION]: String(desired), [MAX_REPLICAS_ANNOTATION]: String(max) };
  return true;
}

/** Copies the Deployment's own annotations (not the ones in skipCopyAnnotation) onto the RS; true if any changed. */
export function copyDeploymentAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  let changed = false;
  const out = { ...(rs.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (skipCopyAnnotation(k) || out[k] === v) continue;
    out[k] = v;
    changed = true;
  }
  if (changed) rs.metadata.annotations = out;
  return changed;
}

/**
 * Brings a (mutable copy of a) new ReplicaSet's annotations up to date (kube's
 * SetNewReplicaSetAnnotations): the Deployment's annotations, the revision raised to
 * `newRevision` when lower (a reused RS keeps the revisions it served in revision-history), and
 * for an RS about to be created the replicas annotations. Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean, maxReplicas: number, historyLimitChars = MAX_REVISION_HISTORY_CHARS): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const annotations = { ...(rs.metadata.annotations ?? {}) };
  const hadRevision = REVISION_ANNOTATION in annotations;
  const oldRaw = annotations[REVISION_ANNOTATION] ?? '';
  let old = 0;
  if (oldRaw !== '') {
    if (!/^\d+$/.test(oldRaw)) return changed; // an unparsable revision is left alone, as kube does
    old = Number(oldRaw);
  }
  if (old < newRevision) {
    annotations[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
    // Reused by a rollback: remember the revisions this RS served before.
    if (hadRevision) {
      const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
      if (!history) annotations[REVISION_HISTORY_ANNOTATION] = oldRaw;
      else {
        const parts = history.split(',');
        let total = history.length + oldRaw.length + 1;
        let start = 0;
        while (total > historyLimitChars && start < parts.length) total -= parts[start++]!.length + 1;
        if (total <= historyLimitChars) annotations[REVISION_HISTORY_ANNOTATION] = [...parts.slice(start), oldRaw].join(',');
      }
    }
  }
  rs.metadata.annotations = annotations;
  if (!exists && setReplicasAnnotations(rs, d.spec.replicas ?? 1, maxReplicas)) changed = true;
  return changed;
}
