import path from 'node:path';
import fs from 'node:fs';
import type { KubeObject } from '../api/types.js';
import { StoreError, StoreEvent, type StoreEventType } from './events.js';
import { VersionLog, type PendingWrite } from './persistence.js';
import { WatchHistory } from './watchHistory.js';
import { selectableView } from '../api/selectors/fields.js';

// The etcd role. One cluster-wide, monotonically increasing resourceVersion; compare-and-swap
// writes; reads from memory; a durable append-only log (persistence.ts); a bounded per-resource
// watch history (watchHistory.ts).
//
// Ordering rule: a write updates memory immediately (so the next compare-and-swap sees it) but
// is acknowledged, recorded in the watch history and delivered to watchers only after its batch
// is on disk. So every acknowledged write survives a crash, and watchers never see a change that
// could be lost. (A GET in the ~1 ms between the two may observe a not-yet-durable write.)
//
// Memory: like etcd and kube-apiserver's watch cache, objects are held serialised. Each entry
// keeps its JSON (what GET, LIST and watches send as is), the small view that label and field
// selectors read (selectableView), and a parsed copy only while it is hot: recently read, up to
// `hotObjects` entries. A cold object is parsed again when asked for, which costs
// less than the structuredClone every write used to make; a parsed object takes ~2x the memory
// of its JSON, and holding both for every object was most of the API server's heap.
//
// Objects handed out (get, and the results of writes) are shared and must be treated as
// immutable: callers build new objects (getMutable gives a private copy).

export interface StoreOptions {
  /** Folder for the datafile; null keeps everything in memory (unit tests, hollow benchmarks). */
  dataDir: string | null;
  /** Events kept per resource for watch replay. */
  historySize?: number;
  /** Parsed objects kept at hand (the most recently read); default 256. */
  hotObjects?: number;
}

interface Entry {
  rv: number;
  json: string;
  /** What selectors read: name, namespace, labels and the resource's selectable fields. */
  sel: KubeObject;
  /** The parsed object while the entry is hot. */
  obj: KubeObject | undefined;
}

/** An entry as scan() yields it: the object is parsed only if asked for. */
export class ScanItem {
  constructor(
    readonly key: string,
    private readonly entry: Entry,
  ) {}
  get json(): string {
    return this.entry.json;
  }
  /** Name, namespace, labels and selectable fields (for matching selectors without parsing). */
  get sel(): KubeObject {
    return this.entry.sel;
  }
  /** The object (shared when hot, else parsed now; immutable either way). */
  get obj(): KubeObject {
    return this.entry.obj ?? (JSON.parse(this.entry.json) as KubeObject);
  }
}

interface Waiting {
  write: PendingWrite;
  event: StoreEvent;
  stored: KubeObject;
  resolve: (obj: KubeObject) => void;
  reject: (err: Error) => void;
}

export type WatchHandler = (ev: StoreEvent) => void;

interface Watcher {
  fromRV: number;
  handler: WatchHandler;
}

export class Store {
  private rv = 0;
  private readonly data = new Map<string, Map<string, Entry>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly histories = new Map<string, WatchHistory>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private pending: Waiting[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  private failed: Error | null = null;
  private startRV = 0;
  private readonly historySize: number;
  /** Entries holding a parsed object, least recently used first. */
  private readonly hot = new Set<Entry>();
  private readonly hotLimit: number;

  private constructor(
    private readonly log: VersionLog,
    opts: StoreOptions,
  ) {
    this.historySize = opts.historySize ?? 10_000;
    this.hotLimit = opts.hotObjects ?? 256;
  }

  static async open(opts: StoreOptions): Promise<Store> {
    let file: string | null = null;
    if (opts.dataDir) {
      fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
      file = path.join(opts.dataDir, 'store.db');
    }
    const log = new VersionLog(file);
    const store = new Store(log, opts);
    const loaded = await log.load();
    for (const e of loaded.entries) {
      const obj = JSON.parse(e.json) as KubeObject;
      store.bucket(e.resource).set(e.key, { rv: e.rv, json: e.json, sel: selectableView(e.resource, obj), obj: undefined });
    }
    store.rv = loaded.maxRV;
    store.startRV = loaded.maxRV;
    return store;
  }

  /** The newest resourceVersion handed out (includes writes still being persisted). */
  currentRV(): number {
    return this.rv;
  }

  /** The object (shared: treat it as immutable). */
  get(resource: string, key: string): KubeObject | undefined {
    const e = this.data.get(resource)?.get(key);
    if (!e) return undefined;
    if (e.obj) {
      this.hot.delete(e);
      this.hot.add(e);
      return e.obj;
    }
    const obj = JSON.parse(e.json) as KubeObject;
    this.makeHot(e, obj);
    return obj;
  }

  /** A private copy of the object, free to modify. */
  getMutable(resource: string, key: string): KubeObject | undefined {
    const json = this.data.get(resource)?.get(key)?.json;
    return json === undefined ? undefined : (JSON.parse(json) as KubeObject);
  }

  has(resource: string, key: string): boolean {
    return this.data.get(resource)?.has(key) ?? false;
  }

  /** The JSON of the object's version `rv` when that is the current one (else undefined). */
  getJSONAt(resource: string, key: string, rv: string | undefined): string | undefined {
    const e = this.data.get(resource)?.get(key);
    return e && rv !== undefined && String(e.rv) === rv ? e.json : undefined;
  }

  /** The object's JSON as stored: lets the API server answer reads without re-serialising. */
  getJSON(resource: string, key: string): string | undefined {
    return this.data.get(resource)?.get(key)?.json;
  }

  /**
   * Entries in key order, optionally only keys starting with `prefix` (a namespace's "ns/"),
   * starting after `afterKey` (for continue tokens).
   */
  *scan(resource: string, prefix = '', afterKey = ''): Generator<ScanItem> {
    const bucket = this.data.get(resource);
    if (!bucket) return;
    const keys = this.keysOf(resource);
    let i = 0;
    const startAt = afterKey > prefix ? afterKey : prefix;
    if (startAt) {
      // Binary search for the first key >= startAt.
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (keys[mid]! < startAt) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    for (; i < keys.length; i++) {
      const key = keys[i]!;
      if (afterKey && key <= afterKey) continue;
      if (prefix && !key.startsWith(prefix)) break;
      const e = bucket.get(key);
      if (e) yield new ScanItem(key, e);
    }
  }

  count(resource: string): number {
    return this.data.get(resource)?.size ?? 0;
  }

  create(resource: string, key: string, obj: KubeObject): Promise<KubeObject> {
    if (this.bucket(resource).has(key)) {
      return Promise.reject(new StoreError('AlreadyExists', `${resource} ${key} already exists`));
    }
    return this.commit(resource, key, obj, 'ADDED', undefined);
  }

  /** Compare-and-swap when expectedRV is given; otherwise last-writer-wins on the current state. */
  update(resource: string, key: string, obj: KubeObject, expectedRV?: string): Promise<KubeObject> {
    const cur = this.bucket(resource).get(key);
    if (!cur) return Promise.reject(new StoreError('NotFound', `${resource} ${key} not found`));
    if (expectedRV !== undefined && expectedRV !== '' && String(cur.rv) !== expectedRV) {
      return Promise.reject(new StoreError('Conflict', `${resource} ${key}: resourceVersion ${expectedRV} is stale (now ${cur.rv})`));
    }
    return this.commit(resource, key, obj, 'MODIFIED', cur);
  }

  delete(resource: string, key: string, expectedRV?: string): Promise<KubeObject> {
    const cur = this.bucket(resource).get(key);
    if (!cur) return Promise.reject(new StoreError('NotFound', `${resource} ${key} not found`));
    if (expectedRV !== undefined && expectedRV !== '' && String(cur.rv) !== expectedRV) {
      return Promise.reject(new StoreError('Conflict', `${resource} ${key}: resourceVersion ${expectedRV} is stale (now ${cur.rv})`));
    }
    return this.commit(resource, key, undefined, 'DELETED', cur);
  }

  /**
   * Delivers every committed change of `resource` after `fromRV`, then live changes, until the
   * returned function is called. Throws StoreError Expired when fromRV is older than the history.
   */
  watch(resource: string, fromRV: number, handler: WatchHandler): () => void {
    const replay = this.history(resource).since(fromRV);
    if (!replay) {
      throw new StoreError('Expired', `too old resource version: ${fromRV} (${this.history(resource).floor})`);
    }
    for (const ev of replay) handler(ev);
    const last = replay.length ? replay[replay.length - 1]!.rv : fromRV;
    const w: Watcher = { fromRV: last, handler };
    let set = this.watchers.get(resource);
    if (!set) this.watchers.set(resource, (set = new Set()));
    set.add(w);
    return () => set.delete(w);
  }

  /** Resolves once every write issued so far is durable. */
  async settle(): Promise<void> {
    while (this.pending.length || this.flushScheduled) {
      await new Promise((r) => setImmediate(r));
      await this.flushing;
    }
    await this.flushing;
  }

  async close(): Promise<void> {
    await this.settle();
    await this.log.close();
  }

  private bucket(resource: string): Map<string, Entry> {
    let b = this.data.get(resource);
    if (!b) this.data.set(resource, (b = new Map()));
    return b;
  }

  private keysOf(resource: string): string[] {
    let keys = this.sortedKeys.get(resource);
    if (!keys) {
      keys = [...(this.data.get(resource)?.keys() ?? [])].sort();
      this.sortedKeys.set(resource, keys);
    }
    return keys;
  }

  private makeHot(e: Entry, obj: KubeObject): void {
    e.obj = obj;
    this.hot.delete(e);
    this.hot.add(e);
    if (this.hot.size > this.hotLimit) {
      const coldest = this.hot.values().next().value!;
      this.hot.delete(coldest);
      coldest.obj = undefined;
    }
  }

  private history(resource: string): WatchHistory {
    let h = this.histories.get(resource);
    if (!h) this.histories.set(resource, (h = new WatchHistory(this.historySize, this.startRV)));
    return h;
  }

  private commit(resource: string, key: string, obj: KubeObject | undefined, type: StoreEventType, cur: Entry | undefined): Promise<KubeObject> {
    if (this.failed) return Promise.reject(this.failed);
    const rv = ++this.rv;
    const bucket = this.bucket(resource);
    let stored: KubeObject;
    let json: string;
    let sel: KubeObject;
    if (obj) {
      stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
      json = JSON.stringify(stored);
      sel = selectableView(resource, stored);
      // Not made hot: most objects are not read again before their next write, and keeping
      // each new version at hand would only age it into the old generation of the heap.
      if (cur) this.hot.delete(cur);
      bucket.set(key, { rv, json, sel, obj: undefined });
      if (type === 'ADDED') this.sortedKeys.delete(resource);
    } else {
      // Like etcd, the DELETED event carries the last state at the deletion's revision.
      const last = cur!.obj ?? (JSON.parse(cur!.json) as KubeObject);
      stored = { ...last, metadata: { ...last.metadata, resourceVersion: String(rv) } };
      json = JSON.stringify(stored);
      sel = cur!.sel;
      this.hot.delete(cur!);
      bucket.delete(key);
      this.sortedKeys.delete(resource);
    }
    // The previous state's selector view is the one its entry already had: nothing is copied.
    const event = new StoreEvent(type, rv, resource, key, json, sel, type === 'MODIFIED' ? cur!.sel : undefined);
    return new Promise<KubeObject>((resolve, reject) => {
      this.pending.push({ write: { rv, resource, key, json: obj ? json : undefined }, event, stored, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate lets every request parsed in this I/O phase join the same append.
        setImmediate(() => {
          this.flushing = this.flushing.then(() => this.flush());
        });
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (!batch.length) return;
    try {
      await this.log.append(
        batch.map((w) => w.write),
        this.rv,
      );
    } catch (err) {
      // Memory already holds these writes; refuse further writes so nothing builds on them.
      // Restarting reloads the last durable state.
      this.failed = new Error(`storage failure: ${(err as Error).message}`);
      for (const w of batch) w.reject(this.failed);
      return;
    }
    for (const w of batch) {
      this.history(w.event.resource).push(w.event);
      const set = this.watchers.get(w.event.resource);
      if (set) {
        for (const watcher of set) {
          if (w.event.rv > watcher.fromRV) {
            try {
              watcher.handler(w.event);
            } catch {
              // A broken watcher must not stop the others or the acknowledgement.
              set.delete(watcher);
            }
          }
        }
      }
      w.resolve(w.stored);
    }
  }
}
