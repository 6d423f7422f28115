import path from 'node:path';
import type Docker from 'dockerode';
import { silentLogger, type Logger } from '../api/log.js';
import { API_HOSTNAME, ApiRelay, chooseReachMode, extraHostsFor, isLocalAddress, type ApiReachMode } from './apiRelay.js';
import {
  indexNodes,
  listClusterContainers,
  listClusterNetworks,
  listClusterVolumes,
  listNodeContainers,
  nodeFromContainer,
  type ClusterNode,
} from './adopt.js';
import { resolveCapacity, type EngineResources, type NodeCapacityInput } from './capacity.js';
import { LABEL, validateDnsLabel } from './labels.js';
import { ensureClusterNetwork, pickNodeAddress, type NetworkLayout } from './network.js';
import { clusterIdOf, findForeignObjects, type ForeignObjects } from './identity.js';
import { createNodeContainer, nodeConfigArchive, type NodeSpec } from './nodeContainer.js';
import { applyPartition, removePartition } from './partition.js';
import { ClusterState } from './state.js';

// The Docker side of a cluster: its network, its node containers, and the failures a user can
// simulate on them. Every operation finds objects by label (see labels.ts), so the manager holds
// no state that a restart could lose, except the partition intent (state.ts). Mutating
// operations run one at a time.

export type { ClusterNode } from './adopt.js';
export type { NodeCapacity, NodeCapacityInput, EngineResources } from './capacity.js';
export type { NetworkLayout } from './network.js';
export type { ApiReachMode } from './apiRelay.js';
export type { ForeignObjects, ClusterOwner } from './identity.js';

export interface ClusterManagerOptions {
  docker: Docker;
  /** DNS label; names the network (flotilla.<name>) and every container and volume. */
  clusterName: string;
  /** Where the partition state is kept (cluster-<name>.json); null keeps it in memory. */
  dataDir: string | null;
  apiServer: {
    /**
     * The API server's port on the host. Nodes dial https://host.docker.internal:<port>, where
     * <port> is the hostPort of the day the cluster network was made; on a native Linux engine the
     * relay keeps listening on that port whatever port the API server has now, so existing node
     * containers keep working when it changes. (With 'direct' or 'host-gateway' there is no relay:
     * keep the port stable.)
     */
    hostPort: number;
    caCert: string;
    /** The address the API server listens on (default 127.0.0.1); "0.0.0.0" means no relay is needed. */
    host?: string;
  };
  nodeImage: string;
  tokenFor(node: string): string;
  /** Default: the node image's own CMD (its bundled kubelet). */
  nodeCommand?: string[];
  /** The kubelet's server port inside the node (default 10250), published on the host's loopback; null: not published. */
  kubeletPort?: number | null;
  /** Extra environment for every node container (e.g. FLOTILLA_PAUSE_IMAGE, FLOTILLA_CLUSTER_DNS). */
  nodeEnv?: Record<string, string>;
  /** Override the automatic choice (see apiRelay.ts). */
  apiReachability?: ApiReachMode;
  /**
   * Another process (the running control plane) owns the API relay: don't start one. Used by the
   * `flotilla node ...` commands, which act on Docker next to a running `flotilla up`.
   */
  relayOwnedElsewhere?: boolean;
  /** The engine's socket path as the engine sees it (default /var/run/docker.sock). */
  dockerSocket?: string;
  /**
   * The cluster's network or node containers were made by another control plane (another CA:
   * identity.ts), found before adopting. Throw to refuse; otherwise they are all removed (nodes,
   * pods, volumes, network) and made anew for this control plane.
   */
  onForeignObjects?: (found: ForeignObjects) => void | Promise<void>;
  /** Called after a node's containers are gone (the place to delete its Node object and revoke its token). */
  onNodeRemoved?: (node: string) => void | Promise<void>;
  /** The process's logger (the manager names itself "cluster" on it); default: none. */
  log?: Logger;
}

export interface StopOptions {
  /** What happens to the node's pod containers: 'stop' (default, the machine is off) or 'keep'. */
  pods?: 'stop' | 'keep';
}

export interface KillOptions {
  /** 'kill' (default: the machine died with its pods) or 'keep' (only the kubelet dies). */
  pods?: 'kill' | 'keep';
}

export interface DeleteReport {
  containers: number;
  volumes: number;
  networks: number;
}

export type ClusterErrorReason = 'NotFound' | 'AlreadyExists' | 'Invalid';

export class ClusterError extends Error {
  constructor(
    readonly reason: ClusterErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;

/** Runs a Docker call, treating "already in that state" (304) and "gone" (404) as success. */
async function tolerate(fn: () => Promise<unknown>, codes: number[] = [304, 404]): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!codes.includes(statusOf(e) ?? 0) && !/is not running|already in progress/i.test((e as Error).message)) throw e;
  }
}

function nodeIndex(name: string): number {
  const m = /^node-(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}

export class ClusterManager {
  readonly clusterName: string;
  /** What node containers dial (final once ensureNetwork has run: see apiServer.hostPort). */
  apiUrl: string;
  private readonly docker: Docker;
  private readonly state: ClusterState;
  private readonly log: Logger;
  private readyPromise: Promise<NetworkLayout> | null = null;
  private relay: ApiRelay | null = null;
  private mode: ApiReachMode | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private engine: EngineResources | null = null;
  /** Labels naming this control plane on what it creates; empty without a CA (e.g. `flotilla down`). */
  private readonly ownerLabels: Record<string, string>;
  private owned = false;

  constructor(private readonly opts: ClusterManagerOptions) {
    validateDnsLabel('clusterName', opts.clusterName, 40);
    if (!opts.nodeImage) throw new ClusterError('Invalid', 'nodeImage: required');
    this.clusterName = opts.clusterName;
    this.docker = opts.docker;
    this.apiUrl = `https://${API_HOSTNAME}:${opts.apiServer.hostPort}`;
    this.state = new ClusterState(opts.dataDir ? path.join(opts.dataDir, `cluster-${opts.clusterName}.json`) : null);
    this.log = (opts.log ?? silentLogger).with('cluster').with({ cluster: opts.clusterName });
    this.ownerLabels = opts.apiServer.caCert
      ? { [LABEL.clusterId]: clusterIdOf(opts.apiServer.caCert), ...(opts.dataDir ? { [LABEL.dataDir]: path.resolve(opts.dataDir) } : {}) }
      : {};
  }

  /** This control plane's cluster id (a hash of its CA), if it has a CA. */
  get clusterId(): string | undefined {
    return this.ownerLabels[LABEL.clusterId];
  }

  /** How nodes reach the API server (known after ensureNetwork). */
  get reachMode(): ApiReachMode | null {
    return this.mode;
  }

  /** Creates the network if needed and starts the API relay if this engine needs one. Idempotent. */
  ensureNetwork(): Promise<NetworkLayout> {
    this.readyPromise ??= this.prepare().catch((e) => {
      this.readyPromise = null;
      throw e;
    });
    return this.readyPromise;
  }

  private async prepare(): Promise<NetworkLayout> {
    const hostPort = this.opts.apiServer.hostPort;
    const layout = await ensureClusterNetwork(this.docker, this.clusterName, hostPort, this.ownerLabels);
    const forced = this.opts.apiReachability;
    this.mode = chooseReachMode(forced ? true : await isLocalAddress(layout.gateway), this.opts.apiServer.host, forced);
    const nodePort = this.mode === 'relay' ? (layout.apiPort ?? hostPort) : hostPort;
    if (layout.apiPort && layout.apiPort !== nodePort) {
      this.log.warn('nodes were made to dial another port than the API server is on now', { nodePort: layout.apiPort, apiPort: hostPort });
    }
    this.apiUrl = `https://${API_HOSTNAME}:${nodePort}`;
    if (this.mode === 'relay' && !this.relay && !this.opts.relayOwnedElsewhere) {
      const host = this.opts.apiServer.host;
      const upstream = host && host !== '0.0.0.0' && host !== '::' ? host : '127.0.0.1';
      this.relay = await ApiRelay.start(layout.gateway, nodePort, upstream, hostPort);
      this.log.info('API relay started', { listen: `${layout.gateway}:${nodePort}`, upstream: `${upstream}:${hostPort}` });
    }
    return layout;
  }

  /**
   * Where pods reach the API server: the address and port nodes dial, when it is an address of the
   * cluster network ('relay' and 'direct': the gateway). With 'host-gateway' the engine alone knows
   * the address its host-gateway maps to, so there is none to publish: null.
   */
  async podApiEndpoint(): Promise<{ ip: string; port: number } | null> {
    const layout = await this.ensureNetwork();
    if (this.mode === 'host-gateway') return null;
    return { ip: layout.gateway, port: Number(new URL(this.apiUrl).port) };
  }

  /** The engine's real CPUs and memory: what node capacities are shares of. */
  async engineResources(): Promise<EngineResources> {
    if (!this.engine) {
      const info = (await this.docker.info()) as { NCPU: number; MemTotal: number };
      this.engine = { cpus: info.NCPU, memoryBytes: info.MemTotal };
    }
    return this.engine;
  }

  async listNodes(): Promise<ClusterNode[]> {
    const { byName } = indexNodes(await listNodeContainers(this.docker, this.clusterName));
    return [...byName.values()]
      .map((i) => nodeFromContainer(i, (n) => this.state.isPartitioned(n)))
      .sort((a, b) => nodeIndex(a.name) - nodeIndex(b.name) || a.name.localeCompare(b.name));
  }

  async getNode(name: string): Promise<ClusterNode> {
    const node = (await this.listNodes()).find((n) => n.name === name);
    if (!node) throw new ClusterError('NotFound', `node "${name}" not found in cluster ${this.clusterName}`);
    return node;
  }

  /**
   * After a restart of the control plane: finds the existing nodes by label and takes them over.
   * Never creates a node. Finishes what a crash interrupted (a node created but never started is
   * started; a duplicate container of one node, which labels would reveal, is removed) and
   * re-applies partitions to running nodes.
   */
  adopt(): Promise<ClusterNode[]> {
    return this.serial(async () => {
      await this.claim();
      const layout = await this.ensureNetwork();
      const { byName, duplicates } = indexNodes(await listNodeContainers(this.docker, this.clusterName));
      for (const d of duplicates) {
        this.log.warn('removing a duplicate node container', { node: d.Labels[LABEL.node], container: d.Names[0] });
        await tolerate(() => this.docker.getContainer(d.Id).remove({ force: true, v: true }));
      }
      for (const [name, info] of byName) {
        if (info.State === 'created') {
          this.log.info('starting a node whose creation was interrupted', { node: name });
          const c = this.docker.getContainer(info.Id);
          await c.putArchive(nodeConfigArchive({ caCert: this.opts.apiServer.caCert, token: this.opts.tokenFor(name) }), { path: '/' });
          await tolerate(() => c.start());
        }
      }
      await this.reapplyPartitions(layout);
      return this.listNodes();
    });
  }

  /**
   * Makes sure no object of this cluster belongs to another control plane (see onForeignObjects);
   * adopt() and createCluster() do this first. Done once per manager.
   */
  ensureOwned(): Promise<void> {
    return this.serial(() => this.claim());
  }

  /** Makes sure the cluster has at least `count` nodes (adopting the ones that exist); returns all nodes. */
  async createCluster(count: number, capacity?: NodeCapacityInput): Promise<ClusterNode[]> {
    if (!Number.isInteger(count) || count < 0) throw new ClusterError('Invalid', `nodes: must be a whole number >= 0, got ${count}`);
    await this.adopt();
    return this.serial(async () => {
      const layout = await this.ensureNetwork();
      const existing = await this.listNodes();
      const missing = count - existing.length;
      if (missing <= 0) return existing;
      const engine = await this.engineResources();
      const resolved = resolveCapacity(capacity, engine, count);
      const names = this.nextNames(existing.map((n) => n.name), missing);
      const taken = await this.takenAddresses(layout, existing);
      const plans = names.map((name) => {
        const ip = pickNodeAddress(layout, taken);
        taken.add(ip);
        return { name, ip };
      });
      // In parallel: creating and starting a container is mostly waiting on the engine.
      await Promise.all(plans.map((p) => this.createAndStart(layout, p.name, p.ip, resolved)));
      return this.listNodes();
    });
  }

  /** Adds one node (named node-<n> unless a name is given). */
  async addNode(name?: string, capacity?: NodeCapacityInput): Promise<ClusterNode> {
    if (name !== undefined) validateDnsLabel('name', name);
    return this.serial(async () => {
      const layout = await this.ensureNetwork();
      const existing = await this.listNodes();
      if (name && existing.some((n) => n.name === name)) {
        throw new ClusterError('AlreadyExists', `node "${name}" already exists in cluster ${this.clusterName}`);
      }
      const nodeName = name ?? this.nextNames(existing.map((n) => n.name), 1)[0]!;
      const resolved = resolveCapacity(capacity, await this.engineResources(), existing.length + 1);
      const ip = pickNodeAddress(layout, await this.takenAddresses(layout, existing));
      await this.createAndStart(layout, nodeName, ip, resolved);
      return this.getNode(nodeName);
    });
  }

  /** Removes a node: its container, its pod containers and every volume labelled with it. */
  removeNode(name: string): Promise<void> {
    return this.serial(async () => {
      const nodes = await listNodeContainers(this.docker, this.clusterName);
      const mine = nodes.filter((n) => n.Labels[LABEL.node] === name);
      // The node first, so its kubelet cannot start pods while they are being removed.
      await Promise.all(mine.map((n) => tolerate(() => this.docker.getContainer(n.Id).remove({ force: true, v: true }))));
      const rest = await this.removeContainers(await listClusterContainers(this.docker, this.clusterName, { [LABEL.node]: name }));
      await this.removeVolumes(await listClusterVolumes(this.docker, this.clusterName, { [LABEL.node]: name }));
      this.state.setPartitioned(name, false);
      if (!mine.length && !rest) throw new ClusterError('NotFound', `node "${name}" not found in cluster ${this.clusterName}`);
      await this.opts.onNodeRemoved?.(name);
    });
  }

  /** A clean shutdown of the node's machine: the kubelet gets SIGTERM; by default its pods stop too. */
  stopNode(name: string, opts: StopOptions = {}): Promise<ClusterNode> {
    return this.serial(async () => {
      const node = await this.getNode(name);
      await tolerate(() => this.docker.getContainer(node.containerId).stop({ t: 10 }));
      if ((opts.pods ?? 'stop') === 'stop') {
        await Promise.all((await this.runningPods(name)).map((p) => tolerate(() => this.docker.getContainer(p.Id).stop({ t: 5 }))));
      }
      return this.getNode(name);
    });
  }

  /** Starts a stopped or killed node; its kubelet takes its pods back. A partition is re-applied. */
  startNode(name: string): Promise<ClusterNode> {
    return this.serial(async () => {
      const layout = await this.ensureNetwork();
      const node = await this.getNode(name);
      await tolerate(() => this.docker.getContainer(node.containerId).start());
      if (this.state.isPartitioned(name)) await applyPartition(this.docker, node.containerId, layout);
      return this.getNode(name);
    });
  }

  /** A crash: SIGKILL, no grace; by default the node's pods die with it. */
  killNode(name: string, opts: KillOptions = {}): Promise<ClusterNode> {
    return this.serial(async () => {
      const node = await this.getNode(name);
      await tolerate(() => this.docker.getContainer(node.containerId).kill({ signal: 'SIGKILL' }), [304, 404, 409]);
      if ((opts.pods ?? 'kill') === 'kill') {
        await Promise.all(
          (await this.runningPods(name)).map((p) => tolerate(() => this.docker.getContainer(p.Id).kill({ signal: 'SIGKILL' }), [304, 404, 409])),
        );
      }
      return this.getNode(name);
    });
  }

  /** Cuts the node from the API server and the other nodes; its pods keep running (see partition.ts). */
  partitionNode(name: string): Promise<ClusterNode> {
    return this.serial(async () => {
      const layout = await this.ensureNetwork();
      const node = await this.getNode(name);
      if (node.running) await applyPartition(this.docker, node.containerId, layout);
      this.state.setPartitioned(name, true);
      return this.getNode(name);
    });
  }

  healNode(name: string): Promise<ClusterNode> {
    return this.serial(async () => {
      const node = await this.getNode(name);
      if (node.running) await removePartition(this.docker, node.containerId);
      this.state.setPartitioned(name, false);
      return this.getNode(name);
    });
  }

  /** Removes every container, volume and network carrying this cluster's label. Images stay (shared cache). */
  deleteCluster(): Promise<DeleteReport> {
    return this.serial(async () => {
      const report = await this.removeEverything();
      this.log.info('cluster deleted', { ...report });
      return report;
    });
  }

  /** Stops the API relay. Containers keep running: the next start adopts them. */
  async close(): Promise<void> {
    await this.chain.catch(() => {});
    await this.closeRelay();
    this.readyPromise = null;
  }

  // ---- internals ----

  /**
   * Node containers of another control plane carry its CA and token: adopted, their kubelets
   * would loop on certificate errors while `kubectl get nodes` stays empty. So they go, with
   * their pods (which carry that cluster's service account tokens), volumes and network, and
   * createCluster makes fresh ones; unless onForeignObjects refuses (their owner is still there).
   */
  private async claim(): Promise<void> {
    const id = this.clusterId;
    if (this.owned || !id) return;
    const found = await findForeignObjects(this.docker, this.clusterName, id);
    if (found) {
      await this.opts.onForeignObjects?.(found);
      const whose = found.owners.map((o) => `CA ${o.clusterId}${o.dataDir ? `, data folder ${o.dataDir}` : ''}`).join('; ');
      this.log.warn('nodes belong to another control plane, which is gone; replacing them', { nodes: found.names, owners: whose });
      const report = await this.removeEverything();
      this.log.info("removed the old cluster's objects", { ...report });
    }
    this.owned = true;
  }

  private async removeEverything(): Promise<DeleteReport> {
    await this.closeRelay();
    this.readyPromise = null;
    const report: DeleteReport = { containers: 0, volumes: 0, networks: 0 };
    const nodes = await listNodeContainers(this.docker, this.clusterName);
    await Promise.all(nodes.map((n) => tolerate(() => this.docker.getContainer(n.Id).remove({ force: true, v: true }))));
    report.containers += nodes.length;
    // Pods last; a few rounds in case a kubelet was creating one while it was being removed.
    for (let round = 0; round < 5; round++) {
      const left = await listClusterContainers(this.docker, this.clusterName);
      if (!left.length) break;
      report.containers += await this.removeContainers(left);
    }
    report.volumes = await this.removeVolumes(await listClusterVolumes(this.docker, this.clusterName));
    for (const net of await listClusterNetworks(this.docker, this.clusterName)) {
      // Docker 20.10 can report "active endpoints" for a moment after many containers on the
      // network were removed at once: retry briefly before giving up on it.
      for (let attempt = 0; ; attempt++) {
        try {
          await tolerate(() => this.docker.getNetwork(net.Id).remove());
          break;
        } catch (e) {
          if (statusOf(e) !== 403 || attempt >= 10) throw e;
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
      report.networks++;
    }
    this.state.clear();
    return report;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private async closeRelay(): Promise<void> {
    const r = this.relay;
    this.relay = null;
    await r?.close();
  }

  private nextNames(existing: string[], count: number): string[] {
    const used = new Set(existing);
    const names: string[] = [];
    for (let i = 1; names.length < count; i++) {
      const n = `node-${i}`;
      if (!used.has(n)) names.push(n);
    }
    return names;
  }

  /** Node addresses (from labels, so stopped nodes keep theirs) and whatever is attached to the network now. */
  private async takenAddresses(layout: NetworkLayout, nodes: ClusterNode[]): Promise<Set<string>> {
    const taken = new Set(nodes.map((n) => n.ip).filter(Boolean));
    const info = await this.docker.getNetwork(layout.id).inspect();
    for (const c of Object.values(info.Containers ?? {})) {
      if (c.IPv4Address) taken.add(c.IPv4Address.split('/')[0]!);
    }
    return taken;
  }

  private async createAndStart(layout: NetworkLayout, name: string, ip: string, capacity: NodeSpec['capacity']): Promise<void> {
    const spec: NodeSpec = {
      cluster: this.clusterName,
      node: name,
      image: this.opts.nodeImage,
      command: this.opts.nodeCommand,
      network: layout,
      ip,
      extraHosts: extraHostsFor(this.mode ?? 'relay', layout.gateway),
      apiUrl: this.apiUrl,
      caCert: this.opts.apiServer.caCert,
      token: this.opts.tokenFor(name),
      capacity,
      dockerSocket: this.opts.dockerSocket ?? '/var/run/docker.sock',
      kubeletPort: this.opts.kubeletPort === undefined ? 10250 : this.opts.kubeletPort,
      extraEnv: this.opts.nodeEnv,
      ownerLabels: this.ownerLabels,
    };
    let container: Docker.Container | undefined;
    try {
      container = await createNodeContainer(this.docker, spec);
      await container.start();
    } catch (e) {
      // Leave nothing half-made behind: the next attempt starts clean.
      if (statusOf(e) === 409 && !container) {
        throw new ClusterError('AlreadyExists', `node "${name}" already exists in cluster ${this.clusterName} (${(e as Error).message})`);
      }
      if (container) await tolerate(() => container!.remove({ force: true, v: true }));
      await this.removeVolumes(await listClusterVolumes(this.docker, this.clusterName, { [LABEL.node]: name }));
      throw e;
    }
    this.log.info('node started', { node: name, ip, cpu: capacity.cpu, memory: capacity.memory, pods: capacity.pods });
  }

  private async runningPods(node: string): Promise<Docker.ContainerInfo[]> {
    const pods = await listClusterContainers(this.docker, this.clusterName, { [LABEL.node]: node, [LABEL.role]: 'pod' });
    return pods.filter((p) => p.State === 'running' || p.State === 'restarting' || p.State === 'paused');
  }

  private async removeContainers(infos: Docker.ContainerInfo[]): Promise<number> {
    // App containers first, then the sandboxes whose network namespace they share (the order the
    // kubelet uses), so no endpoint is torn down under a container still joined to it.
    const isSandbox = (c: Docker.ContainerInfo) => c.Labels?.['flotilla.dev/container-kind'] === 'sandbox';
    const remove = (list: Docker.ContainerInfo[]) => Promise.all(list.map((c) => tolerate(() => this.docker.getContainer(c.Id).remove({ force: true, v: true }), [404, 409])));
    await remove(infos.filter((c) => !isSandbox(c)));
    await remove(infos.filter(isSandbox));
    return infos.length;
  }

  private async removeVolumes(names: string[]): Promise<number> {
    await Promise.all(names.map((n) => tolerate(() => this.docker.getVolume(n).remove({ force: true }))));
    return names.length;
  }

  private async reapplyPartitions(layout: NetworkLayout): Promise<void> {
    for (const node of await this.listNodes()) {
      if (node.partitioned && node.running) await applyPartition(this.docker, node.containerId, layout);
    }
  }
}
