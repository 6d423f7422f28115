import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

// Child processes for the benchmarks (the API server and the bare HTTPS floor run outside the
// client's event loop). A child is ready when a line of its stdout matches `ready`; it is stopped
// by its own pid with SIGTERM, then SIGKILL after a grace period.

export interface Child {
  proc: ChildProcess;
  /** The match of the `ready` pattern. */
  match: RegExpMatchArray;
  /** Everything the child wrote to stderr (last 64 KiB). */
  stderr(): string;
  stop(graceMs?: number): Promise<number | null>;
}

const live = new Set<ChildProcess>();

/** Kills every child still running (for the exit path of the parent). */
export function killAllChildren(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export function startChild(opts: { cmd: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs: number; name: string }): Promise<Child> {
  return new Promise((resolve, reject) => {
    // stdin stays open as a pipe: children treat its end as "the parent is gone" and exit.
    const proc = spawn(opts.cmd, opts.args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
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
      proc.kill('SIGKILL');
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
      err = (err + d).slice(-65536);
    });
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
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
          proc.kill('SIGTERM');
          const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
          const code = await exited;
          clearTimeout(t);
          return code;
        },
      });
    });
  });
}

/** A temp folder and an exit path that kills the children and removes it; plus a watchdog. */
export function setUpRun(name: string, watchdogMs: number, log: (s: string) => void): { tmp: string; cleanup: () => void } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `flotilla-bench-${name}-`));
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    killAllChildren();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      log(`${sig}: stopping`);
      cleanup();
      process.exit(130);
    });
  }
  const watchdog = setTimeout(() => {
    log(`watchdog: the run exceeded ${watchdogMs / 1000} s; stopping (NOT MET: the run did not finish)`);
    cleanup();
    process.exit(2);
  }, watchdogMs);
  watchdog.unref();
  return { tmp, cleanup };
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
