import type { Node, NodeCondition, NodeStatus } from '../api/types.js';
import { nodeConditions } from '../api/nodeHeartbeat.js';

export { leaseObject, nodeConditions } from '../api/nodeHeartbeat.js';

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
