// A real client library in a real pod, configured the way in-cluster programs are: the official
// JavaScript client's KubeConfig.loadFromCluster() reads KUBERNETES_SERVICE_HOST/PORT and the
// projected service account token and CA, dials the `kubernetes` ClusterIP (which kube-proxy
// sends to the API server's endpoint), verifies the server certificate against the CA, and
// lists the pods of its namespace with the pod's own token.
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src-main/api/types.js';
import { buildImage } from '../../src-main/images/dockerOps.js';
import { tarContext } from '../../src-main/images/tarContext.js';
import { removeDockerCluster, startDockerCluster, uniqueClusterName, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { docker } from '../helpers/dockerEngine.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('incluster');
const IMAGE = 'flotilla-test/in-cluster-client:1';
let c: DockerTestCluster;

const APP = `
import * as k8s from '@kubernetes/client-node';
import fs from 'node:fs';
const kc = new k8s.KubeConfig();
kc.loadFromCluster();
const api = kc.makeApiClient(k8s.CoreV1Api);
const namespace = fs.readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8');
try {
  const pods = await api.listNamespacedPod({ namespace });
  console.log(JSON.stringify({ server: kc.getCurrentCluster().server, pods: pods.items.map((p) => p.metadata.name) }));
} catch (e) {
  console.log(JSON.stringify({ error: String(e && (e.body || e.message || e)) }));
  process.exit(1);
}
`;

/** The client library bundled into one file on the hello image (which has node): no registry. */
async function buildClientImage(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'in-cluster-'));
  try {
    const entry = path.join(process.cwd(), `.in-cluster-app-${process.pid}.mjs`);
    fs.writeFileSync(entry, APP);
    try {
      await build({
        entryPoints: [entry],
        outfile: path.join(dir, 'app.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        logLevel: 'warning',
        banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      });
    } finally {
      fs.rmSync(entry, { force: true });
    }
    await buildImage(docker, {
      tag: IMAGE,
      context: tarContext([
        { name: 'Dockerfile', content: 'FROM flotilla/hello:1.0\nCOPY app.mjs /app.mjs\n' },
        { name: 'app.mjs', file: path.join(dir, 'app.mjs') },
      ]),
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  c = await startDockerCluster(CLUSTER, { nodes: 1 });
  await buildClientImage();
}, 180_000);

afterAll(async () => removeDockerCluster(c, CLUSTER), 120_000);

describe('in-cluster API access', () => {
  it("lets @kubernetes/client-node's loadFromCluster list pods through the kubernetes ClusterIP", async () => {
    const svc = (await c.request('GET', '/api/v1/namespaces/default/services/kubernetes')).json as { spec: { clusterIP: string } };
    await c.kubectlOK(['create', 'namespace', 'apps']);
    await c.kubectlOK(['apply', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'lister', namespace: 'apps' }, spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'Never', command: ['node', '/app.mjs'] }] } }),
    });
    const phase = await until('the lister pod finished', async () => {
      const p = (await c.request('GET', '/api/v1/namespaces/apps/pods/lister')).json as Pod;
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p.status.phase : undefined;
    }, 90_000);
    const logs = (await c.kubectlOK(['-n', 'apps', 'logs', 'lister'])).trim();
    expect(phase, logs).toBe('Succeeded');
    expect(JSON.parse(logs.split('\n').pop()!)).toEqual({ server: `https://${svc.spec.clusterIP}:443`, pods: ['lister'] });
  }, 120_000);
});
