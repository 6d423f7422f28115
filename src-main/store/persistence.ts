import fs from 'node:fs';
import path from 'node:path';
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
/** Only the owner may read the datafile (see dataFolder.ts). */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** The parts of @seald-io/nedb's Datastore (behind nedb-promises) that forget() and rewriteDatafile() use. */
interface NedbInternals {
  executor: { pushAsync(task: () => Promise<void>): Promise<void> };
  indexes: { _id: { getMatching(id: string): object[] } };
  _removeFromIndexes(doc: object): void;
  getAllData(): object[];
}

/** fsync a file or folder (some platforms cannot open or fsync folders: that is not an error, as in nedb). */
async function fsyncPath(p: string, isDir: boolean): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(p, isDir ? 'r' : 'r+');
    await fh.sync().catch(() => {});
  } catch (e) {
    if (!isDir) throw e;
  } finally {
    await fh?.close();
  }
}

export class VersionLog {
  private readonly db: Datastore<LogDoc>;
  /** _ids of log documents that no longer hold the newest version of their key. */
  private superseded: string[] = [];
  /** key -> _id of its newest version in the log. */
  private readonly newestId = new Map<string, string>();
  private liveCount = 0;
  private compacting: Promise<void> | null = null;

  constructor(private readonly filename: string | null) {
    // A torn final line can only come from a write that was never acknowledged; accept it.
    // The datafile holds Secrets in plain text: @seald-io/nedb creates, appends to and (in its own
    // compaction) rewrites it with `modes` instead of its defaults, 0644 and 0755 (nedb-promises
    // passes the options through; its type declarations just lack `modes`).
    const onDisk = { filename: filename ?? '', autoload: false, corruptAlertThreshold: 1, modes: { fileMode: FILE_MODE, dirMode: DIR_MODE } };
    this.db = Datastore.create(filename ? onDisk : { inMemoryOnly: true, autoload: false });
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
    this.forget(this.superseded);
    return { entries, maxRV };
  }

  /** Appends a batch of writes in one append; resolves once they are on disk (in the OS). */
  async append(batch: PendingWrite[], currentRV: number): Promise<void> {
    const docs: LogDoc[] = [];
    const gone: string[] = [];
    for (const w of batch) {
      const id = String(w.rv);
      const full = `${w.resource}\u0000${w.key}`;
      const prev = this.newestId.get(full);
      if (prev) {
        this.superseded.push(prev);
        gone.push(prev);
      } else if (w.json !== undefined) this.liveCount++;
      if (w.json === undefined) {
        docs.push({ _id: id, r: w.resource, k: w.key, d: 1 });
        this.newestId.delete(full);
        this.superseded.push(id);
        gone.push(id);
        if (prev) this.liveCount--;
      } else {
        docs.push({ _id: id, r: w.resource, k: w.key, j: w.json });
        this.newestId.set(full, id);
      }
    }
    await this.db.insert(docs);
    this.forget(gone);
    if (!this.compacting && this.superseded.length > Math.max(20_000, this.liveCount * 2)) {
      this.compacting = this.compact(currentRV).finally(() => {
        this.compacting = null;
      });
    }
  }

  /**
   * nedb holds every document of its datafile in memory. A superseded version (or a tombstone)
   * is only needed on disk until the next compaction (load() keeps the newest version of each
   * key), so it leaves nedb's memory at once rather than at compaction: otherwise up to 20,000
   * old versions of objects (tens of MB of JSON) stay in memory between compactions. Nothing is
   * written: compaction, which rewrites the datafile from what nedb holds, drops them from disk.
   * Runs in nedb's executor, in order with its own operations.
   */
  private forget(ids: string[]): void {
    const ds = (this.db as unknown as { __original?: NedbInternals }).__original;
    if (!ids.length || !ds?.executor || !ds.indexes?._id || typeof ds._removeFromIndexes !== 'function') return;
    void ds.executor
      .pushAsync(async () => {
        for (const id of ids) for (const doc of [...ds.indexes._id.getMatching(id)]) ds._removeFromIndexes(doc);
      })
      .catch(() => {});
  }

  /** Drops superseded versions and rewrites the datafile; writes queue behind it in nedb's executor. */
  async compact(currentRV: number): Promise<void> {
    const ids = this.superseded;
    this.superseded = [];
    await this.db.update({ _id: FLOOR_ID }, { _id: FLOOR_ID, rv: currentRV }, { upsert: true });
    if (ids.length) await this.db.remove({ _id: { $in: ids } }, { multi: true });
    await this.rewriteDatafile();
  }

  /**
   * nedb's compaction (compactDatafileAsync) with the same crash safety (flush, write a temp
   * file, fsync, rename, fsync the folder) and the same lines, but streamed: nedb serialises
   * every document into one array of lines and queues them all on a write stream at once, a
   * transient copy of the whole datafile twice over (heap and buffers), the largest memory peak
   * of a busy control plane. Here at most ~1 MB is pending. Runs in nedb's executor, so no
   * append interleaves with it, as with nedb's own compaction.
   */
  private async rewriteDatafile(): Promise<void> {
    const ds = (this.db as unknown as { __original?: NedbInternals }).__original;
    if (!this.filename) return;
    if (typeof ds?.executor?.pushAsync !== 'function' || typeof ds.getAllData !== 'function') {
      await (this.db as unknown as { __original: { compactDatafileAsync(): Promise<void> } }).__original.compactDatafileAsync();
      return;
    }
    const file = this.filename;
    await ds.executor.pushAsync(async () => {
      const dir = path.dirname(file);
      await fsyncPath(dir, true);
      if (fs.existsSync(file)) await fsyncPath(file, false);
      const tmp = `${file}~`;
      const fh = await fs.promises.open(tmp, 'w', FILE_MODE);
      try {
        await fh.chmod(FILE_MODE); // a temp file left by a crash keeps its old mode through open()
        let chunk = '';
        for (const doc of ds.getAllData()) {
          // nedb's model.serialize is JSON.stringify with checks that these documents pass.
          chunk += `${JSON.stringify(doc)}\n`;
          if (chunk.length >= 1 << 20) {
            await fh.write(chunk);
            chunk = '';
          }
        }
        if (chunk) await fh.write(chunk);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, file);
      await fsyncPath(dir, true);
    });
  }

  async close(): Promise<void> {
    if (this.compacting) await this.compacting;
  }
}
