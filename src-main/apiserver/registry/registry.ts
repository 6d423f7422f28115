import { randomUUID, randomInt } from 'node:crypto';
import type { Ingress, KubeObject, Namespace, ObjectMeta, Service, Pod } from '../../api/types.js';
import { apiVersionOf, objectKey, resourceByKey, type ResourceDef } from '../../api/resources.js';
import { applyDefaults } from '../../api/defaults/index.js';
import { validateCreate, validateUpdate } from '../../api/validation/index.js';
import type { FieldError } from '../../api/validation/fieldErrors.js';
import { Store } from '../../store/store.js';
import { StoreError } from '../../store/events.js';
import { ApiError, errors } from '../status.js';
import { recordUpdateManager } from '../patch/index.js';
import { ClusterIPAllocator, NodePortAllocator } from './allocators.js';
import { ServiceAllocation } from './serviceAllocation.js';
import type { ResourceStrategy } from './strategy.js';
import { buildStrategies, strategyOf } from './strategies/index.js';
import { SYSTEM_NAMESPACES } from './strategies/namespaces.js';
import { matchesRequirements, type LabelRequirement } from '../../api/selectors/labels.js';
import { matchesFields, type FieldRequirement } from '../../api/selectors/fields.js';
import { nowISO } from '../../api/time.js';
import { admitPodServiceAccount } from '../admission/serviceAccount.js';
import { admitIngressClass } from '../admission/defaultIngressClass.js';

// The generic registry (kube's genericregistry.Store): the object lifecycle shared by every
// resource — names, uid, creationTimestamp, generation, status/spec separation, defaulting,
// validation, compare-and-swap, graceful deletion and finalizers — on top of the store. Only
// this layer writes to the store.

export interface WriteContext {
  fieldManager: string;
  dryRun: boolean;
  now?: Date;
  /** Server-side apply already computed metadata.managedFields; keep them as given. */
  managedFieldsSet?: boolean;
  /** Admission of an update (throws ApiError to refuse): the stored object and the requested one, before the strategy. */
  admitUpdate?: (r: ResourceDef, old: KubeObject, updated: KubeObject, subresource?: string) => void;
}

export interface ListOptions {
  labels?: LabelRequirement[];
  fields?: FieldRequirement[];
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  items: { obj: KubeObject; json: string }[];
  resourceVersion: string;
  continueToken?: string;
  remaining?: number;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  orphanDependents?: boolean;
}

export interface RegistryOptions {
  serviceCIDR?: string;
  nodePortRange?: [number, number];
  /** tolerationSeconds of the default not-ready/unreachable tolerations added to new pods. */
  defaultTolerationSeconds?: number;
  /**
   * Run the ServiceAccount admission plugin on pod creation (kube's default). It needs the
   * service account controller to make each namespace's `default` ServiceAccount, so a control
   * plane without controllers leaves it off.
   */
  serviceAccountAdmission?: boolean;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function clone<T>(o: T): T {
  return structuredClone(o);
}


/** JSON of an object without the fields that change on every write: no-op update detection. */
function comparable(o: KubeObject): string {
  const { resourceVersion: _rv, managedFields: _mf, ...meta } = o.metadata;
  return JSON.stringify({ ...o, metadata: meta });
}

export class Registry {
  readonly services: ServiceAllocation;
  private readonly strategies: Map<string, ResourceStrategy>;

  private readonly serviceAccountAdmission: boolean;

  constructor(
    readonly store: Store,
    opts: RegistryOptions = {},
  ) {
    this.serviceAccountAdmission = !!opts.serviceAccountAdmission;
    const [min, max] = opts.nodePortRange ?? [30000, 32767];
    this.services = new ServiceAllocation(new ClusterIPAllocator(opts.serviceCIDR ?? '10.96.0.0/16'), new NodePortAllocator(min, max));
    this.strategies = buildStrategies({ defaultTolerationSeconds: opts.defaultTolerationSeconds ?? 300, services: this.services });
  }

  /** The per-kind rules of a resource (kube's registry strategy). */
  strategy(r: ResourceDef): ResourceStrategy {
    return strategyOf(this.strategies, r);
  }

  /** Rebuilds allocator state and makes sure the system namespaces and `kubernetes` Service exist. */
  async init(): Promise<void> {
    for (const { obj } of this.store.scan('services')) this.services.restore(obj as Service);
    const ctx: WriteContext = { fieldManager: 'flotilla-apiserver', dryRun: false };
    const nsDef = resourceByKey('namespaces')!;
    for (const ns of SYSTEM_NAMESPACES) {
      if (!this.store.get('namespaces', ns)) await this.create(nsDef, undefined, { metadata: { name: ns } }, ctx);
    }
    const svcDef = resourceByKey('services')!;
    if (!this.store.get('services', 'default/kubernetes')) {
      const ip = this.services.ips.apiServiceIP;
      await this.create(
        svcDef,
        'default',
        {
          metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
          spec: { type: 'ClusterIP', clusterIP: ip, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
        },
        ctx,
      );
    }
  }

  // ---- reads ----

  get(r: ResourceDef, ns: string | undefined, name: string): KubeObject {
    const obj = this.store.get(r.key, objectKey(r, ns, name));
    if (!obj) throw errors.notFound(r, name);
    return obj;
  }

  getJSON(r: ResourceDef, ns: string | undefined, name: string): string {
    const json = this.store.getJSON(r.key, objectKey(r, ns, name));
    if (json === undefined) throw errors.notFound(r, name);
    return json;
  }

  list(r: ResourceDef, ns: string | undefined, opts: ListOptions = {}): ListResult {
    const rv = String(this.store.currentRV());
    let after = '';
    if (opts.continueToken) {
      try {
        const tok = JSON.parse(Buffer.from(opts.continueToken, 'base64url').toString()) as { k: string };
        after = tok.k;
      } catch {
        throw errors.badRequest('continue key is not valid: illegal base64 data');
      }
    }
    const prefix = r.namespaced && ns ? `${ns}/` : '';
    const items: { obj: KubeObject; json: string }[] = [];
    let lastKey = '';
    let more = false;
    for (const e of this.store.scan(r.key, prefix, after)) {
      if (opts.labels?.length && !matchesRequirements(opts.labels, e.sel.metadata.labels)) continue;
      if (opts.fields?.length && !matchesFields(opts.fields, r.key, e.sel)) continue;
      if (opts.limit && items.length >= opts.limit) {
        more = true;
        break;
      }
      items.push(e);
      lastKey = e.key;
    }
    const res: ListResult = { items, resourceVersion: rv };
    if (more) res.continueToken = Buffer.from(JSON.stringify({ v: rv, k: lastKey })).toString('base64url');
    return res;
  }

  // ---- create ----

  async create(r: ResourceDef, ns: string | undefined, body: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    const obj = this.prepareNew(r, ns, await this.admitCreate(r, ns, body), ctx);
    return this.persistCreate(r, obj, ctx);
  }

  /**
   * Mutating admission of a create (before defaulting and validation, as in kube). Works on a copy;
   * a body that is not an object, or names a namespace that does not exist, is left for
   * prepareNew to refuse (kube's NamespaceLifecycle runs first).
   */
  private async admitCreate(r: ResourceDef, ns: string | undefined, body: KubeObject): Promise<KubeObject> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
    if (r.key === 'ingresses.networking.k8s.io') {
      const ing = clone(body) as Ingress;
      admitIngressClass(this.store, ing);
      return ing;
    }
    if (r.key !== 'pods' || !this.serviceAccountAdmission) return body;
    const namespace = ns ?? body.metadata?.namespace;
    if (typeof namespace !== 'string' || !this.store.get('namespaces', namespace)) return body;
    const pod = clone(body) as Pod;
    await admitPodServiceAccount(this.store, namespace, pod);
    return pod;
  }

  private prepareNew(r: ResourceDef, ns: string | undefined, body: KubeObject, ctx: WriteContext): KubeObject {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the request body must be a JSON object');
    this.checkKind(r, body);
    const obj = clone(body);
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    const meta: ObjectMeta = (obj.metadata = { ...(obj.metadata ?? {}) });
    if (r.namespaced) {
      if (meta.namespace && ns && meta.namespace !== ns) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = ns ?? meta.namespace;
      if (!meta.namespace) throw errors.badRequest('the namespace of the object must be set');
      this.checkNamespaceWritable(r, meta.namespace, meta.name ?? meta.generateName ?? '');
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += NAME_CHARS[randomInt(NAME_CHARS.length)];
      meta.name = `${meta.generateName}${suffix}`;
    }
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (!ctx.managedFieldsSet) delete meta.managedFields;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowISO(ctx.now);
    const strategy = this.strategy(r);
    if (strategy.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    strategy.prepareForCreate(obj);
    applyDefaults(r.key, obj);
    const errs = validateCreate(r.key, obj);
    if (errs.length) throw errors.invalid(r, meta.name ?? '', errs);
    return obj;
  }

  private async persistCreate(r: ResourceDef, obj: KubeObject, ctx: WriteContext): Promise<KubeObject> {
    const key = objectKey(r, obj.metadata.namespace, obj.metadata.name!);
    if (this.store.has(r.key, key)) throw errors.alreadyExists(r, obj.metadata.name!);
    const allocation = this.strategy(r).allocation;
    if (allocation) {
      // A dry run allocates as a real create would (so it answers with the address and ports, or
      // the same conflict), then gives everything back in the same turn: nothing is kept.
      const errs = allocation.onCreate(obj);
      if (errs.length) throw errors.invalid(r, obj.metadata.name!, errs);
      if (ctx.dryRun) allocation.onDelete(obj);
    }
    if (!ctx.managedFieldsSet) {
      recordUpdateManager(undefined, obj as Record<string, unknown>, { manager: ctx.fieldManager, operation: 'Update', apiVersion: apiVersionOf(r), now: nowISO(ctx.now) });
    }
    if (ctx.dryRun) return obj;
    try {
      return await this.store.create(r.key, key, obj);
    } catch (e) {
      allocation?.onDelete(obj);
      throw this.storeError(r, obj.metadata.name!, e);
    }
  }

  // ---- update ----

  /**
   * Replaces an object (PUT, and the last step of every PATCH). `subresource` 'status' changes only
   * status; the main resource never changes status for resources that have a status subresource.
   */
  async update(
    r: ResourceDef,
    ns: string | undefined,
    name: string,
    body: KubeObject,
    ctx: WriteContext,
    subresource?: 'status' | 'finalize',
  ): Promise<{ obj: KubeObject; created: boolean }> {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the request body must be a JSON object');
    this.checkKind(r, body);
    if (body.metadata?.name && body.metadata.name !== name) {
      throw errors.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (r.namespaced && body.metadata?.namespace && ns && body.metadata.namespace !== ns) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const key = objectKey(r, ns, name);
    const old = this.store.get(r.key, key);
    if (!old) {
      if (!r.allowCreateOnUpdate || subresource) throw errors.notFound(r, name);
      if (body.metadata?.resourceVersion) throw errors.notFound(r, name);
      // A create by PUT (or server-side apply) is admitted as a create, as in kube.
      const obj = this.prepareNew(r, ns, await this.admitCreate(r, ns, { ...body, metadata: { ...body.metadata, name } }), ctx);
      return { obj: await this.persistCreate(r, obj, ctx), created: true };
    }
    const wantRV = body.metadata?.resourceVersion;
    if (wantRV && wantRV !== old.metadata.resourceVersion) throw errors.conflict(r, name);
    ctx.admitUpdate?.(r, old, body, subresource);

    const strategy = this.strategy(r);
    let obj: KubeObject;
    if (subresource === 'status') {
      // Only status changes; spec and metadata stay as stored (kube's status strategies), except
      // what a kind's status strategy also lets through.
      obj = { ...this.store.getMutable(r.key, key)!, status: clone(body.status) };
      strategy.prepareForStatusUpdate(obj, body);
    } else if (subresource === 'finalize') {
      obj = this.store.getMutable(r.key, key)!;
      obj.spec = { ...(obj.spec ?? {}), finalizers: clone(body.spec?.finalizers ?? []) };
    } else {
      obj = clone(body);
      strategy.prepareForUpdate(obj, old);
    }
    obj.apiVersion = apiVersionOf(r);
    obj.kind = r.kind;
    const meta: ObjectMeta = (obj.metadata = { ...(obj.metadata ?? {}) });
    // Server-owned metadata cannot be changed by clients.
    meta.name = name;
    if (r.namespaced) meta.namespace = ns;
    else delete meta.namespace;
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.resourceVersion = old.metadata.resourceVersion;
    if (old.metadata.deletionTimestamp) {
      meta.deletionTimestamp = old.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      const added = (meta.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
      if (added.length) {
        throw errors.forbidden(r, name, `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`);
      }
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (old.metadata.generation !== undefined) meta.generation = old.metadata.generation;
    else delete meta.generation;
    if (!ctx.managedFieldsSet) meta.managedFields = old.metadata.managedFields;
    if (!meta.finalizers?.length) delete meta.finalizers;

    applyDefaults(r.key, obj);
    const errs: FieldError[] = validateUpdate(r.key, obj, old);
    if (errs.length) throw errors.invalid(r, name, errs);

    if (strategy.tracksGeneration && JSON.stringify(obj.spec) !== JSON.stringify(old.spec)) {
      meta.generation = (old.metadata.generation ?? 0) + 1;
    }
    strategy.afterUpdate(obj);

    // An object being deleted goes away once its last finalizer is removed (pods with a grace
    // period wait for their kubelet's final delete instead).
    if (meta.deletionTimestamp && !meta.finalizers?.length && !strategy.pendingFinalizers(obj).length && !(meta.deletionGracePeriodSeconds ?? 0)) {
      if (ctx.dryRun) return { obj, created: false };
      return { obj: await this.remove(r, key, old), created: false };
    }

    if (comparable(obj) === comparable(old)) return { obj: old, created: false };

    if (strategy.allocation && !ctx.dryRun) {
      const serr = strategy.allocation.onUpdate(obj, old);
      if (serr.length) throw errors.invalid(r, name, serr);
    }
    if (!ctx.managedFieldsSet) {
      recordUpdateManager(old as Record<string, unknown>, obj as Record<string, unknown>, {
        manager: ctx.fieldManager,
        operation: 'Update',
        apiVersion: apiVersionOf(r),
        now: nowISO(ctx.now),
        subresource: subresource === 'status' ? 'status' : undefined,
      });
    }
    if (ctx.dryRun) return { obj, created: false };
    try {
      return { obj: await this.store.update(r.key, key, obj, old.metadata.resourceVersion), created: false };
    } catch (e) {
      throw this.storeError(r, name, e);
    }
  }

  // ---- delete ----

  /** Returns the object as it is after the call and whether it is gone from the store. */
  async delete(r: ResourceDef, ns: string | undefined, name: string, opts: DeleteOptions, ctx: WriteContext): Promise<{ obj: KubeObject; gone: boolean }> {
    const key = objectKey(r, ns, name);
    const old = this.store.get(r.key, key);
    if (!old) throw errors.notFound(r, name);
    if (opts.preconditions?.uid && opts.preconditions.uid !== old.metadata.uid) {
      throw errors.conflict(r, name, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== old.metadata.resourceVersion) {
      throw errors.conflict(r, name, `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    }
    const strategy = this.strategy(r);
    const forbidden = strategy.deleteForbidden(name);
    if (forbidden) throw errors.forbidden(r, name, forbidden);

    const finalizers = [...(old.metadata.finalizers ?? [])];
    const policy = opts.propagationPolicy ?? (opts.orphanDependents ? 'Orphan' : undefined);
    // Foreground and Orphan are carried out by the garbage collector through these finalizers.
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (policy === 'Background') {
      const i = finalizers.indexOf('orphan');
      if (i >= 0 && !old.metadata.deletionTimestamp) finalizers.splice(i, 1);
    }

    const grace = strategy.gracePeriod(old, opts.gracePeriodSeconds);
    const pending = strategy.pendingFinalizers(old);
    const graceful = finalizers.length > 0 || grace > 0 || pending.length > 0;
    if (!graceful) {
      if (ctx.dryRun) return { obj: old, gone: true };
      return { obj: await this.remove(r, key, old), gone: true };
    }

    const obj = this.store.getMutable(r.key, key)!;
    const now = ctx.now ?? new Date();
    if (!obj.metadata.deletionTimestamp) {
      obj.metadata.deletionTimestamp = nowISO(new Date(now.getTime() + grace * 1000));
      obj.metadata.deletionGracePeriodSeconds = grace;
    } else if (grace < (obj.metadata.deletionGracePeriodSeconds ?? 0)) {
      // A second delete may shorten, never lengthen, the grace period.
      obj.metadata.deletionTimestamp = nowISO(new Date(now.getTime() + grace * 1000));
      obj.metadata.deletionGracePeriodSeconds = grace;
    } else if (grace === 0 && !finalizers.length && !pending.length) {
      if (ctx.dryRun) return { obj: old, gone: true };
      return { obj: await this.remove(r, key, old), gone: true };
    }
    obj.metadata.finalizers = finalizers.length ? finalizers : undefined;
    if (!obj.metadata.finalizers) delete obj.metadata.finalizers;
    strategy.onGracefulDelete(obj);
    if (strategy.removeOnZeroGrace && grace === 0 && !finalizers.length) {
      if (ctx.dryRun) return { obj: old, gone: true };
      return { obj: await this.remove(r, key, old), gone: true };
    }
    if (comparable(obj) === comparable(old)) return { obj: old, gone: false };
    if (ctx.dryRun) return { obj, gone: false };
    try {
      return { obj: await this.store.update(r.key, key, obj, old.metadata.resourceVersion), gone: false };
    } catch (e) {
      throw this.storeError(r, name, e);
    }
  }

  private async remove(r: ResourceDef, key: string, old: KubeObject): Promise<KubeObject> {
    try {
      const obj = await this.store.delete(r.key, key, old.metadata.resourceVersion);
      this.strategy(r).allocation?.onDelete(old);
      return obj;
    } catch (e) {
      throw this.storeError(r, old.metadata.name!, e);
    }
  }

  // ---- helpers ----

  private checkKind(r: ResourceDef, body: KubeObject): void {
    if (body.kind && body.kind !== r.kind) {
      throw errors.badRequest(`the kind in the request body (${body.kind}) does not match the resource (${r.kind})`);
    }
    if (body.apiVersion && body.apiVersion !== apiVersionOf(r)) {
      throw errors.badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(r)})`);
    }
  }

  private checkNamespaceWritable(r: ResourceDef, ns: string, name: string): void {
    const nsObj = this.store.get('namespaces', ns) as Namespace | undefined;
    if (!nsObj) throw errors.notFound({ group: '', plural: 'namespaces' }, ns);
    if ((nsObj.metadata.deletionTimestamp || nsObj.status?.phase === 'Terminating') && !this.strategy(r).allowedInTerminatingNamespace) {
      throw errors.forbidden(r, name, `unable to create new content in namespace ${ns} because it is being terminated`, [
        { reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  }

  private storeError(r: ResourceDef, name: string, e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    if (e instanceof StoreError) {
      if (e.reason === 'NotFound') return errors.notFound(r, name);
      if (e.reason === 'AlreadyExists') return errors.alreadyExists(r, name);
      if (e.reason === 'Conflict') return errors.conflict(r, name);
    }
    return errors.internal((e as Error).message);
  }

  /** Marks a pod bound to a node (pods/binding). */
  /** Binding annotations are copied onto the pod, as kube-apiserver does. */
  async bind(ns: string, name: string, nodeName: string, ctx: WriteContext, annotations?: Record<string, string>): Promise<KubeObject> {
    const r = resourceByKey('pods')!;
    // A private copy of the pod (stored objects are shared), which becomes the bound pod.
    const obj = this.store.getMutable(r.key, objectKey(r, ns, name)) as Pod | undefined;
    if (!obj) throw errors.notFound(r, name);
    if (obj.spec.nodeName) throw errors.conflict(r, name, `pod ${name} is already assigned to node "${obj.spec.nodeName}"`);
    if (obj.metadata.deletionTimestamp) throw errors.conflict(r, name, `pod ${name} is being deleted, cannot be assigned to a host`);
    const rv = obj.metadata.resourceVersion;
    obj.spec.nodeName = nodeName;
    if (annotations && Object.keys(annotations).length) obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), ...annotations };
    obj.status ??= {};
    const conds = (obj.status.conditions ??= []).filter((c) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowISO(ctx.now) });
    obj.status.conditions = conds;
    if (ctx.dryRun) return obj;
    try {
      return await this.store.update(r.key, objectKey(r, ns, name), obj, rv);
    } catch (e) {
      throw this.storeError(r, name, e);
    }
  }
}
