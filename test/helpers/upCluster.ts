import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { kubeletBundlePath } from '../../src-main/dockerNodes.js';
import { ensureImages } from '../../src-main/images/index.js';
import { call, credsFrom, flotilla } from './cliProcess.js';
import { startSession, type ChildSession } from './childSession.js';
import { KUBECTL, type KubectlResult } from './controlPlane.js';
import { deleteClusterByName, docker, uniqueClusterName, warnIfKubeletBundleStale } from './dockerCluster.js';
import { spawnUp, type UpGroup } from './upGroup.js';
import { until } from './wait.js';

// A cluster run the way a user runs one: `flotilla up --data DIR --cluster NAME --nodes N` as a
// child process (the leader of its own process group, like a command in a terminal), the real
// kubectl on DIR/kubeconfig, and the `flotilla` CLI for node actions. The cluster name is unique
// to the test (never the default one); remove() takes away the process group, every Docker object
// carrying the cluster's label and the folder, also after a test failed half-way.

/** Builds (first run on a fresh machine) or finds the node images, so that `up` only creates containers. */
export async function prepareNodeImages(): Promise<void> {
  warnIfKubeletBundleStale();
  await ensureImages(docker, { bundleFile: kubeletBundlePath(), pull: false });
}

export interface WatchEvent<T = unknown> {
  type: string;
  object: T;
}

export interface Watch<T = unknown> {
  /** The HTTP status of the watch request. */
  status: Promise<number>;
  events: WatchEvent<T>[];
  close(): void;
}

export class UpCluster {
  readonly name: string;
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-up-'));
  readonly data = path.join(this.root, 'data');
  up: UpGroup | undefined;
  /** SIGKILLs the process group if the test process exits without remove() (a worker torn down). */
  private readonly killOnExit = () => {
    if (this.up) killGroup(this.up.pid, 'SIGKILL');
  };

  constructor(
    suffix: string,
    readonly nodes: number,
  ) {
    this.name = uniqueClusterName(suffix);
    process.on('exit', this.killOnExit);
  }

  get kubeconfig(): string {
    return path.join(this.data, 'kubeconfig');
  }

  /** `flotilla up` on this cluster's folder; `extra` may override `--port 0`. Resolves once it serves. */
  async start(extra: string[] = []): Promise<UpGroup> {
    if (this.up && this.up.child.exitCode === null && this.up.child.signalCode === null) throw new Error('flotilla up is already running');
    this.up = spawnUp(['--data', this.data, '--cluster', this.name, '--nodes', String(this.nodes), ...extra], { timeoutMs: 180_000 });
    await this.up.serving;
    return this.up;
  }

  /** The API server's URL as the kubeconfig names it now (`--port 0` picks a new one per start). */
  url(): string {
    return new URL(/server: (\S+)/.exec(fs.readFileSync(this.kubeconfig, 'utf8'))![1]!).toString().replace(/\/$/, '');
  }

  kubectlSession(args: string[], killAfterMs = 60_000): ChildSession {
    return startSession(KUBECTL, [`--kubeconfig=${this.kubeconfig}`, `--cache-dir=${path.join(this.root, 'kube-cache')}`, ...args], {
      env: { ...process.env, HOME: this.root, KUBECONFIG: this.kubeconfig },
      killAfterMs,
    });
  }

  async kubectl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    const s = this.kubectlSession(args, opts.timeoutMs ?? 60_000);
    if (opts.input !== undefined) s.write(opts.input);
    s.end();
    const r = await s.exited;
    return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  async kubectlOK(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** An authenticated request to the API server with the admin credentials of the kubeconfig. */
  api(method: string, urlPath: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    return call(this.url(), credsFrom(this.data), method, urlPath, body);
  }

  async getJSON<T>(urlPath: string): Promise<T> {
    const r = await this.api('GET', urlPath);
    if (r.status !== 200) throw new Error(`GET ${urlPath}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as T;
  }

  /** The `flotilla` CLI on this cluster's folder, e.g. cli(['node', 'partition', 'node-2']). */
  cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return flotilla([...args, '--data', this.data]);
  }

  /** Waits until all the cluster's nodes are Ready, as `kubectl get nodes` shows them. */
  async waitNodesReady(timeoutMs = 120_000): Promise<void> {
    await until(
      `${this.nodes} Ready nodes`,
      async () => {
        const rows = (await this.kubectlOK(['get', 'nodes', '--no-headers'])).trim().split('\n').filter(Boolean);
        return rows.length === this.nodes && rows.every((r) => r.split(/\s+/)[1] === 'Ready');
      },
      timeoutMs,
      250,
    );
  }

  /** A raw watch (`?watch=true` on `urlPath`), collecting its events until close(). */
  watch<T = unknown>(urlPath: string): Watch<T> {
    const creds = credsFrom(this.data);
    const events: WatchEvent<T>[] = [];
    let buf = '';
    let answered!: (code: number) => void;
    const status = new Promise<number>((r) => (answered = r));
    const req = https.get(new URL(urlPath, this.url()), { ca: creds.ca, headers: { Authorization: `Bearer ${creds.token}` } }, (res) => {
      answered(res.statusCode ?? 0);
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line) as WatchEvent<T>);
        }
      });
      res.on('error', () => {});
    });
    req.on('error', () => answered(0));
    return { status, events, close: () => req.destroy() };
  }

  /** Stops `up` (SIGTERM to its group, SIGKILL if it lingers), removes the cluster's Docker objects and the folder. */
  async remove(): Promise<void> {
    try {
      await this.up?.stop(15_000);
      await deleteClusterByName(this.name);
    } finally {
      process.off('exit', this.killOnExit);
      fs.rmSync(this.root, { recursive: true, force: true });
    }
  }
}

export function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    /* the group is gone */
  }
}
