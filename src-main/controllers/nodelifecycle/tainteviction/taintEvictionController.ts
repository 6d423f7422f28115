import { nowISO } from '../../../api/time.js';
import type { KubeObject, Node, Pod, Taint } from '../../../api/types.js';
import { isConflict, isNotFound } from '../../../client/apiClient.js';
import type { EventRecorder } from '../../../client/eventRecorder.js';
import { keyOf, type Informer } from '../../../client/informer.js';
import { BaseController, type ControllerContext } from '../../../client/controller.js';
import { ensurePodNodeIndex, podsOnNode } from '../../util/podIndex.js';
import { podCondition } from '../../util/pods.js';
import { evictionDecision, noExecuteTaints, parseTimeAdded, podBoundAt } from './evictionTime.js';

// Taint-based eviction (kube's pkg/controller/tainteviction): pods on a node with NoExecute
// taints they do not tolerate are deleted at once; pods that tolerate them for
// tolerationSeconds are deleted when that runs out; pods that tolerate them forever stay. With
// the not-ready/unreachable tolerations every pod gets at admission, this is what moves pods off
// a node that stopped heartbeating.
//
// Level-triggered: one queue keyed by pod; each pass recomputes the decision from the caches, so
// a taint removed or a toleration added cancels a pending eviction simply by the next pass
// deciding otherwise. A pending eviction is a delayed re-queue of the pod.

function podRef(pod: Pod): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid } };
}

function sameNoExecute(a: readonly Taint[], b: readonly Taint[]): boolean {
  return a.length === b.length && a.every((t, i) => t.key === b[i]!.key && t.value === b[i]!.value && t.timeAdded === b[i]!.timeAdded);
}

export class TaintEvictionController extends BaseController {
  readonly name = 'taint-eviction-controller';
  private pods!: Informer<Pod>;
  private nodes!: Informer<Node>;
  private readonly queue = this.newQueue((k) => this.sync(k), { baseDelayMs: 100, maxDelayMs: 10_000 });
  private readonly recorder: EventRecorder;
  /** Pending evictions: pod key -> when (ms). */
  private readonly scheduled = new Map<string, number>();
  /** First sighting of NoExecute taints that carry no timeAdded: node\0key\0value -> ms. */
  private readonly firstSeen = new Map<string, number>();

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.recorder = ctx.recorder(this.name);
  }

  init(): void {
    this.pods = this.ctx.informers.informer<Pod>('pods');
    this.nodes = this.ctx.informers.informer<Node>('nodes');
    ensurePodNodeIndex(this.pods);
    this.pods.addHandlers({
      onAdd: (p) => this.podChanged(undefined, p),
      onUpdate: (old, p) => this.podChanged(old, p),
      onDelete: (p) => this.scheduled.delete(keyOf(p)),
    });
    this.nodes.addHandlers({
      onAdd: (n) => this.nodeChanged(undefined, n),
      onUpdate: (old, n) => this.nodeChanged(old, n),
      onDelete: (n) => this.forgetNode(n.metadata.name!),
    });
  }

  /** Pending evictions, for tests and the dashboard: pod key -> when (ms). */
  pendingEvictions(): ReadonlyMap<string, number> {
    return this.scheduled;
  }

  private podChanged(old: Pod | undefined, pod: Pod): void {
    const node = pod.spec?.nodeName;
    if (!node) return;
    if (old && old.spec?.nodeName === node && JSON.stringify(old.spec?.tolerations) === JSON.stringify(pod.spec?.tolerations) && !!old.metadata.deletionTimestamp === !!pod.metadata.deletionTimestamp) return;
    const n = this.nodes.get(undefined, node);
    if ((n && noExecuteTaints(n.spec?.taints).length) || this.scheduled.has(keyOf(pod))) this.queue.add(keyOf(pod));
  }

  private nodeChanged(old: Node | undefined, node: Node): void {
    const now = noExecuteTaints(node.spec?.taints);
    const before = old ? noExecuteTaints(old.spec?.taints) : [];
    if (sameNoExecute(before, now)) return;
    for (const p of podsOnNode(this.pods, node.metadata.name!)) this.queue.add(keyOf(p));
  }

  private forgetNode(name: string): void {
    const prefix = `${name}\u0000`;
    for (const k of this.firstSeen.keys()) if (k.startsWith(prefix)) this.firstSeen.delete(k);
  }

  private taintStart(nodeName: string, taint: Taint, now: number): number {
    const t = parseTimeAdded(taint);
    if (t !== undefined) return t;
    const k = `${nodeName}\u0000${taint.key}\u0000${taint.value ?? ''}`;
    let seen = this.firstSeen.get(k);
    if (seen === undefined) this.firstSeen.set(k, (seen = now));
    return seen;
  }

  private async sync(key: string): Promise<void> {
    const pod = this.pods.getByKey(key);
    if (!pod || pod.metadata.deletionTimestamp || !pod.spec?.nodeName) {
      this.scheduled.delete(key);
      return;
    }
    const node = this.nodes.get(undefined, pod.spec.nodeName);
    const taints = node ? noExecuteTaints(node.spec?.taints) : [];
    const now = this.ctx.clock.now();
    const decision = evictionDecision(pod.spec.tolerations, taints, now, {
      taintStart: (t) => this.taintStart(pod.spec.nodeName!, t, now),
      boundAt: podBoundAt(pod),
    });
    if (decision.kind === 'none') {
      if (this.scheduled.delete(key)) this.recorder.event(podRef(pod), 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
      return;
    }
    if (decision.kind === 'at') {
      this.scheduled.set(key, decision.at);
      this.queue.addAfter(key, decision.at - now + 10);
      return;
    }
    this.scheduled.delete(key);
    await this.evict(pod, key);
  }

  /** kube's addConditionAndDeletePod: say why on the pod, then delete it (gracefully). */
  private async evict(pod: Pod, key: string): Promise<void> {
    this.log.info('deleting pod', { pod: key, node: pod.spec.nodeName });
    this.recorder.event(podRef(pod), 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name!;
    if (podCondition(pod, 'DisruptionTarget')?.status !== 'True') {
      const cond = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: nowISO(this.ctx.clock.now()) };
      try {
        await this.ctx.client.patch('pods', ns, name, { status: { conditions: [cond] } }, 'strategic', 'status');
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
    }
    try {
      await this.ctx.client.delete('pods', ns, name, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}
