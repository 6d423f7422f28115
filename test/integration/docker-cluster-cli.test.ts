// Issue 4 acceptance, part 3: the user's whole round trip with the built CLI (dist/cli.cjs, made
// by `npm test`'s build step): `flotilla up --nodes 3 --cluster NAME` in a child process, work with
// the real kubectl, then `flotilla down`, which must leave no container, network or volume with
// the cluster's label.
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftovers, prepareNodeImages } from '../helpers/dockerCluster.js';
import { dockerUp } from '../helpers/dockerEngine.js';
import { helloContainer, helloDeployment, manifest } from '../helpers/helloApp.js';
import { parseTable } from '../helpers/kubectlTools.js';
import { skipWithout } from '../helpers/requirements.js';
import { UpCluster } from '../helpers/upCluster.js';
import { until } from '../helpers/wait.js';

const NODES = 3;

let c: UpCluster;
let ingressPort = 0;

/** GET / on 127.0.0.1:port with a Host header (what a browser sends for http://<host>:port/). */
function getVia(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { Host: host }, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe.skipIf(skipWithout('a Docker engine', dockerUp))('flotilla up --nodes 3, then flotilla down (issue 4)', () => {
  beforeAll(async () => {
    // Build (first run on a fresh machine) or find the images here, with a generous timeout, so
    // that `up` below only creates containers.
    await prepareNodeImages();
    c = new UpCluster('c', NODES);
  }, 300_000);

  afterAll(async () => {
    // Safety net for a failed test: `up` stopped, whatever still carries the label goes.
    await c?.remove();
  }, 120_000);

  it('up creates the nodes; kubectl runs a Deployment on them', async () => {
    const t0 = performance.now();
    // Free ports for the ingress (80 may be another cluster's on this machine).
    const up = await c.start(['--ingress-port', '0', '--ingress-https-port', '0']);
    expect(await up.serving).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(up.output()).toContain(`kubeconfig: ${c.kubeconfig}`);
    const ingressLine = /Ingress: http:\/\/<name>\.localhost:(\d+) and https:\/\/<name>\.localhost:(\d+) \(an Ingress with host <name>\.localhost opens there\)/.exec(up.output());
    expect(ingressLine).not.toBeNull();
    ingressPort = Number(ingressLine![1]);
    for (let i = 1; i <= NODES; i++) expect(up.output()).toMatch(new RegExp(`INFO cluster: node started cluster=${c.name} node=node-${i} ip=\\d+\\.\\d+\\.\\d+\\.\\d+ `));
    const nodes = await until(
      `${NODES} Ready nodes in kubectl get nodes`,
      async () => {
        const rows = parseTable(await c.kubectlOK(['get', 'nodes'])).rows;
        return rows.length === NODES && rows.every((r) => r.STATUS === 'Ready') ? rows : undefined;
      },
      60_000,
      250,
    );
    console.log(`flotilla up: ${NODES} nodes Ready after ${Math.round(performance.now() - t0)} ms`);
    expect(nodes.map((r) => r.NAME)).toEqual(['node-1', 'node-2', 'node-3']);

    // A Deployment with a configMap and an emptyDir volume: pod containers and pod volumes exist.
    const site = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'site' }, data: { 'index.txt': 'hi' } };
    const web = helloDeployment('web', 3, {
      container: helloContainer({ volumeMounts: [{ name: 'site', mountPath: '/site' }, { name: 'scratch', mountPath: '/scratch' }] }),
      volumes: [
        { name: 'site', configMap: { name: 'site' } },
        { name: 'scratch', emptyDir: {} },
      ],
    });
    await c.kubectlOK(['apply', '-f', '-'], { input: manifest(site, web) });
    await c.kubectlOK(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    const pods = parseTable(await c.kubectlOK(['get', 'pods', '-o', 'wide'])).rows;
    expect(pods.map((r) => r.STATUS)).toEqual(['Running', 'Running', 'Running']);
    expect(await c.kubectlOK(['exec', `deployment/web`, '--', 'cat', '/site/index.txt'])).toBe('hi');

    // The app opens at http://web.localhost:<port>, as a browser on this computer would open it.
    await c.kubectlOK(['expose', 'deployment/web', '--port=80', '--target-port=8080']);
    await c.kubectlOK(['create', 'ingress', 'web', '--rule=web.localhost/*=web:80']);
    const answer = await until('http://web.localhost answers through the ingress', async () => {
      const r = await getVia(ingressPort, 'web.localhost').catch(() => undefined);
      return r?.status === 200 ? r.body : undefined;
    }, 60_000, 250);
    expect(answer).toMatch(/^Hello from web-/);
    expect(parseTable(await c.kubectlOK(['get', 'ingress', 'web'])).rows[0]!.ADDRESS).toBe('127.0.0.1');

    const before = await leftovers(c.name);
    console.log(`cluster ${c.name} holds ${before.containers.length} containers, ${before.volumes.length} volumes, networks ${before.networks.join(', ')}`);
    expect(before.containers.length).toBeGreaterThanOrEqual(NODES + 2 * 3); // nodes, sandboxes, app containers
    expect(before.volumes.length).toBeGreaterThanOrEqual(NODES + 3);
    expect(before.networks).toEqual([`flotilla.${c.name}`]);
  }, 240_000);

  it('flotilla down stops up and leaves no container, network or volume with the cluster label', async () => {
    const up = c.up!;
    expect(up.child.exitCode).toBeNull(); // still serving
    const t0 = performance.now();
    const down = await c.cli(['down']);
    console.log(`flotilla down: ${Math.round(performance.now() - t0)} ms: ${down.stdout.trim().replace(/\n/g, '; ')}`);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^removed \d+ containers, \d+ volumes and 1 networks$/m);
    expect(down.stdout).toContain(`removed the cluster at ${c.data}`);
    expect(await up.exited).toBe(0);
    expect(up.output()).toContain('stopped.');
    expect(fs.existsSync(c.data)).toBe(false);
    expect(await leftovers(c.name)).toEqual({ containers: [], volumes: [], networks: [] });
    // A second down finds nothing to do.
    const again = await c.cli(['down']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing to remove');
  }, 60_000);
});
