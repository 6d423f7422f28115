import fs from 'node:fs';
import os from 'node:os';
import type Dockerode from 'dockerode';
import { systemClock, type Clock } from '../api/clock.js';
import { TokenManager } from './tokenManager.js';
import { silentLogger, type Logger } from '../api/log.js';
import type { ConfigMap, Lease, Node, Pod, Secret, Service } from '../api/types.js';
import { ApiClient, isAlreadyExists, isConflict, isNotFound } from '../client/apiClient.js';
import { EventRecorder } from '../client/eventRecorder.js';
import { Informer, keyOf } from '../client/informer.js';
import { WorkQueue } from '../client/workQueue.js';
import { Backoff } from './backoff.js';
import type { EnvSources } from './env.js';
import { ImageManager } from './images.js';
import { LABEL_CLUSTER, LABEL_NODE, LABEL_POD_UID, LABEL_ROLE, ROLE_POD } from './labels.js';
import { KUBELET_VERSION, goArch, leaseObject, nodeObject, nodeStatus, type NodeFacts } from './nodeStatus.js';
import { PodWorker, newPodRecord, type PodNetwork, type PodRecord } from './podWorker.js';
import { ProbeManager, runProbe, type ProbeKind } from './probes.js';
import { DockerRuntime, isDockerNotFound } from './runtime.js';
import { KubeletServer, type KubeletServerOptions } from './server.js';

// The node agent (kube's kubelet) for a Flotilla node: a plain Node.js module that runs inside a
// node container (see main.ts) or, for tests, directly in a host process with a Docker socket.
//
//   registration   Node object (capacity = allocatable, addresses, nodeInfo, conditions, images,
//                  kubelet port), refreshed every nodeStatusReportMs and whenever the node
//                  lifecycle controller marked it not Ready; Lease renewed every
//                  leaseRenewIntervalMs (the heartbeat the control plane judges liveness by)
//   pods           an informer on pods with spec.nodeName=<node>; each pod uid is synced by
//                  PodWorker through a work queue (one pass per pod at a time), woken by pod
//                  changes, Docker events (die/oom/start of our containers), probe result
//                  changes, back-off expiries and a periodic resync
//   housekeeping   containers and volumes of pods no longer bound here are stopped and removed
//                  (at start, then every housekeepingIntervalMs)
//   server         logs and exec for the API server (server.ts), and the NodePort tunnel for the
//                  control plane's service load balancer, authenticated by a shared token
//
// stop() leaves every container running: a new Kubelet for the same node adopts them.

export interface KubeletOptions {
  client: ApiClient;
  docker: Dockerode;
  nodeName: string;
  clusterName: string;
  /** Docker network of pod sandboxes (the cluster network); the pod IP is the sandbox's IP on it. */
  network: string;
  pauseImage: string;
  capacity: { cpu: string; memory: string; pods: string; [resource: string]: string };
  /** Address other nodes and the API server reach this node at (default: discovered). */
  nodeIP?: string;
  labels?: Record<string, string>;
  leaseRenewIntervalMs?: number;
  leaseDurationSeconds?: number;
  nodeStatusReportMs?: number;
  /** CrashLoopBackOff / ImagePullBackOff: first delay (kube: 10 s) and cap (kube: 5 min). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Safety-net resync of every pod. */
  resyncIntervalMs?: number;
  housekeepingIntervalMs?: number;
  /** How often configMap/secret/downwardAPI volume contents are compared and rewritten. */
  volumeRefreshMs?: number;
  /** false: never contact an image registry (offline). Default true. */
  imagePulls?: boolean;
  clusterDNS?: string[];
  clusterDomain?: string;
  /** Network setup of new sandboxes before their containers start (the node's kube-proxy). */
  podNetwork?: PodNetwork;
  workers?: number;
  /** The logs/exec server; omit to run without one. */
  server?: Omit<KubeletServerOptions, 'lookup' | 'docker'>;
  /** The process's logger (the kubelet names itself on it); default: none. */
  log?: Logger;
  /** Time for back-off, deadlines and probe delays (tests move it by hand). Default: the wall clock. */
  clock?: Clock;
}

const PROBE_NAMES: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

export class Kubelet {
  readonly runtime: DockerRuntime;
  private readonly o: KubeletOptions;
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly pods: Informer<Pod>;
  private readonly services: Informer<Service>;
  private readonly nodeInformer: Informer<Node>;
  private readonly queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 10_000 });
  private readonly records = new Map<string, PodRecord>();
  private readonly probes: ProbeManager;
  private readonly worker: PodWorker;
  private readonly crashBackoff: Backoff;
  private readonly pullBackoff: Backoff;
  private readonly clock: Clock;
  private readonly timers = new Set<NodeJS.Timeout>();
  private events: NodeJS.ReadableStream | undefined;
  private workers: Promise<void> | undefined;
  private server: KubeletServer | undefined;
  private stopped = false;
  private started = false;
  private nodeIP: string | undefined;
  private facts: NodeFacts | undefined;
  private nodeUid: string | undefined;
  private reportingNode = false;
  private readonly log: Logger;
  private readonly tokens: TokenManager;

  constructor(opts: KubeletOptions) {
    this.o = opts;
    this.client = opts.client;
    this.log = (opts.log ?? silentLogger).with('kubelet');
    this.runtime = new DockerRuntime(opts.docker, { cluster: opts.clusterName, node: opts.nodeName });
    this.recorder = new EventRecorder(opts.client, 'kubelet', opts.nodeName);
    this.pods = new Informer<Pod>(opts.client, 'pods', { fieldSelector: `spec.nodeName=${opts.nodeName}` });
    this.services = new Informer<Service>(opts.client, 'services');
    this.nodeInformer = new Informer<Node>(opts.client, 'nodes', { fieldSelector: `metadata.name=${opts.nodeName}` });
    const base = opts.backoffBaseMs ?? 10_000;
    const max = opts.backoffMaxMs ?? 300_000;
    const clock = opts.clock ?? systemClock;
    this.clock = clock;
    this.tokens = new TokenManager(async (ns, sa, spec) => {
      const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`;
      const tr = await this.client.request<{ spec?: { expirationSeconds?: number }; status?: { token: string; expirationTimestamp: string } }>('POST', path, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec,
      });
      return { token: tr.status?.token ?? '', expirationTimestamp: tr.status?.expirationTimestamp ?? '', expirationSeconds: tr.spec?.expirationSeconds };
    }, clock);
    this.crashBackoff = new Backoff({ baseMs: base, maxMs: max }, clock);
    this.pullBackoff = new Backoff({ baseMs: base, maxMs: max }, clock);
    this.probes = new ProbeManager(
      (probe, t) => runProbe(this.runtime, probe, t),
      {
        onChange: (uid) => this.queue.add(uid),
        onFailure: (t, kind, message) => {
          const pod = this.records.get(t.podUid)?.pod;
          if (pod) this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'Unhealthy', `${PROBE_NAMES[kind]} probe failed: ${message}`.slice(0, 1024), `spec.containers{${t.container.name}}`);
        },
      },
      clock,
    );
    const images = new ImageManager(this.runtime, { pulls: opts.imagePulls ?? true, backoff: this.pullBackoff, clock });
    this.worker = new PodWorker({
      client: opts.client,
      runtime: this.runtime,
      images,
      probes: this.probes,
      recorder: this.recorder,
      crashBackoff: this.crashBackoff,
      clock,
      sources: this.sources(),
      services: () => this.services.list(),
      cluster: opts.clusterName,
      node: opts.nodeName,
      network: opts.network,
      pauseImage: opts.pauseImage,
      hostIP: () => this.nodeIP,
      allocatable: opts.capacity,
      dns: { clusterDNS: opts.clusterDNS, clusterDomain: opts.clusterDomain ?? 'cluster.local' },
      podNetwork: opts.podNetwork,
      volumeRefreshMs: opts.volumeRefreshMs ?? 10_000,
      log: this.log,
    });
  }

  /** The logs/exec server's port once started (useful with port 0). */
  get serverPort(): number | undefined {
    return this.server?.port;
  }

  get hostIP(): string | undefined {
    return this.nodeIP;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.nodeIP = this.o.nodeIP ?? (await this.discoverNodeIP());
    if (this.o.server) {
      this.server = new KubeletServer({
        ...this.o.server,
        docker: this.o.docker,
        lookup: (ns, pod, container, previous) => this.findContainer(ns, pod, container, previous),
        podSandbox: (ns, pod, uid) => this.findPodSandbox(ns, pod, uid),
        sandboxEndpoint: (uid, sandboxId) => this.sandboxEndpoint(uid, sandboxId),
        // The control plane's LoadBalancer path: node ports dialed at this node's own address.
        tunnel: { nodeIP: () => this.nodeIP, ...this.o.server.tunnel },
      });
      await this.server.listen();
    }
    this.facts = await this.nodeFacts();
    await this.register();
    await this.renewLease().catch((err) => this.log.warn('renewing the node lease failed', { err }));
    this.every(this.o.leaseRenewIntervalMs ?? 2000, () => this.renewLease(), 'lease');
    this.every(this.o.nodeStatusReportMs ?? 60_000, () => this.reportNodeStatus(), 'node-status');
    this.nodeInformer.addHandlers({
      onAdd: (n) => this.onNode(n),
      onUpdate: (_o, n) => this.onNode(n),
    });
    this.pods.addHandlers({
      onAdd: (p) => this.onPod(p),
      onUpdate: (o, p) => {
        if (o.metadata.uid !== p.metadata.uid) this.onPodGone(o);
        this.onPod(p, o);
      },
      onDelete: (p) => this.onPodGone(p),
    });
    await Promise.all([this.services.start(), this.nodeInformer.start(), this.pods.start()]);
    await this.housekeeping().catch((err) => this.log.warn('housekeeping failed', { err }));
    void this.watchDockerEvents();
    this.workers = this.queue.run(this.o.workers ?? 4, (uid) => this.syncPod(uid), (uid, err) => this.log.warn('pod sync failed', () => {
      const pod = this.records.get(uid)?.lastPod;
      return { pod: pod && keyOf(pod), podUID: uid, err };
    }));
    this.every(this.o.resyncIntervalMs ?? 10_000, async () => {
      for (const uid of this.records.keys()) this.queue.add(uid);
      this.crashBackoff.gc();
      this.pullBackoff.gc();
    });
    this.every(this.o.housekeepingIntervalMs ?? 5_000, () => this.housekeeping(), 'housekeeping');
    this.log.info('node started', { node: this.o.nodeName, ip: this.nodeIP ?? 'unknown' });
  }

  /** Stops the agent; containers keep running and are adopted by the next Kubelet of this node. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue.shutDown();
    this.pods.stop();
    this.services.stop();
    this.nodeInformer.stop();
    this.probes.stopAll();
    const ev = this.events as unknown as { destroy?: () => void } | undefined;
    ev?.destroy?.();
    await this.server?.close();
    // Let passes in flight finish (bounded), so a successor never races this instance's actions.
    if (this.workers) await Promise.race([this.workers, new Promise((r) => setTimeout(r, 15_000))]);
  }

  // ---- timers ----

  private every(ms: number, fn: () => Promise<void>, what = 'resync'): void {
    const tick = () => {
      if (this.stopped) return;
      const t = setTimeout(async () => {
        this.timers.delete(t);
        try {
          await fn();
        } catch (e) {
          this.log.warn('periodic task failed', { task: what, err: e });
        }
        tick();
      }, ms);
      this.timers.add(t);
    };
    tick();
  }

  // ---- node ----

  /**
   * The node's address: the node container's IP on the cluster network when the kubelet runs in
   * one, else (a kubelet in a host process) the network's gateway, which is the host itself.
   */
  private async discoverNodeIP(): Promise<string | undefined> {
    try {
      const mine = await this.o.docker.listContainers({ filters: { label: [`${LABEL_CLUSTER}=${this.o.clusterName}`, `${LABEL_NODE}=${this.o.nodeName}`] } });
      for (const c of mine) {
        if (c.Labels?.[LABEL_ROLE] === ROLE_POD) continue;
        const ip = (c.NetworkSettings?.Networks as Record<string, { IPAddress?: string }> | undefined)?.[this.o.network]?.IPAddress;
        if (ip) return ip;
      }
      const net = await this.o.docker.getNetwork(this.o.network).inspect();
      return (net.IPAM?.Config as { Gateway?: string }[] | undefined)?.[0]?.Gateway;
    } catch (e) {
      if (!isDockerNotFound(e)) this.log.warn('discovering the node IP failed', { err: e });
      return undefined;
    }
  }

  private async nodeFacts(): Promise<NodeFacts> {
    const [version, info] = await Promise.all([this.o.docker.version(), this.o.docker.info() as Promise<Record<string, unknown>>]);
    let bootID = '';
    try {
      bootID = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootID = '';
    }
    let osImage = String(info.OperatingSystem ?? 'linux');
    try {
      const rel = fs.readFileSync('/etc/os-release', 'utf8');
      osImage = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(rel)?.[1] ?? osImage;
    } catch {
      /* keep the engine's */
    }
    const arch = goArch(os.arch());
    const addresses = [...(this.nodeIP ? [{ type: 'InternalIP', address: this.nodeIP }] : []), { type: 'Hostname', address: this.o.nodeName }];
    return {
      name: this.o.nodeName,
      labels: {
        'kubernetes.io/hostname': this.o.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': arch,
        ...(this.o.labels ?? {}),
      },
      capacity: { ...this.o.capacity },
      addresses,
      nodeInfo: {
        machineID: `${this.o.clusterName}-${this.o.nodeName}`,
        systemUUID: `${this.o.clusterName}-${this.o.nodeName}`,
        bootID,
        kernelVersion: String(info.KernelVersion ?? os.release()),
        osImage,
        containerRuntimeVersion: `docker://${version.Version}`,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: arch,
      },
      kubeletPort: this.server?.port,
      images: await this.nodeImages(),
    };
  }

  private async nodeImages(): Promise<{ names: string[]; sizeBytes?: number }[]> {
    try {
      const list = await this.o.docker.listImages();
      return list
        .filter((i) => (i.RepoTags ?? []).some((t) => t !== '<none>:<none>'))
        .sort((a, b) => b.Size - a.Size)
        .slice(0, 50)
        .map((i) => ({ names: [...(i.RepoDigests ?? []), ...(i.RepoTags ?? []).filter((t) => t !== '<none>:<none>')], sizeBytes: i.Size }));
    } catch {
      return [];
    }
  }

  private async register(): Promise<void> {
    const f = this.facts!;
    try {
      const n = await this.client.create<Node>('nodes', undefined, nodeObject(f, new Date()));
      this.nodeUid = n.metadata.uid;
      this.log.info('registered node', { node: f.name });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      // Re-registration after a restart: keep the object (and its spec: taints, unschedulable).
      const n = await this.client.patch<Node>('nodes', undefined, f.name, { metadata: { labels: f.labels } }, 'merge');
      this.nodeUid = n.metadata.uid;
      await this.client.patch('nodes', undefined, f.name, { status: nodeStatus(f, n.status?.conditions, new Date()) }, 'merge', 'status');
    }
  }

  private async reportNodeStatus(): Promise<void> {
    if (this.reportingNode || !this.facts) return;
    this.reportingNode = true;
    try {
      this.facts.images = await this.nodeImages();
      const cur = this.nodeInformer.get(undefined, this.o.nodeName);
      if (!cur) {
        await this.register();
        return;
      }
      // The runtime must answer for the node to be Ready.
      let ready = true;
      let message: string | undefined;
      try {
        await this.o.docker.ping();
      } catch (e) {
        ready = false;
        message = `container runtime is down: ${(e as Error).message}`;
      }
      await this.client.patch('nodes', undefined, this.o.nodeName, { status: nodeStatus(this.facts, cur.status?.conditions, new Date(), ready, message) }, 'merge', 'status');
    } finally {
      this.reportingNode = false;
    }
  }

  private onNode(n: Node): void {
    this.nodeUid = n.metadata.uid;
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    // The node lifecycle controller marks a silent node Unknown: say we are back.
    if (ready?.status !== 'True' && !this.stopped) void this.reportNodeStatus().catch((err) => this.log.warn('reporting node status failed', { err }));
  }

  private async renewLease(): Promise<void> {
    const now = new Date();
    let lease = leaseObject(this.o.nodeName, this.o.leaseDurationSeconds ?? 10, now);
    if (this.nodeUid) lease.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: this.nodeUid }];
    try {
      // PUT creates a missing Lease (leases allow create-on-update).
      await this.client.update<Lease>('leases.coordination.k8s.io', lease);
    } catch (e) {
      if (!isConflict(e)) throw e;
      const cur = await this.client.get<Lease>('leases.coordination.k8s.io', 'kube-node-lease', this.o.nodeName);
      lease = leaseObject(this.o.nodeName, this.o.leaseDurationSeconds ?? 10, now, cur);
      if (this.nodeUid) lease.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.o.nodeName, uid: this.nodeUid }];
      await this.client.update('leases.coordination.k8s.io', lease);
    }
  }

  // ---- pods ----

  private record(uid: string): PodRecord {
    let r = this.records.get(uid);
    if (!r) this.records.set(uid, (r = newPodRecord(uid)));
    return r;
  }

  private onPod(p: Pod, old?: Pod): void {
    const uid = p.metadata.uid!;
    const r = this.record(uid);
    r.pod = p;
    r.lastPod = p;
    // A second delete with a shorter grace period (e.g. --force) must not wait for the first.
    if (old && r.terminating && p.metadata.deletionGracePeriodSeconds !== undefined && p.metadata.deletionGracePeriodSeconds < (old.metadata.deletionGracePeriodSeconds ?? Infinity)) {
      void this.worker.expedite(uid).catch(() => {});
    }
    this.queue.add(uid);
  }

  private onPodGone(p: Pod): void {
    const uid = p.metadata.uid!;
    const r = this.record(uid);
    r.pod = undefined;
    r.lastPod ??= p;
    this.queue.add(uid);
  }

  private async syncPod(uid: string): Promise<void> {
    if (this.stopped) return;
    const rec = this.records.get(uid) ?? this.record(uid);
    const res = await this.worker.sync(rec);
    if (res.forget) {
      if (!rec.pod) {
        this.records.delete(uid);
        this.tokens.forgetPod(uid);
      }
      return;
    }
    if (res.requeueAfterMs !== undefined && !this.stopped) this.queue.addAfter(uid, Math.max(50, res.requeueAfterMs));
  }

  /** Pods with containers or volumes here that the API no longer binds to this node. */
  private async housekeeping(): Promise<void> {
    if (!this.pods.hasSynced) return;
    const bound = new Set(this.pods.list().map((p) => p.metadata.uid!));
    const uids = new Set<string>();
    for (const c of await this.runtime.listContainers()) if (c.podUid && !bound.has(c.podUid)) uids.add(c.podUid);
    for (const v of await this.runtime.listVolumes()) {
      const uid = v.labels[LABEL_POD_UID];
      if (uid && !bound.has(uid)) uids.add(uid);
    }
    for (const uid of uids) {
      const r = this.record(uid);
      if (!r.pod) this.queue.add(uid);
    }
  }

  private async watchDockerEvents(): Promise<void> {
    while (!this.stopped) {
      try {
        const stream = await this.o.docker.getEvents({
          filters: { type: ['container'], event: ['start', 'die', 'oom', 'destroy'], label: [`${LABEL_CLUSTER}=${this.o.clusterName}`, `${LABEL_NODE}=${this.o.nodeName}`] },
        });
        this.events = stream;
        if (this.stopped) {
          (stream as unknown as { destroy(): void }).destroy();
          return;
        }
        await new Promise<void>((resolve) => {
          let buf = '';
          stream.on('data', (d: Buffer) => {
            buf += d.toString('utf8');
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              if (!line.trim()) continue;
              try {
                const ev = JSON.parse(line) as { id?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
                const id = ev.Actor?.ID ?? ev.id;
                // Docker announces a death before `docker ps` shows it: the next pass must inspect.
                if (id && ev.Action === 'destroy') this.runtime.forget(id);
                else if (id) this.runtime.invalidate(id);
                const uid = ev.Actor?.Attributes?.[LABEL_POD_UID];
                if (uid && this.records.has(uid)) this.queue.add(uid);
              } catch {
                /* a partial or foreign line */
              }
            }
          });
          stream.on('end', () => resolve());
          stream.on('close', () => resolve());
          stream.on('error', () => resolve());
        });
      } catch (e) {
        this.log.warn('watching Docker events failed', { err: e });
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000));
    }
  }

  // ---- configMaps and secrets ----

  private sources(): EnvSources {
    // A short-lived cache: one pass over a pod reads each object once, later passes see changes.
    const cache = new Map<string, { at: number; v: Promise<unknown> }>();
    const get = <T>(resource: string, ns: string, name: string): Promise<T | undefined> => {
      const k = `${resource}/${ns}/${name}`;
      const hit = cache.get(k);
      if (hit && this.clock.now() - hit.at < 1000) return hit.v as Promise<T | undefined>;
      const v = this.client.get<T & ConfigMap>(resource, ns, name).catch((e) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      cache.set(k, { at: this.clock.now(), v });
      if (cache.size > 1000) cache.delete(cache.keys().next().value!);
      v.catch(() => cache.delete(k));
      return v as Promise<T | undefined>;
    };
    return {
      getConfigMap: (ns, name) => get<ConfigMap>('configmaps', ns, name),
      getSecret: (ns, name) => get<Secret>('secrets', ns, name),
      getServiceAccountToken: (ns, sa, spec) => this.tokens.get(ns, sa, spec),
    };
  }

  // ---- logs/exec lookup ----

  /**
   * The Docker container behind namespace/pod/container: the newest instance, or with
   * `previous` the one before it (kube's `logs --previous`). The pod uid the API shows wins
   * when an older pod of the same name still has containers here.
   */
  async findContainer(namespace: string, pod: string, container: string, previous = false): Promise<{ id: string; tty: boolean; running: boolean } | { error: string; code: number }> {
    const current = this.pods.get(namespace, pod);
    let list = await this.runtime.listContainers(current?.metadata.uid);
    list = list.filter((r) => r.namespace === namespace && r.podName === pod && r.kind !== 'sandbox');
    if (!list.length) return { error: `pod "${pod}" in namespace "${namespace}" has no containers on node ${this.o.nodeName}`, code: 404 };
    const insts = list.filter((r) => r.name === container);
    if (!insts.length) return { error: `container "${container}" in pod "${pod}" is not available`, code: 404 };
    const r = previous ? insts[1] : insts[0];
    if (!r) return { error: `previous terminated container "${container}" in pod "${pod}" not found`, code: 400 };
    return { id: r.id, tty: r.tty, running: r.state === 'running' };
  }

  // ---- port-forward lookup ----

  /**
   * The running sandbox of a pod bound to this node (kube's GetPortForward: a pod the kubelet does
   * not know is a 404, as is one whose uid is not the one asked for).
   */
  async findPodSandbox(namespace: string, pod: string, uid: string | undefined): Promise<{ uid: string; sandboxId: string } | { error: string; code: number }> {
    const current = this.pods.get(namespace, pod);
    if (!current || (uid && current.metadata.uid !== uid)) return { error: `pod "${pod}" in namespace "${namespace}" does not exist on node ${this.o.nodeName}`, code: 404 };
    const podUid = current.metadata.uid!;
    const sandbox = (await this.runtime.listContainers(podUid)).find((r) => r.kind === 'sandbox' && r.state === 'running' && r.ips[this.o.network]);
    if (!sandbox) return { error: `pod "${pod}" in namespace "${namespace}" has no running sandbox on node ${this.o.nodeName}`, code: 400 };
    return { uid: podUid, sandboxId: sandbox.id };
  }

  /** The address of a sandbox on the cluster network while it runs (looked up for every forwarded connection). */
  async sandboxEndpoint(uid: string, sandboxId: string): Promise<{ ip: string; sandboxId: string } | { error: string }> {
    const sandbox = (await this.runtime.listContainers(uid)).find((r) => r.id === sandboxId && r.state === 'running');
    const ip = sandbox?.ips[this.o.network];
    // containerd's words for a sandbox that is gone.
    if (!ip) return { error: `failed to find sandbox "${sandboxId}" in store: not found` };
    return { ip, sandboxId };
  }
}
