import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';

// kube-proxy's token (shared by every node container, so it may leak to a pod that breaks into a
// node) can do exactly what kube's system:node-proxier ClusterRole grants: list and watch
// Services, Endpoints and EndpointSlices, read Nodes, write Events. Everything else is a 403 worded
// as kube-apiserver words it.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => c?.stop());

const as = () => ({ Authorization: `Bearer ${c.cp.tokens.proxyToken}` });

describe('kube-proxy credentials', () => {
  it('list and watch Services and EndpointSlices, read Nodes, create Events', async () => {
    expect((await c.request('GET', '/api/v1/services', undefined, as())).status).toBe(200);
    expect((await c.request('GET', '/api/v1/endpoints', undefined, as())).status).toBe(200);
    expect((await c.request('GET', '/apis/discovery.k8s.io/v1/endpointslices?limit=5', undefined, as())).status).toBe(200);
    expect((await c.request('GET', '/api/v1/nodes', undefined, as())).status).toBe(200);
    const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'proxy-ev', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n1' }, reason: 'Test', message: 'm', type: 'Normal' };
    expect((await c.request('POST', '/api/v1/namespaces/default/events', ev, as())).status).toBe(201);
  });

  it('are refused everything else with kube\'s Forbidden', async () => {
    const refused: [string, string, string][] = [
      ['GET', '/api/v1/namespaces/default/secrets', 'User "system:kube-proxy" cannot list resource "secrets" in API group "" in the namespace "default"'],
      ['GET', '/api/v1/pods', 'User "system:kube-proxy" cannot list resource "pods" in API group "" at the cluster scope'],
      ['GET', '/api/v1/namespaces/default/services/kubernetes', 'User "system:kube-proxy" cannot get resource "services" in API group "" in the namespace "default"'],
      ['DELETE', '/api/v1/namespaces/default/services/kubernetes', 'User "system:kube-proxy" cannot delete resource "services" in API group "" in the namespace "default"'],
      ['PATCH', '/api/v1/nodes/n1/status', 'User "system:kube-proxy" cannot patch resource "nodes/status" in API group "" at the cluster scope'],
    ];
    for (const [method, path, message] of refused) {
      const r = await c.request(method, path, method === 'PATCH' ? {} : undefined, { ...as(), 'Content-Type': 'application/merge-patch+json' });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.json).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, message: expect.stringContaining(message) });
    }
  });
});
