import type { KubeList, KubeObject } from '../../src-main/api/types.js';
import type { PassiveClock } from '../../src-main/api/clock.js';
import { nowISO } from '../../src-main/api/time.js';
import { jsonMergePatch } from '../../src-main/apiserver/patch/mergePatch.js';
import { ApiClient, ApiRequestError, type DeleteOpts, type ListQuery, type PatchType, type WatchEvent, type WatchHandle, type WatchQuery } from '../../src-main/client/apiClient.js';

// The one fake API client of the unit tests, shaped after client-go's fake clientset: a real
// ApiClient subclass (so it type-checks against the real surface) whose verbs work on an
// in-memory object map and are all recorded, in order, as actions. A test changes what a verb
// does with a reactor (fail a binding, answer 404 for one name, mirror a write into a fake
// informer) instead of writing another fake client.
//
// What the default verbs do is what the API server does in the ways controllers depend on:
// resourceVersions increase, create assigns uid, generation 1 and creationTimestamp (from the
// clock) and refuses a taken name (409 AlreadyExists), update refuses a stale resourceVersion
// (409 Conflict), keeps status on the main resource and spec on /status, and bumps generation
// when spec changes; get, update, patch and delete of a missing object answer 404. Patches of
// every type are applied as JSON merge patches (enough for what the components send: metadata
// and status maps). Watches receive the writes made through this client and anything a test
// emits.

export type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete' | 'bind' | 'watch' | 'request';

export interface Action {
  verb: Verb;
  resource: string;
  namespace?: string;
  name?: string;
  /** The object (create, update), the patch (patch), the request body (request) or the options (delete). */
  body?: unknown;
  sub?: string;
  patchType?: PatchType;
  /** Only for `request`: the raw method and path. */
  method?: string;
  path?: string;
}

/** Returns undefined to let the next reactor (and finally the default) handle the action. */
export type Reactor = (action: Action) => unknown;

export interface FakeWatch {
  resource: string;
  namespace?: string;
  query: WatchQuery;
  stopped: boolean;
  onEvent: (e: WatchEvent) => void;
  onEnd: (err?: Error) => void;
}

const notFound = (resource: string, name: string) => new ApiRequestError(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 }, `${resource} "${name}" not found`);
const conflict = (resource: string, name: string, reason: 'AlreadyExists' | 'Conflict', message: string) =>
  new ApiRequestError(409, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason, code: 409 }, `${resource} "${name}" ${message}`);

export class FakeApiClient extends ApiClient {
  readonly actions: Action[] = [];
  readonly watches: FakeWatch[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly reactors: { verb: Verb | '*'; resource: string; fn: Reactor }[] = [];
  private rv = 0;
  private uids = 0;

  constructor(private readonly clock: PassiveClock = { now: () => Date.now() }) {
    // Never connects: every verb is answered here (the agent it creates is closed by close()).
    super({ url: 'https://127.0.0.1:1', token: 'fake', ca: '' });
  }

  /** Handles `verb` on `resource` ('*' for any) before earlier reactors and the default. */
  react(verb: Verb | '*', resource: string, fn: Reactor): this {
    this.reactors.unshift({ verb, resource, fn });
    return this;
  }

  /** Puts objects in place without recording an action (the state before the test begins). */
  seed(resource: string, ...objs: KubeObject[]): this {
    for (const o of objs) {
      const copy = structuredClone(o);
      copy.metadata = { ...copy.metadata, resourceVersion: copy.metadata.resourceVersion ?? String(this.rv + 1) };
      this.rv = Math.max(this.rv, Number(copy.metadata.resourceVersion));
      this.objects.set(this.key(resource, copy.metadata.namespace, copy.metadata.name!), copy);
    }
    return this;
  }

  /** The stored object, or undefined. */
  object<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, name: string): T | undefined {
    const o = this.objects.get(this.key(resource, namespace, name));
    return o && (structuredClone(o) as T);
  }

  /** Every stored object of a resource, in the order they were first stored. */
  stored<T extends KubeObject = KubeObject>(resource: string): T[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${resource}/`)).map(([, o]) => structuredClone(o) as T);
  }

  /** The recorded actions of one verb (and resource, and subresource, if given). */
  actionsOf(verb: Verb, resource?: string, sub?: string): Action[] {
    return this.actions.filter((a) => a.verb === verb && (resource === undefined || a.resource === resource) && (sub === undefined || a.sub === sub));
  }

  /** Delivers an event to the open watches of the resource (and namespace). */
  emit(resource: string, event: WatchEvent): void {
    for (const w of this.watches) {
      if (w.stopped || w.resource !== resource) continue;
      if (w.namespace && w.namespace !== event.object.metadata.namespace) continue;
      w.onEvent(structuredClone(event));
    }
  }

  override get<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, name: string): Promise<T> {
    return this.run({ verb: 'get', resource, namespace, name }, () => {
      const o = this.object<T>(resource, namespace, name);
      if (!o) throw notFound(resource, name);
      return o;
    });
  }

  override list<T extends KubeObject = KubeObject>(resource: string, namespace?: string, q: ListQuery = {}): Promise<KubeList<T>> {
    return this.run({ verb: 'list', resource, namespace, body: q }, () => ({
      apiVersion: 'v1',
      kind: 'List',
      items: this.stored<T>(resource).filter((o) => !namespace || o.metadata.namespace === namespace),
      metadata: { resourceVersion: String(this.rv) },
    }));
  }

  override create<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, obj: KubeObject): Promise<T> {
    return this.run({ verb: 'create', resource, namespace, name: obj.metadata.name, body: structuredClone(obj) }, () => {
      const o = structuredClone(obj);
      const name = o.metadata.name ?? `${o.metadata.generateName ?? ''}${(++this.uids).toString(36).padStart(5, '0')}`;
      const k = this.key(resource, namespace, name);
      if (this.objects.has(k)) throw conflict(resource, name, 'AlreadyExists', 'already exists');
      o.metadata = { ...o.metadata, name, ...(namespace ? { namespace } : {}), uid: `uid-${++this.uids}`, resourceVersion: String(++this.rv), generation: 1, creationTimestamp: nowISO(this.clock.now()) };
      return this.store(resource, k, o, 'ADDED') as T;
    });
  }

  override update<T extends KubeObject = KubeObject>(resource: string, obj: KubeObject, sub?: 'status'): Promise<T> {
    const { namespace, name } = obj.metadata;
    return this.run({ verb: 'update', resource, namespace, name, sub, body: structuredClone(obj) }, () => {
      const k = this.key(resource, namespace, name!);
      const old = this.objects.get(k);
      if (!old) throw notFound(resource, name!);
      if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
        throw conflict(resource, name!, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const next = (sub === 'status' ? { ...structuredClone(old), status: structuredClone(obj.status) } : { ...structuredClone(obj), status: structuredClone(old.status) }) as KubeObject;
      const specChanged = sub !== 'status' && JSON.stringify(next.spec) !== JSON.stringify(old.spec);
      next.metadata = {
        ...next.metadata,
        uid: old.metadata.uid,
        creationTimestamp: old.metadata.creationTimestamp,
        generation: (old.metadata.generation ?? 0) + (specChanged ? 1 : 0),
        resourceVersion: String(++this.rv),
      };
      return this.store(resource, k, next, 'MODIFIED') as T;
    });
  }

  override patch<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, name: string, patch: unknown, type: PatchType = 'merge', sub?: string): Promise<T> {
    return this.run({ verb: 'patch', resource, namespace, name, sub, patchType: type, body: structuredClone(patch) }, () => {
      const k = this.key(resource, namespace, name);
      const old = this.objects.get(k);
      if (!old) throw notFound(resource, name);
      const next = jsonMergePatch(old, patch) as KubeObject;
      next.metadata = { ...next.metadata, resourceVersion: String(++this.rv) };
      return this.store(resource, k, next, 'MODIFIED') as T;
    });
  }

  override delete<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, name: string, opts: DeleteOpts = {}): Promise<T> {
    return this.run({ verb: 'delete', resource, namespace, name, body: opts }, () => {
      const k = this.key(resource, namespace, name);
      const old = this.objects.get(k);
      if (!old) throw notFound(resource, name);
      this.objects.delete(k);
      const gone = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
      this.emit(resource, { type: 'DELETED', object: gone });
      return structuredClone(gone) as T;
    });
  }

  override bind(namespace: string, pod: string, node: string): Promise<unknown> {
    return this.run({ verb: 'bind', resource: 'pods', namespace, name: pod, sub: 'binding', body: { target: { kind: 'Node', name: node } } }, () => this.setNode(namespace, pod, node));
  }

  /** Raw requests: a Binding POST binds (as bind() does); anything else must be handled by a reactor. */
  override request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const binding = /\/namespaces\/([^/]+)\/pods\/([^/]+)\/binding$/.exec(path);
    const action: Action = binding
      ? { verb: 'request', method, path, resource: 'pods', namespace: binding[1], name: binding[2], sub: 'binding', body: structuredClone(body) }
      : { verb: 'request', method, path, resource: '', body: structuredClone(body) };
    return this.run(action, () => {
      if (!binding) throw new Error(`FakeApiClient: no reactor for ${method} ${path}`);
      return this.setNode(binding[1]!, binding[2]!, (body as { target: { name: string } }).target.name);
    }) as Promise<T>;
  }

  override watch<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, q: WatchQuery, onEvent: (e: WatchEvent<T>) => void, onEnd: (err?: Error) => void): WatchHandle {
    this.actions.push({ verb: 'watch', resource, namespace, body: q });
    const w: FakeWatch = { resource, namespace, query: q, stopped: false, onEvent: onEvent as (e: WatchEvent) => void, onEnd };
    this.watches.push(w);
    return { stop: () => void (w.stopped = true) };
  }

  private key(resource: string, namespace: string | undefined, name: string): string {
    return `${resource}/${namespace ?? ''}/${name}`;
  }

  private store(resource: string, k: string, o: KubeObject, type: 'ADDED' | 'MODIFIED'): KubeObject {
    this.objects.set(k, o);
    this.emit(resource, { type, object: o });
    return structuredClone(o);
  }

  private setNode(namespace: string, pod: string, node: string): unknown {
    const k = this.key('pods', namespace, pod);
    const old = this.objects.get(k);
    if (!old) throw notFound('pods', pod);
    const next = structuredClone(old);
    next.spec = { ...next.spec, nodeName: node };
    next.metadata.resourceVersion = String(++this.rv);
    this.store('pods', k, next, 'MODIFIED');
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  }

  /** Records the action, then lets the reactors answer it, newest first, then the default. */
  private async run<T>(action: Action, fallback: () => T): Promise<T> {
    this.actions.push(action);
    for (const r of this.reactors) {
      if ((r.verb !== '*' && r.verb !== action.verb) || (r.resource !== '*' && r.resource !== action.resource)) continue;
      const out = await r.fn(action);
      if (out !== undefined) return out as T;
    }
    return fallback();
  }
}
