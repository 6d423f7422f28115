import type { KubeObject, Pod, PodCondition } from '../../api/types.js';

// Per-resource rules the generic registry applies around every write (kube's RESTCreateStrategy /
// RESTUpdateStrategy): what status looks like on create, which resources track generation, and
// what a delete means for each kind.

/** Resources whose metadata.generation starts at 1 and grows with every spec change. */
export const GENERATION_TRACKED = new Set([
  'deployments.apps',
  'replicasets.apps',
  'ingresses.networking.k8s.io',
  'ingressclasses.networking.k8s.io',
]);

/** Namespaces that always exist and may not be deleted. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
export const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function qosClass(pod: Pod): string {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l; // requests default to limits
      if (!l || q !== l) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Status a new object starts with; clients cannot set it on create for these resources. */
export function statusOnCreate(key: string, obj: KubeObject): void {
  switch (key) {
    case 'pods':
      obj.status = { phase: 'Pending', qosClass: qosClass(obj as Pod) };
      break;
    case 'deployments.apps':
      obj.status = {};
      break;
    case 'replicasets.apps':
      obj.status = { replicas: 0 };
      break;
    case 'services':
    case 'ingresses.networking.k8s.io':
      obj.status = { loadBalancer: {} };
      break;
    case 'namespaces':
      obj.status = { phase: 'Active' };
      break;
    default:
      // Nodes report their own status at registration; other kinds have no status subresource.
      break;
  }
}

/** Sets (or replaces) a pod condition of the given type, keeping lastTransitionTime when unchanged. */
export function setPodCondition(pod: Pod, cond: PodCondition): void {
  pod.status ??= {};
  const list = (pod.status.conditions ??= []);
  const i = list.findIndex((c) => c.type === cond.type);
  if (i >= 0 && list[i]!.status === cond.status) {
    list[i] = { ...cond, lastTransitionTime: list[i]!.lastTransitionTime ?? cond.lastTransitionTime };
  } else if (i >= 0) list[i] = cond;
  else list.push(cond);
}

/**
 * Grace period for deleting this object: pods that run on a node get their
 * terminationGracePeriodSeconds (the kubelet finishes the deletion); everything else goes now.
 */
export function gracePeriodFor(key: string, obj: KubeObject, requested: number | undefined): number {
  if (key !== 'pods') return 0;
  const pod = obj as Pod;
  // An unscheduled pod, or one that already finished, has no kubelet to wait for.
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
  if (requested !== undefined) return Math.max(0, requested);
  return pod.spec.terminationGracePeriodSeconds ?? 30;
}
