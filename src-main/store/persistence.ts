import fs from 'node:fs';
import { appendAll, closeDatafile, openDatafile, readDatafile, reopen, swapIn, syncFolder, writeSnapshot } from './datafile.js';

// The durable half of the store: an append-only version log in one datafile (datafile.ts: the
// line format of @seald-io/nedb, which earlier versions wrote through nedb-promises).
//
// Every write appends a document {_id: <resourceVersion>, r: resource, k: key, j: json} (or a
// tombstone {..., d: 1} for a deletion). Writes that arrive in the same event-loop turn are
// appended with ONE write(2) to the open datafile (datafile.ts says why a synchronous one),
// which is what lets the store acknowledge thousands of durable writes per second: the batch is
// in the file (in the OS) before the append resolves, so an acknowledged write survives
// `kill -9` of the process.
//
// Objects are stored as JSON strings rather than documents because Kubernetes keys
// ("kubectl.kubernetes.io/last-applied-configuration") contain dots, which nedb forbids in field
// names, and a string also spares copies.
//
// The newest version of each live key is also held in memory (LiveDocs: one small document per
// key, sharing the store's strings), from which compaction rewrites the file. Superseded
// versions and tombstones are removed in the background once they outnumber live objects,
// without stopping appends (a snapshot is written beside the file, then what was appended
// meanwhile is copied over and the snapshot renamed over the file); a `floor` document
// remembers the highest resourceVersion so that it never goes backwards even when the newest
// write was a deletion that compaction dropped.

interface LogDoc {
  _id: string;
  r?: string;
  k?: string;
  j?: string;
  d?: 1;
  rv?: number;
}

export interface LoadedEntry {
  resource: string;
  key: string;
  rv: number;
  json: string;
}

export interface LoadResult {
  entries: LoadedEntry[];
  maxRV: number;
}

export interface PendingWrite {
  rv: number;
  resource: string;
  key: string;
  /** undefined for a deletion. */
  json: string | undefined;
}

const FLOOR_ID = 'floor';

/**
 * The newest document of each live key (and the floor): exactly what a compaction writes. Keyed
 * by resource, then by the store's own key string, so that holding a key costs no new string;
 * one small object per key. (Earlier versions kept these in an in-memory nedb datastore: four
 * heap objects and an index node per key, every one of them marked by each full GC.)
 */
class LiveDocs {
  private readonly byResource = new Map<string, Map<string, LogDoc>>();
  private floor: LogDoc | undefined;
  size = 0;

  get(resource: string, key: string): LogDoc | undefined {
    return this.byResource.get(resource)?.get(key);
  }

  put(doc: LogDoc): void {
    if (doc._id === FLOOR_ID) {
      this.floor = doc;
      return;
    }
    let m = this.byResource.get(doc.r!);
    if (!m) this.byResource.set(doc.r!, (m = new Map()));
    if (!m.has(doc.k!)) this.size++;
    m.set(doc.k!, doc);
  }

  remove(resource: string, key: string): void {
    if (this.byResource.get(resource)?.delete(key)) this.size--;
  }

  /** Every document held (nedb's `find({})`, the one query the log asks): the floor first. */
  find(query: Record<string, never> = {}): LogDoc[] {
    void query;
    const out: LogDoc[] = this.floor ? [this.floor] : [];
    for (const m of this.byResource.values()) for (const d of m.values()) out.push(d);
    return out;
  }
}

export class VersionLog {
  /** The newest version of each live key, and the floor: what compaction writes. */
  private readonly db = new LiveDocs();
  /** Lines in the datafile that no longer hold the newest version of their key (or are tombstones). */
  private superseded = 0;
  private compacting: Promise<void> | null = null;
  /** The datafile, open for appends (none in memory-only mode). */
  private fd: number | undefined;
  /** While a compaction writes its snapshot: what has been appended since it was taken. */
  private sinceSnapshot: string[] | undefined;

  constructor(private readonly filename: string | null) {}

  async load(): Promise<LoadResult> {
    let maxRV = 0;
    if (!this.filename) return { entries: [], maxRV };
    this.fd = await openDatafile(this.filename);
    const docs = (await readDatafile(this.filename)).values() as Iterable<LogDoc>;
    let lines = 0;
    for (const doc of docs) {
      if (doc._id === FLOOR_ID) {
        maxRV = Math.max(maxRV, doc.rv ?? 0);
        this.db.put(doc);
        continue;
      }
      lines++;
      const rv = Number(doc._id);
      maxRV = Math.max(maxRV, rv);
      const prev = this.db.get(doc.r!, doc.k!);
      if (!prev || Number(prev._id) < rv) this.db.put(doc);
    }
    const entries: LoadedEntry[] = [];
    for (const doc of this.db.find({})) {
      if (doc._id === FLOOR_ID) continue;
      if (doc.d) this.db.remove(doc.r!, doc.k!);
      else entries.push({ resource: doc.r!, key: doc.k!, rv: Number(doc._id), json: doc.j! });
    }
    this.superseded = lines - entries.length;
    return { entries, maxRV };
  }

  /** Appends a batch of writes in one write; resolves once they are in the datafile (in the OS). */
  async append(batch: PendingWrite[], currentRV: number): Promise<void> {
    if (!this.filename) return;
    const docs: LogDoc[] = batch.map((w) => (w.json === undefined ? { _id: String(w.rv), r: w.resource, k: w.key, d: 1 } : { _id: String(w.rv), r: w.resource, k: w.key, j: w.json }));
    // JSON.stringify of these documents is exactly the line nedb's serialize writes.
    let text = '';
    for (const doc of docs) text += `${JSON.stringify(doc)}\n`;
    // The file, a running compaction's record of what came after its snapshot, and memory change
    // in one synchronous step (no await in between), so that a compaction's snapshot (taken
    // synchronously too) holds all of an append or none of it. Memory only once the write is in
    // the file: a failed write leaves it as it was (and the store refuses writes from then on).
    appendAll(this.fd!, text);
    this.sinceSnapshot?.push(text);
    for (const doc of docs) {
      if (this.db.get(doc.r!, doc.k!)) this.superseded++;
      if (doc.d) {
        this.db.remove(doc.r!, doc.k!);
        this.superseded++;
      } else this.db.put(doc);
    }
    if (!this.compacting && this.superseded > Math.max(20_000, this.db.size * 2)) {
      this.compacting = this.compact(currentRV)
        .catch(() => {
          // The datafile is intact (a rewrite only replaces it once complete): the next one retries.
        })
        .finally(() => {
          this.compacting = null;
        });
    }
  }

  /**
   * Rewrites the datafile with the newest version of each live key and the floor, while appends
   * go on: the snapshot is taken now, written beside the file, then swapped in with the appends
   * made meanwhile.
   */
  async compact(currentRV: number): Promise<void> {
    if (!this.filename || this.sinceSnapshot) return;
    const file = this.filename;
    this.superseded = 0;
    this.db.put({ _id: FLOOR_ID, rv: currentRV });
    const snapshot = this.db.find({});
    const since: string[] = (this.sinceSnapshot = []);
    try {
      const tmp = await writeSnapshot(file, snapshot);
      swapIn(file, tmp, since.join(''));
    } finally {
      this.sinceSnapshot = undefined;
    }
    // Renamed: the old descriptor writes to a file without a name now. Without a new one the next
    // append fails (and the store refuses writes) rather than write where no restart would look.
    const old = this.fd;
    this.fd = undefined;
    if (old !== undefined) fs.closeSync(old);
    this.fd = reopen(file);
    await syncFolder(file);
  }

  async close(): Promise<void> {
    if (this.compacting) await this.compacting;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeDatafile(fd);
  }
}
