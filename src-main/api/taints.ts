import type { Taint, Toleration } from './types.js';

// Taints and tolerations as kube's v1 helpers judge them (k8s.io/api/core/v1 toleration.go and
// pkg/apis/core/v1/helper), and the well-known taint keys (k8s.io/api/core/v1
// well_known_taints.go). One copy for the scheduler's filters and the controllers that taint
// nodes and evict pods.

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

type TaintIdentity = Pick<Taint, 'key' | 'value' | 'effect'>;

/**
 * Whether one toleration tolerates one taint (kube's Toleration.ToleratesTaint): an empty effect
 * matches every effect, an empty key (only valid with Exists) matches every key, Exists ignores
 * the value and Equal (the default) compares it; any other operator tolerates nothing.
 */
export function toleratesTaint(t: Toleration, taint: TaintIdentity): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** The first toleration that tolerates the taint, if any. */
export function findToleration(tolerations: readonly Toleration[] | undefined, taint: TaintIdentity): Toleration | undefined {
  return tolerations?.find((t) => toleratesTaint(t, taint));
}

/** kube's TolerationsTolerateTaint. */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: TaintIdentity): boolean {
  return findToleration(tolerations, taint) !== undefined;
}

export function hasTaint(taints: readonly Taint[] | undefined, key: string, effect: Taint['effect']): boolean {
  return (taints ?? []).some((t) => t.key === key && t.effect === effect);
}
