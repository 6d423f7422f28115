import type Docker from 'dockerode';
import type { NodeCapacity } from './capacity.js';
import { LABEL, nodeContainerName, nodeVolumeName } from './labels.js';
import type { NetworkLayout } from './network.js';
import { tarArchive } from './tar.js';

// One node = one container running our kubelet, built from the node image.
//
// What it gets, and why (no --privileged: it fails on these machines and is far too much):
//  - CapAdd NET_ADMIN (iptables for kube-proxy and partitions) and SYS_ADMIN (setns into pod
//    network namespaces); seccomp and AppArmor unconfined, or setns/iptables are refused.
//  - The Docker socket: pods are sibling containers on the same engine and image cache.
//  - /var/run/docker/netns read-only (pod sandbox namespaces by SandboxKey). Caveat measured on
//    these machines: the host's / is a private mount, so a namespace created AFTER the node
//    container started does not appear there (and rslave propagation is refused). Hence also:
//  - the host's /proc read-only at /host/proc: `nsenter --net=/host/proc/<sandbox State.Pid>/ns/net`
//    reaches any pod's namespace, whenever it was created, without sharing the host PID namespace.
//  - a named volume at /var/lib/flotilla for the kubelet's own state.
//  - a fixed address in the node range and the node name as hostname and network alias.
//  - the API URL, CA, token and capacity as environment variables, and CA and token also as
//    files in /etc/flotilla (copied in before the first start; nothing is bind-mounted from the
//    host, so it works the same with Docker Desktop's VM).
// Restart policy unless-stopped: nodes come back after an engine restart; `docker kill` and
// `docker stop` mark them stopped, so kill/stop simulations stay down until started again.

export const NODE_STATE_DIR = '/var/lib/flotilla';
export const NODE_CONFIG_DIR = '/etc/flotilla';
export const HOST_PROC_DIR = '/host/proc';

export interface NodeSpec {
  cluster: string;
  node: string;
  image: string;
  /** Omitted: the image's own CMD (the node image runs its bundled kubelet). */
  command?: string[];
  network: NetworkLayout;
  ip: string;
  extraHosts: string[];
  apiUrl: string;
  caCert: string;
  token: string;
  capacity: NodeCapacity;
  /** The engine's socket path as the engine sees it (default /var/run/docker.sock). */
  dockerSocket: string;
  /** The kubelet's server port in the node (published on the host's 127.0.0.1 at a port Docker picks); null: not published. */
  kubeletPort?: number | null;
  extraEnv?: Record<string, string>;
  /** Whose node this is: the control plane's cluster-id and data folder labels (identity.ts). */
  ownerLabels?: Record<string, string>;
}

export function nodeEnv(spec: NodeSpec): string[] {
  const env: Record<string, string> = {
    FLOTILLA_CLUSTER: spec.cluster,
    FLOTILLA_NODE_NAME: spec.node,
    FLOTILLA_NODE_IP: spec.ip,
    FLOTILLA_NETWORK: spec.network.name,
    FLOTILLA_POD_RANGE: spec.network.podRange,
    FLOTILLA_API_URL: spec.apiUrl,
    FLOTILLA_TOKEN: spec.token,
    FLOTILLA_CA: spec.caCert,
    FLOTILLA_TOKEN_FILE: `${NODE_CONFIG_DIR}/token`,
    FLOTILLA_CA_FILE: `${NODE_CONFIG_DIR}/ca.crt`,
    FLOTILLA_NODE_CPU: spec.capacity.cpu,
    FLOTILLA_NODE_MEMORY: spec.capacity.memory,
    FLOTILLA_NODE_PODS: String(spec.capacity.pods),
    FLOTILLA_STATE_DIR: NODE_STATE_DIR,
    FLOTILLA_HOST_PROC: HOST_PROC_DIR,
    FLOTILLA_NETNS_DIR: '/var/run/docker/netns',
    ...(spec.kubeletPort ? { FLOTILLA_KUBELET_PORT: String(spec.kubeletPort) } : {}),
    ...(spec.extraEnv ?? {}),
  };
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

export function nodeLabels(spec: Pick<NodeSpec, 'cluster' | 'node' | 'ip' | 'capacity' | 'ownerLabels'>): Record<string, string> {
  return {
    ...spec.ownerLabels,
    [LABEL.cluster]: spec.cluster,
    [LABEL.node]: spec.node,
    [LABEL.role]: 'node',
    [LABEL.nodeIP]: spec.ip,
    [LABEL.capacityCpu]: spec.capacity.cpu,
    [LABEL.capacityMemory]: spec.capacity.memory,
    [LABEL.capacityPods]: String(spec.capacity.pods),
  };
}

export function nodeCreateOptions(spec: NodeSpec): Docker.ContainerCreateOptions {
  // The kubelet's port on loopback: on Linux the host reaches node addresses directly, but
  // Docker Desktop's host cannot, so logs/exec from the API server go through this.
  const kubelet = spec.kubeletPort ? `${spec.kubeletPort}/tcp` : null;
  return {
    name: nodeContainerName(spec.cluster, spec.node),
    Image: spec.image,
    ...(spec.command?.length ? { Cmd: spec.command } : {}),
    Hostname: spec.node,
    Env: nodeEnv(spec),
    Labels: nodeLabels(spec),
    StopTimeout: 10,
    ...(kubelet ? { ExposedPorts: { [kubelet]: {} } } : {}),
    HostConfig: {
      ...(kubelet ? { PortBindings: { [kubelet]: [{ HostIp: '127.0.0.1', HostPort: '' }] } } : {}),
      NetworkMode: spec.network.name,
      CapAdd: ['NET_ADMIN', 'SYS_ADMIN'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      Binds: [`${spec.dockerSocket}:/var/run/docker.sock`, '/var/run/docker/netns:/var/run/docker/netns:ro', `/proc:${HOST_PROC_DIR}:ro`],
      Mounts: [{ Type: 'volume', Source: nodeVolumeName(spec.cluster, spec.node), Target: NODE_STATE_DIR }],
      ExtraHosts: spec.extraHosts,
      RestartPolicy: { Name: 'unless-stopped' },
      // kube-proxy forwards NodePort traffic from the node's address to pods elsewhere
      // (/proc/sys is read-only inside, so it is set at creation).
      Sysctls: { 'net.ipv4.ip_forward': '1' },
      Init: true,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [spec.network.name]: { IPAMConfig: { IPv4Address: spec.ip }, Aliases: [spec.node] },
      },
    },
  };
}

/** The /etc/flotilla files, as a tar for putArchive at `/`. */
export function nodeConfigArchive(spec: Pick<NodeSpec, 'caCert' | 'token'>): Buffer {
  const dir = NODE_CONFIG_DIR.replace(/^\//, '');
  return tarArchive([
    { path: `${dir}/`, mode: 0o755 },
    { path: `${dir}/ca.crt`, content: spec.caCert, mode: 0o644 },
    { path: `${dir}/token`, content: spec.token, mode: 0o600 },
  ]);
}

/** Creates the state volume and the container, copies the config in; does not start it. */
export async function createNodeContainer(docker: Docker, spec: NodeSpec): Promise<Docker.Container> {
  await docker.createVolume({
    Name: nodeVolumeName(spec.cluster, spec.node),
    Labels: { ...spec.ownerLabels, [LABEL.cluster]: spec.cluster, [LABEL.node]: spec.node, [LABEL.role]: 'node' },
  });
  const container = await docker.createContainer(nodeCreateOptions(spec));
  await container.putArchive(nodeConfigArchive(spec), { path: '/' });
  return container;
}
