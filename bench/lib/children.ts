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
