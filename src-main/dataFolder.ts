import fs from 'node:fs';
import path from 'node:path';
import { clusterIdOf } from './cluster/identity.js';
import { describeHolder, lockHolder, tryLock, type HeldLock, type LockHolder } from './images/fileLock.js';
import { silentLogger, type Logger } from './api/log.js';

// A control plane's data folder: the store (Secrets in plain text), the cluster CA key, the
// tokens and the admin kubeconfig. Only its owner may read any of it, so every folder in it is
// 0700 and every file 0600. Each writer passes that mode explicitly (a mode given to open() is
// only ever narrowed by the umask, never widened, whereas a file created without one gets
// 0666 & ~umask, 0644 under the usual umask); files and folders written by older versions are
// narrowed here at start. And one control plane at a time: the `lock` file (images/fileLock.ts).

export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;
export const LOCK_FILE = 'lock';
/** What the data folder lock is held for by `flotilla up` and the desktop app. */
export const CONTROL_PLANE_PURPOSE = 'control-plane';

/** Narrows every folder under `dir` (and itself) to 0700 and every file to 0600. Returns what it could not change. */
export function restrictDataFolder(dir: string): string[] {
  const failed: string[] = [];
  const walk = (p: string, isDir: boolean): void => {
    try {
      const mode = fs.lstatSync(p).mode & 0o777;
      const want = isDir ? DATA_DIR_MODE : DATA_FILE_MODE;
      if (mode !== want) fs.chmodSync(p, want);
    } catch {
      failed.push(p); // e.g. a file another user owns; or it vanished: nothing to protect
      return;
    }
    if (!isDir) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(p, { withFileTypes: true });
    } catch {
      failed.push(p);
      return;
    }
    for (const e of entries) {
      // Symbolic links are left alone: chmod would follow them out of the folder.
      if (e.isDirectory()) walk(path.join(p, e.name), true);
      else if (e.isFile()) walk(path.join(p, e.name), false);
    }
  };
  walk(dir, true);
  return failed;
}

/**
 * Creates the folder if needed, takes its lock (or throws a message naming the process that has
 * it), and narrows the modes of what older versions left. Returns the lock's release.
 */
export function openDataFolder(dir: string, log: Logger = silentLogger): HeldLock {
  fs.mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  const lockFile = path.join(dir, LOCK_FILE);
  const r = tryLock(lockFile, CONTROL_PLANE_PURPOSE);
  if (!('release' in r)) {
    if (r.state === 'same') {
      throw new Error(`the data folder ${dir} is in use by ${describeHolder(r.holder)}; stop it first (flotilla down stops and removes the cluster)`);
    }
    throw new Error(
      `the data folder ${dir} is in use by ${describeHolder(r.holder)}, as far as this system can tell; ` +
        `if no Flotilla is running there, remove ${lockFile} and try again`,
    );
  }
  const failed = restrictDataFolder(dir);
  if (failed.length) log.with('data-folder').warn('could not make some items private to you', { dir, count: failed.length, example: failed[0] });
  return r;
}

/**
 * Whether the data folder `dir` still holds the cluster whose CA hashes to `clusterId` (its
 * pki/ca.crt), and the process serving it if one is; undefined when it does not (gone, or made
 * anew with another CA).
 */
export function clusterKeptIn(dir: string, clusterId: string): { running?: LockHolder } | undefined {
  let ca: string;
  try {
    ca = fs.readFileSync(path.join(dir, 'pki', 'ca.crt'), 'utf8');
  } catch {
    return undefined;
  }
  if (clusterIdOf(ca) !== clusterId) return undefined;
  return { running: lockHolder(path.join(dir, LOCK_FILE))?.holder };
}
