import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { openWatch } from '../helpers/watchStream.js';

// The API server's wire behaviour checked at the HTTP level, where kubectl would hide details:
// discovery formats, watch replay / 410 / bookmarks / selector transitions, paging, the object
// lifecycle (generation, graceful deletion, finalizers, namespaces) and Status shapes.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ historySize: 50, watchBookmarkIntervalMs: 200 });
});
afterAll(async () => c?.stop());

const cm = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { a: '1' } });
const pod = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'p' }, ...extra }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });

describe('discovery', () => {
  it('serves aggregated v2 only when asked, legacy otherwise', async () => {
    const v2 = await c.request('GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
    expect(v2.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    const apps = v2.json.items.find((g: any) => g.metadata.name === 'apps');
    const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
    expect(deploy.shortNames).toEqual(['deploy']);
    expect(deploy.subresources.map((s: any) => s.subresource).sort()).toEqual(['scale', 'status']);
    const beta = await c.request('GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json' });
    expect(beta.headers.get('content-type')).toBe('application/json');
    expect(beta.json.kind).toBe('APIGroupList');
    const list = await c.request('GET', '/apis/apps/v1');
    const scale = list.json.resources.find((r: any) => r.name === 'deployments/scale');
    expect(scale).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const version = await c.request('GET', '/version', undefined, { Authorization: '' });
    expect(version.json).toMatchObject({ major: '1', minor: '32' });
  });

  it('lists every group-version in /openapi/v3 with a fieldValidation parameter on PATCH', async () => {
    const root = await c.request('GET', '/openapi/v3');
    expect(Object.keys(root.json.paths).sort()).toEqual(['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1', 'apis/networking.k8s.io/v1']);
    const doc = await c.request('GET', root.json.paths['apis/apps/v1'].serverRelativeURL);
    const patch = doc.json.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
  });
});

describe('watch', () => {
  it('replays every change after a resourceVersion, then streams live ones', async () => {
    const a = await c.request('POST', '/api/v1/namespaces/default/configmaps', cm('w-a'));
    const rv = a.json.metadata.resourceVersion;
    await c.request('PUT', '/api/v1/namespaces/default/configmaps/w-a', { ...a.json, data: { a: '2' } });
    await c.request('DELETE', '/api/v1/namespaces/default/configmaps/w-a');
    const w = openWatch(c, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}`);
    expect(await w.status).toBe(200);
    await w.waitFor(2);
    await c.request('POST', '/api/v1/namespaces/default/configmaps', cm('w-b'));
    await w.waitFor(3);
    w.close();
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED w-a', 'DELETED w-a', 'ADDED w-b']);
  });

  it('sends the current state as ADDED when no resourceVersion is given', async () => {
    await c.request('POST', '/api/v1/namespaces/kube-public/configmaps', cm('init-1'));
    const w = openWatch(c, '/api/v1/namespaces/kube-public/configmaps?watch=true');
    await w.waitFor(1);
    w.close();
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'init-1' } } });
  });

  it('answers 410 Expired for a resourceVersion older than the history, as a Status', async () => {
    const first = await c.request('POST', '/api/v1/namespaces/default/configmaps', cm('old-1'));
    for (let i = 0; i < 60; i++) await c.request('PUT', '/api/v1/namespaces/default/configmaps/old-1', { ...cm('old-1'), data: { i: String(i) } });
    const r = await c.request('GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${first.json.metadata.resourceVersion}`);
    expect(r.status).toBe(410);
    expect(r.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    expect(r.json.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('sends BOOKMARKs when allowed and ends the stream at timeoutSeconds', async () => {
    const list = await c.request('GET', '/api/v1/namespaces/default/secrets');
    const w = openWatch(c, `/api/v1/namespaces/default/secrets?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${list.json.metadata.resourceVersion}`);
    // The same watch without timeoutSeconds, opened alongside: what ends the first is its timeout.
    const control = openWatch(c, `/api/v1/namespaces/default/secrets?watch=true&allowWatchBookmarks=true&resourceVersion=${list.json.metadata.resourceVersion}`);
    let controlEnded = false;
    void control.ended.then(() => (controlEnded = true));
    expect(await control.status).toBe(200);
    await w.ended;
    expect(controlEnded).toBe(false);
    control.close();
    expect(w.events.length).toBeGreaterThan(0);
    expect(w.events.every((e) => e.type === 'BOOKMARK' && e.object.kind === 'Secret' && /^\d+$/.test(e.object.metadata.resourceVersion))).toBe(true);
  });

  it('turns selector transitions into ADDED / DELETED for a filtered watcher', async () => {
    await c.request('POST', '/api/v1/namespaces/default/pods', pod('sel-1'));
    const list = await c.request('GET', '/api/v1/namespaces/default/pods');
    const w = openWatch(c, `/api/v1/namespaces/default/pods?watch=true&fieldSelector=spec.nodeName%3Dnode-a&resourceVersion=${list.json.metadata.resourceVersion}`);
    await w.status;
    const bind = await c.request('POST', '/api/v1/namespaces/default/pods/sel-1/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'sel-1' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } });
    expect(bind.status).toBe(201);
    await w.waitFor(1);
    const labels = openWatch(c, `/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3Dp&resourceVersion=${list.json.metadata.resourceVersion}`);
    await labels.waitFor(1); // the binding, as MODIFIED
    await c.request('PATCH', '/api/v1/namespaces/default/pods/sel-1', { metadata: { labels: { app: 'other' } } }, { 'Content-Type': 'application/merge-patch+json' });
    await labels.waitFor(2);
    w.close();
    labels.close();
    expect(w.events[0]!.type).toBe('ADDED');
    expect(w.events[0]!.object.spec.nodeName).toBe('node-a');
    expect(labels.events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
  });

  it('encodes each event as a one-row Table when kubectl asks for tables', async () => {
    const list = await c.request('GET', '/api/v1/namespaces/default/configmaps');
    const w = openWatch(c, `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.json.metadata.resourceVersion}`, {
      Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    await w.status;
    await c.request('POST', '/api/v1/namespaces/default/configmaps', cm('tbl-1'));
    await w.waitFor(1);
    w.close();
    const t = w.events[0]!.object;
    expect(t.kind).toBe('Table');
    expect(t.columnDefinitions.map((d: any) => d.name)).toEqual(['Name', 'Data', 'Age']);
    expect(t.rows[0].cells.slice(0, 2)).toEqual(['tbl-1', 1]);
    expect(t.rows[0].object.kind).toBe('PartialObjectMetadata');
  });
});

describe('lists', () => {
  it('pages with limit and continue', async () => {
    await c.request('POST', '/api/v1/namespaces', { metadata: { name: 'paging' } });
    for (let i = 0; i < 7; i++) await c.request('POST', '/api/v1/namespaces/paging/configmaps', cm(`p${i}`));
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const r = await c.request('GET', `/api/v1/namespaces/paging/configmaps?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      names.push(...r.json.items.map((i: any) => i.metadata.name));
      cont = r.json.metadata.continue ?? '';
      pages++;
    } while (cont && pages < 10);
    expect(pages).toBe(3);
    expect(names).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });

  it('filters with label selectors in set form and field selectors', async () => {
    await c.request('POST', '/api/v1/namespaces', { metadata: { name: 'sel' } });
    await c.request('POST', '/api/v1/namespaces/sel/configmaps', cm('x', { labels: { tier: 'web', env: 'prod' } }));
    await c.request('POST', '/api/v1/namespaces/sel/configmaps', cm('y', { labels: { tier: 'db' } }));
    await c.request('POST', '/api/v1/namespaces/sel/configmaps', cm('z'));
    const q = async (s: string) => (await c.request('GET', `/api/v1/namespaces/sel/configmaps?${s}`)).json.items.map((i: any) => i.metadata.name);
    expect(await q('labelSelector=tier+in+%28web%2Cdb%29')).toEqual(['x', 'y']);
    expect(await q('labelSelector=tier%21%3Dweb')).toEqual(['y', 'z']);
    expect(await q('labelSelector=%21tier')).toEqual(['z']);
    expect(await q('labelSelector=env%2Ctier%3Dweb')).toEqual(['x']);
    expect(await q('fieldSelector=metadata.name%3Dy')).toEqual(['y']);
    const bad = await c.request('GET', '/api/v1/namespaces/sel/configmaps?fieldSelector=spec.nope%3D1');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toBe('field label not supported: spec.nope');
  });
});

describe('object lifecycle', () => {
  const deploy = (replicas = 1) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'gen' },
    spec: { replicas, selector: { matchLabels: { app: 'gen' } }, template: { metadata: { labels: { app: 'gen' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } } },
  });

  it('bumps generation on spec changes only, and skips no-op updates', async () => {
    const d = await c.request('POST', '/apis/apps/v1/namespaces/default/deployments', deploy());
    expect(d.json.metadata.generation).toBe(1);
    expect(d.json.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(d.json.spec.revisionHistoryLimit).toBe(10);
    expect(d.json.spec.progressDeadlineSeconds).toBe(600);
    const labelled = await c.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/gen', { metadata: { labels: { a: 'b' } } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(labelled.json.metadata.generation).toBe(1);
    const scaled = await c.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/gen', { spec: { replicas: 3 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(scaled.json.metadata.generation).toBe(2);
    const same = await c.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/gen', { spec: { replicas: 3 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(same.json.metadata.resourceVersion).toBe(scaled.json.metadata.resourceVersion);
    // The main resource ignores status; /status changes only status.
    const put = await c.request('PUT', '/apis/apps/v1/namespaces/default/deployments/gen', { ...scaled.json, status: { replicas: 99 } });
    expect(put.json.status.replicas).toBeUndefined();
    const st = await c.request('PUT', '/apis/apps/v1/namespaces/default/deployments/gen/status', { ...scaled.json, spec: { ...scaled.json.spec, replicas: 7 }, status: { replicas: 3, observedGeneration: 2 } });
    expect(st.json.status).toEqual({ replicas: 3, observedGeneration: 2 });
    expect(st.json.spec.replicas).toBe(3);
  });

  it('serves /scale as autoscaling/v1 Scale and validates replicas', async () => {
    const s = await c.request('GET', '/apis/apps/v1/namespaces/default/deployments/gen/scale');
    expect(s.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { selector: 'app=gen' } });
    const p = await c.request('PATCH', '/apis/apps/v1/namespaces/default/deployments/gen/scale', { spec: { replicas: 5 } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(p.json.spec.replicas).toBe(5);
    const bad = await c.request('PUT', '/apis/apps/v1/namespaces/default/deployments/gen/scale', { ...s.json, spec: { replicas: -1 } });
    expect(bad.status).toBe(422);
    expect(bad.json.message).toBe('Scale.autoscaling "gen" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const stale = await c.request('PUT', '/apis/apps/v1/namespaces/default/deployments/gen/scale', { ...s.json, spec: { replicas: 2 } });
    expect(stale.status).toBe(409);
  });

  it('deletes bound pods gracefully and unbound ones at once', async () => {
    await c.request('POST', '/api/v1/namespaces/default/pods', pod('g-1'));
    await c.request('POST', '/api/v1/namespaces/default/pods/g-1/binding', { target: { name: 'node-a' } });
    const again = await c.request('POST', '/api/v1/namespaces/default/pods/g-1/binding', { target: { name: 'node-b' } });
    expect(again.status).toBe(409);
    const pending = await c.request('DELETE', '/api/v1/namespaces/default/pods/g-1', {});
    expect(pending.status).toBe(200);
    expect(pending.json.metadata.deletionTimestamp).toBeDefined();
    expect(pending.json.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await c.request('GET', '/api/v1/namespaces/default/pods/g-1')).status).toBe(200);
    // The kubelet's final delete (grace 0) removes it.
    await c.request('DELETE', '/api/v1/namespaces/default/pods/g-1', { gracePeriodSeconds: 0 });
    expect((await c.request('GET', '/api/v1/namespaces/default/pods/g-1')).status).toBe(404);
    await c.request('POST', '/api/v1/namespaces/default/pods', pod('g-2'));
    await c.request('DELETE', '/api/v1/namespaces/default/pods/g-2');
    expect((await c.request('GET', '/api/v1/namespaces/default/pods/g-2')).status).toBe(404);
  });

  it('keeps an object with finalizers until the last one is removed', async () => {
    await c.request('POST', '/api/v1/namespaces/default/configmaps', cm('fin', { finalizers: ['example.com/hold'] }));
    const del = await c.request('DELETE', '/api/v1/namespaces/default/configmaps/fin');
    expect(del.json.metadata.deletionTimestamp).toBeDefined();
    const add = await c.request('PATCH', '/api/v1/namespaces/default/configmaps/fin', { metadata: { finalizers: ['example.com/hold', 'x/y'] } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(add.status).toBe(403);
    await c.request('PATCH', '/api/v1/namespaces/default/configmaps/fin', { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
    expect((await c.request('GET', '/api/v1/namespaces/default/configmaps/fin')).status).toBe(404);
  });

  it('terminates namespaces through their finalizer and refuses new content meanwhile', async () => {
    await c.request('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    const del = await c.request('DELETE', '/api/v1/namespaces/doomed');
    expect(del.json.status.phase).toBe('Terminating');
    const create = await c.request('POST', '/api/v1/namespaces/doomed/configmaps', cm('late'));
    expect(create.status).toBe(403);
    expect(create.json.message).toBe('configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated');
    const ns = (await c.request('GET', '/api/v1/namespaces/doomed')).json;
    await c.request('PUT', '/api/v1/namespaces/doomed/finalize', { ...ns, spec: { finalizers: [] } });
    expect((await c.request('GET', '/api/v1/namespaces/doomed')).status).toBe(404);
    const protectedNs = await c.request('DELETE', '/api/v1/namespaces/default');
    expect(protectedNs.status).toBe(403);
  });

  it('allocates ClusterIPs and NodePorts and rejects conflicts', async () => {
    const svc = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }], ...spec } });
    const a = await c.request('POST', '/api/v1/namespaces/default/services', svc('np-a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(a.status).toBe(201);
    expect(a.json.spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(a.json.spec.ports[0].targetPort).toBe(80);
    const dup = await c.request('POST', '/api/v1/namespaces/default/services', svc('np-b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(dup.status).toBe(422);
    expect(dup.json.details.causes[0].field).toBe('spec.ports[0].nodePort');
    expect(dup.json.message).toContain('provided port is already allocated');
    const range = await c.request('POST', '/api/v1/namespaces/default/services', svc('ip-x', { clusterIP: '10.97.0.5' }));
    expect(range.status).toBe(422);
    expect(range.json.message).toContain('the provided IP (10.97.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/16');
    const dns = await c.request('POST', '/api/v1/namespaces/kube-system/services', svc('kube-dns', { clusterIP: '10.96.0.10' }));
    expect(dns.json.spec.clusterIP).toBe('10.96.0.10');
    // Deleting frees the port for the next Service.
    await c.request('DELETE', '/api/v1/namespaces/default/services/np-a');
    const again = await c.request('POST', '/api/v1/namespaces/default/services', svc('np-c', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    expect(again.status).toBe(201);
  });
});

describe('errors', () => {
  it('answers with metav1.Status shaped as Kubernetes does', async () => {
    const nf = await c.request('GET', '/apis/apps/v1/namespaces/default/deployments/nope');
    expect(nf.json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'deployments.apps "nope" not found', reason: 'NotFound', details: { name: 'nope', group: 'apps', kind: 'deployments' }, code: 404 });
    const missingNs = await c.request('POST', '/api/v1/namespaces/nope/configmaps', cm('x'));
    expect(missingNs.status).toBe(404);
    expect(missingNs.json.message).toBe('namespaces "nope" not found');
    await c.request('POST', '/api/v1/namespaces/default/configmaps', cm('exists'));
    const exists = await c.request('POST', '/api/v1/namespaces/default/configmaps', cm('exists'));
    expect(exists.json).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'configmaps "exists" already exists', details: { name: 'exists', kind: 'configmaps' } });
    const stale = await c.request('PUT', '/api/v1/namespaces/default/configmaps/exists', { ...cm('exists'), metadata: { name: 'exists', resourceVersion: '1' } });
    expect(stale.json.message).toBe('Operation cannot be fulfilled on configmaps "exists": the object has been modified; please apply your changes to the latest version and try again');
    const invalid = await c.request('POST', '/api/v1/namespaces/default/configmaps', cm('Bad_Name'));
    expect(invalid.status).toBe(422);
    expect(invalid.json.reason).toBe('Invalid');
    expect(invalid.json.details.kind).toBe('ConfigMap');
    expect(invalid.json.details.causes[0].field).toBe('metadata.name');
    const media = await c.request('PATCH', '/api/v1/namespaces/default/configmaps/exists', '{}', { 'Content-Type': 'text/plain' });
    expect(media.status).toBe(415);
    expect(media.json.reason).toBe('UnsupportedMediaType');
    const method = await c.request('POST', '/api/v1/namespaces/default/configmaps/exists');
    expect(method.status).toBe(405);
    const badJson = await c.request('POST', '/api/v1/namespaces/default/configmaps', '{not json');
    expect(badJson.status).toBe(400);
    expect(badJson.json.reason).toBe('BadRequest');
    const unauth = await c.request('GET', '/api/v1/namespaces', undefined, { Authorization: 'Bearer nope' });
    expect(unauth.json).toMatchObject({ code: 401, reason: 'Unauthorized' });
  });
});
