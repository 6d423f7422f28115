import type { OwnerReference, Pod, ReplicaSet } from '../../api/types.js';
import { errorMessage } from '../../api/errors.js';
import { isConflict, isNotFound, type ApiClient } from '../../client/apiClient.js';
import type { EventRecorder } from '../../client/eventRecorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { selectorMatcher } from '../../api/selectors/labels.js';
import { BaseController, type ControllerContext } from '../../client/controller.js';
import { podsToDelete } from '../util/activePods.js';
import { isNamespaceTerminating } from '../util/apiErrors.js';
import { ControllerRefManager } from '../util/controllerRefManager.js';
import { ControllerExpectations } from '../util/expectations.js';
import { ensureOwnershipIndexes, ownedAndOrphans } from '../util/indexes.js';
import { controllerRef } from '../util/ownerRefs.js';
import { podFromTemplate } from '../util/podTemplate.js';
import { isPodActive, isPodReady } from '../util/pods.js';
import { slowStartBatch } from '../util/slowStart.js';
import { calculateReplicaSetStatus, replicaSetStatusChanged } from './replicasetStatus.js';

// The ReplicaSet controller (kube's pkg/controller/replicaset): keeps spec.replicas active pods
// for every ReplicaSet. It adopts matching orphans and releases pods that stopped matching,
// creates missing pods in slow-start batches and deletes the cheapest surplus pods first. What it
// has asked for and not yet seen through the pod informer is remembered as expectations, so a
// second sync before the watch catches up never creates or deletes the same pods twice.

const RS_RESOURCE = 'replicasets.apps';
/** Most pods created or deleted by one sync (kube's burstReplicas). */
export const BURST_REPLICAS = 500;
/** kube's SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH = 1;

export function replicaSetOwnerRef(rs: ReplicaSet): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

function withKind(rs: ReplicaSet): ReplicaSet {
  return { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' };
}

export class ReplicaSetController extends BaseController {
  readonly name = 'replicaset-controller';
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly queue = this.newQueue((k) => this.sync(k), { baseDelayMs: 5, maxDelayMs: 30_000 });
  readonly expectations = new ControllerExpectations(undefined, this.ctx.clock);
  private rsInformer!: Informer<ReplicaSet>;
  private podInformer!: Informer<Pod>;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.client = ctx.client;
    this.recorder = ctx.recorder(this.name);
  }

  init(): void {
    this.rsInformer = this.ctx.informers.informer<ReplicaSet>(RS_RESOURCE);
    this.podInformer = this.ctx.informers.informer<Pod>('pods');
    ensureOwnershipIndexes(this.podInformer);
    this.rsInformer.addHandlers({
      onAdd: (rs) => this.enqueue(rs),
      onUpdate: (_old, rs) => this.enqueue(rs),
      onDelete: (rs) => {
        const key = keyOf(rs);
        this.expectations.forget(key);
        this.queue.add(key);
      },
    });
    this.podInformer.addHandlers({
      onAdd: (p) => this.addPod(p),
      onUpdate: (o, p) => this.updatePod(o, p),
      onDelete: (p) => this.deletePod(p),
    });
  }

  private enqueue(rs: ReplicaSet, afterMs = 0): void {
    const key = keyOf(rs);
    if (afterMs > 0) this.queue.addAfter(key, afterMs);
    else this.queue.add(key);
  }

  // ---- pod events ----

  /** The ReplicaSet a controller reference points at, if it is still the same object. */
  private resolve(namespace: string | undefined, ref: OwnerReference | undefined): ReplicaSet | undefined {
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.rsInformer.get(namespace, ref.name);
    return rs && rs.metadata.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan: each may want to adopt it. */
  private matchingReplicaSets(pod: Pod): ReplicaSet[] {
    if (!pod.metadata.labels) return [];
    return this.rsInformer.list(pod.metadata.namespace).filter((rs) => selectorMatcher(rs.spec.selector)(pod.metadata.labels));
  }

  private addPod(pod: Pod): void {
    if (pod.metadata.deletionTimestamp) {
      // A controller restart can find pods already being deleted.
      this.deletePod(pod);
      return;
    }
    const ref = controllerRef(pod);
    if (ref) {
      const rs = this.resolve(pod.metadata.namespace, ref);
      if (!rs) return;
      this.expectations.creationObserved(keyOf(rs));
      this.enqueue(rs);
      return;
    }
    for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      // A graceful deletion starts: replace the pod now rather than when the kubelet finishes.
      this.deletePod(cur);
      if (labelsChanged) this.deletePod(old);
      return;
    }
    const curRef = controllerRef(cur);
    const oldRef = controllerRef(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    if (refChanged && oldRef) {
      const rs = this.resolve(old.metadata.namespace, oldRef);
      if (rs) this.enqueue(rs);
    }
    if (curRef) {
      const rs = this.resolve(cur.metadata.namespace, curRef);
      if (!rs) return;
      this.enqueue(rs);
      // Nothing changes when a ready pod becomes available: look again once it has.
      const minReady = rs.spec.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.enqueue(rs, minReady * 1000 + 100);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingReplicaSets(cur)) this.enqueue(rs);
  }

  private deletePod(pod: Pod): void {
    const rs = this.resolve(pod.metadata.namespace, controllerRef(pod));
    if (!rs) return;
    const key = keyOf(rs);
    this.expectations.deletionObserved(key, keyOf(pod));
    this.queue.add(key);
  }

  // ---- sync ----

  async sync(key: string): Promise<void> {
    const cached = this.rsInformer.getByKey(key);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    const rs = withKind(cached);
    const needsSync = this.expectations.satisfied(key);
    const matches = selectorMatcher(rs.spec.selector);

    const candidates = ownedAndOrphans(this.podInformer, rs).filter(isPodActive);
    const manager = new ControllerRefManager<Pod>({
      client: this.client,
      ownerResource: RS_RESOURCE,
      resource: 'pods',
      owner: rs,
      ownerRef: replicaSetOwnerRef(rs),
      matches: (p) => matches(p.metadata.labels),
    });
    const { claimed, errors } = await manager.claim(candidates);
    if (errors.length) throw errors[0];

    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, claimed);
      } catch (e) {
        manageError = e;
      }
    }

    const { status, recheckInMs } = calculateReplicaSetStatus(rs, claimed, manageError, this.ctx.clock.now());
    await this.updateStatus(rs, status);
    if (recheckInMs !== undefined) this.enqueue(rs, recheckInMs + 50);
    if (manageError !== undefined) throw manageError;
  }

  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const desired = rs.spec.replicas ?? 1;
    const diff = pods.length - desired;
    const ns = rs.metadata.namespace!;
    if (diff < 0) {
      const template = rs.spec.template;
      if (!template) return;
      const count = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, count);
      const ref = replicaSetOwnerRef(rs);
      const result = await slowStartBatch(count, SLOW_START_INITIAL_BATCH, async () => {
        try {
          const created = await this.client.create<Pod>('pods', ns, podFromTemplate(template, ns, `${rs.metadata.name}-`, ref));
          this.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
        } catch (e) {
          if (!isNamespaceTerminating(e)) this.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(e)}`);
          throw e;
        }
      });
      // Creations never attempted or refused will never be observed.
      for (let i = result.successes; i < count; i++) this.expectations.creationObserved(key);
      if (result.error !== undefined && !isNamespaceTerminating(result.error)) throw result.error;
      return;
    }
    if (diff > 0) {
      const victims = podsToDelete(pods, Math.min(diff, BURST_REPLICAS));
      this.expectations.expectDeletions(key, victims.map(keyOf));
      const failures: unknown[] = [];
      await Promise.all(
        victims.map(async (p) => {
          try {
            await this.client.delete('pods', ns, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
            this.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
          } catch (e) {
            // This deletion will never be observed.
            this.expectations.deletionObserved(key, keyOf(p));
            if (!isNotFound(e)) {
              this.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(e)}`);
              failures.push(e);
            }
          }
        }),
      );
      if (failures.length) throw failures[0];
    }
  }

  private async updateStatus(rs: ReplicaSet, status: ReplicaSet['status']): Promise<void> {
    if (!status || !replicaSetStatusChanged(rs, status)) return;
    const next = { ...status, observedGeneration: rs.metadata.generation };
    try {
      await this.client.update(RS_RESOURCE, { ...rs, status: next }, 'status');
    } catch (e) {
      if (isNotFound(e)) return;
      if (!isConflict(e)) throw e;
      // The cache is behind: retry once on the fresh object, as kube does.
      const fresh = await this.client.get<ReplicaSet>(RS_RESOURCE, rs.metadata.namespace, rs.metadata.name!);
      if (fresh.metadata.uid !== rs.metadata.uid) return;
      // observedGeneration stays the generation this sync acted on: a newer spec gets its own sync.
      await this.client.update(RS_RESOURCE, { ...fresh, status: next }, 'status');
    }
  }
}
