import type { Lease, Node, NodeCondition, NodeStatus } from '../api/types.js';
import { nowISO as isoSeconds } from '../api/time.js';

// The Node object a kubelet registers and keeps current (kube's kubelet_node_status.go): labels,
// capacity = allocatable (no system reservations on a Flotilla node), addresses, nodeInfo with
// the kubelet and runtime versions, the pressure/Ready conditions, the kubelet's port, and the
// images present; plus the Lease it renews as its heartbeat.

export const KUBELET_VERSION = 'v1.32.0-flotilla';

export interface NodeFacts {
  name: string;
  labels: Record<string, string>;
  capacity: Record<string, string>;
  addresses: { type: string; address: string }[];
  nodeInfo: NonNullable<NodeStatus['nodeInfo']>;
  kubeletPort?: number;
  images?: { names: string[]; sizeBytes?: number }[];
}

export function goArch(arch: string): string {
  return arch === 'x64' ? 'amd64' : arch === 'ia32' ? '386' : arch;
}

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

export type NodeStatusWithEndpoints = NodeStatus & { daemonEndpoints?: { kubeletEndpoint: { Port: number } } };

export function nodeStatus(f: NodeFacts, oldConditions: NodeCondition[] | undefined, now: Date, ready = true, readyMessage?: string): NodeStatusWithEndpoints {
  return {
    capacity: { ...f.capacity },
    allocatable: { ...f.capacity },
    conditions: nodeConditions(oldConditions, now, ready, readyMessage),
    addresses: f.addresses,
    nodeInfo: f.nodeInfo,
    ...(f.kubeletPort ? { daemonEndpoints: { kubeletEndpoint: { Port: f.kubeletPort } } } : {}),
    ...(f.images ? { images: f.images } : {}),
  };
}

export function nodeObject(f: NodeFacts, now: Date): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: f.name, labels: { ...f.labels } },
    spec: {},
    status: nodeStatus(f, undefined, now),
  };
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
