import type { KubeObject, Pod } from '../../api/types.js';

// What a namespace deletion pass found, and the status conditions kube's namespace controller
// reports from it (pkg/controller/namespace/deletion/status_condition_utils.go), as pure
// functions.

export interface NamespaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ContentReport {
  /** Objects still present per resource (qualified name, e.g. `pods`, `replicasets.apps`). */
  remaining: Map<string, number>;
  /** Objects still present per finalizer they carry. */
  finalizers: Map<string, number>;
  /** Resources whose deletion or listing failed, with the reason. */
  failures: string[];
  /** Seconds until the slowest graceful pod deletion is due (0 when none waits). */
  estimateSeconds: number;
}

export function emptyReport(): ContentReport {
  return { remaining: new Map(), finalizers: new Map(), failures: [], estimateSeconds: 0 };
}

/** Counts what is left of one resource after its deletion was requested. */
export function addRemaining(report: ContentReport, resource: string, items: readonly KubeObject[], now: number): void {
  if (!items.length) return;
  report.remaining.set(resource, (report.remaining.get(resource) ?? 0) + items.length);
  for (const o of items) {
    for (const f of o.metadata.finalizers ?? []) report.finalizers.set(f, (report.finalizers.get(f) ?? 0) + 1);
    if (resource === 'pods') report.estimateSeconds = Math.max(report.estimateSeconds, gracefulEstimateSeconds(o as Pod, now));
  }
}

/** How long until a terminating pod's grace period is over (its kubelet should be done by then). */
export function gracefulEstimateSeconds(pod: Pod, now: number): number {
  const ts = pod.metadata.deletionTimestamp ? Date.parse(pod.metadata.deletionTimestamp) : NaN;
  if (Number.isNaN(ts)) return pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, Math.ceil((ts - now) / 1000));
}

export function remainingCount(report: ContentReport): number {
  let n = 0;
  for (const v of report.remaining.values()) n += v;
  return n;
}

function describe(counts: Map<string, number>, fmt: (k: string, n: number) => string): string {
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => fmt(k, n))
    .join(', ');
}

/** The five deletion conditions, worded as kube words them. */
export function deletionConditions(report: ContentReport): NamespaceCondition[] {
  const conds: NamespaceCondition[] = [
    { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  ];
  conds.push(
    report.failures.length
      ? { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${report.failures.length} remaining: ${report.failures.join(', ')}` }
      : { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  );
  conds.push(
    report.remaining.size
      ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${describe(report.remaining, (k, n) => `${k} has ${n} resource instances`)}` }
      : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
  );
  conds.push(
    report.finalizers.size
      ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${describe(report.finalizers, (k, n) => `${k} in ${n} resource instances`)}` }
      : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
  );
  return conds;
}

/**
 * Merges new conditions into the existing ones: lastTransitionTime moves only when a condition's
 * status changes. Returns undefined when nothing would change (no write needed). With
 * `ignoreMessages`, a condition whose status and reason are unchanged is left as it is, so that
 * counts ticking down while pods terminate do not cost a write each.
 */
export function mergeConditions(existing: readonly NamespaceCondition[] | undefined, next: readonly NamespaceCondition[], nowISO: string, ignoreMessages = false): NamespaceCondition[] | undefined {
  const out = [...(existing ?? [])];
  let changed = false;
  for (const c of next) {
    const i = out.findIndex((e) => e.type === c.type);
    const prev = i >= 0 ? out[i] : undefined;
    if (prev && prev.status === c.status && prev.reason === c.reason && (ignoreMessages || prev.message === c.message)) continue;
    changed = true;
    const merged = { ...c, lastTransitionTime: prev && prev.status === c.status ? (prev.lastTransitionTime ?? nowISO) : nowISO };
    if (i >= 0) out[i] = merged;
    else out.push(merged);
  }
  return changed ? out : undefined;
}
