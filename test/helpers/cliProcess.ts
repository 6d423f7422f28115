import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import https from 'node:https';
import fs from 'node:fs';
import yaml from 'js-yaml';

// Runs the built CLI (`node dist/cli.cjs`, produced by `npm test`'s build step) as a real child
// process, so tests can signal it and kill -9 it, and talks to the API server it starts with the
// admin credentials of its kubeconfig.

export const CLI = path.resolve(__dirname, '../../dist/cli.cjs');

export function flotilla(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A signal to a whole process group; nothing if the group is gone. */
export function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    /* the group is gone */
  }
}

// `flotilla up` runs as the leader of its own process group, so a test stops it and anything it
// started with one signal to the group, also when the test fails half-way.

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

/**
 * `flotilla up --port 0 --no-ui <args>`, started and not waited for; with `--no-ingress` unless
 * `args` set the ingress ports (parallel tests would all ask for loopback port 80). With `ui`, the
 * dashboard is served instead, on a free port unless `args` name one.
 */
export function spawnUp(args: string[], opts: { env?: Record<string, string>; umask?: string; timeoutMs?: number; ui?: boolean } = {}): UpGroup {
  const ingress = args.some((a) => a.startsWith('--ingress')) ? [] : ['--no-ingress'];
  const ui = !opts.ui ? ['--no-ui'] : args.some((a) => a.startsWith('--ui-port')) ? [] : ['--ui-port', '0'];
  const argv = [CLI, 'up', '--port', '0', ...ui, ...ingress, ...args];
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
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    serving,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      killGroup(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** `flotilla up --nodes 0` (a control plane alone) on `dataDir`, once it serves, with its URL. */
export async function startUp(dataDir: string, extra: string[] = []): Promise<UpGroup & { url: string }> {
  const up = spawnUp(['--data', dataDir, '--nodes', '0', ...extra], { timeoutMs: 20_000 });
  return Object.assign(up, { url: await up.serving });
}

export interface Creds {
  ca: string;
  token: string;
}

export function credsFrom(dataDir: string): Creds {
  const kc = yaml.load(fs.readFileSync(path.join(dataDir, 'kubeconfig'), 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  return { ca: Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString(), token: kc.users[0]!.user.token };
}

export function call(url: string, creds: Creds, method: string, p: string, body?: unknown, agent?: https.Agent): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      new URL(p, url),
      { method, ca: creds.ca, agent, headers: { Authorization: `Bearer ${creds.token}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: text });
          }
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
