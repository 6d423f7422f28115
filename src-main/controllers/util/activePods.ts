import type { Pod } from '../../api/types.js';
import { isPodReady, podCondition } from './pods.js';

// Which pods a controller deletes first when it has too many (kube's ActivePodsWithRanks,
// simplified): the ones that cost the least to lose. Earlier in the order = deleted first:
//   1. not yet scheduled before scheduled
//   2. Pending before Unknown before Running
//   3. not ready before ready
//   4. lower controller.kubernetes.io/pod-deletion-cost before higher
//   5. more pods of the same owner on its node before fewer (spreads what stays)
//   6. ready for a shorter time before longer
//   7. more container restarts before fewer
//   8. newer before older

export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(p: Pod): number {
  const v = p.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) ? n : 0;
}

function readySince(p: Pod): number {
  const c = podCondition(p, 'Ready');
  return c?.status === 'True' && c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
}

function restarts(p: Pod): number {
  let max = 0;
  for (const s of p.status?.containerStatuses ?? []) max = Math.max(max, s.restartCount ?? 0);
  return max;
}

function created(p: Pod): number {
  return p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : 0;
}

/** Negative when `a` should be deleted before `b`. `rank` is the number of co-located siblings. */
export function compareForDeletion(a: Pod, b: Pod, rankA = 0, rankB = 0): number {
  const aBound = a.spec.nodeName ? 1 : 0;
  const bBound = b.spec.nodeName ? 1 : 0;
  if (aBound !== bBound) return aBound - bBound;
  const aPhase = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0;
  const bPhase = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
  if (aPhase !== bPhase) return aPhase - bPhase;
  const aReady = isPodReady(a) ? 1 : 0;
  const bReady = isPodReady(b) ? 1 : 0;
  if (aReady !== bReady) return aReady - bReady;
  const aCost = deletionCost(a);
  const bCost = deletionCost(b);
  if (aCost !== bCost) return aCost - bCost;
  if (rankA !== rankB) return rankB - rankA;
  if (aReady && bReady) {
    const aSince = readySince(a);
    const bSince = readySince(b);
    if (aSince !== bSince) return bSince - aSince; // ready more recently goes first
  }
  const aRestarts = restarts(a);
  const bRestarts = restarts(b);
  if (aRestarts !== bRestarts) return bRestarts - aRestarts;
  const aCreated = created(a);
  const bCreated = created(b);
  if (aCreated !== bCreated) return bCreated - aCreated; // newer goes first
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** The `count` pods to delete out of `pods`, best candidates first. */
export function podsToDelete(pods: Pod[], count: number): Pod[] {
  if (count <= 0) return [];
  const perNode = new Map<string, number>();
  for (const p of pods) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const rank = (p: Pod) => (p.spec.nodeName ? perNode.get(p.spec.nodeName)! : 0);
  return [...pods].sort((a, b) => compareForDeletion(a, b, rank(a), rank(b))).slice(0, count);
}
