import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ownStart, sameProcess, type Sameness } from './processIdentity.js';

// One exclusive lock file, held by one process: the data folder of a control plane (`lock`) and
// image builds (the cache folder's locks/) both use it.
//
// - Taking it is atomic: the holder's record is written to a private temporary file that is then
//   hard-linked to the lock's name, which fails if the name exists. Readers never see half a
//   record. (Where the filesystem has no hard links, an O_EXCL create + write is used instead, and
//   an empty record younger than a few seconds counts as being written.)
// - The record names the holder: PID, process start time (see processIdentity.ts), a random
//   instance id, what it holds the lock for and its command line.
// - A lock whose holder has exited, or whose PID now belongs to another process (a crash, a
//   reboot), is stale and is taken over. Two processes that both find it stale must not both
//   win, and must not remove a lock the other has just taken. So a stale lock is removed only by
//   the holder of a claim file named after that lock's instance id (`<lock>.takeover-<id>`),
//   created with the same exclusive create: one claimant per stale instance, which re-reads the
//   lock and removes it only if it still holds that instance; then everyone races for the free
//   name with the exclusive create again. A claimant that died is itself a stale holder of its
//   claim, taken over the same way.
// - A lock file from an older version holds just a PID: it is stale when that PID is free or its
//   process started after the lock file was written; otherwise it cannot be verified ('unknown':
//   treated as held, never signalled).

export interface LockHolder {
  pid: number;
  /** Process start token (processIdentity.ts); absent in old PID-only lock files. */
  start?: string;
  /** Random, one per acquisition: names this holding, never reused. */
  instance: string;
  /** What the lock is held for (e.g. "control-plane", "image-build", "down"). */
  purpose: string;
  /** The holder's command line, for messages. */
  command: string;
  /** When the lock was taken (ISO time). */
  since: string;
}

export interface HeldLock {
  holder: LockHolder;
  /** Removes the lock if this holding still owns it. */
  release(): void;
}

export interface Busy {
  /** The process that holds the lock (or that is taking a stale one over right now). */
  holder: LockHolder;
  /** 'same': verified alive; 'unknown': its PID is alive but this platform cannot verify it. */
  state: Exclude<Sameness, 'other'>;
}

/** A record being written by the O_EXCL fallback is given this long before it counts as abandoned. */
const UNREADABLE_GRACE_MS = 5000;

function newHolder(purpose: string): LockHolder {
  return {
    pid: process.pid,
    start: ownStart()?.token,
    instance: randomBytes(8).toString('hex'),
    purpose,
    command: [path.basename(process.argv[1] ?? process.argv0), ...process.argv.slice(2)].join(' ').slice(0, 300),
    since: new Date().toISOString(),
  };
}

function createExclusive(file: string, holder: LockHolder): boolean {
  const text = `${JSON.stringify(holder)}\n`;
  const tmp = `${file}.${holder.instance}.tmp`;
  try {
    fs.writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    try {
      fs.linkSync(tmp, file);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // No hard links on this filesystem: exclusive create, then write.
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

interface Observed {
  holder: LockHolder;
  /** The lock file's modification time: when an old PID-only holder is known to have existed. */
  mtimeMs: number;
  unreadable: boolean;
}

/** The lock's record as it is on disk, or undefined when there is no lock. */
function observe(file: string): Observed | undefined {
  let text: string;
  let mtimeMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    // An older version's lock: the PID alone.
    const pid = Number(trimmed);
    return { holder: { pid, instance: `pid${pid}-${Math.round(mtimeMs)}`, purpose: 'unknown', command: '', since: new Date(mtimeMs).toISOString() }, mtimeMs, unreadable: false };
  }
  try {
    const h = JSON.parse(trimmed) as Partial<LockHolder>;
    if (Number.isInteger(h.pid) && typeof h.instance === 'string' && /^[A-Za-z0-9-]+$/.test(h.instance)) {
      return {
        holder: { pid: h.pid!, start: typeof h.start === 'string' ? h.start : undefined, instance: h.instance, purpose: String(h.purpose ?? 'unknown'), command: String(h.command ?? ''), since: String(h.since ?? '') },
        mtimeMs,
        unreadable: false,
      };
    }
  } catch {
    /* empty or torn: see below */
  }
  return { holder: { pid: 0, instance: `unreadable-${Math.round(mtimeMs)}`, purpose: 'unknown', command: '', since: new Date(mtimeMs).toISOString() }, mtimeMs, unreadable: true };
}

function judge(o: Observed): Sameness {
  if (o.unreadable) return Date.now() - o.mtimeMs < UNREADABLE_GRACE_MS ? 'unknown' : 'other';
  return sameProcess(o.holder.pid, o.holder.start, o.holder.start ? undefined : o.mtimeMs);
}

/**
 * Takes the lock at `file` if it is free or stale; otherwise says who holds it. Never waits.
 * Throws only for filesystem errors (e.g. the folder is not writable).
 */
export function tryLock(file: string, purpose: string): HeldLock | Busy {
  return attempt(file, purpose, 0);
}

function attempt(file: string, purpose: string, depth: number): HeldLock | Busy {
  let seen: Observed | undefined;
  // Bounded only against a filesystem that keeps answering inconsistently; each round either
  // takes the lock, finds a live holder, or removes one stale lock.
  for (let round = 0; round < 100; round++) {
    const me = newHolder(purpose);
    if (createExclusive(file, me)) return { holder: me, release: () => releaseIf(file, me.instance) };
    seen = observe(file);
    if (!seen) continue; // released in between: race for it again
    const state = judge(seen);
    if (state !== 'other') return { holder: seen.holder, state };
    // Stale. Only the holder of this instance's claim may remove it (see the top of the file).
    // Claims of claims only arise when a claimant died inside its few microseconds of work.
    if (depth > 8) return { holder: seen.holder, state: 'unknown' };
    const claim = attempt(`${file}.takeover-${seen.holder.instance}`, 'takeover', depth + 1);
    if (!('release' in claim)) return claim; // another process is taking it over right now
    try {
      if (observe(file)?.holder.instance === seen.holder.instance) fs.rmSync(file, { force: true });
    } finally {
      claim.release();
    }
  }
  throw new Error(`could not take the lock ${file}${seen ? ` (last held by ${describeHolder(seen.holder)})` : ''}`);
}

function releaseIf(file: string, instance: string): void {
  try {
    // No one can replace a live holder's lock (only stale ones are taken over), so reading and
    // then removing is safe for the holder itself.
    if (observe(file)?.holder.instance === instance) fs.rmSync(file, { force: true });
  } catch {
    /* the folder is gone (e.g. `flotilla down` removed it) */
  }
}

/**
 * The process holding the lock at `file`, if it is verifiably alive ('same') or alive and
 * unverifiable on this platform ('unknown'); undefined when the lock is free or stale.
 */
export function lockHolder(file: string): Busy | undefined {
  const seen = observe(file);
  if (!seen) return undefined;
  const state = judge(seen);
  return state === 'other' ? undefined : { holder: seen.holder, state };
}

/** The instance id of the holding recorded at `file` (alive or not), without judging its process. */
export function lockInstance(file: string): string | undefined {
  try {
    return observe(file)?.holder.instance;
  } catch {
    return undefined;
  }
}

/** "process 123 (flotilla up --data ...)" */
export function describeHolder(h: LockHolder): string {
  return `process ${h.pid}${h.command ? ` (${h.command})` : ''}`;
}

/**
 * Runs fn while holding the lock at `file`, waiting (polling) while another live process holds
 * it, so two processes (two test workers, the app and the CLI) never debootstrap into the same
 * folder or build the same tag at once.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, onWait?: (owner: string) => void, timeoutMs = 20 * 60 * 1000): Promise<T> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  let held: HeldLock;
  for (;;) {
    const r = tryLock(file, 'image-build');
    if ('release' in r) {
      held = r;
      break;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file} (held by ${describeHolder(r.holder)})`);
    if (!told) {
      onWait?.(String(r.holder.pid));
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  try {
    return await fn();
  } finally {
    held.release();
  }
}
