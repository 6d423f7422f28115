import type { KubeObject, OwnerReference } from '../../api/types.js';
import { RESOURCES, verbsOf } from '../../api/resources.js';
import { isConflict, isNotFound } from '../../client/apiClient.js';
import type { Informer } from '../../client/informer.js';
import { BaseController } from '../../client/controller.js';
import { BoundedSet, forEachLimit } from '../util/concurrency.js';
import {
  FINALIZER_FOREGROUND,
  blockingDependents,
  FINALIZER_ORPHAN,
  decideDependentAction,
  hasFinalizer,
  identityKey,
  identityOf,
  isDeletingDependents,
  ownerStateOf,
  parseIdentityKey,
  removeOwnerRefsPatch,
  resourceForOwnerRef,
  sameOwnerRefs,
  unblockOwnerRefsPatch,
  type ObjectIdentity,
  type OwnerState,
} from './ownership.js';

// The garbage collector (kube's pkg/controller/garbagecollector). The owner -> dependents graph
// is an index on the shared informers of every resource that can carry ownerReferences (owner
// uid -> dependents), so it costs no extra watch and no copy of the objects. Two queues, as in
// kube:
//
//   attemptToDelete  dependents whose owners may be gone or deleting in the foreground, and
//                    owners deleting in the foreground (drop `foregroundDeletion` once no
//                    blocking dependent remains);
//   attemptToOrphan  owners with the `orphan` finalizer: strip their references from every
//                    dependent, then drop the finalizer.
//
// Decisions to delete are never taken on the cache alone: the dependent is read live and an
// owner the cache does not know is looked up live (uid match), because informers of different
// resources lag each other. Positive cache answers are trusted: if the owner has really gone,
// its DELETED event re-queues its dependents.

const OWNER_INDEX = 'gc/ownerUID';
const FANOUT = 8;

export class GarbageCollector extends BaseController {
  readonly name = 'garbage-collector-controller';
  private readonly informers = new Map<string, Informer>();
  private readonly attemptToDelete = this.newQueue((k) => this.syncDelete(k), { baseDelayMs: 50, maxDelayMs: 30_000 }, 'attemptToDelete');
  private readonly attemptToOrphan = this.newQueue((k) => this.syncOrphan(k), { baseDelayMs: 50, maxDelayMs: 30_000 }, 'attemptToOrphan');
  /** uids known to be gone for good (uids are never reused). */
  private readonly absent = new BoundedSet<string>(4096);
  private readonly unknownKinds = new Set<string>();

  init(): void {
    for (const r of RESOURCES) {
      // Events are many and short-lived; kube's GC ignores them by default as well.
      if (r.key === 'events') continue;
      const verbs = verbsOf(r);
      if (!verbs.includes('list') || !verbs.includes('watch') || !verbs.includes('delete')) continue;
      const inf = this.ctx.informers.informer(r.key);
      inf.addIndex(OWNER_INDEX, (o) => (o.metadata.ownerReferences ?? []).map((ref) => ref.uid));
      inf.addHandlers({
        onAdd: (o) => this.observe(r.key, undefined, o),
        onUpdate: (old, o) => this.observe(r.key, old, o),
        onDelete: (o) => this.observeGone(r.key, o),
      });
      this.informers.set(r.key, inf);
    }
  }

  // ---- graph maintenance (informer handlers: synchronous and cheap) ----

  private observe(resource: string, old: KubeObject | undefined, obj: KubeObject): void {
    const m = obj.metadata;
    if (m.deletionTimestamp && m.finalizers?.length) {
      if (m.finalizers.includes(FINALIZER_ORPHAN)) this.attemptToOrphan.add(identityKey(identityOf(resource, obj)));
      if (m.finalizers.includes(FINALIZER_FOREGROUND)) {
        this.attemptToDelete.add(identityKey(identityOf(resource, obj)));
        if (!old || !isDeletingDependents(old)) this.enqueueDependents(m.uid!);
      }
    }
    const refs = m.ownerReferences;
    const oldRefs = old?.metadata.ownerReferences;
    if (!refs?.length && !oldRefs?.length) return;
    if (old && sameOwnerRefs(oldRefs, refs)) return;
    if (refs?.length && this.needsAttention(obj)) this.attemptToDelete.add(identityKey(identityOf(resource, obj)));
    // An owner deleting in the foreground may have just lost its last blocking dependent.
    for (const ref of oldRefs ?? []) {
      const now = refs?.find((r) => r.uid === ref.uid);
      if (now && !!now.blockOwnerDeletion === !!ref.blockOwnerDeletion) continue;
      this.enqueueOwnerIfDeletingDependents(ref, m.namespace);
    }
  }

  private observeGone(_resource: string, obj: KubeObject): void {
    if (obj.metadata.uid) {
      this.absent.add(obj.metadata.uid);
      this.enqueueDependents(obj.metadata.uid);
    }
    for (const ref of obj.metadata.ownerReferences ?? []) this.enqueueOwnerIfDeletingDependents(ref, obj.metadata.namespace);
  }

  private enqueueDependents(uid: string): void {
    for (const [res, inf] of this.informers) {
      for (const d of inf.byIndex(OWNER_INDEX, uid)) this.attemptToDelete.add(identityKey(identityOf(res, d)));
    }
  }

  private enqueueOwnerIfDeletingDependents(ref: OwnerReference, dependentNamespace: string | undefined): void {
    const owner = this.cachedOwner(ref, dependentNamespace);
    if (owner && isDeletingDependents(owner)) {
      const r = resourceForOwnerRef(ref)!;
      this.attemptToDelete.add(identityKey(identityOf(r.key, owner)));
    }
  }

  /** The owner as the cache has it, only if it is the very object referenced (same uid). */
  private cachedOwner(ref: OwnerReference, dependentNamespace: string | undefined): KubeObject | undefined {
    const r = resourceForOwnerRef(ref);
    if (!r) return undefined;
    const o = this.informers.get(r.key)?.get(r.namespaced ? dependentNamespace : undefined, ref.name);
    return o?.metadata.uid === ref.uid ? o : undefined;
  }

  /** Does some owner look gone, or waiting for its dependents, from the cache? */
  private needsAttention(obj: KubeObject): boolean {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      if (!resourceForOwnerRef(ref)) continue; // a kind we do not serve: never collected
      const owner = this.cachedOwner(ref, obj.metadata.namespace);
      if (!owner || isDeletingDependents(owner)) return true;
    }
    return false;
  }

  private dependentsOf(uid: string): { resource: string; obj: KubeObject }[] {
    const out: { resource: string; obj: KubeObject }[] = [];
    for (const [res, inf] of this.informers) for (const d of inf.byIndex(OWNER_INDEX, uid)) out.push({ resource: res, obj: d });
    return out;
  }

  // ---- attemptToDelete ----

  private async syncDelete(key: string): Promise<void> {
    const id = parseIdentityKey(key);
    const cached = this.informers.get(id.resource)?.get(id.namespace, id.name);
    const cachedIsIt = cached?.metadata.uid === id.uid;
    // Most queued items turn out fine once every informer has synced: skip them without a request.
    if (cachedIsIt && !cached!.metadata.deletionTimestamp && !this.needsAttention(cached!)) return;
    // Already on its way out (a terminating pod, say): its update events re-queue it if that changes.
    if (cachedIsIt && cached!.metadata.deletionTimestamp && !isDeletingDependents(cached!)) return;
    if (!cachedIsIt && this.absent.has(id.uid)) return;

    const latest = await this.getLive(id);
    if (!latest) return;
    if (isDeletingDependents(latest)) return this.processDeletingDependents(id);
    if (latest.metadata.deletionTimestamp) return; // already on its way out
    const refs = latest.metadata.ownerReferences ?? [];
    if (!refs.length) return;

    const states = new Map<string, OwnerState>();
    for (const ref of refs) states.set(ref.uid, await this.classify(ref, id.namespace));
    const dependents = this.dependentsOf(id.uid);
    const action = decideDependentAction({
      refs,
      states,
      finalizers: latest.metadata.finalizers ?? [],
      hasDependents: dependents.length > 0,
      dependentIsDeletingDependents: dependents.some((d) => isDeletingDependents(d.obj)),
    });
    switch (action.kind) {
      case 'none':
        return;
      case 'removeOwnerRefs':
        await this.patchIgnoringGone(id, removeOwnerRefsPatch(action.uids));
        return;
      case 'deleteForeground': {
        if (action.unblockFirst) {
          const p = unblockOwnerRefsPatch(refs);
          if (p) await this.patchIgnoringGone(id, p);
        }
        await this.deleteIgnoringGone(id, 'Foreground');
        return;
      }
      case 'delete':
        await this.deleteIgnoringGone(id, action.policy);
        return;
    }
  }

  private async classify(ref: OwnerReference, dependentNamespace: string | undefined): Promise<OwnerState> {
    if (this.absent.has(ref.uid)) return 'dangling';
    const r = resourceForOwnerRef(ref);
    if (!r) {
      // kube cannot map such a reference either and leaves the object alone.
      const kind = `${ref.apiVersion}/${ref.kind}`;
      if (!this.unknownKinds.has(kind)) {
        this.unknownKinds.add(kind);
        this.log.warn('ownerReferences to an unknown kind are ignored', { kind });
      }
      return 'solid';
    }
    // A cluster-scoped object cannot be owned by a namespaced one: the reference resolves to nothing.
    if (r.namespaced && !dependentNamespace) return 'dangling';
    const ns = r.namespaced ? dependentNamespace : undefined;
    const cached = this.informers.get(r.key)?.get(ns, ref.name);
    if (cached?.metadata.uid === ref.uid) return ownerStateOf(cached, ref);
    // The cache does not know this owner: ask the API server before concluding it is gone.
    let live: KubeObject | undefined;
    try {
      live = await this.ctx.client.get(r.key, ns, ref.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const state = ownerStateOf(live, ref);
    if (state === 'dangling') this.absent.add(ref.uid);
    return state;
  }

  private async processDeletingDependents(id: ObjectIdentity): Promise<void> {
    const dependents = this.dependentsOf(id.uid);
    if (!blockingDependents(id.uid, dependents.map((d) => d.obj)).length) {
      await this.removeFinalizer(id, FINALIZER_FOREGROUND);
      return;
    }
    // Normally queued when the owner entered foreground deletion; again here in case a dependent
    // appeared since. Those already terminating just need time (their deletion re-queues us).
    for (const d of dependents) if (!d.obj.metadata.deletionTimestamp) this.attemptToDelete.add(identityKey(identityOf(d.resource, d.obj)));
  }

  // ---- attemptToOrphan ----

  private async syncOrphan(key: string): Promise<void> {
    const id = parseIdentityKey(key);
    const latest = await this.getLive(id);
    if (!latest || !latest.metadata.deletionTimestamp || !hasFinalizer(latest, FINALIZER_ORPHAN)) return;
    const dependents = this.dependentsOf(id.uid);
    await forEachLimit(dependents, FANOUT, (d) => this.patchIgnoringGone(identityOf(d.resource, d.obj), removeOwnerRefsPatch([id.uid])));
    await this.removeFinalizer(id, FINALIZER_ORPHAN);
  }

  // ---- API helpers ----

  /** The object as stored now, or undefined when it is gone or was replaced by another uid. */
  private async getLive(id: ObjectIdentity): Promise<KubeObject | undefined> {
    try {
      const o = await this.ctx.client.get(id.resource, id.namespace, id.name);
      return o.metadata.uid === id.uid ? o : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async deleteIgnoringGone(id: ObjectIdentity, policy: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    try {
      await this.ctx.client.delete(id.resource, id.namespace, id.name, { propagationPolicy: policy, preconditions: { uid: id.uid } });
    } catch (e) {
      // 409: the uid precondition failed, so the object we meant is gone already.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  private async patchIgnoringGone(id: ObjectIdentity, patch: Record<string, unknown>): Promise<void> {
    try {
      await this.ctx.client.patch(id.resource, id.namespace, id.name, patch, 'strategic');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Removes one finalizer, guarded by resourceVersion so a concurrent writer is never undone. */
  private async removeFinalizer(id: ObjectIdentity, finalizer: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const live = await this.getLive(id);
      if (!live || !hasFinalizer(live, finalizer)) return;
      const finalizers = (live.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      try {
        await this.ctx.client.patch(id.resource, id.namespace, id.name, { metadata: { resourceVersion: live.metadata.resourceVersion, finalizers } }, 'merge');
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 4) throw e;
      }
    }
  }
}
