import type { Taint, Toleration } from '../../api/types.js';

// kube's v1 Toleration.ToleratesTaint: an empty effect matches every effect, an empty key (with
// Exists) every key; Equal compares values, Exists ignores them.

export function toleratesTaint(t: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
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

export function tolerationsTolerateTaint(tolerations: readonly Toleration[], taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}
