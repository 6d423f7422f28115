// The DefaultTolerationSeconds admission plugin: every new Pod tolerates the not-ready and
// unreachable NoExecute taints for a while (300 s by default) before being evicted. It is an
// admission step, not defaulting, so applyDefaults does not call it; the registry does on create.

import type { KubeObject } from '../types.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '../taints.js';
import { ensureObj, objects } from './util.js';

/**
 * Adds `{key, operator: Exists, effect: NoExecute, tolerationSeconds}` for the two taints unless the
 * pod already tolerates them (a toleration with that key, or with no key, and an empty or NoExecute
 * effect counts), exactly as kube's plugin decides.
 */
export function addDefaultTolerations(pod: KubeObject, tolerationSeconds = 300): void {
  const spec = ensureObj(pod as Record<string, unknown>, 'spec');
  const tolerations = objects(spec.tolerations);
  const tolerates = (key: string) =>
    tolerations.some((t) => {
      const effect = typeof t.effect === 'string' ? t.effect : '';
      if (effect !== '' && effect !== 'NoExecute') return false;
      return t.key === key || t.key === undefined || t.key === null || t.key === '';
    });
  const add = [TAINT_NOT_READY, TAINT_UNREACHABLE]
    .filter((key) => !tolerates(key))
    .map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds }));
  if (add.length) spec.tolerations = [...(Array.isArray(spec.tolerations) ? spec.tolerations : []), ...add];
}
