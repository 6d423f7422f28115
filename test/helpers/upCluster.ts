import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pod } from '../../src-main/api/types.js';
import { call, credsFrom, flotilla, killGroup, spawnUp, type UpGroup } from './cliProcess.js';
import { deleteClusterByName, prepareNodeImages, uniqueClusterName } from './dockerCluster.js';
import { helloDeployment, manifest } from './helloApp.js';
import { runKubectl, runKubectlOK, type KubectlResult, type KubectlRunOptions, type KubectlTarget } from './kubectl.js';
import { until } from './wait.js';
import { openWatch, type WatchStream } from './watchStream.js';

// A cluster run the way a user runs one: `flotilla up --data DIR --cluster NAME --nodes N` as a
// child process (the leader of its own process group, like a command in a terminal), the real
// kubectl on DIR/kubeconfig, and the `flotilla` CLI for node actions. The cluster name is unique
// to the test (never the default one); remove() takes away the process group, every Docker object
// carrying the cluster's label and the folder, also after a test failed half-way. Call
// prepareNodeImages() (dockerCluster.ts) first, with a timeout long enough for a first build, or
// start with upWithWeb(), which does.

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

  private get kubectlTarget(): KubectlTarget {
    return { kubeconfig: this.kubeconfig, home: this.root };
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

  kubectl(args: string[], opts: KubectlRunOptions = {}): Promise<KubectlResult> {
    return runKubectl(this.kubectlTarget, args, { ...opts, timeoutMs: opts.timeoutMs ?? 60_000 });
  }

  kubectlOK(args: string[], opts: KubectlRunOptions = {}): Promise<string> {
    return runKubectlOK(this.kubectlTarget, args, { ...opts, timeoutMs: opts.timeoutMs ?? 60_000 });
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

  /** The pod list of a label selector in `default` (with the list's resourceVersion). */
  listPods(labelSelector: string): Promise<{ metadata: { resourceVersion: string }; items: Pod[] }> {
    return this.getJSON(`/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(labelSelector)}`);
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

  /** A raw watch (`?watch=true` on `urlPath`) with the kubeconfig's admin credentials, collecting its events until close(). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  watch<T = any>(urlPath: string): WatchStream<T> {
    return openWatch<T>({ url: this.url(), ...credsFrom(this.data) }, urlPath);
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

/**
 * `flotilla up` of a new cluster with `nodes` nodes, all Ready, running Deployment `web` of
 * `replicas` hello pods (helloApp.ts), rolled out. The cluster is removed again if any of it fails.
 */
export async function upWithWeb(suffix: string, nodes: number, replicas: number): Promise<UpCluster> {
  await prepareNodeImages();
  const c = new UpCluster(suffix, nodes);
  try {
    await c.start();
    await c.waitNodesReady();
    await c.kubectlOK(['apply', '-f', '-'], { input: manifest(helloDeployment('web', replicas)) });
    await c.kubectlOK(['rollout', 'status', 'deployment/web', '--timeout=120s'], { timeoutMs: 130_000 });
    return c;
  } catch (e) {
    await c.remove();
    throw e;
  }
}
