import type { Pod } from '../api/types.js';
import { podRequests } from './resources.js';
import type { HostPort, PodInfo } from './types.js';

// Everything the plugins need from a pod, extracted once.

export function podKey(pod: Pod): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** kube's NodePorts plugin looks at the app containers' ports that ask for a host port. */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export function controllerOwnerUid(pod: Pod): string | undefined {
  for (const r of pod.metadata.ownerReferences ?? []) if (r.controller) return r.uid;
  return undefined;
}

export function newPodInfo(pod: Pod): PodInfo {
  const spec = pod.spec;
  const affinity = spec.affinity?.nodeAffinity;
  return {
    pod,
    key: podKey(pod),
    uid: pod.metadata.uid ?? '',
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    requests: podRequests(pod, false),
    nonZeroRequests: podRequests(pod, true),
    hostPorts: podHostPorts(pod),
    ownerUid: controllerOwnerUid(pod),
    tolerations: spec.tolerations ?? [],
    nodeSelector: spec.nodeSelector && Object.keys(spec.nodeSelector).length ? spec.nodeSelector : undefined,
    requiredNodeAffinity: affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    preferredNodeAffinity: affinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? affinity.preferredDuringSchedulingIgnoredDuringExecution : undefined,
    priority: typeof spec.priority === 'number' ? spec.priority : 0,
  };
}

/** Succeeded/Failed pods hold no resources (kube's scheduler cache drops them). */
export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
