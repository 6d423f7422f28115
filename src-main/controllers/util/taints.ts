import type { Taint, Toleration } from '../../api/types.js';

// Taints and tolerations as kube's v1 helpers judge them (k8s.io/api/core/v1 toleration.go and
// pkg/apis/core/v1/helper): shared by the taint eviction controller and the node lifecycle
// controller, and small enough for the scheduler's taint filter to reuse.

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

/**
 * Whether one toleration tolerates one taint: an empty effect matches every effect, an empty key
 * (only valid with Exists) matches every key, Exists ignores the value and Equal (the default)
 * compares it.
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

/** The first toleration that tolerates the taint, if any. */
export function findToleration(tolerations: readonly Toleration[] | undefined, taint: Taint): Toleration | undefined {
  return tolerations?.find((t) => toleratesTaint(t, taint));
}

/** Every taint tolerated? `used` holds, per taint, the first toleration that matched it. */
export function matchingTolerations(taints: readonly Taint[], tolerations: readonly Toleration[] | undefined): { allTolerated: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = findToleration(tolerations, taint);
    if (!t) return { allTolerated: false, used: [] };
    used.push(t);
  }
  return { allTolerated: true, used };
}

/** The taints with the given effect that no toleration tolerates. */
export function untoleratedTaints(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, effects: readonly string[]): Taint[] {
  return (taints ?? []).filter((taint) => effects.includes(taint.effect) && !findToleration(tolerations, taint));
}

export function sameTaint(a: Pick<Taint, 'key' | 'effect'>, b: Pick<Taint, 'key' | 'effect'>): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function hasTaint(taints: readonly Taint[] | undefined, key: string, effect: Taint['effect']): boolean {
  return (taints ?? []).some((t) => t.key === key && t.effect === effect);
}
