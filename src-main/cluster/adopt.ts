import type Docker from 'dockerode';
import { capacityFromLabels, type NodeCapacity } from './capacity.js';
import { LABEL, labelFilters } from './labels.js';

// Reading a cluster back from Docker: everything is found by label, so a restarted control
// plane sees exactly the nodes and pods that exist, never creates them twice, and can remove
// what a crash left half-made.

export type NodeState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ClusterNode {
  name: string;
  containerId: string;
  containerName: string;
  image: string;
  /** Docker's state of the node container. */
  state: NodeState;
  running: boolean;
  /** Exit code of a stopped node (137 after a kill). */
  exitCode?: number;
  /** The node's fixed address on the cluster network. */
  ip: string;
  /** Partitioned by partitionNode (the intent; the rules are applied whenever the node runs). */
  partitioned: boolean;
  capacity: NodeCapacity | null;
  /** The kubelet's server as the host reaches it on any engine (published on loopback), while the node runs. */
  kubeletEndpoint?: { host: string; port: number };
  createdAt: string;
}

export async function listNodeContainers(docker: Docker, cluster: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: labelFilters({ [LABEL.cluster]: cluster, [LABEL.role]: 'node' }) });
}

/** Every container of the cluster (nodes, pods, anything else carrying the cluster label). */
export async function listClusterContainers(docker: Docker, cluster: string, extra: Record<string, string> = {}): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: labelFilters({ [LABEL.cluster]: cluster, ...extra }) });
}

export async function listClusterVolumes(docker: Docker, cluster: string, extra: Record<string, string> = {}): Promise<string[]> {
  const res = await docker.listVolumes({ filters: labelFilters({ [LABEL.cluster]: cluster, ...extra }) });
  return (res.Volumes ?? []).map((v) => v.Name);
}

export async function listClusterNetworks(docker: Docker, cluster: string): Promise<Docker.NetworkInspectInfo[]> {
  return docker.listNetworks({ filters: labelFilters({ [LABEL.cluster]: cluster }) });
}

export function nodeFromContainer(info: Docker.ContainerInfo, isPartitioned: (node: string) => boolean): ClusterNode {
  const name = info.Labels[LABEL.node] ?? '';
  const exit = /^Exited \((\d+)\)/.exec(info.Status);
  const kubelet = info.Ports?.find((p) => p.PublicPort && p.IP === '127.0.0.1' && p.Type === 'tcp');
  return {
    name,
    containerId: info.Id,
    containerName: (info.Names[0] ?? '').replace(/^\//, ''),
    image: info.Image,
    state: info.State as NodeState,
    running: info.State === 'running',
    exitCode: exit ? Number(exit[1]) : undefined,
    ip: info.Labels[LABEL.nodeIP] ?? '',
    partitioned: isPartitioned(name),
    capacity: capacityFromLabels(info.Labels[LABEL.capacityCpu], info.Labels[LABEL.capacityMemory], info.Labels[LABEL.capacityPods]),
    kubeletEndpoint: kubelet ? { host: '127.0.0.1', port: kubelet.PublicPort } : undefined,
    createdAt: new Date(info.Created * 1000).toISOString(),
  };
}

/** Node containers by node name; if a bug or a race ever made two, the oldest wins and the rest are reported. */
export function indexNodes(infos: Docker.ContainerInfo[]): { byName: Map<string, Docker.ContainerInfo>; duplicates: Docker.ContainerInfo[] } {
  const byName = new Map<string, Docker.ContainerInfo>();
  const duplicates: Docker.ContainerInfo[] = [];
  for (const info of [...infos].sort((a, b) => a.Created - b.Created)) {
    const name = info.Labels[LABEL.node];
    if (!name) continue;
    if (byName.has(name)) duplicates.push(info);
    else byName.set(name, info);
  }
  return { byName, duplicates };
}
