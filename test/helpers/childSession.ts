import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { until } from './wait.js';

// A child process a test talks to while it runs (`kubectl attach`, `kubectl logs -f`): its stdin
// stays open until the test ends it, its output is collected as it arrives, and the test waits
// for what it expects to appear instead of for time to pass. It is killed after `killAfterMs`
// whatever happens, so a test that fails half-way leaves no process behind.

export interface SessionResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ChildSession {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  write(text: string): void;
  /** Closes the child's stdin (EOF). */
  end(): void;
  /** Whether the process has exited and its output is complete. */
  done(): boolean;
  /** Waits until the stream's output so far matches `re`; returns that output. */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited and its output is complete (never rejects). */
  readonly exited: Promise<SessionResult>;
  /** SIGTERM, then SIGKILL if it is still there after a while; resolves with its result. */
  stop(): Promise<SessionResult>;
}

export function startSession(command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; killAfterMs?: number } = {}): ChildSession {
  const child = spawn(command, args, { env: opts.env ?? process.env });
  let out = '';
  let err = '';
  let done = false;
  child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  // A write after the child has gone (EPIPE) is the child's business, not an uncaught error here.
  child.stdin.on('error', () => {});
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 60_000);
  const exited = new Promise<SessionResult>((resolve) => {
    child.on('error', (e) => (err += String(e)));
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      done = true;
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  const text = (stream: 'stdout' | 'stderr') => (stream === 'stdout' ? out : err);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    write: (t) => void child.stdin.write(t),
    end: () => child.stdin.end(),
    done: () => done,
    async waitFor(re, stream = 'stdout', timeoutMs) {
      const what = `${re} on the ${stream} of ${command} ${args.join(' ')}`;
      // An exit ends the wait at once (until() would keep retrying a check that throws).
      const seen = await until(what, () => (re.test(text(stream)) ? { matched: true } : done ? { matched: false } : undefined), timeoutMs).catch((e: Error) => {
        throw new Error(`${e.message}; stdout so far:\n${out}\nstderr so far:\n${err}`);
      });
      if (!seen.matched) throw new Error(`${what}: it exited without printing that; stdout:\n${out}\nstderr:\n${err}`);
      return text(stream);
    },
    exited,
    async stop() {
      if (!done) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(t);
      }
      return exited;
    },
  };
}
