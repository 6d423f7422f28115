import type { Node, Pod } from '../../api/types.js';
import { isPodTerminal } from '../util/pods.js';
import { isNodeReady } from '../util/nodes.js';
import { TAINT_OUT_OF_SERVICE, hasTaint } from '../../api/taints.js';

// Which pods pod GC collects (kube's pkg/controller/podgc/gc_controller.go), as pure functions.

/** Evicted pods first, then the oldest; kube's byEvictionAndCreationTimestamp. */
export function compareForCollection(a: Pod, b: Pod): number {
  const ea = a.status?.reason === 'Evicted' ? 0 : 1;
  const eb = b.status?.reason === 'Evicted' ? 0 : 1;
  if (ea !== eb) return ea - eb;
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Terminated (Succeeded/Failed) pods beyond the threshold, the ones to delete first first. */
export function terminatedPodsToCollect(pods: readonly Pod[], threshold: number): Pod[] {
  if (threshold <= 0) return [];
  const terminated = pods.filter((p) => isPodTerminal(p) && !p.metadata.deletionTimestamp);
  const excess = terminated.length - threshold;
  if (excess <= 0) return [];
  return terminated.sort(compareForCollection).slice(0, excess);
}

/** Pods being deleted that no kubelet will ever finish: never scheduled anywhere. */
export function unscheduledTerminatingPods(pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => p.metadata.deletionTimestamp && !p.spec?.nodeName);
}

/**
 * Pods being deleted on a node the administrator declared out of service (the
 * `node.kubernetes.io/out-of-service` NoExecute taint) while it is not Ready: kube's
 * non-graceful node shutdown.
 */
export function outOfServiceTerminatingPods(pods: readonly Pod[], nodeByName: (name: string) => Node | undefined): Pod[] {
  return pods.filter((p) => {
    if (!p.metadata.deletionTimestamp || isPodTerminal(p) || !p.spec?.nodeName) return false;
    const node = nodeByName(p.spec.nodeName);
    return !!node && !isNodeReady(node) && hasTaint(node.spec?.taints, TAINT_OUT_OF_SERVICE, 'NoExecute');
  });
}

/** Nodes that pods are bound to but that the cache does not know (candidates for quarantine). */
export function unknownNodesOfPods(pods: readonly Pod[], nodeExists: (name: string) => boolean): Set<string> {
  const out = new Set<string>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (n && !nodeExists(n)) out.add(n);
  }
  return out;
}
