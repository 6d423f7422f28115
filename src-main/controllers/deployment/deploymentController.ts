import type { Deployment, OwnerReference, Pod, ReplicaSet } from '../../api/types.js';
import type { ApiClient } from '../../client/apiClient.js';
import type { EventRecorder } from '../../client/eventRecorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { selectorMatcher } from '../../api/selectors/labels.js';
import { BaseController, type ControllerContext } from '../../client/controller.js';
import { ControllerRefManager } from '../util/controllerRefManager.js';
import { CONTROLLER_UID_INDEX, ensureOwnershipIndexes, ownedAndOrphans } from '../util/indexes.js';
import { controllerRef } from '../util/ownerRefs.js';
import { isPodReady, isPodTerminal, podCondition } from '../util/pods.js';
import { RecentWrites } from '../util/recentWrites.js';
import { rolloutRecreate } from './recreate.js';
import { rolloutRolling } from './rolling.js';
import { checkPausedConditions, deploymentOwnerRef, isScalingEvent, syncScaling, syncStatusOnly, updateDeploymentStatus } from './sync.js';
import { DEPLOYMENTS, deploymentWithKind, REPLICASETS, SyncContext, type DeploymentHost, type PodStats } from './syncContext.js';

// The Deployment controller (kube's deployment_controller.go): wiring, queue and event handlers.
// One sync per Deployment key: claim its ReplicaSets, then pause/scale/roll out through the
// per-concern files (sync.ts, rolling.ts, recreate.ts, progress.ts). Deployments are requeued on
// changes to themselves, their ReplicaSets and their pods (pods matter because rollout limits are
// computed from observed pods, see util/replicaSets.ts ReplicaCounts).

export class DeploymentController extends BaseController implements DeploymentHost {
  readonly name = 'deployment-controller';
  readonly client: ApiClient;
  readonly recorder: EventRecorder;
  private readonly queue = this.newQueue((k) => this.sync(k), { baseDelayMs: 5, maxDelayMs: 30_000 });
  private readonly recent = new RecentWrites<ReplicaSet>(undefined, this.ctx.clock);
  private dInformer!: Informer<Deployment>;
  private rsInformer!: Informer<ReplicaSet>;
  private podInformer!: Informer<Pod>;

  constructor(ctx: ControllerContext) {
    super(ctx);
    this.client = ctx.client;
    this.recorder = ctx.recorder(this.name);
  }

  init(): void {
    this.dInformer = this.ctx.informers.informer<Deployment>(DEPLOYMENTS);
    this.rsInformer = this.ctx.informers.informer<ReplicaSet>(REPLICASETS);
    this.podInformer = this.ctx.informers.informer<Pod>('pods');
    ensureOwnershipIndexes(this.rsInformer);
    ensureOwnershipIndexes(this.podInformer);
    this.dInformer.addHandlers({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_o, d) => this.enqueue(d),
      onDelete: (d) => this.enqueue(d),
    });
    this.rsInformer.addHandlers({
      onAdd: (rs) => this.addReplicaSet(rs),
      onUpdate: (o, rs) => this.updateReplicaSet(o, rs),
      onDelete: (rs) => this.deleteReplicaSet(rs),
    });
    this.podInformer.addHandlers({
      onAdd: (p) => this.enqueueForPod(p),
      onUpdate: (o, p) => {
        if (podChangeMatters(o, p)) this.enqueueForPod(p);
      },
      onDelete: (p) => this.enqueueForPod(p),
    });
  }

  // ---- DeploymentHost ----

  now(): number {
    return this.ctx.clock.now();
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  rememberReplicaSet(rs: ReplicaSet): void {
    this.recent.remember(rs);
  }

  forgetReplicaSet(rs: ReplicaSet): void {
    this.recent.forget(rs.metadata.uid);
  }

  podStats(rs: ReplicaSet): PodStats {
    const minReady = rs.spec.minReadySeconds ?? 0;
    const now = this.now();
    const s: PodStats = { active: 0, ready: 0, available: 0, terminating: 0 };
    for (const p of this.podInformer.byIndex(CONTROLLER_UID_INDEX, rs.metadata.uid!)) {
      if (isPodTerminal(p)) continue;
      if (p.metadata.deletionTimestamp) {
        s.terminating++;
        continue;
      }
      s.active++;
      if (!isPodReady(p)) continue;
      s.ready++;
      const since = Date.parse(podCondition(p, 'Ready')?.lastTransitionTime ?? '') || 0;
      const at = since + minReady * 1000;
      if (!minReady || at <= now) s.available++;
      else s.recheckInMs = Math.min(s.recheckInMs ?? Infinity, at - now);
    }
    return s;
  }

  // ---- event handlers ----

  private enqueue(d: Deployment): void {
    this.queue.add(keyOf(d));
  }

  private resolve(namespace: string | undefined, ref: OwnerReference | undefined): Deployment | undefined {
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.dInformer.get(namespace, ref.name);
    return d && d.metadata.uid === ref.uid ? d : undefined;
  }

  /** Deployments that might adopt an orphaned ReplicaSet. */
  private matchingDeployments(rs: ReplicaSet): Deployment[] {
    if (!rs.metadata.labels) return [];
    return this.dInformer.list(rs.metadata.namespace).filter((d) => !isEmptySelector(d) && selectorMatcher(d.spec.selector)(rs.metadata.labels));
  }

  private addReplicaSet(rs: ReplicaSet): void {
    if (rs.metadata.deletionTimestamp) return this.deleteReplicaSet(rs);
    const ref = controllerRef(rs);
    if (ref) {
      const d = this.resolve(rs.metadata.namespace, ref);
      if (d) this.enqueue(d);
      return;
    }
    for (const d of this.matchingDeployments(rs)) this.enqueue(d);
  }

  private updateReplicaSet(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const curRef = controllerRef(cur);
    const oldRef = controllerRef(old);
    const refChanged = JSON.stringify(curRef ?? null) !== JSON.stringify(oldRef ?? null);
    if (refChanged && oldRef) {
      const d = this.resolve(old.metadata.namespace, oldRef);
      if (d) this.enqueue(d);
    }
    if (curRef) {
      const d = this.resolve(cur.metadata.namespace, curRef);
      if (d) this.enqueue(d);
      return;
    }
    const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (labelsChanged || refChanged) for (const d of this.matchingDeployments(cur)) this.enqueue(d);
  }

  private deleteReplicaSet(rs: ReplicaSet): void {
    this.recent.forget(rs.metadata.uid);
    const d = this.resolve(rs.metadata.namespace, controllerRef(rs));
    if (d) this.enqueue(d);
  }

  private enqueueForPod(p: Pod): void {
    const ref = controllerRef(p);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.get(p.metadata.namespace, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    const d = this.resolve(rs.metadata.namespace, controllerRef(rs));
    if (d) this.enqueue(d);
  }

  // ---- sync ----

  /** The ReplicaSets this Deployment controls after adoption and release (kube's getReplicaSetsForDeployment). */
  private async replicaSetsFor(d: Deployment): Promise<ReplicaSet[]> {
    const matches = selectorMatcher(d.spec.selector);
    const candidates = this.recent.merge(ownedAndOrphans(this.rsInformer, d), (rs) => controllerRef(rs)?.uid === d.metadata.uid);
    const manager = new ControllerRefManager<ReplicaSet>({
      client: this.client,
      ownerResource: DEPLOYMENTS,
      resource: REPLICASETS,
      owner: d,
      ownerRef: deploymentOwnerRef(d),
      matches: (rs) => matches(rs.metadata.labels),
    });
    const { claimed, errors } = await manager.claim(candidates);
    if (errors.length) throw errors[0];
    return claimed;
  }

  async sync(key: string): Promise<void> {
    const cached = this.dInformer.getByKey(key);
    if (!cached) return;
    const d = deploymentWithKind(structuredClone(cached));

    if (isEmptySelector(d)) {
      this.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        const ctx = new SyncContext(this, d, []);
        await updateDeploymentStatus(ctx, { ...(d.status ?? {}), observedGeneration: d.metadata.generation });
      }
      return;
    }

    const ctx = new SyncContext(this, d, await this.replicaSetsFor(d));
    await syncDeployment(ctx);

    // Availability after minReadySeconds changes nothing the informers would report: look again then.
    let recheck: number | undefined;
    for (const rs of ctx.rsList) {
      const r = ctx.podStats(rs).recheckInMs;
      if (r !== undefined) recheck = Math.min(recheck ?? Infinity, r);
    }
    if (recheck !== undefined) this.queue.addAfter(key, recheck + 50);
  }
}

/** One reconciliation of a Deployment whose ReplicaSets are claimed (the body of kube's syncDeployment). */
export async function syncDeployment(ctx: SyncContext): Promise<void> {
  if (ctx.d.metadata.deletionTimestamp) return syncStatusOnly(ctx);
  await checkPausedConditions(ctx);
  if (ctx.d.spec.paused) return syncScaling(ctx);
  if (await isScalingEvent(ctx)) return syncScaling(ctx);
  if (ctx.d.spec.strategy?.type === 'Recreate') return rolloutRecreate(ctx);
  return rolloutRolling(ctx);
}

function isEmptySelector(d: Deployment): boolean {
  const s = d.spec.selector;
  return !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);
}

/** Pod changes that can change a Deployment's counts: readiness, deletion, phase, labels or owner. */
function podChangeMatters(old: Pod, cur: Pod): boolean {
  if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return false;
  return (
    isPodReady(old) !== isPodReady(cur) ||
    !!old.metadata.deletionTimestamp !== !!cur.metadata.deletionTimestamp ||
    old.status?.phase !== cur.status?.phase ||
    controllerRef(old)?.uid !== controllerRef(cur)?.uid ||
    JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {})
  );
}
