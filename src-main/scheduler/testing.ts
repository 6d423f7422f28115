import type { Container, Node, Pod, Taint, Toleration } from '../api/types.js';
import { NodeInfo } from './nodeInfo.js';
import { newPodInfo } from './podInfo.js';
import type { PodInfo } from './types.js';

// Small builders of Nodes and Pods for the scheduler's unit tests and benchmarks.

export interface NodeSpecLite {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  ready?: 'True' | 'False' | 'Unknown' | null;
  extra?: Record<string, string>;
}

export function makeNode(name: string, o: NodeSpecLite = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1', labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.unschedulable ? { unschedulable: true } : {}), ...(o.taints ? { taints: o.taints } : {}) },
    status: {
      capacity: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...(o.extra ?? {}) },
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...(o.extra ?? {}) },
      conditions: o.ready === null ? [] : [{ type: 'Ready', status: o.ready ?? 'True' }],
    },
  };
}

export interface PodSpecLite {
  namespace?: string;
  cpu?: string;
  memory?: string;
  requests?: Record<string, string>;
  containers?: Container[];
  initContainers?: Container[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  hostPorts?: { hostPort: number; hostIP?: string; protocol?: 'TCP' | 'UDP' | 'SCTP' }[];
  owner?: string;
  priority?: number;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  affinity?: Pod['spec']['affinity'];
  schedulerName?: string;
  uid?: string;
}

let seq = 0;

export function makePod(name: string, o: PodSpecLite = {}): Pod {
  const requests: Record<string, string> = { ...(o.requests ?? {}) };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const containers: Container[] = o.containers ?? [
    {
      name: 'app',
      image: 'nginx',
      ...(Object.keys(requests).length ? { resources: { requests } } : {}),
      ...(o.hostPorts ? { ports: o.hostPorts.map((p) => ({ containerPort: p.hostPort, ...p })) } : {}),
    },
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${name}-${++seq}`,
      resourceVersion: '1',
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `rs-${o.owner}`, controller: true }] } : {}),
    },
    spec: {
      containers,
      ...(o.initContainers ? { initContainers: o.initContainers } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      schedulerName: o.schedulerName ?? 'default-scheduler',
    },
    status: { phase: o.phase ?? 'Pending' },
  };
}

export function makePodInfo(name: string, o: PodSpecLite = {}): PodInfo {
  return newPodInfo(makePod(name, o));
}

/** A NodeInfo for `node` with `pods` already bound to it. */
export function makeNodeInfo(node: Node, pods: Pod[] = []): NodeInfo {
  const ni = new NodeInfo(node.metadata.name!);
  ni.setNode(node);
  for (const p of pods) ni.addPod(newPodInfo(p));
  return ni;
}
