import type { Lease, Node, Pod, PodStatus, Taint } from '../api/types.js';
import { ApiClient, isAlreadyExists, isConflict, isNotFound } from '../client/apiClient.js';
import { Informer, keyOf } from '../client/informer.js';
import { WorkQueue } from '../client/workQueue.js';
import { nowISO } from '../api/time.js';
import { silentLogger, type Logger } from '../api/log.js';
import { leaseObject, nodeConditions } from '../api/nodeHeartbeat.js';

// Hollow nodes, like Kubernetes' kubemark: Node objects with a simulated kubelet that renews
// Leases and reports the pods bound to it Running and Ready (with a fake IP) after a delay,
// without running any container. For scale tests and benchmarks only; the real Docker nodes
// never depend on this.
//
// One pool simulates many nodes with one pod informer and one client, so 1,000 nodes cost a
// handful of connections rather than a thousand.
//
// A node can be told to stop heartbeating through the API, so that `kubectl` drives it too:
//   kubectl annotate node hollow-node-1 hollow.flotilla.dev/heartbeat=stopped
//   kubectl annotate node hollow-node-1 hollow.flotilla.dev/heartbeat-      (resumes)
//
// Per-pod switches (annotations), for tests:
//   hollow.flotilla.dev/ready: "false"   -> Running but never Ready
//   hollow.flotilla.dev/startup-ms: "N"  -> this pod starts after N ms instead of the default

export interface HollowNodeOptions {
  count: number;
  namePrefix?: string;
  capacity?: { cpu?: string; memory?: string; pods?: string };
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Delay between a pod being bound and it being reported Running/Ready. */
  podStartupDelayMs?: number;
  leaseRenewIntervalMs?: number;
  leaseDurationSeconds?: number;
  /** First node's index (lets several pools share a cluster). */
  startIndex?: number;
  /** The process's logger (the pool names itself "hollow-nodes" on it); default: none. */
  log?: Logger;
}

interface SimNode {
  name: string;
  index: number;
  alive: boolean;
  stoppedByAnnotation?: boolean;
  nextIP: number;
  ips: Map<string, string>; // pod uid -> IP
}

export const HOLLOW_READY_ANNOTATION = 'hollow.flotilla.dev/ready';
export const HOLLOW_STARTUP_ANNOTATION = 'hollow.flotilla.dev/startup-ms';
export const HOLLOW_HEARTBEAT_ANNOTATION = 'hollow.flotilla.dev/heartbeat';

export class HollowNodePool {
  private readonly nodes = new Map<string, SimNode>();
  private readonly pods: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  private readonly queue = new WorkQueue({ baseDelayMs: 50, maxDelayMs: 5000 });
  private leaseTimer: NodeJS.Timeout | undefined;
  private workers: Promise<void> | undefined;
  private readonly firstSeen = new Map<string, number>();
  private stopped = false;
  private readonly log: Logger;
  private readonly o: Required<Omit<HollowNodeOptions, 'taints' | 'labels' | 'capacity' | 'log'>> & Pick<HollowNodeOptions, 'taints' | 'labels'> & { capacity: Required<NonNullable<HollowNodeOptions['capacity']>> };

  constructor(
    private readonly client: ApiClient,
    opts: HollowNodeOptions,
  ) {
    this.log = (opts.log ?? silentLogger).with('hollow-nodes');
    this.o = {
      count: opts.count,
      namePrefix: opts.namePrefix ?? 'hollow-node-',
      capacity: { cpu: opts.capacity?.cpu ?? '4', memory: opts.capacity?.memory ?? '8Gi', pods: opts.capacity?.pods ?? '110' },
      labels: opts.labels,
      taints: opts.taints,
      podStartupDelayMs: opts.podStartupDelayMs ?? 200,
      leaseRenewIntervalMs: opts.leaseRenewIntervalMs ?? 2000,
      leaseDurationSeconds: opts.leaseDurationSeconds ?? 10,
      startIndex: opts.startIndex ?? 0,
    };
    for (let i = 0; i < opts.count; i++) {
      const index = this.o.startIndex + i;
      const name = `${this.o.namePrefix}${index}`;
      this.nodes.set(name, { name, index, alive: true, nextIP: 2, ips: new Map() });
    }
    this.pods = new Informer<Pod>(client, 'pods');
    this.nodeInformer = new Informer<Node>(client, 'nodes');
  }

  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Registers every node (re-adopting existing Node objects), then starts heartbeats and pod handling. */
  async start(): Promise<void> {
    const names = [...this.nodes.values()];
    // Register in bounded parallel batches: 1,000 nodes should not open 1,000 requests at once.
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((n) => this.register(n)));
    }
    this.pods.addHandlers({
      onAdd: (p) => this.enqueue(p),
      onUpdate: (_o, p) => this.enqueue(p),
    });
    const onNode = (n: Node) => {
      const sim = this.nodes.get(n.metadata.name!);
      if (!sim) return;
      const stopped = n.metadata.annotations?.[HOLLOW_HEARTBEAT_ANNOTATION] === 'stopped';
      if (stopped && sim.alive) this.stopHeartbeat(sim.name);
      else if (!stopped && !sim.alive && sim.stoppedByAnnotation) void this.resumeHeartbeat(sim.name).catch((err) => this.log.warn('resuming heartbeats failed', { node: sim.name, err }));
      sim.stoppedByAnnotation = stopped;
      // The node lifecycle controller marked us Unknown while we were "down": report again.
      if (sim.alive && readyStatus(n) !== 'True') void this.reportReady(sim).catch((err) => this.log.debug('reporting Ready failed', { node: sim.name, err }));
    };
    this.nodeInformer.addHandlers({ onAdd: onNode, onUpdate: (_o, n) => onNode(n) });
    await Promise.all([this.pods.start(), this.nodeInformer.start()]);
    // Failures are retried with backoff: logged the first time and every tenth retry.
    this.workers = this.queue.run(8, (k) => this.syncPod(k), (pod, err) => this.queue.retries(pod) % 10 === 0 && this.log.warn('pod sync failed', { pod, err }));
    this.scheduleLeases();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.queue.shutDown();
    this.pods.stop();
    this.nodeInformer.stop();
    // In-flight pod syncs finish (or fail) before the caller closes the client under them.
    await this.workers;
  }

  /** The node stops renewing its Lease and stops handling its pods, as if its kubelet died. */
  stopHeartbeat(name: string): void {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no hollow node ${name}`);
    n.alive = false;
  }

  /** The node comes back: renews its Lease, reports Ready and resumes its pods. */
  async resumeHeartbeat(name: string): Promise<void> {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no hollow node ${name}`);
    n.alive = true;
    await this.renewLease(n);
    await this.reportReady(n);
    for (const p of this.pods.list()) if (p.spec.nodeName === name) this.enqueue(p);
  }

  private nodeObject(n: SimNode): Node {
    const ip = `10.${200 + (n.index >> 16)}.${(n.index >> 8) & 255}.${n.index & 255}`;
    return {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n.name,
        labels: {
          'kubernetes.io/hostname': n.name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'flotilla.dev/hollow': 'true',
          ...(this.o.labels ?? {}),
        },
      },
      spec: { ...(this.o.taints?.length ? { taints: this.o.taints } : {}) },
      status: {
        capacity: { ...this.o.capacity },
        allocatable: { ...this.o.capacity },
        conditions: this.conditions(),
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: n.name },
        ],
        nodeInfo: {
          machineID: n.name,
          systemUUID: n.name,
          bootID: n.name,
          kernelVersion: 'hollow',
          osImage: 'Flotilla hollow node',
          containerRuntimeVersion: 'hollow://1.0.0',
          kubeletVersion: 'v1.32.0-hollow',
          kubeProxyVersion: 'v1.32.0-hollow',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    };
  }

  private conditions() {
    return nodeConditions(undefined, new Date());
  }

  private async register(n: SimNode): Promise<void> {
    const obj = this.nodeObject(n);
    try {
      await this.client.create('nodes', undefined, obj);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      // Re-adopt: keep the existing object, refresh its status.
      await this.client.patch('nodes', undefined, n.name, { status: obj.status }, 'merge', 'status');
    }
    await this.renewLease(n);
  }

  private async reportReady(n: SimNode): Promise<void> {
    await this.client.patch('nodes', undefined, n.name, { status: { conditions: this.conditions() } }, 'merge', 'status');
  }

  private async renewLease(n: SimNode): Promise<void> {
    const lease: Lease = leaseObject(n.name, this.o.leaseDurationSeconds, new Date());
    try {
      // PUT creates the Lease when missing (leases allow create-on-update).
      await this.client.update('leases.coordination.k8s.io', lease);
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }

  private scheduleLeases(): void {
    if (this.stopped) return;
    this.leaseTimer = setTimeout(async () => {
      const alive = [...this.nodes.values()].filter((n) => n.alive);
      for (let i = 0; i < alive.length; i += 100) {
        if (this.stopped) return;
        await Promise.all(alive.slice(i, i + 100).map((n) => this.renewLease(n).catch((err) => this.log.debug('renewing lease failed', { node: n.name, err }))));
      }
      this.scheduleLeases();
    }, this.o.leaseRenewIntervalMs);
  }

  private enqueue(p: Pod): void {
    const n = p.spec.nodeName ? this.nodes.get(p.spec.nodeName) : undefined;
    if (!n || !n.alive) return;
    this.queue.add(keyOf(p));
  }

  private async syncPod(key: string): Promise<void> {
    const pod = this.pods.getByKey(key);
    if (!pod) return;
    const n = pod.spec.nodeName ? this.nodes.get(pod.spec.nodeName) : undefined;
    if (!n || !n.alive) return;
    if (pod.metadata.deletionTimestamp) {
      // The "containers" stop at once; the kubelet's final delete removes the pod object.
      n.ips.delete(pod.metadata.uid!);
      this.firstSeen.delete(pod.metadata.uid!);
      try {
        await this.client.delete('pods', pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const delay = Number(pod.metadata.annotations?.[HOLLOW_STARTUP_ANNOTATION] ?? this.o.podStartupDelayMs);
    const uid = pod.metadata.uid!;
    if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, Date.now());
    const wait = this.firstSeen.get(uid)! + delay - Date.now();
    if (wait > 0) {
      this.queue.addAfter(key, wait);
      return;
    }
    const desired = this.desiredStatus(n, pod);
    if (sameStatus(pod.status, desired)) return;
    try {
      await this.client.patch('pods', pod.metadata.namespace, pod.metadata.name!, { status: desired }, 'merge', 'status');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private podIP(n: SimNode, uid: string): string {
    let ip = n.ips.get(uid);
    if (!ip) {
      const used = new Set(n.ips.values());
      for (let tries = 0; tries < 253; tries++) {
        const host = n.nextIP;
        n.nextIP = n.nextIP >= 254 ? 2 : n.nextIP + 1;
        const cand = `10.${128 + (n.index >> 8)}.${n.index & 255}.${host}`;
        if (!used.has(cand)) {
          ip = cand;
          break;
        }
      }
      ip ??= `10.${128 + (n.index >> 8)}.${n.index & 255}.254`;
      n.ips.set(uid, ip);
    }
    return ip;
  }

  private desiredStatus(n: SimNode, pod: Pod): PodStatus {
    const ready = pod.metadata.annotations?.[HOLLOW_READY_ANNOTATION] !== 'false';
    const prev = pod.status ?? {};
    const now = nowISO();
    const keep = (type: string, status: 'True' | 'False') => {
      const old = prev.conditions?.find((c) => c.type === type);
      return { type, status, lastProbeTime: null, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now };
    };
    const ip = this.podIP(n, pod.metadata.uid!);
    const hostIP = this.nodeObject(n).status!.addresses![0]!.address;
    const startedAt = prev.startTime ?? now;
    return {
      phase: 'Running',
      conditions: [keep('PodReadyToStartContainers', 'True'), keep('Initialized', 'True'), keep('Ready', ready ? 'True' : 'False'), keep('ContainersReady', ready ? 'True' : 'False'), keep('PodScheduled', 'True')],
      hostIP,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: startedAt,
      qosClass: prev.qosClass,
      containerStatuses: pod.spec.containers.map((c) => ({
        name: c.name,
        state: { running: { startedAt } },
        ready,
        restartCount: 0,
        image: c.image ?? '',
        imageID: `hollow://${c.image ?? ''}`,
        containerID: `hollow://${pod.metadata.uid}/${c.name}`,
        started: true,
      })),
    };
  }
}

function readyStatus(n: Node): string | undefined {
  return n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

function sameStatus(a: PodStatus | undefined, b: PodStatus): boolean {
  if (!a || a.phase !== b.phase || a.podIP !== b.podIP) return false;
  const conds = (s: PodStatus) => JSON.stringify((s.conditions ?? []).map((c) => [c.type, c.status]).sort());
  if (conds(a) !== conds(b)) return false;
  return (a.containerStatuses ?? []).length === (b.containerStatuses ?? []).length && (a.containerStatuses ?? []).every((c, i) => c.ready === b.containerStatuses![i]!.ready);
}
