import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cliProcess.js';

// `flotilla up` (the built dist/cli.cjs) as the leader of its own process group, so a test stops
// it and anything it started with one signal to the group, also when the test fails half-way.

export interface UpGroup {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves with the API server URL once `up` says it serves; rejects with its output if it exits first. */
  serving: Promise<string>;
  /** SIGTERM to the group; SIGKILL to the group if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

export function spawnUp(args: string[], opts: { env?: Record<string, string>; umask?: string; timeoutMs?: number } = {}): UpGroup {
  const argv = [CLI, 'up', '--port', '0', '--no-ui', ...args];
  // A umask is a property of the process: set it in a shell that then becomes `up`.
  const child = opts.umask
    ? spawn('/bin/sh', ['-c', `umask ${opts.umask} && exec "$0" "$@"`, process.execPath, ...argv], { detached: true, env: { ...process.env, ...opts.env } })
    : spawn(process.execPath, argv, { detached: true, env: { ...process.env, ...opts.env } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const serving = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`flotilla up did not start: ${out}`)), opts.timeoutMs ?? 60_000);
    const check = () => {
      const m = /API server: (https:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`flotilla up exited: ${out}`));
    });
  });
  serving.catch(() => {}); // callers that only look at `exited` must not see an unhandled rejection
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* the group is gone */
    }
  };
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    serving,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
