import type net from 'node:net';
import type { EndpointSlice, LoadBalancerIngress, Node, Service, ServicePort } from '../api/types.js';
import { errorMessage } from '../api/errors.js';
import { splice } from '../api/socketSplice.js';
import { isNotFound } from '../client/apiClient.js';
import type { EventRecorder } from '../client/eventRecorder.js';
import { keyOf, type Informer } from '../client/informer.js';
import { BaseController, type ControllerContext } from '../client/controller.js';
import { HostListeners, type BindResult } from './hostListeners.js';
import { openKubeletTunnel, type KubeletEndpoint } from './kubeletTunnel.js';
import { NodeRotation } from './nodeRotation.js';

// The service load balancer of the desktop (the role of a cloud provider's LoadBalancer, which
// kube's service controller drives; Docker Desktop's Kubernetes does the same on localhost): every
// Service of type LoadBalancer that names no other loadBalancerClass answers on the user's
// loopback, 127.0.0.1:<port> for each TCP port, and says so in status.loadBalancer.ingress.
//
// A connection accepted there goes to the Service's NodePort on a Ready node, through that node's
// kubelet: the control plane opens the kubelet's NodePort tunnel at the host port Docker publishes
// the kubelet on (the way it reaches kubelets for logs and exec), and the kubelet dials the node
// port from the node's own namespace, where kube-proxy picks an endpoint on any node. Nothing here
// needs a route from the host to container addresses, which Docker Desktop on macOS and Windows
// does not give.
//
// A port held by another program leaves the Service without an ingress and with a Warning Event
// saying which port and what to do; the sync is retried with back-off, so freeing the port is
// enough. Listeners live in this process: a control plane that stops closes them, and at its next
// start every LoadBalancer Service is listened for again before it is reported as ensured.
//
// Events use the reasons and wording of kube's service controller (k8s.io/cloud-provider
// controllers/service): EnsuringLoadBalancer, EnsuredLoadBalancer, SyncLoadBalancerFailed,
// DeletingLoadBalancer, DeletedLoadBalancer, and its event source "service-controller".

/** Finds the kubelet of a node as the API server does for exec (dockerNodes.ts kubeletResolver). */
export type KubeletLocator = (node: Node) => Promise<KubeletEndpoint | undefined> | KubeletEndpoint | undefined;

export interface ServiceLoadBalancerOptions {
  kubeletFor: KubeletLocator;
  /** Where the listeners bind and what the status publishes (default 127.0.0.1). */
  host?: string;
  /** How long one node may take to open a tunnel before the next is tried (default 5 s). */
  tunnelTimeoutMs?: number;
}

/**
 * The mode of the published address. "Proxy": traffic must go through this load balancer, never
 * be short-circuited by kube-proxy to the Service (which "VIP" asks for). 127.0.0.1 means the
 * host's loopback only; inside a pod or a node it is their own loopback, and a kube-proxy
 * honouring VIP would capture every connection a pod makes to its own localhost:<port>.
 */
const IP_MODE = 'Proxy' as const;

const BY_SERVICE = 'service';

/** kube's service controller: the Service is for a load balancer other than the default one. */
function wantsLoadBalancer(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && (svc.spec.loadBalancerClass === undefined || svc.spec.loadBalancerClass === null);
}

function count(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

function tcpPorts(svc: Service): ServicePort[] {
  return (svc.spec.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
}

export class ServiceLoadBalancer extends BaseController {
  readonly name = 'service-lb-controller';
  // kube retries a failed load balancer sync from 5 s up to 5 minutes; a desktop user who frees a
  // port expects it taken sooner.
  private readonly queue = this.newQueue((key) => this.sync(key), { baseDelayMs: 1000, maxDelayMs: 30_000 });
  private services!: Informer<Service>;
  private nodes!: NodeRotation;
  private slices!: Informer<EndpointSlice>;
  private readonly recorder: EventRecorder;
  private readonly listeners: HostListeners;
  private readonly host: string;
  /** Tunnels opened and refused, per node, since start (diagnostics; tests read how load spread). */
  private readonly tunnels = { opened: new Map<string, number>(), failed: new Map<string, number>() };

  constructor(
    ctx: ControllerContext,
    private readonly o: ServiceLoadBalancerOptions,
  ) {
    super(ctx);
    this.recorder = ctx.recorder('service-controller');
    this.host = o.host ?? '127.0.0.1';
    this.listeners = new HostListeners(this.host);
  }

  init(): void {
    this.services = this.ctx.informers.informer<Service>('services');
    this.nodes = new NodeRotation(this.ctx.informers.informer<Node>('nodes'));
    this.slices = this.ctx.informers.informer<EndpointSlice>('endpointslices.discovery.k8s.io');
    this.slices.addIndex(BY_SERVICE, (s) => {
      const svc = s.metadata.labels?.['kubernetes.io/service-name'];
      return svc ? [`${s.metadata.namespace}/${svc}`] : [];
    });
    const enqueue = (svc: Service) => this.queue.add(keyOf(svc));
    this.services.addHandlers({ onAdd: enqueue, onUpdate: (_old, svc) => enqueue(svc), onDelete: enqueue });
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.listeners.releaseAll();
  }

  /** Tunnels opened and refused so far, per node name. */
  tunnelCounts(): { opened: Record<string, number>; failed: Record<string, number> } {
    return { opened: Object.fromEntries(this.tunnels.opened), failed: Object.fromEntries(this.tunnels.failed) };
  }

  /** The ports held for a Service (tests, diagnostics). */
  portsOf(key: string): number[] {
    return this.listeners.portsOf(key);
  }

  private ingress(): LoadBalancerIngress[] {
    return [{ ip: this.host, ipMode: IP_MODE }];
  }

  private publishes(svc: Service): boolean {
    const ing = svc.status?.loadBalancer?.ingress ?? [];
    return ing.length === 1 && ing[0]!.ip === this.host && !ing[0]!.hostname && ing[0]!.ipMode === IP_MODE;
  }

  private async setIngress(svc: Service, on: boolean): Promise<void> {
    if (on === this.publishes(svc) && (on || !svc.status?.loadBalancer?.ingress?.length)) return;
    try {
      await this.ctx.client.patch('services', svc.metadata.namespace, svc.metadata.name!, { status: { loadBalancer: { ingress: on ? this.ingress() : null } } }, 'merge', 'status');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async sync(key: string): Promise<void> {
    const svc = this.services.getByKey(key);
    const held = this.listeners.portsOf(key);
    if (!svc || !wantsLoadBalancer(svc)) {
      await this.listeners.releaseAll(key);
      // A Service that stopped being ours (its type changed) loses the address it no longer has;
      // one of another class never had it from us and is left alone.
      if (svc && svc.spec.type !== 'LoadBalancer' && (held.length || this.publishes(svc))) {
        this.recorder.event(svc, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
        await this.setIngress(svc, false);
        this.recorder.event(svc, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
      }
      return;
    }
    const want = tcpPorts(svc).map((p) => p.port);
    const unchanged = want.length === held.length && want.every((p) => held.includes(p));
    if (unchanged && want.length) return this.setIngress(svc, true);
    this.recorder.event(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    const problem = await this.ensure(key, svc, want);
    if (problem) {
      await this.listeners.releaseAll(key);
      await this.setIngress(svc, false);
      const message = `Error syncing load balancer: failed to ensure load balancer: ${problem.message}`;
      this.recorder.event(svc, 'Warning', 'SyncLoadBalancerFailed', message);
      // A port in use may be freed: retried with back-off (the queue's, for a sync that throws).
      // What the Service itself asks for is retried when it changes.
      if (problem.transient) throw new Error(message);
      return;
    }
    for (const p of svc.spec.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP') this.recorder.event(svc, 'Warning', 'UnsupportedProtocol', `port ${p.port}/${p.protocol} is not published on ${this.host}: the desktop load balancer forwards TCP only; reach it through its NodePort ${p.nodePort ?? '(none)'} on a node's address`);
    }
    await this.setIngress(svc, true);
    this.recorder.event(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
  }

  /** Holds exactly the wanted ports for the Service; what went wrong, or undefined. */
  private async ensure(key: string, svc: Service, want: number[]): Promise<{ message: string; transient: boolean } | undefined> {
    if (!want.length) return { message: `the Service has no TCP port to publish on ${this.host}`, transient: false };
    const noNodePort = tcpPorts(svc).find((p) => !p.nodePort);
    if (noNodePort) return { message: `port ${noNodePort.port} has no node port (spec.allocateLoadBalancerNodePorts is false), which this load balancer forwards to: set it to true`, transient: false };
    for (const p of this.listeners.portsOf(key)) if (!want.includes(p)) await this.listeners.release(p);
    for (const port of want) {
      const r = await this.listeners.bind(port, key, (socket) => void this.forward(key, port, socket));
      if (!r.ok) return { message: this.bindProblem(port, r), transient: true };
    }
    return undefined;
  }

  private bindProblem(port: number, r: Extract<BindResult, { ok: false }>): string {
    const other = this.listeners.owner(port);
    const addr = `${this.host}:${port}`;
    if (other) return `port ${addr} is already used by the LoadBalancer Service ${other}: give this Service another port`;
    if (r.code === 'EADDRINUSE') return `port ${addr} is already in use on this computer by another program: stop that program or give the Service another port`;
    if (r.code === 'EACCES') return `port ${addr} may not be opened by this process (${r.code}: ports below 1024 need privileges on this system): give the Service a port of 1024 or above`;
    return `cannot listen on ${addr}: ${r.message}`;
  }

  private nodesWithLocalEndpoints(key: string): Set<string> {
    const names = new Set<string>();
    for (const s of this.slices.byIndex(BY_SERVICE, key)) {
      for (const e of s.endpoints ?? []) if (e.nodeName && e.conditions?.ready !== false) names.add(e.nodeName);
    }
    return names;
  }

  /** One accepted connection: to the Service's node port on the first node whose kubelet opens a tunnel. */
  private async forward(key: string, port: number, client: net.Socket): Promise<void> {
    client.on('error', () => client.destroy());
    client.setNoDelay(true);
    const svc = this.services.getByKey(key);
    const nodePort = svc && wantsLoadBalancer(svc) ? tcpPorts(svc).find((p) => p.port === port)?.nodePort : undefined;
    const failures: string[] = [];
    if (nodePort) {
      for (const node of this.nodes.next(svc!.spec.externalTrafficPolicy === 'Local' ? this.nodesWithLocalEndpoints(key) : undefined)) {
        if (client.destroyed) return;
        try {
          const kubelet = await this.o.kubeletFor(node);
          if (!kubelet) continue;
          const tunnel = await openKubeletTunnel(kubelet, nodePort, this.o.tunnelTimeoutMs ?? 5_000);
          if (client.destroyed) return void tunnel.destroy();
          count(this.tunnels.opened, node.metadata.name!);
          splice(client, tunnel);
          client.resume();
          return;
        } catch (e) {
          count(this.tunnels.failed, node.metadata.name!);
          failures.push(`${node.metadata.name}: ${errorMessage(e)}`);
        }
      }
    }
    this.log.debug('connection refused: no node took it', { service: key, port, nodePort, failures });
    // A reset, as a port with nothing behind it answers.
    client.resetAndDestroy();
  }
}
