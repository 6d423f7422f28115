import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn, type ChildProcess } from 'node:child_process';

// Child processes for the benchmarks (the API server and the bare HTTPS floor run outside the
// client's event loop). A child is ready when a line of its stdout matches `ready`. Each runs in a
// process group of its own (detached), so that stopping it reaches whatever it started too: it is
// stopped by its group with SIGTERM, then SIGKILL after a grace period. Its stdin stays open as a
// pipe, and every child treats the pipe's end as "the benchmark is gone" and stops, so even a
// benchmark killed with SIGKILL leaves no child running.

export interface Child {
  proc: ChildProcess;
  /** The match of the `ready` pattern. */
  match: RegExpMatchArray;
  /** Everything the child wrote to stderr (last 64 KiB). */
  stderr(): string;
  stop(graceMs?: number): Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** Sends `signal` to the child's whole process group (it leads one: spawned detached). */
function signalGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (p.pid) process.kill(-p.pid, signal);
    else p.kill(signal);
  } catch {
    /* already gone */
  }
}

/** Kills every child still running, with its process group (for the exit path of the parent). */
export function killAllChildren(): void {
  for (const p of live) signalGroup(p, 'SIGKILL');
}

export function startChild(opts: {
  cmd: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  ready: RegExp;
  timeoutMs: number;
  name: string;
  /** Every chunk of the child's output as it arrives, with its arrival time (performance.now()). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string, at: number) => void;
}): Promise<Child> {
  return new Promise((resolve, reject) => {
    // stdin stays open as a pipe: children treat its end as "the parent is gone" and exit.
    // detached: a process group of its own (see signalGroup); a Ctrl-C in the terminal reaches only
    // this process, whose SIGINT handler (setUpRun) stops the children in order.
    const proc = spawn(opts.cmd, opts.args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    live.add(proc);
    let out = '';
    let err = '';
    let settled = false;
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((r) =>
      proc.on('exit', (code, signal) => {
        live.delete(proc);
        exitCode = code ?? (signal ? -1 : null);
        r(exitCode);
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error(`${opts.name} exited (code ${code}, signal ${signal}) before it was ready:\n${err.slice(-4000)}${out.slice(-2000)}`));
        }
      }),
    );
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      signalGroup(proc, 'SIGKILL');
      reject(new Error(`${opts.name} was not ready within ${opts.timeoutMs} ms:\n${err.slice(-4000)}${out.slice(-2000)}`));
    }, opts.timeoutMs);
    proc.on('error', (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (d: string) => {
      opts.onOutput?.('stderr', d, performance.now());
      err = (err + d).slice(-65536);
    });
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      opts.onOutput?.('stdout', d, performance.now());
      out = (out + d).slice(-65536);
      if (settled) return;
      const m = out.match(opts.ready);
      if (!m) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        proc,
        match: m,
        stderr: () => err,
        async stop(graceMs = 10_000) {
          if (exitCode !== undefined) return exitCode;
          signalGroup(proc, 'SIGTERM');
          const t = setTimeout(() => signalGroup(proc, 'SIGKILL'), graceMs);
          const code = await exited;
          clearTimeout(t);
          // Anything the child started and left behind in its group goes with it.
          signalGroup(proc, 'SIGKILL');
          return code;
        },
      });
    });
  });
}

export interface Run {
  tmp: string;
  /** Kills the children (with their process groups) and removes the temp folder; synchronous. */
  cleanup: () => void;
  /**
   * Registers an asynchronous step of the teardown (e.g. `flotilla down`), run before cleanup()
   * by finish() and on SIGINT/SIGTERM/watchdog, each bounded in time. (A plain process exit can
   * only run the synchronous part.)
   */
  onTeardown: (what: string, fn: () => Promise<unknown>, maxMs?: number) => void;
  /** Runs the teardown steps (in reverse order of registration), then cleanup(). */
  finish: () => Promise<void>;
}

/**
 * A temp folder, a teardown that runs on every way out (normal end, failure, SIGINT, SIGTERM,
 * the watchdog; the synchronous part on any exit), and a watchdog.
 */
export function setUpRun(name: string, watchdogMs: number, log: (s: string) => void): Run {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `flotilla-bench-${name}-`));
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    killAllChildren();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  const steps: { what: string; fn: () => Promise<unknown>; maxMs: number }[] = [];
  let finishing: Promise<void> | undefined;
  const finish = () =>
    (finishing ??= (async () => {
      for (const s of [...steps].reverse()) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([s.fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`not done within ${s.maxMs} ms`)), s.maxMs)))]);
        } catch (e) {
          log(`teardown: ${s.what}: ${(e as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }
      cleanup();
    })());
  process.on('exit', cleanup);
  const bail = (why: string, code: number) => {
    log(why);
    void finish().finally(() => process.exit(code));
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => bail(`${sig}: stopping`, 130));
  const watchdog = setTimeout(() => bail(`watchdog: the run exceeded ${watchdogMs / 1000} s; stopping (NOT MET: the run did not finish)`, 2), watchdogMs);
  watchdog.unref();
  return { tmp, cleanup, finish, onTeardown: (what, fn, maxMs = 60_000) => steps.push({ what, fn, maxMs }) };
}

/**
 * Starts bench/lib/reaper.cjs for the run's Docker cluster names: detached, with a pipe as stdin
 * that closes however this process ends (SIGKILL included), whereupon it removes every Docker
 * object labelled with those names. It keeps nothing of this process alive.
 */
export function startReaper(clusterNames: string[]): void {
  const proc = spawn(process.execPath, [path.join(__dirname, 'reaper.cjs'), ...clusterNames], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  proc.unref();
  (proc.stdin as unknown as { unref?: () => void }).unref?.();
}

/**
 * The command protocol of the control-plane children: `<id> <command>` lines on the child's
 * stdin, answered by `REPLY <id> <json>` lines on its stdout (`{error}` on failure).
 */
export function commandChannel(child: Child, name = 'control plane child'): <T>(cmd: string, timeoutMs?: number) => Promise<T> {
  const waiting = new Map<string, (v: unknown) => void>();
  let buf = '';
  child.proc.stdout!.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = line.match(/^REPLY (\S+) (.*)$/);
      if (!m) continue;
      const w = waiting.get(m[1]!);
      waiting.delete(m[1]!);
      w?.(JSON.parse(m[2]!));
    }
  });
  let nextId = 0;
  return <T>(cmd: string, timeoutMs = 60_000) =>
    new Promise<T>((resolve, reject) => {
      const id = String(++nextId);
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${name} did not answer "${cmd}" within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, (v) => {
        clearTimeout(timer);
        const err = (v as { error?: string }).error;
        if (err) reject(new Error(`${name}: ${cmd}: ${err}`));
        else resolve(v as T);
      });
      child.proc.stdin!.write(`${id} ${cmd}\n`);
    });
}
