import type { Pod, ReplicaSet, ReplicaSetStatus } from '../../api/types.js';
import { labelMatcher, requirementsFromSelector } from '../../api/selectors/labels.js';
import { errorMessage } from '../../api/errors.js';
import { nowISO } from '../../api/time.js';
import { isPodReady, podCondition } from '../util/pods.js';

// A ReplicaSet's status as its controller computes it from the active pods it owns (kube's
// calculateStatus): counts, plus a ReplicaFailure condition while creating or deleting pods fails.

export interface ReplicaSetCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ComputedStatus {
  status: ReplicaSetStatus;
  /** Milliseconds until a ready pod becomes available (minReadySeconds), if any is waiting. */
  recheckInMs?: number;
}

export function calculateReplicaSetStatus(rs: ReplicaSet, pods: Pod[], manageError: unknown, now: number): ComputedStatus {
  const templateLabels = labelMatcher(requirementsFromSelector({ matchLabels: rs.spec.template?.metadata?.labels ?? {} }));
  const minReady = rs.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let recheckInMs: number | undefined;
  for (const p of pods) {
    if (templateLabels(p.metadata.labels)) fullyLabeled++;
    if (!isPodReady(p)) continue;
    ready++;
    const since = Date.parse(podCondition(p, 'Ready')?.lastTransitionTime ?? '') || 0;
    const availableAt = since + minReady * 1000;
    if (!minReady || availableAt <= now) available++;
    else recheckInMs = Math.min(recheckInMs ?? Infinity, availableAt - now);
  }

  const prev = rs.status ?? { replicas: 0 };
  let conditions = ((prev.conditions ?? []) as ReplicaSetCondition[]).map((c) => ({ ...c }));
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (rs.spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : undefined;
    conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: nowISO(now), ...(reason ? { reason } : {}), message: errorMessage(manageError) });
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }

  // Zero counts are omitted, as Kubernetes' omitempty does.
  const status: ReplicaSetStatus = { replicas: pods.length };
  if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  if (prev.observedGeneration !== undefined) status.observedGeneration = prev.observedGeneration;
  if (conditions.length) status.conditions = conditions;
  return { status, ...(recheckInMs !== undefined ? { recheckInMs } : {}) };
}

/** Whether writing `next` (with observedGeneration = generation) would change anything. */
export function replicaSetStatusChanged(rs: ReplicaSet, next: ReplicaSetStatus): boolean {
  const cur = rs.status ?? { replicas: 0 };
  const n = (v: number | undefined) => v ?? 0;
  return (
    n(cur.replicas) !== n(next.replicas) ||
    n(cur.fullyLabeledReplicas) !== n(next.fullyLabeledReplicas) ||
    n(cur.readyReplicas) !== n(next.readyReplicas) ||
    n(cur.availableReplicas) !== n(next.availableReplicas) ||
    (cur.observedGeneration ?? 0) < (rs.metadata.generation ?? 0) ||
    JSON.stringify(cur.conditions ?? []) !== JSON.stringify(next.conditions ?? [])
  );
}
