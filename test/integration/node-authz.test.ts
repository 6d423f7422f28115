import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';

// A node's token may write only its own Node and Lease, Events, and the status/deletion of pods
// bound to it (kube's Node authorizer + NodeRestriction, in essence).

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => c?.stop());

describe('node credentials', () => {
  const as = (node: string) => ({ Authorization: `Bearer ${c.cp.tokens.nodeToken(node)}` });
  const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });

  it('write their own Node, Lease and Events, and read anything', async () => {
    expect((await c.request('POST', '/api/v1/nodes', node('n1'), as('n1'))).status).toBe(201);
    expect((await c.request('PATCH', '/api/v1/nodes/n1/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { ...as('n1'), 'Content-Type': 'application/merge-patch+json' })).status).toBe(200);
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1' } };
    expect((await c.request('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', lease, as('n1'))).status).toBe(201);
    const ev = { metadata: { name: 'e1' }, involvedObject: { kind: 'Node', name: 'n1' }, reason: 'Starting', message: 'hi' };
    expect((await c.request('POST', '/api/v1/namespaces/default/events', ev, as('n1'))).status).toBe(201);
    expect((await c.request('GET', '/api/v1/namespaces/kube-system/configmaps', undefined, as('n1'))).status).toBe(200);
  });

  it('cannot touch other nodes, workloads or other nodes’ pods', async () => {
    expect((await c.request('POST', '/api/v1/nodes', node('n2'), as('n1'))).status).toBe(403);
    await c.request('POST', '/api/v1/nodes', node('n2'));
    const other = await c.request('PATCH', '/api/v1/nodes/n2', { metadata: { labels: { x: 'y' } } }, { ...as('n1'), 'Content-Type': 'application/merge-patch+json' });
    expect(other.status).toBe(403);
    expect(other.json).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(other.json.message).toContain('User "system:node:n1" cannot patch resource "nodes"');
    const cm = await c.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'x' } }, as('n1'));
    expect(cm.status).toBe(403);
    await c.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p2' }, spec: { nodeName: 'n2', containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    await c.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p1' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    const patch = (pod: string) => c.request('PATCH', `/api/v1/namespaces/default/pods/${pod}/status`, { status: { phase: 'Running' } }, { ...as('n1'), 'Content-Type': 'application/merge-patch+json' });
    expect((await patch('p2')).status).toBe(403);
    expect((await patch('p1')).status).toBe(200);
    expect((await c.request('DELETE', '/api/v1/namespaces/default/pods/p2', { gracePeriodSeconds: 0 }, as('n1'))).status).toBe(403);
    expect((await c.request('DELETE', '/api/v1/namespaces/default/pods/p1', { gracePeriodSeconds: 0 }, as('n1'))).status).toBe(200);
    expect((await c.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'p3' }, spec: { containers: [{ name: 'c', image: 'b' }] } }, as('n1'))).status).toBe(403);
    expect((await c.request('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n2', { metadata: { name: 'n2' } }, as('n1'))).status).toBe(403);
  });
});
