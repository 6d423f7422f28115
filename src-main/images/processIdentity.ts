import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

// Who is process N? A PID alone is not an identity: after a crash or a reboot the same number
// belongs to some other program. A process is named here by its PID plus its start time, which
// no later process with that PID can share. What each platform offers:
//  - Linux: /proc/<pid>/stat field 22 (start time in clock ticks since boot) plus the boot id,
//    exact and cheap (no process spawned).
//  - macOS and other Unixes without /proc: `ps -o lstart= -p <pid>` (one-second resolution;
//    two processes would need the same PID within one second to be confused).
//  - Windows: PowerShell's Get-Process StartTime.
// Where none of these answers, the start time is unknown and callers must stay conservative
// (treat the process as possibly the one they look for, and never signal it).

export interface ProcessStart {
  /** Equal for one process, different for any other process that ever had the same PID. */
  token: string;
  /** The start time as a wall-clock instant (for comparing with file times). */
  epochMs: number;
}

function linuxStart(pid: number): ProcessStart | undefined | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // No such process (ENOENT/ESRCH) is an answer; no /proc at all is not.
    return fs.existsSync('/proc/self/stat') ? undefined : null;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]); // field 22 overall; fields[0] is field 3 (state)
  if (!Number.isFinite(ticks)) return undefined;
  const boot = readOr('/proc/sys/kernel/random/boot_id', '').trim();
  const btime = Number(/^btime (\d+)$/m.exec(readOr('/proc/stat', ''))?.[1] ?? 0);
  // USER_HZ is 100 on every Linux architecture Node runs on (the kernel exports ticks in USER_HZ).
  return { token: `linux:${boot}:${ticks}`, epochMs: btime * 1000 + ticks * 10 };
}

function psStart(pid: number): ProcessStart | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const epochMs = Date.parse(out);
    return out && Number.isFinite(epochMs) ? { token: `ps:${out}`, epochMs } : undefined;
  } catch {
    return undefined; // ps exits 1 when there is no such process
  }
}

function windowsStart(pid: number): ProcessStart | undefined {
  try {
    const out = execFileSync('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', `(Get-Process -Id ${pid}).StartTime.ToUniversalTime().ToString('o')`], {
      encoding: 'utf8',
      timeout: 10_000,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const epochMs = Date.parse(out);
    return out && Number.isFinite(epochMs) ? { token: `win:${out}`, epochMs } : undefined;
  } catch {
    return undefined;
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** When process `pid` started, or undefined when there is no such process or the platform cannot tell. */
export function processStart(pid: number): ProcessStart | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') {
    const s = linuxStart(pid);
    if (s !== null) return s;
  }
  return process.platform === 'win32' ? windowsStart(pid) : psStart(pid);
}

let own: ProcessStart | undefined;

/** This process's start (computed once). */
export function ownStart(): ProcessStart | undefined {
  own ??= processStart(process.pid);
  return own;
}

/** Whether a process with this PID exists (it may be any program). */
export function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type Sameness = 'same' | 'other' | 'unknown';

/**
 * Is process `pid` still the one that recorded `token`? 'other' when the PID is free or taken by
 * another process; 'unknown' when the platform cannot tell. Without a token (a record of an older
 * version) only `existedAtMs`, when the recorder is known to have existed, is there: a process
 * that started after it is certainly another ('other'); one that started before it is probably
 * the recorder, but a copied or touched file moves that instant, so it stays 'unknown'.
 */
export function sameProcess(pid: number, token: string | undefined, existedAtMs?: number): Sameness {
  if (!pidExists(pid)) return 'other';
  const now = processStart(pid);
  if (!now) return 'unknown';
  if (token) return now.token === token ? 'same' : 'other';
  if (existedAtMs === undefined) return 'unknown';
  // One second of slack for `ps`'s resolution.
  return now.epochMs > existedAtMs + 1000 ? 'other' : 'unknown';
}
