import type { KubeObject } from '../api/types.js';
import { ApiClient, ApiRequestError, type WatchHandle } from './apiClient.js';

// A shared informer (client-go's reflector + indexer + handlers): list, then watch from the
// list's resourceVersion; on 410 Expired or a failed watch, relist and reconcile the cache with
// synthetic add/update/delete events; on a clean end of the stream, watch again from the last
// resourceVersion seen. Handlers run synchronously on each change, after the cache is updated.

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Delay before relisting after an error (grows up to 5 s while errors repeat). */
  retryMs?: number;
  /**
   * Applied to every object from the server before it is cached or handed to handlers
   * (client-go's SetTransform), e.g. trimManagedFields.
   */
  transform?: (obj: KubeObject) => KubeObject;
}

export type IndexFunc<T> = (obj: T) => string[];

/**
 * Drops metadata.managedFields: kube-controller-manager and kube-scheduler trim them from their
 * informer caches the same way (no controller reads them; they are a third of a pod's bytes). A
 * component that writes a cached object back sends no managedFields, so the API server keeps
 * the stored ones.
 */
export function trimManagedFields<T extends KubeObject>(obj: T): T {
  if (obj?.metadata?.managedFields !== undefined) delete obj.metadata.managedFields;
  return obj;
}

export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private readonly indexers = new Map<string, IndexFunc<T>>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();
  private watchHandle: WatchHandle | undefined;
  private lastRV = '';
  private stopped = false;
  private started = false;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: ApiClient,
    readonly resource: string,
    private readonly opts: InformerOptions = {},
  ) {}

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
    // A handler added late sees the current state, as client-go's AddEventHandler does.
    if (this.synced) for (const obj of this.cache.values()) h.onAdd?.(obj);
  }

  addIndex(name: string, fn: IndexFunc<T>): void {
    this.indexers.set(name, fn);
    const idx = new Map<string, Set<string>>();
    this.indexes.set(name, idx);
    for (const [k, obj] of this.cache) for (const v of fn(obj)) addTo(idx, v, k);
  }

  byIndex(name: string, value: string): T[] {
    const keys = this.indexes.get(name)?.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.cache.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace ? all.filter((o) => o.metadata.namespace === namespace) : all;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get resourceVersion(): string {
    return this.lastRV;
  }

  /** Starts list+watch; resolves after the first list is in the cache. */
  start(): Promise<void> {
    if (!this.started) {
      this.started = true;
      void this.relist();
    }
    return this.waitForSync();
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.watchHandle?.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    let list;
    try {
      list = await this.client.list<T>(this.resource, this.opts.namespace, {
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      });
    } catch {
      this.retry();
      return;
    }
    if (this.stopped) return;
    this.failures = 0;
    const seen = new Set<string>();
    const transform = this.opts.transform;
    for (const item of list.items) {
      const obj = transform ? (transform(item) as T) : item;
      const k = keyOf(obj);
      seen.add(k);
      this.apply('upsert', obj, k);
    }
    for (const [k, obj] of [...this.cache]) if (!seen.has(k)) this.apply('delete', obj, k);
    this.lastRV = list.metadata.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
    this.watch();
  }

  private watch(): void {
    if (this.stopped) return;
    this.watchHandle = this.client.watch<T>(
      this.resource,
      this.opts.namespace,
      {
        resourceVersion: this.lastRV,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        allowWatchBookmarks: true,
        timeoutSeconds: 300 + Math.floor(Math.random() * 300),
      },
      (ev) => {
        const rv = ev.object?.metadata?.resourceVersion;
        if (ev.type === 'BOOKMARK') {
          if (rv) this.lastRV = rv;
          return;
        }
        const obj = this.opts.transform ? (this.opts.transform(ev.object) as T) : ev.object;
        const k = keyOf(obj);
        if (ev.type === 'DELETED') this.apply('delete', this.cache.get(k) ?? obj, k, obj);
        else this.apply('upsert', obj, k);
        if (rv) this.lastRV = rv;
      },
      (err) => {
        if (this.stopped) return;
        if (err instanceof ApiRequestError && err.code === 410) {
          void this.relist();
        } else if (err) {
          this.retry();
        } else {
          this.watch(); // the server closed the stream at timeoutSeconds: carry on from lastRV
        }
      },
    );
  }

  private retry(): void {
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min(5000, (this.opts.retryMs ?? 200) * 2 ** Math.min(this.failures - 1, 5));
    this.retryTimer = setTimeout(() => void this.relist(), delay);
  }

  private apply(kind: 'upsert' | 'delete', obj: T, k: string, finalState?: T): void {
    const old = this.cache.get(k);
    if (kind === 'delete') {
      if (!old) return;
      this.cache.delete(k);
      this.unindex(old, k);
      for (const h of this.handlers) h.onDelete?.(finalState ?? old);
      return;
    }
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    this.cache.set(k, obj);
    if (old) this.unindex(old, k);
    for (const [name, fn] of this.indexers) for (const v of fn(obj)) addTo(this.indexes.get(name)!, v, k);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }

  private unindex(obj: T, k: string): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        if (set) {
          set.delete(k);
          if (!set.size) idx.delete(v);
        }
      }
    }
  }
}

function addTo(idx: Map<string, Set<string>>, v: string, k: string): void {
  let set = idx.get(v);
  if (!set) idx.set(v, (set = new Set()));
  set.add(k);
}

export interface InformerFactoryOptions {
  /** Applied to every object of every informer of the factory (see InformerOptions.transform). */
  transform?: (obj: KubeObject) => KubeObject;
}

/**
 * One informer per resource, shared by every controller of a process. When several components
 * run in one process (the control plane runs the controller manager and the scheduler), they may
 * share one factory: each calls acquire() and releases on stop; the informers stop with the last.
 */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();
  private users = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: InformerFactoryOptions = {},
  ) {}

  informer<T extends KubeObject = KubeObject>(resource: string): Informer<T> {
    let inf = this.informers.get(resource);
    if (!inf) this.informers.set(resource, (inf = new Informer(this.client, resource, { transform: this.opts.transform })));
    return inf as unknown as Informer<T>;
  }

  /** Registers a user; the returned function (idempotent) releases it, and stops every informer once no user is left. */
  acquire(): () => void {
    this.users++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users <= 0) this.stop();
    };
  }

  /** Starts every informer requested so far and waits until all have listed. */
  async start(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
