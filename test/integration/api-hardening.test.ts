import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { rawRequest, type RawResponse } from '../helpers/rawHttp.js';

// Issue 7: hostile requests against the real API server. Each case is sent as raw bytes (so the
// request line reaches the server exactly as written) and must be answered with a metav1.Status,
// never a crash, a reset or a 500; the server must still answer afterwards.

let tc: TestCluster;
let port: number;
const auth = () => `Authorization: Bearer ${tc.cp.adminToken}`;

function send(head: string, body: Buffer | string = ''): Promise<RawResponse> {
  return rawRequest({ port, tls: true }, head, body);
}

async function expectAlive(): Promise<void> {
  const r = await send('GET /readyz HTTP/1.1\r\nHost: x');
  expect(r.status).toBe(200);
}

function status(r: RawResponse): { kind: string; code: number; reason: string; message: string } {
  expect(r.headers['content-type']).toBe('application/json');
  const s = JSON.parse(r.body);
  expect(s.kind).toBe('Status');
  expect(s.code).toBe(r.status);
  return s;
}

beforeAll(async () => {
  tc = await startTestCluster({});
  port = Number(new URL(tc.cp.url).port);
});
afterAll(async () => {
  await tc?.stop();
});

describe('malformed request targets (items 1, 4, 6)', () => {
  it('a WebSocket upgrade to `//[` without a token is a 401 Status, and the server lives', async () => {
    const r = await send('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
    expect(r.status).toBe(401);
    status(r);
    await expectAlive();
  });

  it('an exec upgrade whose path has a bad % escape is a 400 Status (with a token)', async () => {
    const r = await send(`GET /api/v1/namespaces/default/pods/%zz/exec?command=ls HTTP/1.1\r\nHost: x\r\n${auth()}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==`);
    expect(r.status).toBe(400);
    expect(status(r).message).toContain('invalid URL escape');
    await expectAlive();
  });

  it('an upgrade on a path that is not exec/attach is a 404 Status; a node token is refused', async () => {
    const r = await send(`GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\n${auth()}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==`);
    expect(r.status).toBe(404);
    status(r);
  });

  it('bad % escapes are 400 Statuses; `//[` and other odd targets are 4xx Statuses', async () => {
    for (const target of ['/api/v1/namespaces/%zz/pods', '/api/v1/namespaces/default/configmaps/%', '/api/v1/%E0%A4%A']) {
      const r = await send(`GET ${target} HTTP/1.1\r\nHost: x\r\n${auth()}`);
      expect(r.status, target).toBe(400);
      expect(status(r).message, target).toMatch(/^invalid URL escape /);
    }
    for (const target of ['//[', '*', 'http://[', '/%00', '/api/v1/namespaces/%ff%fe/pods/%C0%AF', `/${'a/'.repeat(5000)}`]) {
      const r = await send(`GET ${target} HTTP/1.1\r\nHost: x\r\n${auth()}`);
      expect(r.status, target).toBeGreaterThanOrEqual(400);
      expect(r.status, target).toBeLessThan(500);
    }
    await expectAlive();
  });

  it('HEAD on a bad path answers a 4xx without a body, never a 500', async () => {
    for (const target of ['/nope', '/api/v1/namespaces/%zz', '/apis/nope/v1/things']) {
      const r = await send(`HEAD ${target} HTTP/1.1\r\nHost: x\r\n${auth()}`);
      expect(r.status, target).toBeGreaterThanOrEqual(400);
      expect(r.status, target).toBeLessThan(500);
      expect(r.body).toBe('');
    }
  });

  it('a name of `..` (or %2e%2e) is refused and never acts on the parent', async () => {
    await tc.kubectlOK(['create', 'namespace', 'dots']);
    for (const name of ['..', '%2e%2e', '%2E.', '.']) {
      const r = await send(`DELETE /api/v1/namespaces/dots/configmaps/${name} HTTP/1.1\r\nHost: x\r\n${auth()}\r\nContent-Length: 0`);
      expect(r.status, name).toBe(400);
      expect(status(r).message, name).toMatch(/^Name parameter invalid: "\.\.?": may not be '\.\.?'$/);
    }
    const ns = await tc.request('GET', '/api/v1/namespaces/dots');
    expect(ns.status).toBe(200);
    expect(ns.json.metadata.deletionTimestamp).toBeUndefined();
  });

  it('`pods//status` names nothing: 404, not a list', async () => {
    const r = await send(`GET /api/v1/namespaces/default/pods//status HTTP/1.1\r\nHost: x\r\n${auth()}`);
    expect(r.status).toBe(404);
    status(r);
  });
});

describe('bodies (item 4)', () => {
  it('a body over 3 MiB gets the 413 Status, not a reset connection', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'a');
    const r = await send(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n${auth()}\r\nContent-Type: application/json\r\nContent-Length: ${big.length}`, big);
    expect(r.status).toBe(413);
    expect(status(r).reason).toBe('RequestEntityTooLarge');
    await expectAlive();
  });

  it('a chunked body that grows past 3 MiB gets the 413 Status too', async () => {
    const piece = Buffer.alloc(1024 * 1024, 'a');
    const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    const body = Buffer.concat([chunk, chunk, chunk, chunk, Buffer.from('0\r\n\r\n')]);
    const r = await send(`POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\n${auth()}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`, body);
    expect(r.status).toBe(413);
    status(r);
  });

  it('JSON nested 10,000 deep is a 400, in a create and in a patch', async () => {
    const deep = `{"metadata":{"name":"deep"},"data":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const create = await tc.request('POST', '/api/v1/namespaces/default/configmaps', deep);
    expect(create.status).toBe(400);
    expect(create.json.kind).toBe('Status');
    await tc.kubectlOK(['create', 'configmap', 'shallow', '--from-literal=a=b', '--dry-run=client', '-o', 'yaml']).then((y) => tc.kubectlOK(['apply', '-f', '-'], { input: y }));
    const patch = await tc.request('PATCH', '/api/v1/namespaces/default/configmaps/shallow', `{"data":{"x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`, { 'Content-Type': 'application/merge-patch+json' });
    expect(patch.status).toBe(400);
    await expectAlive();
  });

  it('YAML that expands through aliases ("billion laughs") is a 400', async () => {
    let yaml = 'a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]\n';
    for (let i = 1; i < 10; i++) yaml += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(',')}]\n`;
    yaml += 'metadata:\n  name: laughs\n';
    const r = await tc.request('POST', '/api/v1/namespaces/default/configmaps', yaml, { 'Content-Type': 'application/yaml' });
    expect(r.status).toBe(400);
    await expectAlive();
  });
});

describe('dry run never writes (item 5)', () => {
  it('kubectl delete --dry-run=server keeps a single object and a collection', async () => {
    await tc.kubectlOK(['apply', '-f', '-'], {
      input: ['a', 'b', 'c'].map((n) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep-${n}\n  labels: {dry: run}\ndata: {k: v}\n`).join('---\n'),
    });
    const before = await tc.request('GET', '/api/v1/namespaces/default/configmaps?labelSelector=dry%3Drun');
    const out = await tc.kubectlOK(['delete', 'configmap', 'keep-a', '--dry-run=server']);
    expect(out).toContain('configmap "keep-a" deleted (server dry run)');
    await tc.kubectlOK(['delete', 'configmaps', '-l', 'dry=run', '--dry-run=server']);
    const after = await tc.request('GET', '/api/v1/namespaces/default/configmaps?labelSelector=dry%3Drun');
    expect(after.json.items.map((i: { metadata: { name: string; resourceVersion: string } }) => [i.metadata.name, i.metadata.resourceVersion])).toEqual(
      before.json.items.map((i: { metadata: { name: string; resourceVersion: string } }) => [i.metadata.name, i.metadata.resourceVersion]),
    );
  });

  it('a dry-run DELETE with dryRun in the body, in the query, and a graceful pod delete change nothing', async () => {
    await tc.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: dry-pod}\nspec:\n  containers: [{name: c, image: x}]\n' });
    const pod = await tc.request('GET', '/api/v1/namespaces/default/pods/dry-pod');
    for (const [q, body] of [
      ['', { dryRun: ['All'] }],
      ['?dryRun=All', {}],
      ['?dryRun=All&gracePeriodSeconds=0', {}],
      ['', { dryRun: ['All'], gracePeriodSeconds: 0 }],
      ['', { dryRun: ['All'], propagationPolicy: 'Foreground' }],
    ] as const) {
      const r = await tc.request('DELETE', `/api/v1/namespaces/default/pods/dry-pod${q}`, body);
      expect(r.status, JSON.stringify([q, body])).toBe(200);
    }
    const again = await tc.request('GET', '/api/v1/namespaces/default/pods/dry-pod');
    expect(again.json.metadata.resourceVersion).toBe(pod.json.metadata.resourceVersion);
    expect(again.json.metadata.deletionTimestamp).toBeUndefined();
    expect(again.json.metadata.finalizers).toBeUndefined();
  });

  it('a dry-run Service create answers with an address but takes nothing', async () => {
    const svc = { metadata: { name: 'dry-svc' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30999 }], clusterIP: '10.96.99.99' } };
    const dry = await tc.request('POST', '/api/v1/namespaces/default/services?dryRun=All', svc);
    expect(dry.status).toBe(201);
    expect(dry.json.spec.clusterIP).toBe('10.96.99.99');
    expect((await tc.request('GET', '/api/v1/namespaces/default/services/dry-svc')).status).toBe(404);
    // Nothing was kept: the same address and node port can be taken for real.
    const real = await tc.request('POST', '/api/v1/namespaces/default/services', svc);
    expect(real.status).toBe(201);
    expect(real.json.spec.ports[0].nodePort).toBe(30999);
  });

  it('an unsupported dryRun value is refused as kube refuses it', async () => {
    const r = await tc.request('POST', '/api/v1/namespaces/default/configmaps?dryRun=Maybe', { metadata: { name: 'x' } });
    expect(r.status).toBe(422);
    expect(r.json.message).toBe('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Maybe"}: supported values: "All"');
  });
});

describe('query parameters as kube reads them (item 7)', () => {
  it('watch=True, watch=1 and watch=yes start a watch; watch=0 and watch=FALSE list', async () => {
    for (const v of ['True', '1', 'yes', 'TRUE', 't']) {
      const r = await send(`GET /api/v1/namespaces/default/configmaps?watch=${v}&timeoutSeconds=1 HTTP/1.1\r\nHost: x\r\n${auth()}`);
      expect(r.status, v).toBe(200);
      expect(r.headers['transfer-encoding'], v).toBe('chunked');
      expect(r.body.split('\n')[0], v).toMatch(/^\{"type":"ADDED"/);
    }
    for (const v of ['0', 'FALSE', 'false', 'False']) {
      const r = await send(`GET /api/v1/namespaces/default/configmaps?watch=${v} HTTP/1.1\r\nHost: x\r\n${auth()}`);
      expect(JSON.parse(r.body).kind, v).toBe('ConfigMapList');
    }
  });

  it('an integer that does not parse is a 400, not a 500 or a silent default', async () => {
    for (const q of ['limit=abc', 'timeoutSeconds=1.5&watch=1', 'limit=99999999999999999999']) {
      const r = await tc.request('GET', `/api/v1/namespaces/default/configmaps?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json.kind).toBe('Status');
    }
    const del = await tc.request('DELETE', '/api/v1/namespaces/default/configmaps/keep-a?gracePeriodSeconds=soon');
    expect(del.status).toBe(400);
  });
});

describe('error bodies (item 10)', () => {
  it('a Status has kube field order and a trailing newline', async () => {
    const r = await send(`GET /api/v1/namespaces/default/configmaps/missing HTTP/1.1\r\nHost: x\r\n${auth()}`);
    expect(r.status).toBe(404);
    expect(r.body).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"missing\\" not found","reason":"NotFound","details":{"name":"missing","kind":"configmaps"},"code":404}\n',
    );
  });
});

describe('what the fuzzer found', () => {
  it('a strategic merge patch with __proto__ keys never reaches Object.prototype', async () => {
    await tc.kubectlOK(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: proto}\ndata: {a: b}\n' });
    const bodies = ['{"__proto__":{"polluted":"yes"}}', '{"metadata":{"labels":{"x":{"__proto__":{"polluted":"yes"}}}}}', '{"data":{"__proto__":{"polluted":"yes"}}}', '{"constructor":{"prototype":{"polluted":"yes"}}}'];
    for (const ct of ['application/strategic-merge-patch+json', 'application/merge-patch+json']) {
      for (const b of bodies) {
        const r = await tc.request('PATCH', '/api/v1/namespaces/default/configmaps/proto', b, { 'Content-Type': ct });
        expect(r.status, `${ct} ${b}`).toBeLessThan(500);
        expect(({} as Record<string, unknown>).polluted, `${ct} ${b}`).toBeUndefined();
      }
    }
    const ssa = await tc.request('PATCH', '/api/v1/namespaces/default/configmaps/proto?fieldManager=x&force=true', '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"proto","labels":{"__proto__":"y"}},"data":{"__proto__":"z"}}', { 'Content-Type': 'application/apply-patch+yaml' });
    expect(ssa.status).toBeLessThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('DELETE on the namespaces collection is a 405 (no deletecollection) and deletes nothing', async () => {
    await tc.kubectlOK(['create', 'namespace', 'aaa-first']);
    const r = await tc.request('DELETE', '/api/v1/namespaces');
    expect(r.status).toBe(405);
    expect(r.json.reason).toBe('MethodNotAllowed');
    const ns = await tc.request('GET', '/api/v1/namespaces/aaa-first');
    expect(ns.json.metadata.deletionTimestamp).toBeUndefined();
  });
});
