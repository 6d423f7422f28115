// In-cluster API access on a real Docker node: a pod gets its service account token volume
// (token bound to the pod, the cluster CA, its namespace) and the `kubernetes` service variables,
// and with that token and CA it lists pods over HTTPS at the address the `kubernetes` Endpoints
// publish, verifying the server's certificate. (The ClusterIP itself needs kube-proxy.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { getPod, removeDockerCluster, startDockerCluster, uniqueClusterName, waitPodReady, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { dockerUp } from '../helpers/dockerEngine.js';
import { helloContainer, manifest } from '../helpers/helloApp.js';
import { skipWithout } from '../helpers/requirements.js';

const CLUSTER = uniqueClusterName('sa');
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
let c: DockerTestCluster;

const pod = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { terminationGracePeriodSeconds: 1, containers: [helloContainer({ name: 'app' })], ...spec },
});

/** Runs a Node.js script in the pod's container; its stdout. */
async function inPod(name: string, script: string): Promise<string> {
  const r = await c.kubectl(['exec', name, '--', 'node', '-e', script]);
  if (r.code !== 0) throw new Error(`exec in ${name} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(skipWithout('a Docker engine', dockerUp))('in-cluster API access from a pod on a Docker node', () => {
  beforeAll(async () => {
    c = await startDockerCluster(CLUSTER, { nodes: 1 });
    await c.kubectlOK(['apply', '-f', '-'], { input: manifest(pod('reader'), pod('opted-out', { automountServiceAccountToken: false })) });
    await waitPodReady(c, 'reader', 60_000);
    await waitPodReady(c, 'opted-out', 60_000);
  }, 300_000);

  afterAll(async () => {
    await removeDockerCluster(c, CLUSTER);
  }, 120_000);

  it('publishes the address pods reach the API server at as the kubernetes endpoints', async () => {
    const ep = (await c.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes')).json;
    const url = new URL(c.cp.docker!.cluster.apiUrl);
    const expected = await c.cp.docker!.cluster.podApiEndpoint();
    expect(expected).not.toBeNull();
    expect(ep.subsets).toEqual([{ addresses: [{ ip: expected!.ip }], ports: [{ name: 'https', port: Number(url.port), protocol: 'TCP' }] }]);
    const slice = (await c.request('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes')).json;
    expect(slice.endpoints).toEqual([{ addresses: [expected!.ip], conditions: { ready: true } }]);
    expect(slice.ports).toEqual([{ name: 'https', port: Number(url.port), protocol: 'TCP' }]);
    const svc = (await c.request('GET', '/api/v1/namespaces/default/services/kubernetes')).json;
    expect(svc.spec.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: Number(url.port) }]);
  });

  it('mounts a token bound to the pod, the cluster CA and the namespace', async () => {
    const out = JSON.parse(await inPod('reader', `const fs = require('fs'); const d = ${JSON.stringify(SA_DIR)}; console.log(JSON.stringify({ token: fs.readFileSync(d + '/token', 'utf8'), ca: fs.readFileSync(d + '/ca.crt', 'utf8'), namespace: fs.readFileSync(d + '/namespace', 'utf8') }))`));
    const reader = (await getPod(c, 'reader'))!;
    expect(out.ca).toBe(c.cp.caCert);
    expect(out.namespace).toBe('default');
    const claims = decodeJwt(out.token) as Record<string, any>;
    expect(claims.sub).toBe('system:serviceaccount:default:default');
    expect(claims['kubernetes.io'].pod).toEqual({ name: 'reader', uid: reader.metadata.uid });
    expect(claims['kubernetes.io'].node.name).toBe(reader.spec.nodeName);
  });

  it('lists pods with that token at the published endpoint, verifying the server certificate', async () => {
    const ep = (await c.request('GET', '/api/v1/namespaces/default/endpoints/kubernetes')).json.subsets[0];
    const script = `
      const fs = require('fs'); const https = require('https'); const d = ${JSON.stringify(SA_DIR)};
      const ns = fs.readFileSync(d + '/namespace', 'utf8');
      https.get({ host: ${JSON.stringify(ep.addresses[0].ip)}, port: ${ep.ports[0].port}, path: '/api/v1/namespaces/' + ns + '/pods',
        ca: fs.readFileSync(d + '/ca.crt'), headers: { Authorization: 'Bearer ' + fs.readFileSync(d + '/token', 'utf8') } }, (res) => {
        let body = ''; res.on('data', (b) => (body += b)); res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body })));
      }).on('error', (e) => { console.error(String(e)); process.exit(1); });`;
    const out = JSON.parse(await inPod('reader', script));
    expect(out.status).toBe(200);
    const list = JSON.parse(out.body);
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p: { metadata: { name: string } }) => p.metadata.name).sort()).toEqual(['opted-out', 'reader']);
  });

  it('gives every pod the kubernetes service variables', async () => {
    const svc = (await c.request('GET', '/api/v1/namespaces/default/services/kubernetes')).json;
    const ip = svc.spec.clusterIP;
    const env = JSON.parse(await inPod('opted-out', `console.log(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('KUBERNETES_')))))`));
    expect(env).toEqual({
      KUBERNETES_SERVICE_HOST: ip,
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: `tcp://${ip}:443`,
      KUBERNETES_PORT_443_TCP: `tcp://${ip}:443`,
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: ip,
    });
  });

  it('mounts nothing in a pod that opted out', async () => {
    const out = await inPod('opted-out', `console.log(require('fs').existsSync(${JSON.stringify(SA_DIR)}))`);
    expect(out.trim()).toBe('false');
  });
});
