import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

// The store's datafile on disk, in the line format @seald-io/nedb (behind nedb-promises) reads
// and writes, so that data folders written by earlier versions load unchanged: one JSON document
// per line; a later line with the same _id replaces an earlier one; `{"$$deleted":true,"_id":..}`
// removes one; `$$indexCreated` / `$$indexRemoved` lines describe indexes (none are used here);
// a line that does not parse is skipped, as nedb does with the threshold the store gives it.
// A rewrite goes through `<file>~` as nedb's crash-safe write does (fsync folder and file, write
// the temp file, fsync it, rename, fsync the folder), and a datafile missing next to a `<file>~`
// is that interrupted rewrite, finished at open (nedb's ensureDatafileIntegrity). Unlike nedb's,
// the rewrite does not stop appends: they go on to the current file while the snapshot is
// written, and the few made meanwhile are copied over just before the rename (swapIn).
//
// Why not nedb's own persistence: it appends each batch with fs.promises.appendFile, which opens,
// writes and closes the file: three thread-pool round trips per group commit, each a chance for
// the acknowledgement to wait behind a busy machine. In bench:api's fixed-rate phase the opens
// and closes were a fifth of the API server's main-thread time, and appends took 4-34 ms at p99
// (measured with bench/lib/probe.cjs). Here the file stays open (O_APPEND) and a group commit is
// one write(2) made on the main thread: it copies a few KB into the page cache (p50 13-19 us,
// p99 under 0.2 ms in the same benchmark), far less than handing it to the thread pool and
// waiting for the completion to come back through the event loop. A disk so slow that the
// kernel blocks writes (dirty page throttling) would hold the event loop for that time, where
// an asynchronous append would hold only the writes: every write waits for it either way.

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

export interface RawDoc {
  _id: string;
  [field: string]: unknown;
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

/**
 * Reads the datafile as nedb does: the documents by _id, in the order each _id first appeared.
 * Streams the file (bounded memory however large it is). A final line without its newline is a
 * write cut short by a crash (never acknowledged): kept if it is a whole document (as nedb keeps
 * it) and given its newline, else cut off the file, so that the next append does not join it.
 */
export async function readDatafile(file: string): Promise<Map<string, RawDoc>> {
  const docs = new Map<string, RawDoc>();
  const take = (line: string): boolean => {
    if (!line) return false;
    let doc: RawDoc;
    try {
      doc = JSON.parse(line) as RawDoc;
    } catch {
      return false; // corrupt: skipped, as nedb skips it
    }
    if (!doc || typeof doc !== 'object' || !doc._id) return true; // index lines: nothing nedb keeps
    if (doc.$$deleted === true) docs.delete(doc._id);
    else docs.set(doc._id, doc);
    return true;
  };
  let rest = '';
  const stream = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<string>) {
    rest += chunk;
    let nl: number;
    let from = 0;
    while ((nl = rest.indexOf('\n', from)) >= 0) {
      take(rest.slice(from, nl));
      from = nl + 1;
    }
    rest = rest.slice(from);
  }
  if (rest) {
    if (take(rest)) await fs.promises.appendFile(file, '\n');
    else await fs.promises.truncate(file, (await fs.promises.stat(file)).size - Buffer.byteLength(rest));
  }
  return docs;
}

const openFd = promisify(fs.open);
const closeFd = promisify(fs.close);

/**
 * Opens (creating it if need be) the datafile for appends, after finishing an interrupted
 * rewrite. A plain descriptor, not a FileHandle: the store closes it (closeDatafile); one a test
 * never closes stays open until the process ends rather than being closed by the GC with a warning.
 */
export async function openDatafile(file: string): Promise<number> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: DIR_MODE });
  if (!fs.existsSync(file) && fs.existsSync(`${file}~`)) await fs.promises.rename(`${file}~`, file);
  return openFd(file, 'a', FILE_MODE);
}

export function closeDatafile(fd: number): Promise<void> {
  return closeFd(fd);
}

/** Appends `text` with one write(2) on this thread (more only if the system writes less than asked). */
export function appendAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/**
 * The first half of a compaction: writes `docs` (one line each) to `<file>~` and makes it
 * durable, as nedb's crash-safe write does (fsync the folder and the current file first), while
 * appends go on to the current file. At most ~1 MB is pending at a time, and the event loop runs
 * between chunks. Returns the temp file's name for swapIn().
 */
export async function writeSnapshot(file: string, docs: Iterable<{ _id: string }>): Promise<string> {
  const dir = path.dirname(file);
  await fsyncPath(dir, true);
  if (fs.existsSync(file)) await fsyncPath(file, false);
  const tmp = `${file}~`;
  const fh = await fs.promises.open(tmp, 'w', FILE_MODE);
  try {
    await fh.chmod(FILE_MODE); // a temp file left by a crash keeps its old mode through open()
    let chunk = '';
    for (const doc of docs) {
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
  return tmp;
}

/**
 * The second half, synchronous so that no append can come between its steps: appends to the
 * snapshot what was appended to the current file since it was taken (`delta`) and renames it
 * over the current file. From then on a descriptor of the old file writes to a file that has no
 * name: the caller switches to one from reopen(). The folder is fsynced afterwards (syncFolder),
 * off the event loop: until then a machine crash may bring back the old file, which holds every
 * line too.
 */
export function swapIn(file: string, tmp: string, delta: string): void {
  if (delta) {
    const fd = fs.openSync(tmp, 'a');
    try {
      appendAll(fd, delta);
    } finally {
      fs.closeSync(fd);
    }
  }
  fs.renameSync(tmp, file);
}

/** A descriptor open for appends on `file` (synchronous: see swapIn). */
export function reopen(file: string): number {
  return fs.openSync(file, 'a', FILE_MODE);
}

export function syncFolder(file: string): Promise<void> {
  return fsyncPath(path.dirname(file), true);
}
