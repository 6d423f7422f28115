// Issue 4 acceptance, part 3: the user's whole round trip with the built CLI (dist/cli.cjs, made
// by `npm test`'s build step): `flotilla up --nodes 3 --cluster NAME` in a child process, work with
// the real kubectl, then `flotilla down`, which must leave no container, network or volume with
// the cluster's label.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImages } from '../../src-main/images/index.js';
import { kubeletBundlePath } from '../../src-main/dockerNodes.js';
import { KUBECTL, type KubectlResult } from '../helpers/controlPlane.js';
import { CLI, flotilla } from '../helpers/cliProcess.js';
import { parseTable } from '../helpers/kubectlTools.js';
import { deleteClusterByName, docker, dockerUp, leftovers, uniqueClusterName, warnIfKubeletBundleStale } from '../helpers/dockerCluster.js';
import { skipWithout } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('c');
const NODES = 3;

let root: string;
let data: string;
let up: ChildProcess | undefined;
let upOutput = '';
let upExited: Promise<number | null>;

function kubectl(args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const kubeconfig = path.join(data, 'kubeconfig');
    const child = spawn(KUBECTL, [`--kubeconfig=${kubeconfig}`, `--cache-dir=${path.join(root, 'kube-cache')}`, ...args], { env: { ...process.env, HOME: root, KUBECONFIG: kubeconfig } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

async function kubectlOK(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

describe.skipIf(skipWithout('a Docker engine', dockerUp))('flotilla up --nodes 3, then flotilla down (issue 4)', () => {
  beforeAll(async () => {
    warnIfKubeletBundleStale();
    // Build (first run on a fresh machine) or find the images here, with a generous timeout, so
    // that `up` below only creates containers.
    await ensureImages(docker, { bundleFile: kubeletBundlePath(), pull: false });
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-docker-cli-'));
    data = path.join(root, 'data');
  }, 300_000);

  afterAll(async () => {
    if (up && up.exitCode === null) {
      up.kill('SIGTERM');
      await Promise.race([upExited, new Promise((r) => setTimeout(r, 10_000))]);
      if (up.exitCode === null) up.kill('SIGKILL');
    }
    // Safety net for a failed test: whatever still carries the label goes.
    await deleteClusterByName(CLUSTER);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('up creates the nodes; kubectl runs a Deployment on them', async () => {
    const t0 = performance.now();
    up = spawn(process.execPath, [CLI, 'up', '--data', data, '--port', '0', '--nodes', String(NODES), '--cluster', CLUSTER, '--no-ui'], { env: { ...process.env, FLOTILLA_OFFLINE: '1' } });
    up.stdout!.on('data', (d) => (upOutput += d));
    up.stderr!.on('data', (d) => (upOutput += d));
    upExited = new Promise((resolve) => up!.on('exit', (code) => resolve(code)));
    await until('flotilla up to serve', async () => {
      if (up!.exitCode !== null) throw new Error(`flotilla up exited ${up!.exitCode}: ${upOutput}`);
      return /API server: https:\/\/127\.0\.0\.1:\d+/.test(upOutput);
    }, 120_000, 100);
    expect(upOutput).toContain(`kubeconfig: ${path.join(data, 'kubeconfig')}`);
    for (let i = 1; i <= NODES; i++) expect(upOutput).toMatch(new RegExp(`INFO cluster: node started cluster=${CLUSTER} node=node-${i} ip=\\d+\\.\\d+\\.\\d+\\.\\d+ `));
    const nodes = await until(
      `${NODES} Ready nodes in kubectl get nodes`,
      async () => {
        const rows = parseTable(await kubectlOK(['get', 'nodes'])).rows;
        return rows.length === NODES && rows.every((r) => r.STATUS === 'Ready') ? rows : undefined;
      },
      60_000,
      250,
    );
    console.log(`flotilla up: ${NODES} nodes Ready after ${Math.round(performance.now() - t0)} ms`);
    expect(nodes.map((r) => r.NAME)).toEqual(['node-1', 'node-2', 'node-3']);

    // A Deployment with a configMap and an emptyDir volume: pod containers and pod volumes exist.
    await kubectlOK(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: ConfigMap
metadata: {name: site}
data: {index.txt: hi}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: hello
        image: flotilla/hello:1.0
        imagePullPolicy: Never
        volumeMounts:
        - {name: site, mountPath: /site}
        - {name: scratch, mountPath: /scratch}
      volumes:
      - name: site
        configMap: {name: site}
      - name: scratch
        emptyDir: {}
`,
    );
    await kubectlOK(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const pods = parseTable(await kubectlOK(['get', 'pods', '-o', 'wide'])).rows;
    expect(pods.map((r) => r.STATUS)).toEqual(['Running', 'Running', 'Running']);
    expect(await kubectlOK(['exec', `deployment/web`, '--', 'cat', '/site/index.txt'])).toBe('hi');

    const before = await leftovers(CLUSTER);
    console.log(`cluster ${CLUSTER} holds ${before.containers.length} containers, ${before.volumes.length} volumes, networks ${before.networks.join(', ')}`);
    expect(before.containers.length).toBeGreaterThanOrEqual(NODES + 2 * 3); // nodes, sandboxes, app containers
    expect(before.volumes.length).toBeGreaterThanOrEqual(NODES + 3);
    expect(before.networks).toEqual([`flotilla.${CLUSTER}`]);
  }, 240_000);

  it('flotilla down stops up and leaves no container, network or volume with the cluster label', async () => {
    expect(up?.exitCode).toBeNull(); // still serving
    const t0 = performance.now();
    const down = await flotilla(['down', '--data', data]);
    console.log(`flotilla down: ${Math.round(performance.now() - t0)} ms: ${down.stdout.trim().replace(/\n/g, '; ')}`);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^removed \d+ containers, \d+ volumes and 1 networks$/m);
    expect(down.stdout).toContain(`removed the cluster at ${data}`);
    expect(await upExited).toBe(0);
    expect(upOutput).toContain('stopped.');
    expect(fs.existsSync(data)).toBe(false);
    expect(await leftovers(CLUSTER)).toEqual({ containers: [], volumes: [], networks: [] });
    // A second down finds nothing to do.
    const again = await flotilla(['down', '--data', data]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to remove');
  }, 60_000);
});
