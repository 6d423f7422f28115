import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { rawRequest } from '../helpers/rawHttp.js';

// A node's token can do what kube's Node authorizer, the system:node rules and NodeRestriction
// let a kubelet do: read its own Node, pods bound to it and the secrets/configmaps those pods
// reference (one named object at a time), all services; write its own Node (never its taints nor
// labels outside the kubelet's set), its own Lease, Events, and the status and deletion of pods
// bound to it. Every refusal is a 403 worded as kube-apiserver words it.

let c: TestCluster;
const NS = 'default';

beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => c?.stop());

const token = (node: string) => c.cp.tokens.nodeToken(node);
const as = (node: string) => ({ Authorization: `Bearer ${token(node)}` });
const merge = (node: string) => ({ ...as(node), 'Content-Type': 'application/merge-patch+json' });
const nodeObj = (name: string, labels?: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, ...(labels ? { labels } : {}) } });
const pod = (name: string, nodeName: string, spec: Record<string, unknown> = {}) => ({
  metadata: { name, labels: { app: name } },
  spec: { nodeName, containers: [{ name: 'c', image: 'busybox:1.36' }], ...spec },
});

/** kube's authorization refusal: `User "..." cannot <verb> resource "<r>" in API group "" in the namespace "<ns>"[: <reason>]`. */
function cannot(verb: string, resource: string, ns: string | undefined, reason?: string, node = 'n1'): string {
  const scope = ns ? `in the namespace "${ns}"` : 'at the cluster scope';
  return `User "system:node:${node}" cannot ${verb} resource "${resource}" in API group "" ${scope}${reason ? `: ${reason}` : ''}`;
}

async function ensure(path: string, body: unknown): Promise<void> {
  const r = await c.request('POST', path, body);
  if (r.status !== 201 && r.status !== 409) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
}

async function expectForbidden(p: Promise<{ status: number; json: unknown }>, message: string): Promise<void> {
  const r = await p;
  expect(r.status).toBe(403);
  expect(r.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403, message });
}

describe('node credentials: writes', () => {
  it('register and update their own Node, Lease and Events', async () => {
    expect((await c.request('POST', '/api/v1/nodes', nodeObj('n1', { 'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux' }), as('n1'))).status).toBe(201);
    expect((await c.request('PATCH', '/api/v1/nodes/n1/status', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, merge('n1'))).status).toBe(200);
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1' } };
    expect((await c.request('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', lease, as('n1'))).status).toBe(201);
    expect((await c.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', undefined, as('n1'))).status).toBe(200);
    const ev = { metadata: { name: 'e1' }, involvedObject: { kind: 'Node', name: 'n1' }, reason: 'Starting', message: 'hi' };
    expect((await c.request('POST', `/api/v1/namespaces/${NS}/events`, ev, as('n1'))).status).toBe(201);
    expect((await c.request('PATCH', `/api/v1/namespaces/${NS}/events/e1`, { count: 2 }, merge('n1'))).status).toBe(200);
  });

  it('cannot touch other nodes, their leases, workloads or events', async () => {
    await ensure('/api/v1/nodes', nodeObj('n2'));
    await expectForbidden(c.request('POST', '/api/v1/nodes', nodeObj('n2'), as('n1')), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    await expectForbidden(c.request('PATCH', '/api/v1/nodes/n2', { metadata: { labels: { x: 'y' } } }, merge('n1')), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    await expectForbidden(c.request('PATCH', '/api/v1/nodes/n2/status', { status: {} }, merge('n1')), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    await expectForbidden(c.request('DELETE', '/api/v1/nodes/n1', undefined, as('n1')), `nodes "n1" is forbidden: ${cannot('delete', 'nodes', undefined)}`);
    await expectForbidden(
      c.request('PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n2', { metadata: { name: 'n2' } }, as('n1')),
      'leases.coordination.k8s.io "n2" is forbidden: User "system:node:n1" cannot update resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": can only access node lease with the same name as the requesting node',
    );
    await expectForbidden(
      c.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { metadata: { name: 'n2' }, spec: {} }, as('n1')),
      'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node',
    );
    await expectForbidden(
      c.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/n1`, undefined, as('n1')),
      `leases.coordination.k8s.io "n1" is forbidden: User "system:node:n1" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "${NS}": can only access leases in the "kube-node-lease" system namespace`,
    );
    await expectForbidden(
      c.request('POST', `/api/v1/namespaces/${NS}/configmaps`, { metadata: { name: 'x' } }, as('n1')),
      `configmaps is forbidden: ${cannot('create', 'configmaps', NS, 'can only read resources of this type')}`,
    );
    await expectForbidden(c.request('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, { metadata: { name: 'd' } }, as('n1')), 'deployments.apps is forbidden: User "system:node:n1" cannot create resource "deployments" in API group "apps" in the namespace "default"');
    await expectForbidden(c.request('DELETE', `/api/v1/namespaces/${NS}/events/e1`, undefined, as('n1')), `events "e1" is forbidden: ${cannot('delete', 'events', NS)}`);
  });

  it('update the status of and delete only pods bound to them, and create no pods', async () => {
    await ensure(`/api/v1/namespaces/${NS}/pods`, pod('w1', 'n1'));
    await ensure(`/api/v1/namespaces/${NS}/pods`, pod('w2', 'n2'));
    const status = (p: string, body: unknown = { status: { phase: 'Running' } }) => c.request('PATCH', `/api/v1/namespaces/${NS}/pods/${p}/status`, body, merge('n1'));
    await expectForbidden(status('w2'), 'pods "w2" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself');
    expect((await status('w1')).status).toBe(200);
    await expectForbidden(c.request('DELETE', `/api/v1/namespaces/${NS}/pods/w2`, { gracePeriodSeconds: 0 }, as('n1')), 'pods "w2" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    await expectForbidden(c.request('PATCH', `/api/v1/namespaces/${NS}/pods/w1`, { metadata: { labels: { a: 'b' } } }, merge('n1')), `pods "w1" is forbidden: ${cannot('patch', 'pods', NS)}`);
    await expectForbidden(
      c.request('POST', `/api/v1/namespaces/${NS}/pods/w2/binding`, { target: { kind: 'Node', name: 'n1' } }, as('n1')),
      `pods "w2" is forbidden: ${cannot('create', 'pods/binding', NS)}`,
    );
    await expectForbidden(
      c.request('POST', `/api/v1/namespaces/${NS}/pods`, pod('w3', 'n1'), as('n1')),
      'pods "w3" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods',
    );
    await expectForbidden(c.request('DELETE', `/api/v1/namespaces/${NS}/pods`, undefined, as('n1')), `pods is forbidden: ${cannot('deletecollection', 'pods', NS)}`);
    expect((await c.request('DELETE', `/api/v1/namespaces/${NS}/pods/w1`, { gracePeriodSeconds: 0 }, as('n1'))).status).toBe(200);
    expect((await c.request('GET', `/api/v1/namespaces/${NS}/pods/w2`)).status).toBe(200);
  });

  it('cannot relabel a pod through its status', async () => {
    await ensure(`/api/v1/namespaces/${NS}/pods`, pod('w4', 'n1'));
    await expectForbidden(
      c.request('PATCH', `/api/v1/namespaces/${NS}/pods/w4/status`, { metadata: { labels: { app: 'other' } } }, merge('n1')),
      'pods "w4" is forbidden: node "n1" cannot update labels through pod status',
    );
    // Annotations through status stay allowed, as in kube.
    expect((await c.request('PATCH', `/api/v1/namespaces/${NS}/pods/w4/status`, { metadata: { annotations: { note: 'x' } } }, merge('n1'))).status).toBe(200);
  });
});

describe('node credentials: their own Node object', () => {
  const kubectlAs = (node: string, args: string[]) => c.kubectl([`--token=${token(node)}`, ...args]);

  it('set the labels a kubelet may set, through kubectl', async () => {
    await ensure('/api/v1/nodes', nodeObj('n1'));
    const r = await kubectlAs('n1', ['label', 'node', 'n1', '--overwrite', 'kubernetes.io/hostname=n1-host', 'node.kubernetes.io/pool=a', 'topology.kubernetes.io/zone=z1', 'example.com/tier=gold']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const n = await c.request('GET', '/api/v1/nodes/n1');
    expect(n.json.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': 'n1-host', 'node.kubernetes.io/pool': 'a', 'topology.kubernetes.io/zone': 'z1', 'example.com/tier': 'gold' });
  });

  it('cannot label themselves control-plane or set node-restriction labels', async () => {
    await ensure('/api/v1/nodes', nodeObj('n1'));
    const cp = await kubectlAs('n1', ['label', 'node', 'n1', 'node-role.kubernetes.io/control-plane=']);
    expect(cp.code).not.toBe(0);
    expect(cp.stderr).toContain('Error from server (Forbidden): nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane');
    await expectForbidden(
      c.request('PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'node-restriction.kubernetes.io/x': 'y', 'sub.k8s.io/a': 'b' } } }, merge('n1')),
      'nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x, sub.k8s.io/a',
    );
    // Through the status subresource too.
    await expectForbidden(
      c.request('PATCH', '/api/v1/nodes/n1/status', { metadata: { labels: { 'node-role.kubernetes.io/control-plane': '' } } }, merge('n1')),
      'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane',
    );
    // Nor remove one an administrator set.
    expect((await c.request('PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'node-role.kubernetes.io/worker': '' } } }, { 'Content-Type': 'application/merge-patch+json' })).status).toBe(200);
    await expectForbidden(
      c.request('PATCH', '/api/v1/nodes/n1', { metadata: { labels: { 'node-role.kubernetes.io/worker': null } } }, merge('n1')),
      'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/worker',
    );
    const labels = (await c.request('GET', '/api/v1/nodes/n1')).json.metadata.labels;
    expect(labels).not.toHaveProperty('node-role.kubernetes.io/control-plane');
    expect(labels).not.toHaveProperty('node-restriction.kubernetes.io/x');
    expect(labels).toHaveProperty('node-role.kubernetes.io/worker');
  });

  it('cannot register with forbidden labels', async () => {
    await expectForbidden(
      c.request('POST', '/api/v1/nodes', nodeObj('n5', { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'n5' }), as('n5')),
      'nodes "n5" is forbidden: node "n5" is not allowed to set the following labels: node-role.kubernetes.io/control-plane',
    );
  });

  it('cannot change their taints', async () => {
    await ensure('/api/v1/nodes', nodeObj('n1'));
    await expectForbidden(c.request('PATCH', '/api/v1/nodes/n1', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }, merge('n1')), 'nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    expect((await c.request('PATCH', '/api/v1/nodes/n1', { spec: { unschedulable: true } }, merge('n1'))).status).toBe(200);
  });

  it('read only their own Node', async () => {
    await ensure('/api/v1/nodes', nodeObj('n1'));
    await ensure('/api/v1/nodes', nodeObj('n2'));
    expect((await c.request('GET', '/api/v1/nodes/n1', undefined, as('n1'))).status).toBe(200);
    const own = await c.request('GET', '/api/v1/nodes?fieldSelector=metadata.name%3Dn1', undefined, as('n1'));
    expect(own.status).toBe(200);
    expect(own.json.items.map((n: { metadata: { name: string } }) => n.metadata.name)).toEqual(['n1']);
    const watch = await c.request('GET', '/api/v1/nodes?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dn1', undefined, as('n1'));
    expect(watch.status).toBe(200);
    expect(watch.text).toContain('"name":"n1"');
    await expectForbidden(c.request('GET', '/api/v1/nodes/n2', undefined, as('n1')), `nodes "n2" is forbidden: ${cannot('get', 'nodes', undefined, "node 'n1' cannot read 'n2', only its own Node object")}`);
    await expectForbidden(c.request('GET', '/api/v1/nodes', undefined, as('n1')), `nodes is forbidden: ${cannot('list', 'nodes', undefined, "node 'n1' cannot read all nodes, only its own Node object")}`);
  });
});

describe('node credentials: reads', () => {
  beforeAll(async () => {
    for (const n of ['n1', 'n2']) await ensure('/api/v1/nodes', nodeObj(n));
    for (const s of ['s-vol', 's-env', 's-proj', 's-pull', 's-other', 's-unused']) await ensure(`/api/v1/namespaces/${NS}/secrets`, { metadata: { name: s }, stringData: { k: s } });
    for (const m of ['cm-env', 'cm-vol', 'cm-other', 'cm-unused']) await ensure(`/api/v1/namespaces/${NS}/configmaps`, { metadata: { name: m }, data: { k: m } });
    await ensure(
      `/api/v1/namespaces/${NS}/pods`,
      pod('r1', 'n1', {
        imagePullSecrets: [{ name: 's-pull' }],
        initContainers: [{ name: 'i', image: 'busybox:1.36', env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's-env', key: 'k' } } }] }],
        containers: [{ name: 'c', image: 'busybox:1.36', envFrom: [{ configMapRef: { name: 'cm-env' } }] }],
        volumes: [
          { name: 'v1', secret: { secretName: 's-vol' } },
          { name: 'v2', configMap: { name: 'cm-vol' } },
          { name: 'v3', projected: { sources: [{ secret: { name: 's-proj' } }, { configMap: { name: 'cm-missing', optional: true } }] } },
        ],
      }),
    );
    await ensure(`/api/v1/namespaces/${NS}/pods`, pod('r2', 'n2', { volumes: [{ name: 'v', secret: { secretName: 's-other' } }, { name: 'w', configMap: { name: 'cm-other' } }] }));
  });

  it('get the secrets and configmaps their pods reference, and no others', async () => {
    for (const s of ['s-vol', 's-env', 's-proj', 's-pull']) {
      const r = await c.request('GET', `/api/v1/namespaces/${NS}/secrets/${s}`, undefined, as('n1'));
      expect(r.status, s).toBe(200);
      expect(r.json.metadata.name).toBe(s);
    }
    for (const m of ['cm-env', 'cm-vol']) expect((await c.request('GET', `/api/v1/namespaces/${NS}/configmaps/${m}`, undefined, as('n1'))).status, m).toBe(200);
    // Referenced but missing: the node learns it is missing, as the kubelet needs to.
    expect((await c.request('GET', `/api/v1/namespaces/${NS}/configmaps/cm-missing`, undefined, as('n1'))).status).toBe(404);
    const noRelation = "no relationship found between node 'n1' and this object";
    for (const s of ['s-other', 's-unused', 's-absent']) {
      await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}/secrets/${s}`, undefined, as('n1')), `secrets "${s}" is forbidden: ${cannot('get', 'secrets', NS, noRelation)}`);
    }
    await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}/configmaps/cm-other`, undefined, as('n1')), `configmaps "cm-other" is forbidden: ${cannot('get', 'configmaps', NS, noRelation)}`);
    // The other node reads its own pod's secret, not ours.
    expect((await c.request('GET', `/api/v1/namespaces/${NS}/secrets/s-other`, undefined, as('n2'))).status).toBe(200);
    await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}/secrets/s-vol`, undefined, as('n2')), `secrets "s-vol" is forbidden: ${cannot('get', 'secrets', NS, "no relationship found between node 'n2' and this object", 'n2')}`);
    // A secret's access ends with the pod that referenced it.
    await ensure(`/api/v1/namespaces/${NS}/pods`, pod('r3', 'n1', { volumes: [{ name: 'v', secret: { secretName: 's-unused' } }] }));
    expect((await c.request('GET', `/api/v1/namespaces/${NS}/secrets/s-unused`, undefined, as('n1'))).status).toBe(200);
    expect((await c.request('DELETE', `/api/v1/namespaces/${NS}/pods/r3`, { gracePeriodSeconds: 0 })).status).toBe(200);
    await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}/secrets/s-unused`, undefined, as('n1')), `secrets "s-unused" is forbidden: ${cannot('get', 'secrets', NS, noRelation)}`);
  });

  it('list and watch secrets and configmaps only one named object at a time', async () => {
    const one = await c.request('GET', `/api/v1/namespaces/${NS}/secrets?fieldSelector=metadata.name%3Ds-vol`, undefined, as('n1'));
    expect(one.status).toBe(200);
    expect(one.json.items.map((s: { metadata: { name: string } }) => s.metadata.name)).toEqual(['s-vol']);
    const watch = await c.request('GET', `/api/v1/namespaces/${NS}/configmaps?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Dcm-vol`, undefined, as('n1'));
    expect(watch.status).toBe(200);
    expect(watch.text).toContain('"name":"cm-vol"');
    await expectForbidden(
      c.request('GET', `/api/v1/namespaces/${NS}/secrets?fieldSelector=metadata.name%3Ds-other`, undefined, as('n1')),
      `secrets "s-other" is forbidden: ${cannot('list', 'secrets', NS, "no relationship found between node 'n1' and this object")}`,
    );
    await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}/secrets`, undefined, as('n1')), `secrets is forbidden: ${cannot('list', 'secrets', NS, 'No Object name found')}`);
    await expectForbidden(c.request('GET', '/api/v1/secrets', undefined, as('n1')), `secrets is forbidden: ${cannot('list', 'secrets', undefined, 'can only read namespaced object of this type')}`);
    await expectForbidden(c.request('GET', '/api/v1/configmaps?watch=true', undefined, as('n1')), `configmaps is forbidden: ${cannot('watch', 'configmaps', undefined, 'can only read namespaced object of this type')}`);
    // Through kubectl, as an operator holding a leaked node token would try.
    const r = await c.kubectl([`--token=${token('n1')}`, 'get', 'secrets', '-A']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Error from server (Forbidden): secrets is forbidden: ${cannot('list', 'secrets', undefined, 'can only read namespaced object of this type')}`);
  });

  it('list and watch pods only with their spec.nodeName selector', async () => {
    const own = await c.request('GET', `/api/v1/pods?fieldSelector=spec.nodeName%3Dn1`, undefined, as('n1'));
    expect(own.status).toBe(200);
    expect(own.json.items.every((p: { spec: { nodeName: string } }) => p.spec.nodeName === 'n1')).toBe(true);
    expect(own.json.items.some((p: { metadata: { name: string } }) => p.metadata.name === 'r1')).toBe(true);
    expect((await c.request('GET', `/api/v1/namespaces/${NS}/pods/r1`, undefined, as('n1'))).status).toBe(200);
    await expectForbidden(c.request('GET', '/api/v1/pods', undefined, as('n1')), `pods is forbidden: ${cannot('list', 'pods', undefined, 'can only list/watch pods with spec.nodeName field selector')}`);
    await expectForbidden(c.request('GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dn2', undefined, as('n1')), `pods is forbidden: ${cannot('list', 'pods', undefined, 'can only list/watch pods with spec.nodeName field selector')}`);
    await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}/pods/r2`, undefined, as('n1')), `pods "r2" is forbidden: ${cannot('get', 'pods', NS, "no relationship found between node 'n1' and this object")}`);
  });

  it('read no pod logs and exec into no pods through the API server', async () => {
    // Not even their own pods' (kube's Node authorizer has no rule for pods/log or pods/exec).
    for (const p of ['r1', 'r2']) {
      await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}/pods/${p}/log`, undefined, as('n1')), `pods "${p}" is forbidden: ${cannot('get', 'pods/log', NS)}`);
      await expectForbidden(c.request('POST', `/api/v1/namespaces/${NS}/pods/${p}/exec?command=id&stdout=true`, undefined, as('n1')), `pods "${p}" is forbidden: ${cannot('create', 'pods/exec', NS)}`);
    }
    const r = await c.kubectl([`--token=${token('n1')}`, 'logs', '-n', NS, 'r1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Error from server (Forbidden): pods "r1" is forbidden: ${cannot('get', 'pods/log', NS)}`);
  });

  it('cannot open exec or attach WebSockets', async () => {
    for (const sub of ['exec?command=id&stdout=true', 'attach?stdout=true']) {
      const head = [
        `GET /api/v1/namespaces/${NS}/pods/r1/${sub} HTTP/1.1`,
        'Host: 127.0.0.1',
        `Authorization: Bearer ${token('n1')}`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol: v5.channel.k8s.io',
      ].join('\r\n');
      const r = await rawRequest({ port: Number(new URL(c.cp.url).port), tls: true }, head);
      expect(r.status).toBe(403);
      // A WebSocket handshake is a GET: kube 1.32 authorizes it as `get` on the subresource.
      expect(JSON.parse(r.body)).toMatchObject({ reason: 'Forbidden', code: 403, message: `pods "r1" is forbidden: ${cannot('get', `pods/${sub.split('?')[0]}`, NS)}` });
    }
  });

  it('cannot port-forward, by either of kubectl’s upgrades', async () => {
    const port = Number(new URL(c.cp.url).port);
    const common = [`Host: 127.0.0.1`, `Authorization: Bearer ${token('n1')}`, 'Connection: Upgrade'];
    const tunnel = [`GET /api/v1/namespaces/${NS}/pods/r1/portforward HTTP/1.1`, ...common, 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io'];
    const spdy = [`POST /api/v1/namespaces/${NS}/pods/r1/portforward HTTP/1.1`, ...common, 'Upgrade: SPDY/3.1', 'X-Stream-Protocol-Version: portforward.k8s.io'];
    for (const [head, verb] of [[tunnel, 'get'], [spdy, 'create']] as const) {
      const r = await rawRequest({ port, tls: true }, head.join('\r\n'));
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ reason: 'Forbidden', code: 403, message: `pods "r1" is forbidden: ${cannot(verb, 'pods/portforward', NS)}` });
    }
  });

  it('read services and endpoints, nothing else of the cluster', async () => {
    expect((await c.request('GET', '/api/v1/services', undefined, as('n1'))).status).toBe(200);
    expect((await c.request('GET', '/api/v1/services?watch=true&timeoutSeconds=1', undefined, as('n1'))).status).toBe(200);
    expect((await c.request('GET', `/api/v1/namespaces/${NS}/endpoints/kubernetes`, undefined, as('n1'))).status).not.toBe(403);
    await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}/endpoints`, undefined, as('n1')), `endpoints is forbidden: ${cannot('list', 'endpoints', NS)}`);
    await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}`, undefined, as('n1')), `namespaces "${NS}" is forbidden: ${cannot('get', 'namespaces', NS)}`);
    await expectForbidden(c.request('GET', `/api/v1/namespaces/${NS}/events`, undefined, as('n1')), `events is forbidden: ${cannot('list', 'events', NS)}`);
    await expectForbidden(
      c.request('GET', `/api/v1/namespaces/${NS}/serviceaccounts/default`, undefined, as('n1')),
      `serviceaccounts "default" is forbidden: ${cannot('get', 'serviceaccounts', NS, 'can only create tokens for individual service accounts')}`,
    );
    await expectForbidden(
      c.request('GET', '/apis/apps/v1/deployments', undefined, as('n1')),
      'deployments.apps is forbidden: User "system:node:n1" cannot list resource "deployments" in API group "apps" at the cluster scope',
    );
    // Discovery stays open to every authenticated user.
    expect((await c.request('GET', '/api/v1', undefined, as('n1'))).status).toBe(200);
  });
});
