import type { Deployment, PodTemplateSpec, ReplicaSet } from '../../api/types.js';
import { CHANGE_CAUSE_ANNOTATION, lastRevision, revisionOf, skipCopyAnnotation } from './util/annotations.js';
import { equalIgnoreHash, withoutHashLabel } from './util/hash.js';
import { byRevision } from './util/replicaSets.js';

// Rollback. apps/v1 has no server-side rollback: `kubectl rollout undo` (1.32) reads the
// ReplicaSets' revision annotations and patches the Deployment's template (and annotations) back
// to an old ReplicaSet's; the controller then finds that ReplicaSet by template, reuses it and
// gives it the next revision number (sync.ts). These helpers do the client side exactly as
// kubectl does (staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go and history.go), so
// the dashboard's history and undo behave like the CLI's.

export interface RevisionEntry {
  revision: number;
  replicaSet: string;
  changeCause?: string;
  template: PodTemplateSpec | undefined;
}

/** `kubectl rollout history`: one entry per revision, oldest first. */
export function revisionHistory(replicaSets: ReplicaSet[]): RevisionEntry[] {
  return [...replicaSets]
    .filter((rs) => Number.isFinite(revisionOf(rs)) && revisionOf(rs) > 0)
    .sort(byRevision)
    .map((rs) => ({
      revision: revisionOf(rs),
      replicaSet: rs.metadata.name!,
      ...(rs.metadata.annotations?.[CHANGE_CAUSE_ANNOTATION] ? { changeCause: rs.metadata.annotations[CHANGE_CAUSE_ANNOTATION] } : {}),
      template: withoutHashLabel(rs.spec.template),
    }));
}

export type JsonPatchOp = { op: 'replace'; path: string; value: unknown };

export type RollbackPlan =
  | { kind: 'patch'; revision: number; patch: JsonPatchOp[] }
  | { kind: 'skipped'; revision: number; message: string };

export class RollbackError extends Error {}

/**
 * What `kubectl rollout undo [--to-revision=N]` sends for a Deployment whose ReplicaSets are
 * `replicaSets` (those it controls). toRevision 0 means the previous revision.
 */
export function planRollback(d: Deployment, replicaSets: ReplicaSet[], toRevision = 0): RollbackPlan {
  let revision = toRevision;
  if (revision === 0) {
    revision = lastRevision(replicaSets);
    if (revision === 0) throw new RollbackError('no rollout history found for deployment ' + JSON.stringify(d.metadata.name));
  }
  const target = replicaSets.find((rs) => revisionOf(rs) === revision);
  if (!target) throw new RollbackError(`unable to find specified revision ${revision} in history`);
  // kubectl looks the revision up first, then refuses paused Deployments.
  if (d.spec.paused) {
    throw new RollbackError("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
  }
  if (equalIgnoreHash(target.spec.template, d.spec.template)) {
    return { kind: 'skipped', revision, message: `skipped rollback (current template already matches revision ${revision})` };
  }
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) if (skipCopyAnnotation(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(target.metadata.annotations ?? {})) if (!skipCopyAnnotation(k)) annotations[k] = v;
  return {
    kind: 'patch',
    revision,
    patch: [
      { op: 'replace', path: '/spec/template', value: withoutHashLabel(target.spec.template) },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ],
  };
}
