import { nowISO } from '../../api/time.js';
import type { Node, Pod } from '../../api/types.js';
import { isConflict, isNotFound } from '../../client/apiClient.js';
import type { Informer } from '../../client/informer.js';
import { BaseController, type ControllerContext } from '../../client/controller.js';
import { forEachLimit } from '../util/concurrency.js';
import { ensurePodNodeIndex, podsOnNode } from '../util/podIndex.js';
import { isPodTerminal } from '../util/pods.js';
import { outOfServiceTerminatingPods, terminatedPodsToCollect, unknownNodesOfPods, unscheduledTerminatingPods } from './selection.js';

// Pod garbage collection (kube's pkg/controller/podgc). Force-deletes (grace period 0) pods no
// kubelet will ever finish:
//   - pods bound to a node that no longer exists, once the node has been missing for a short
//     quarantine and a live GET confirms it (kube: 40 s; here 2 s, nodes on a desktop are
//     deleted on purpose); they are marked Failed with a DisruptionTarget condition first;
//   - terminating pods that were never scheduled, and terminating pods on a NotReady node tainted
//     node.kubernetes.io/out-of-service;
//   - terminated pods beyond options.terminatedPodGCThreshold, evicted and oldest first.
// A node's deletion starts its quarantine at once; a periodic sweep catches everything else.

export interface PodGCTiming {
  /** How long a node must be missing before its pods are collected. */
  quarantineMs: number;
  /** Period of the full sweep (kube: 20 s). */
  sweepPeriodMs: number;
}

export const DEFAULT_PODGC_TIMING: PodGCTiming = { quarantineMs: 2000, sweepPeriodMs: 10_000 };

const FANOUT = 8;

export class PodGCController extends BaseController {
  readonly name = 'pod-garbage-collector-controller';
  private pods!: Informer<Pod>;
  private nodes!: Informer<Node>;
  private readonly timing: PodGCTiming;
  /** Missing nodes whose quarantine has started (key: node name). */
  private readonly quarantine = this.newQueue((n) => this.collectPodsOfMissingNode(n), { baseDelayMs: 200, maxDelayMs: 10_000 }, 'node');
  private readonly quarantined = new Set<string>();

  constructor(ctx: ControllerContext, timing: Partial<PodGCTiming> = {}) {
    super(ctx);
    this.timing = { ...DEFAULT_PODGC_TIMING, ...timing };
  }

  init(): void {
    this.pods = this.ctx.informers.informer<Pod>('pods');
    this.nodes = this.ctx.informers.informer<Node>('nodes');
    ensurePodNodeIndex(this.pods);
    const check = (p: Pod) => {
      const n = p.spec?.nodeName;
      if (n && !this.nodes.get(undefined, n)) this.startQuarantine(n);
    };
    this.pods.addHandlers({ onAdd: check, onUpdate: (_, p) => check(p) });
    this.nodes.addHandlers({ onDelete: (n) => this.startQuarantine(n.metadata.name!) });
  }

  override run(): void {
    super.run();
    this.every(this.timing.sweepPeriodMs, 'sweep', () => this.sweep());
  }

  private startQuarantine(node: string): void {
    if (this.quarantined.has(node)) return;
    this.quarantined.add(node);
    this.quarantine.addAfter(node, this.timing.quarantineMs);
  }

  private async collectPodsOfMissingNode(node: string): Promise<void> {
    if (this.nodes.get(undefined, node)) {
      this.quarantined.delete(node);
      return;
    }
    try {
      await this.ctx.client.get('nodes', undefined, node);
      this.quarantined.delete(node); // it exists; our cache was behind
      return;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.quarantined.delete(node);
    const pods = podsOnNode(this.pods, node);
    if (pods.length) this.log.info('node is gone; force-deleting its pods', { node, pods: pods.length });
    await forEachLimit(pods, FANOUT, (p) => this.markFailedAndForceDelete(p, 'PodGC: node no longer exists'));
  }

  /** One pass of kube's gc(): terminated, terminating, orphaned, unscheduled-terminating. */
  async sweep(): Promise<void> {
    const pods = this.pods.list();
    const byName = (n: string) => this.nodes.get(undefined, n);
    await forEachLimit(terminatedPodsToCollect(pods, this.ctx.options.terminatedPodGCThreshold), FANOUT, (p) => this.forceDelete(p));
    await forEachLimit(outOfServiceTerminatingPods(pods, byName), FANOUT, (p) => this.markFailedAndForceDelete(p));
    for (const n of unknownNodesOfPods(pods, (name) => !!byName(name))) this.startQuarantine(n);
    await forEachLimit(unscheduledTerminatingPods(pods), FANOUT, (p) => this.forceDelete(p));
  }

  private async markFailedAndForceDelete(pod: Pod, disruptionMessage?: string): Promise<void> {
    if (!isPodTerminal(pod)) {
      const status: Record<string, unknown> = { phase: 'Failed' };
      if (disruptionMessage) {
        status.conditions = [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: disruptionMessage, lastTransitionTime: nowISO(this.ctx.clock.now()) }];
      }
      try {
        await this.ctx.client.patch('pods', pod.metadata.namespace, pod.metadata.name!, { status }, 'strategic', 'status');
      } catch (e) {
        if (isNotFound(e)) return;
        this.log.warn('could not mark pod Failed', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, err: e });
      }
    }
    await this.forceDelete(pod);
  }

  private async forceDelete(pod: Pod): Promise<void> {
    try {
      await this.ctx.client.delete('pods', pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}
