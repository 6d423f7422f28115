import Datastore from 'nedb-promises';

// The durable half of the store: an append-only version log kept in one nedb-promises datafile.
//
// Every write appends a document {_id: <resourceVersion>, r: resource, k: key, j: json} (or a
// tombstone {..., d: 1} for a deletion). Writes that arrive in the same event-loop turn are
// appended with ONE nedb insert (one appendFile), which is what lets the store acknowledge
// thousands of durable writes per second: nedb appends the batch before its promise resolves, so
// an acknowledged write survives `kill -9` of the process.
//
// Objects are stored as JSON strings rather than nedb documents because Kubernetes keys
// ("kubectl.kubernetes.io/last-applied-configuration") contain dots, which nedb forbids in field
// names, and a string also spares nedb's deep copies.
//
// Superseded versions and tombstones are removed in the background once they outnumber live
// objects; a `floor` document remembers the highest resourceVersion so that it never goes
// backwards even when the newest write was a deletion that compaction dropped.

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

export class VersionLog {
  private readonly db: Datastore<LogDoc>;
  /** _ids of log documents that no longer hold the newest version of their key. */
  private superseded: string[] = [];
  /** key -> _id of its newest version in the log. */
  private readonly newestId = new Map<string, string>();
  private liveCount = 0;
  private compacting: Promise<void> | null = null;

  constructor(filename: string | null) {
    this.db = Datastore.create(
      filename
        ? // A torn final line can only come from a write that was never acknowledged; accept it.
          { filename, autoload: false, corruptAlertThreshold: 1 }
        : { inMemoryOnly: true, autoload: false },
    );
  }

  async load(): Promise<LoadResult> {
    await this.db.load();
    const docs = await this.db.find({});
    let maxRV = 0;
    const newest = new Map<string, LogDoc>();
    for (const doc of docs) {
      if (doc._id === FLOOR_ID) {
        maxRV = Math.max(maxRV, doc.rv ?? 0);
        continue;
      }
      const rv = Number(doc._id);
      maxRV = Math.max(maxRV, rv);
      const full = `${doc.r}\u0000${doc.k}`;
      const prev = newest.get(full);
      if (!prev || Number(prev._id) < rv) {
        if (prev) this.superseded.push(prev._id);
        newest.set(full, doc);
      } else {
        this.superseded.push(doc._id);
      }
    }
    const entries: LoadedEntry[] = [];
    for (const [full, doc] of newest) {
      if (doc.d) {
        this.superseded.push(doc._id);
        continue;
      }
      this.newestId.set(full, doc._id);
      entries.push({ resource: doc.r!, key: doc.k!, rv: Number(doc._id), json: doc.j! });
    }
    this.liveCount = entries.length;
    return { entries, maxRV };
  }

  /** Appends a batch of writes in one append; resolves once they are on disk (in the OS). */
  async append(batch: PendingWrite[], currentRV: number): Promise<void> {
    const docs: LogDoc[] = [];
    for (const w of batch) {
      const id = String(w.rv);
      const full = `${w.resource}\u0000${w.key}`;
      const prev = this.newestId.get(full);
      if (prev) this.superseded.push(prev);
      else if (w.json !== undefined) this.liveCount++;
      if (w.json === undefined) {
        docs.push({ _id: id, r: w.resource, k: w.key, d: 1 });
        this.newestId.delete(full);
        this.superseded.push(id);
        if (prev) this.liveCount--;
      } else {
        docs.push({ _id: id, r: w.resource, k: w.key, j: w.json });
        this.newestId.set(full, id);
      }
    }
    await this.db.insert(docs);
    if (!this.compacting && this.superseded.length > Math.max(20_000, this.liveCount * 2)) {
      this.compacting = this.compact(currentRV).finally(() => {
        this.compacting = null;
      });
    }
  }

  /** Drops superseded versions and rewrites the datafile; writes queue behind it in nedb's executor. */
  async compact(currentRV: number): Promise<void> {
    const ids = this.superseded;
    this.superseded = [];
    await this.db.update({ _id: FLOOR_ID }, { _id: FLOOR_ID, rv: currentRV }, { upsert: true });
    if (ids.length) await this.db.remove({ _id: { $in: ids } }, { multi: true });
    // nedb-promises exposes the underlying @seald-io/nedb datastore for the async compaction call.
    await (this.db as unknown as { __original: { compactDatafileAsync(): Promise<void> } }).__original.compactDatafileAsync();
  }

  async close(): Promise<void> {
    if (this.compacting) await this.compacting;
  }
}
