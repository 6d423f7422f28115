import type { Lease, NodeCondition } from './types.js';
import { nowISO as isoSeconds } from './time.js';

// What every node agent posts as its heartbeat (kube's kubelet_node_status.go and the node lease):
// the pressure and Ready conditions and the Lease it renews. Shared by the real kubelet and the
// hollow nodes, so a simulated node looks to the control plane exactly like a real one.

/** The four conditions a healthy kubelet reports, keeping transition times that did not change. */
export function nodeConditions(old: NodeCondition[] | undefined, now: Date, ready = true, readyMessage?: string): NodeCondition[] {
  const t = isoSeconds(now);
  const c = (type: string, status: 'True' | 'False', reason: string, message: string): NodeCondition => {
    const prev = old?.find((o) => o.type === type);
    return { type, status, lastHeartbeatTime: t, lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : t, reason, message };
  };
  return [
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    ready ? c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status') : c('Ready', 'False', 'KubeletNotReady', readyMessage ?? 'container runtime is down'),
  ];
}

/** Lease renewTime uses microseconds (metav1.MicroTime). */
export function microTime(d: Date): string {
  return d.toISOString().replace('Z', '000Z');
}

export function leaseObject(node: string, durationSeconds: number, now: Date, old?: Lease): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: node,
      namespace: 'kube-node-lease',
      ...(old?.metadata.resourceVersion ? { resourceVersion: old.metadata.resourceVersion } : {}),
      ...(old?.metadata.ownerReferences ? { ownerReferences: old.metadata.ownerReferences } : {}),
    },
    spec: {
      holderIdentity: node,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
      ...(old?.spec?.acquireTime ? { acquireTime: old.spec.acquireTime } : { acquireTime: microTime(now) }),
    },
  };
}
