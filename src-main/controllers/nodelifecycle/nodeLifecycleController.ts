import { nowISO } from '../../api/time.js';
import { TokenBucket } from '../../api/tokenBucket.js';
import type { KubeObject, Lease, Node, NodeCondition, Pod } from '../../api/types.js';
import { isConflict, isNotFound } from '../../client/apiClient.js';
import type { EventRecorder } from '../../client/eventRecorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { BaseController, type ControllerContext } from '../../client/controller.js';
import { forEachLimit } from '../util/concurrency.js';
import { nodeCondition, nodeZoneKey } from '../util/nodes.js';
import { ensurePodNodeIndex, podsOnNode } from '../util/podIndex.js';
import { podCondition } from '../util/pods.js';
import {
  computeZoneState,
  gracePeriodFor,
  isSilent,
  noExecuteTaintFor,
  observeNodeHealth,
  reconcileNoScheduleTaints,
  swapNoExecuteTaints,
  taintRateFor,
  unknownConditions,
  type EvictionRates,
  type NodeHealth,
  type ZoneState,
} from './health.js';
import { updateNodeTaints } from './nodeTaints.js';
import { TaintEvictionController } from './tainteviction/taintEvictionController.js';

// The node lifecycle controller (kube's pkg/controller/nodelifecycle), with kube's taint eviction
// controller running inside it. Every nodeMonitorPeriodMs it looks at every node:
//
//   - sign of life = a renewed Lease in kube-node-lease (read from one shared lease informer, a
//     map lookup per node per pass, so 1,000 nodes renewing every 2 s cost one watch stream) or a
//     new Ready heartbeat; a node silent for nodeMonitorGracePeriodMs (nodeStartupGracePeriodMs
//     if it never reported) gets Ready/MemoryPressure/DiskPressure/PIDPressure = Unknown
//     (NodeStatusUnknown, "Kubelet stopped posting node status.") and its pods Ready=False;
//   - NoExecute taints follow Ready: Unknown -> node.kubernetes.io/unreachable, False ->
//     node.kubernetes.io/not-ready, True -> neither. Adding one is rate limited per zone and stops
//     when a whole zone (or, in a small cluster, most of it) is down: then the fault is more
//     likely ours than the nodes', as in kube. Removing is immediate.
//   - NoSchedule taints follow the conditions and spec.unschedulable (TaintNodesByCondition),
//     driven by node events.
//
// The taint eviction controller then deletes the pods that do not tolerate the NoExecute taints
// (at once, or after their tolerationSeconds: the default tolerations give every pod
// options.defaultTolerationSeconds).

export interface NodeLifecycleTuning extends EvictionRates {
  /** Share of NotReady nodes above which a zone counts as partially disrupted (kube: 0.55). */
  unhealthyZoneThreshold: number;
}

// Kube taints one node every 10 s per zone; on a desktop a node stopped on purpose should be
// drained at once, while a wave of failures is still paced.
export const DEFAULT_NODE_LIFECYCLE_TUNING: NodeLifecycleTuning = {
  evictionQPS: 1,
  secondaryEvictionQPS: 0.01,
  largeClusterThreshold: 50,
  unhealthyZoneThreshold: 0.55,
};

const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';
const FANOUT = 8;

interface ZoneTainter {
  bucket: TokenBucket;
  /** Nodes waiting for their NoExecute taint, in arrival order. */
  pending: Set<string>;
}

function nodeRef(node: Node): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: node.metadata.name, uid: node.metadata.uid } };
}

function podRef(pod: Pod): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid } };
}

export class NodeLifecycleController extends BaseController {
  readonly name = 'node-lifecycle-controller';
  readonly taintEviction: TaintEvictionController;
  private nodes!: Informer<Node>;
  private leases!: Informer<Lease>;
  private pods!: Informer<Pod>;
  private readonly recorder: EventRecorder;
  private readonly tuning: NodeLifecycleTuning;

  private readonly health = new Map<string, NodeHealth>();
  private readonly known = new Set<string>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly tainters = new Map<string, ZoneTainter>();
  /** Nodes whose pods could not all be marked NotReady: try again next pass. */
  private readonly nodesToRetry = new Set<string>();
  private readonly noScheduleQueue = this.newQueue((n) => this.syncNoScheduleTaints(n), { baseDelayMs: 100, maxDelayMs: 10_000 }, 'NoSchedule taints of');
  private readonly podQueue = this.newQueue((k) => this.syncPod(k), { baseDelayMs: 100, maxDelayMs: 10_000 }, 'pod');

  constructor(ctx: ControllerContext, tuning: Partial<NodeLifecycleTuning> = {}) {
    super(ctx);
    this.tuning = { ...DEFAULT_NODE_LIFECYCLE_TUNING, ...tuning };
    // kube's event source for this controller is "node-controller".
    this.recorder = ctx.recorder('node-controller');
    this.taintEviction = new TaintEvictionController(ctx);
  }

  init(): void {
    this.nodes = this.ctx.informers.informer<Node>('nodes');
    this.leases = this.ctx.informers.informer<Lease>('leases.coordination.k8s.io');
    this.pods = this.ctx.informers.informer<Pod>('pods');
    ensurePodNodeIndex(this.pods);
    const nodeChanged = (n: Node) => {
      if (reconcileNoScheduleTaints(n, '')) this.noScheduleQueue.add(n.metadata.name!);
    };
    this.nodes.addHandlers({ onAdd: nodeChanged, onUpdate: (_, n) => nodeChanged(n) });
    // A pod bound to a node already known to be down is marked NotReady right away.
    this.pods.addHandlers({
      onAdd: (p) => {
        if (p.spec?.nodeName) this.podQueue.add(keyOf(p));
      },
      onUpdate: (old, p) => {
        if (p.spec?.nodeName && p.spec.nodeName !== old.spec?.nodeName) this.podQueue.add(keyOf(p));
      },
    });
    this.taintEviction.init();
  }

  override run(): void {
    super.run();
    this.taintEviction.run();
    this.every(this.ctx.options.nodeMonitorPeriodMs, 'monitoring node health', () => this.monitorNodeHealth(), 0);
  }

  override async stop(): Promise<void> {
    await Promise.all([super.stop(), this.taintEviction.stop()]);
  }

  // ---- the monitor pass ----

  /** One pass over every node (exported for tests through the instance). */
  async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodes.list();
    this.classifyNodes(nodes);
    const zoneReady = new Map<string, (string | undefined)[]>();
    await forEachLimit(nodes, FANOUT, async (cached) => {
      const r = await this.updateNodeHealth(cached);
      if (!r) return;
      const { node, observed, current } = r;
      const name = node.metadata.name!;
      if (node.metadata.labels?.[EXCLUDE_DISRUPTION_LABEL] === undefined) {
        const zone = nodeZoneKey(node);
        let list = zoneReady.get(zone);
        if (!list) zoneReady.set(zone, (list = []));
        list.push(current?.status);
      }
      if (!current) return;
      await this.processTaintBasedEviction(node, current.status);
      const becameNotReady = current.status !== 'True' && observed.status === 'True';
      if (becameNotReady) this.recorder.event(nodeRef(node), 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      if (becameNotReady || (this.nodesToRetry.has(name) && observed.status !== 'True')) {
        try {
          await this.markPodsNotReady(name);
          this.nodesToRetry.delete(name);
        } catch (e) {
          this.nodesToRetry.add(name);
          this.log.warn('could not mark pods NotReady', { node: name, err: e });
        }
      } else {
        this.nodesToRetry.delete(name);
      }
    });
    await this.handleDisruption(zoneReady, nodes);
    await this.doNoExecuteTaintingPass();
  }

  private classifyNodes(nodes: Node[]): void {
    const seen = new Set<string>();
    for (const n of nodes) {
      const name = n.metadata.name!;
      seen.add(name);
      if (!this.known.has(name)) {
        this.known.add(name);
        this.recorder.event(nodeRef(n), 'Normal', 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
      }
      this.tainterFor(nodeZoneKey(n));
    }
    for (const name of [...this.known]) {
      if (seen.has(name)) continue;
      this.known.delete(name);
      this.health.delete(name);
      this.nodesToRetry.delete(name);
      for (const t of this.tainters.values()) t.pending.delete(name);
      this.recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name } }, 'Normal', 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
    }
  }

  private tainterFor(zone: string): ZoneTainter {
    let t = this.tainters.get(zone);
    if (!t) {
      this.tainters.set(zone, (t = { bucket: new TokenBucket(this.tuning.evictionQPS, 1, this.ctx.clock), pending: new Set() }));
      this.zoneStates.set(zone, 'Initial');
    }
    return t;
  }

  /**
   * kube's tryUpdateNodeHealth: folds in the latest signs of life and, if the node has been
   * silent too long, writes its conditions Unknown. Returns the Ready condition before
   * (observed) and after (current) this pass, or undefined when the node could not be handled.
   */
  private async updateNodeHealth(cached: Node): Promise<{ node: Node; observed: NodeCondition; current: NodeCondition | undefined } | undefined> {
    let node = cached;
    const name = node.metadata.name!;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.ctx.clock.now();
      const h = observeNodeHealth(this.health.get(name), node, this.leases.get(NODE_LEASE_NAMESPACE, name), now);
      this.health.set(name, h);
      const ready = nodeCondition(node, 'Ready');
      const observed: NodeCondition = ready ?? { type: 'Ready', status: 'Unknown', lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: node.metadata.creationTimestamp };
      const grace = gracePeriodFor(node, this.ctx.options.nodeMonitorGracePeriodMs, this.ctx.options.nodeStartupGracePeriodMs);
      if (!isSilent(h, grace, now)) return { node, observed, current: ready };
      const { conditions, readyChanged } = unknownConditions(node, nowISO(now));
      if (!readyChanged) return { node, observed, current: ready };
      try {
        const updated = await this.ctx.client.update<Node>('nodes', { ...node, status: { ...(node.status ?? {}), conditions } }, 'status');
        const cur = nodeCondition(updated, 'Ready');
        this.health.set(name, { ...h, hasReady: true, readyHeartbeat: cur?.lastHeartbeatTime, readyTransition: cur?.lastTransitionTime, readyTransitionTimestamp: now });
        this.log.info('node stopped posting status; Ready is now Unknown', { node: name });
        return { node: updated, observed, current: cur };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        if (!isConflict(e)) {
          this.log.warn('could not update node status', { node: name, err: e });
          return undefined;
        }
      }
      // Someone (its kubelet, most likely) wrote the node meanwhile: judge it again as it is now.
      try {
        node = await this.ctx.client.get<Node>('nodes', undefined, name);
      } catch (e) {
        if (!isNotFound(e)) this.log.warn('could not read node', { node: name, err: e });
        return undefined;
      }
    }
    return undefined;
  }

  /** kube's processTaintBaseEviction: swaps are immediate, new taints wait for the zone's limiter. */
  private async processTaintBasedEviction(node: Node, readyStatus: string): Promise<void> {
    const name = node.metadata.name!;
    const tainter = this.tainterFor(nodeZoneKey(node));
    const { add, remove } = noExecuteTaintFor(readyStatus);
    const taints = node.spec?.taints ?? [];
    if (!add) {
      tainter.pending.delete(name);
      if (swapNoExecuteTaints(taints, undefined, remove, '')) await this.swapTaints(node, undefined, remove);
      return;
    }
    if (taints.some((t) => t.effect === 'NoExecute' && t.key === add)) {
      tainter.pending.delete(name);
      if (swapNoExecuteTaints(taints, add, remove, '')) await this.swapTaints(node, add, remove);
      return;
    }
    if (taints.some((t) => t.effect === 'NoExecute' && remove.includes(t.key))) {
      await this.swapTaints(node, add, remove); // unreachable <-> not-ready: no need to wait
      return;
    }
    tainter.pending.add(name);
  }

  private async doNoExecuteTaintingPass(): Promise<void> {
    for (const tainter of this.tainters.values()) {
      for (const name of [...tainter.pending]) {
        if (!tainter.bucket.take()) break;
        tainter.pending.delete(name);
        const node = this.nodes.get(undefined, name);
        const ready = node && nodeCondition(node, 'Ready');
        if (!node || !ready) continue;
        const { add, remove } = noExecuteTaintFor(ready.status);
        if (!add) continue; // Ready again meanwhile
        if (!(await this.swapTaints(node, add, remove))) tainter.pending.add(name);
      }
    }
  }

  private async swapTaints(node: Node, add: string | undefined, remove: readonly string[]): Promise<boolean> {
    try {
      await updateNodeTaints(this.ctx.client, node, (cur) => swapNoExecuteTaints(cur.spec?.taints, add, remove, nowISO(this.ctx.clock.now())));
      if (add) this.log.info('tainted node', { node: node.metadata.name, taint: `${add}:NoExecute` });
      return true;
    } catch (e) {
      this.log.warn('could not update node taints', { node: node.metadata.name, err: e });
      return false;
    }
  }

  /** kube's handleDisruption: per-zone states drive the taint rate; all zones down stops tainting. */
  private async handleDisruption(zoneReady: Map<string, (string | undefined)[]>, nodes: Node[]): Promise<void> {
    const now = this.ctx.clock.now();
    const newStates = new Map<string, ZoneState>();
    let allAreFull = true;
    for (const [zone, statuses] of zoneReady) {
      const { state } = computeZoneState(statuses, this.tuning.unhealthyZoneThreshold);
      newStates.set(zone, state);
      if (state !== 'FullDisruption') allAreFull = false;
      this.tainterFor(zone);
    }
    let allWereFull = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneReady.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') allWereFull = false;
    }
    if (allAreFull && allWereFull) return; // still all down: nothing changes
    if (allAreFull) {
      this.log.warn('no node is Ready; stopping evictions until one is (control plane disruption mode)');
      for (const t of this.tainters.values()) {
        t.bucket.setRate(0);
        t.pending.clear();
      }
      for (const zone of this.zoneStates.keys()) this.zoneStates.set(zone, 'FullDisruption');
      await forEachLimit(nodes, FANOUT, async (n) => {
        const { remove } = noExecuteTaintFor('True');
        if (swapNoExecuteTaints(n.spec?.taints, undefined, remove, '')) await this.swapTaints(n, undefined, remove);
      });
      return;
    }
    if (allWereFull && this.zoneStates.size) {
      this.log.info('some nodes are Ready again; resuming evictions');
      // Everyone gets a full grace period again from now.
      for (const [name, h] of this.health) this.health.set(name, { ...h, probeTimestamp: now, readyTransitionTimestamp: now });
    }
    for (const [zone, state] of newStates) {
      if (this.zoneStates.get(zone) === state && !allWereFull) continue;
      const size = zoneReady.get(zone)?.length ?? 0;
      this.tainterFor(zone).bucket.setRate(taintRateFor(state, size, this.tuning));
      if (this.zoneStates.get(zone) !== state) this.log.info('zone state changed', { zone, state });
      this.zoneStates.set(zone, state);
    }
  }

  // ---- pods ----

  /** kube's MarkPodsNotReady: the node cannot vouch for its pods any more. */
  private async markPodsNotReady(nodeName: string): Promise<void> {
    const pods = podsOnNode(this.pods, nodeName);
    await forEachLimit(pods, FANOUT, (p) => this.markPodNotReady(p, nodeName));
  }

  private async markPodNotReady(pod: Pod, nodeName: string): Promise<void> {
    if (pod.spec?.nodeName !== nodeName) return;
    const ready = podCondition(pod, 'Ready');
    if (!ready || ready.status === 'False') return;
    try {
      await this.ctx.client.patch('pods', pod.metadata.namespace, pod.metadata.name!, { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: nowISO(this.ctx.clock.now()) }] } }, 'strategic', 'status');
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    this.recorder.event(podRef(pod), 'Warning', 'NodeNotReady', 'Node is not ready');
  }

  private async syncPod(key: string): Promise<void> {
    const pod = this.pods.getByKey(key);
    const nodeName = pod?.spec?.nodeName;
    if (!pod || !nodeName || !this.health.has(nodeName)) return;
    const node = this.nodes.get(undefined, nodeName);
    const ready = node && nodeCondition(node, 'Ready');
    if (ready && ready.status !== 'True') await this.markPodNotReady(pod, nodeName);
  }

  // ---- NoSchedule taints ----

  private async syncNoScheduleTaints(name: string): Promise<void> {
    const node = this.nodes.get(undefined, name);
    if (!node) return;
    await updateNodeTaints(this.ctx.client, node, (cur) => reconcileNoScheduleTaints(cur, nowISO(this.ctx.clock.now())));
  }
}
