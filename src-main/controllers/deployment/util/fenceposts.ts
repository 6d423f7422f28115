import type { Deployment, IntOrString } from '../../../api/types.js';

// maxSurge and maxUnavailable as numbers of pods (kube's ResolveFenceposts): an int is itself, a
// percentage is of spec.replicas, surge rounding up and unavailability rounding down, so 25% of
// 3 replicas allows one extra pod and no missing one. Both resolving to zero would deadlock a
// rollout, so unavailability becomes 1 then.

export function scaledValue(v: IntOrString | undefined | null, total: number, roundUp: boolean): number {
  if (v === undefined || v === null || v === '') return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v.trim());
  if (!m) {
    const n = Number(v);
    if (Number.isInteger(n)) return n;
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  const scaled = Number(m[1]) * total;
  const floor = Math.floor(scaled / 100);
  return roundUp && scaled % 100 !== 0 ? floor + 1 : floor;
}

export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function desiredReplicas(d: Deployment): number {
  return d.spec.replicas ?? 1;
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desiredReplicas(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return Math.min(replicas, resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas).unavailable);
}

/** Available pods a rollout must keep (0 for Recreate, which stops everything first). */
export function minAvailable(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  return desiredReplicas(d) - maxUnavailable(d);
}
