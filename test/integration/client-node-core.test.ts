import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { expectApiError, kubeConfigFor, uniq } from '../helpers/clientNode.js';

// CoreV1Api (client-node 1.4, object-parameter API) against the real server: CRUD on namespaces,
// configmaps, services and pods, selectors, optimistic concurrency, the patch content types and
// the metav1.Status bodies of errors.

let cluster: TestCluster;
let kc: KubeConfig;
let core: CoreV1Api;
const NS = 'cn-core';

beforeAll(async () => {
  cluster = await startTestCluster();
  kc = kubeConfigFor(cluster);
  core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('kubeconfig', () => {
  it('points at the test server', () => {
    expect(kc.getCurrentCluster()?.server).toBe(cluster.cp.url);
    expect(kc.getCurrentUser()).toBeTruthy();
  });
});

describe('namespaces', () => {
  it('create, read, list with labelSelector and fieldSelector, replace, patch', async () => {
    const name = uniq('ns');
    const created = await core.createNamespace({ body: { metadata: { name, labels: { suite: 'client-node', which: 'a' } } } });
    expect(created.metadata?.name).toBe(name);
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.status?.phase).toBe('Active');

    const read = await core.readNamespace({ name });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(read.kind).toBe('Namespace');
    expect(read.apiVersion).toBe('v1');

    const byLabel = await core.listNamespace({ labelSelector: 'suite=client-node,which=a' });
    expect(byLabel.kind).toBe('NamespaceList');
    expect(byLabel.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(byLabel.items.map((n) => n.metadata?.name)).toEqual([name]);

    const byField = await core.listNamespace({ fieldSelector: `metadata.name=${name}` });
    expect(byField.items.map((n) => n.metadata?.name)).toEqual([name]);
    const notThis = await core.listNamespace({ fieldSelector: `metadata.name!=${name}` });
    expect(notThis.items.map((n) => n.metadata?.name)).toContain('default');
    expect(notThis.items.map((n) => n.metadata?.name)).not.toContain(name);

    read.metadata!.labels = { ...read.metadata!.labels, which: 'b' };
    const replaced = await core.replaceNamespace({ name, body: read });
    expect(replaced.metadata?.labels?.which).toBe('b');
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(read.metadata?.resourceVersion));

    const patched = await core.patchNamespace({ name, body: [{ op: 'add', path: '/metadata/annotations', value: { note: 'json-patch' } }] });
    expect(patched.metadata?.annotations?.note).toBe('json-patch');
    expect(patched.metadata?.labels?.which).toBe('b');
  });

  it('delete moves a namespace to Terminating; finalize removes it; then 404', async () => {
    const name = uniq('ns-del');
    await core.createNamespace({ body: { metadata: { name } } });
    await core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'cm' } } });

    const deleted = await core.deleteNamespace({ name });
    expect(deleted).toBeTruthy();
    const terminating = await core.readNamespace({ name });
    expect(terminating.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(terminating.status?.phase).toBe('Terminating');
    expect(terminating.spec?.finalizers).toEqual(['kubernetes']);

    const forbidden = await expectApiError(() => core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'cm2' } } }), 403);
    expect(forbidden.reason).toBe('Forbidden');
    expect(forbidden.message).toContain('because it is being terminated');

    // What the namespace controller does once the namespace is empty: clear spec.finalizers.
    await core.deleteNamespacedConfigMap({ name: 'cm', namespace: name });
    terminating.spec = { finalizers: [] };
    await core.replaceNamespaceFinalize({ name, body: terminating });

    const gone = await expectApiError(() => core.readNamespace({ name }), 404);
    expect(gone.reason).toBe('NotFound');
    expect(gone.message).toBe(`namespaces "${name}" not found`);
    expect(gone.details).toMatchObject({ name, kind: 'namespaces' });
  });

  it('the default namespace cannot be deleted', async () => {
    const body = await expectApiError(() => core.deleteNamespace({ name: 'default' }), 403);
    expect(body.reason).toBe('Forbidden');
  });
});

describe('configmaps', () => {
  it('create, duplicate create is 409 AlreadyExists', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dup' }, data: { a: '1' } } });
    expect(created.metadata?.namespace).toBe(NS);
    expect(created.data).toEqual({ a: '1' });
    const body = await expectApiError(() => core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dup' } } }), 409);
    expect(body.reason).toBe('AlreadyExists');
    expect(body.message).toBe('configmaps "dup" already exists');
    expect(body.details).toMatchObject({ name: 'dup', kind: 'configmaps' });
  });

  it('generateName', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { generateName: 'gen-' } } });
    expect(created.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('list with labelSelector and fieldSelector', async () => {
    const ns = uniq('cm-sel');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const mk = (name: string, labels: Record<string, string>) => core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels } } });
    await mk('web-a', { app: 'web', tier: 'front' });
    await mk('web-b', { app: 'web', tier: 'back' });
    await mk('db', { app: 'db', tier: 'back' });
    await mk('plain', {});

    const names = async (opts: { labelSelector?: string; fieldSelector?: string }) =>
      (await core.listNamespacedConfigMap({ namespace: ns, ...opts })).items.map((c) => c.metadata?.name).sort();

    expect(await names({})).toEqual(['db', 'plain', 'web-a', 'web-b']);
    expect(await names({ labelSelector: 'app=web' })).toEqual(['web-a', 'web-b']);
    expect(await names({ labelSelector: 'app==web,tier!=front' })).toEqual(['web-b']);
    expect(await names({ labelSelector: 'app in (web,db),tier=back' })).toEqual(['db', 'web-b']);
    expect(await names({ labelSelector: 'app notin (web)' })).toEqual(['db', 'plain']);
    expect(await names({ labelSelector: '!app' })).toEqual(['plain']);
    expect(await names({ labelSelector: 'tier' })).toEqual(['db', 'web-a', 'web-b']);
    expect(await names({ fieldSelector: 'metadata.name=db' })).toEqual(['db']);
    expect(await names({ fieldSelector: 'metadata.name!=db,metadata.namespace=' + ns })).toEqual(['plain', 'web-a', 'web-b']);
    expect(await names({ fieldSelector: 'metadata.name!=web-a', labelSelector: 'app=web' })).toEqual(['web-b']);

    // Across all namespaces.
    const all = await core.listConfigMapForAllNamespaces({ labelSelector: 'app=web' });
    expect(all.items.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}`).sort()).toEqual([`${ns}/web-a`, `${ns}/web-b`]);

    // A malformed selector is a 400 BadRequest Status.
    const bad = await expectApiError(() => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app in (web' }), 400);
    expect(bad.reason).toBe('BadRequest');
    const badField = await expectApiError(() => core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'data.x=1' }), 400);
    expect(badField.reason).toBe('BadRequest');
  });

  it('list paging with limit and continue', async () => {
    const ns = uniq('cm-page');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `p${i}` } } });
    const seen: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedConfigMap({ namespace: ns, limit: 2, _continue: cont });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.metadata!.name!));
      cont = page.metadata?._continue || undefined;
      pages++;
    } while (cont && pages < 10);
    expect(seen.sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(pages).toBe(3);
  });

  it('replace with resourceVersion; a stale replace is 409 Conflict', async () => {
    const v1 = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'rv' }, data: { k: 'v1' } } });
    const rv1 = v1.metadata!.resourceVersion!;

    const v2 = await core.replaceNamespacedConfigMap({ name: 'rv', namespace: NS, body: { ...v1, data: { k: 'v2' } } });
    expect(v2.data).toEqual({ k: 'v2' });
    expect(v2.metadata?.uid).toBe(v1.metadata?.uid);
    expect(Number(v2.metadata?.resourceVersion)).toBeGreaterThan(Number(rv1));

    // v1 still carries the old resourceVersion.
    const body = await expectApiError(() => core.replaceNamespacedConfigMap({ name: 'rv', namespace: NS, body: { ...v1, data: { k: 'stale' } } }), 409);
    expect(body.reason).toBe('Conflict');
    expect(body.message).toBe('Operation cannot be fulfilled on configmaps "rv": the object has been modified; please apply your changes to the latest version and try again');
    expect(body.details).toMatchObject({ name: 'rv', kind: 'configmaps' });
    expect((await core.readNamespacedConfigMap({ name: 'rv', namespace: NS })).data).toEqual({ k: 'v2' });

    // Without a resourceVersion, replace is unconditional.
    const v3 = await core.replaceNamespacedConfigMap({ name: 'rv', namespace: NS, body: { metadata: { name: 'rv' }, data: { k: 'v3' } } });
    expect(v3.data).toEqual({ k: 'v3' });

    // A name in the body that differs from the URL is rejected.
    await expectApiError(() => core.replaceNamespacedConfigMap({ name: 'rv', namespace: NS, body: { metadata: { name: 'other' }, data: {} } }), 400);
  });

  it('patch: JSON patch by default, merge and strategic merge through setHeaderOptions', async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'patchme', labels: { a: '1' } }, data: { x: '1', y: '2' } } });

    // client-node 1.4 sends application/json-patch+json unless told otherwise.
    const jp = await core.patchNamespacedConfigMap({
      name: 'patchme',
      namespace: NS,
      body: [
        { op: 'replace', path: '/data/x', value: '10' },
        { op: 'remove', path: '/data/y' },
        { op: 'add', path: '/metadata/labels/b', value: '2' },
      ],
    });
    expect(jp.data).toEqual({ x: '10' });
    expect(jp.metadata?.labels).toEqual({ a: '1', b: '2' });

    // A failing JSON-patch test operation is rejected and changes nothing.
    await expectApiError(
      () =>
        core.patchNamespacedConfigMap({
          name: 'patchme',
          namespace: NS,
          body: [
            { op: 'test', path: '/data/x', value: 'nope' },
            { op: 'replace', path: '/data/x', value: 'bad' },
          ],
        }),
      422,
    );
    expect((await core.readNamespacedConfigMap({ name: 'patchme', namespace: NS })).data).toEqual({ x: '10' });

    // Merge patch: the documented 1.x mechanism is per-call ConfigurationOptions with a
    // middleware that overrides the Content-Type header.
    const mp = await core.patchNamespacedConfigMap(
      { name: 'patchme', namespace: NS, body: { data: { z: '3', x: null }, metadata: { labels: { a: null } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(mp.data).toEqual({ z: '3' });
    expect(mp.metadata?.labels).toEqual({ b: '2' });

    const smp = await core.patchNamespacedConfigMap(
      { name: 'patchme', namespace: NS, body: { data: { w: '4' } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(smp.data).toEqual({ z: '3', w: '4' });

    // A merge patch carrying a stale resourceVersion is a 409 Conflict.
    const conflict = await expectApiError(
      () =>
        core.patchNamespacedConfigMap(
          { name: 'patchme', namespace: NS, body: { metadata: { resourceVersion: '1' }, data: { q: 'q' } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      409,
    );
    expect(conflict.reason).toBe('Conflict');

    // An unsupported patch type is 415.
    const unsupported = await expectApiError(
      () => core.patchNamespacedConfigMap({ name: 'patchme', namespace: NS, body: { data: {} } }, setHeaderOptions('Content-Type', 'application/x-nonsense')),
      415,
    );
    expect(unsupported.reason).toBe('UnsupportedMediaType');

    // Patching something that does not exist is 404.
    const missing = await expectApiError(() => core.patchNamespacedConfigMap({ name: 'nope', namespace: NS, body: [{ op: 'add', path: '/data', value: {} }] }), 404);
    expect(missing.reason).toBe('NotFound');
  });

  it('server-side apply through setHeaderOptions', async () => {
    const applied = await core.patchNamespacedConfigMap(
      { name: 'ssa', namespace: NS, fieldManager: 'client-node-test', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { k: 'v' } } },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    expect(applied.data).toEqual({ k: 'v' });
    expect(applied.metadata?.managedFields?.map((m) => m.manager)).toContain('client-node-test');
  });

  it('delete, then read-after-delete is 404 NotFound with a Status body', async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'gone' }, data: { k: 'v' } } });
    await core.deleteNamespacedConfigMap({ name: 'gone', namespace: NS });

    const body = await expectApiError(() => core.readNamespacedConfigMap({ name: 'gone', namespace: NS }), 404);
    expect(body.reason).toBe('NotFound');
    expect(body.message).toBe('configmaps "gone" not found');
    expect(body.details).toMatchObject({ name: 'gone', kind: 'configmaps' });

    const again = await expectApiError(() => core.deleteNamespacedConfigMap({ name: 'gone', namespace: NS }), 404);
    expect(again.reason).toBe('NotFound');
    const replace = await expectApiError(
      () => core.replaceNamespacedConfigMap({ name: 'gone', namespace: NS, body: { metadata: { name: 'gone', resourceVersion: '5' } } }),
      404,
    );
    expect(replace.reason).toBe('NotFound');
  });

  it('delete with a resourceVersion precondition', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'precond' } } });
    const conflict = await expectApiError(
      () => core.deleteNamespacedConfigMap({ name: 'precond', namespace: NS, body: { preconditions: { resourceVersion: '1' } } }),
      409,
    );
    expect(conflict.reason).toBe('Conflict');
    await core.deleteNamespacedConfigMap({ name: 'precond', namespace: NS, body: { preconditions: { resourceVersion: cm.metadata!.resourceVersion } } });
    await expectApiError(() => core.readNamespacedConfigMap({ name: 'precond', namespace: NS }), 404);
  });

  it('deletecollection with a labelSelector', async () => {
    const ns = uniq('cm-dc');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    for (const [name, app] of [
      ['a', 'x'],
      ['b', 'x'],
      ['c', 'y'],
    ]) {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { app: app! } } } });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace: ns, labelSelector: 'app=x' });
    const left = await core.listNamespacedConfigMap({ namespace: ns });
    expect(left.items.map((c) => c.metadata?.name)).toEqual(['c']);
  });

  it('validation errors are 422 Invalid with causes', async () => {
    const body = await expectApiError(() => core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'Bad_Name' } } }), 422);
    expect(body.reason).toBe('Invalid');
    expect(body.details?.kind).toBe('ConfigMap');
    expect(body.details?.causes?.[0]?.field).toBe('metadata.name');
  });

  it('a configmap in a namespace that does not exist is 404', async () => {
    const body = await expectApiError(() => core.createNamespacedConfigMap({ namespace: 'no-such-ns', body: { metadata: { name: 'x' } } }), 404);
    expect(body.reason).toBe('NotFound');
    expect(body.message).toBe('namespaces "no-such-ns" not found');
  });
});

describe('services', () => {
  it('create allocates a ClusterIP; read, list, replace, patch, delete', async () => {
    const created = await core.createNamespacedService({
      namespace: NS,
      body: {
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
    });
    expect(created.spec?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(created.spec?.clusterIPs).toEqual([created.spec?.clusterIP]);
    expect(created.spec?.type).toBe('ClusterIP');
    expect(created.spec?.ports?.[0]).toMatchObject({ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 });

    const read = await core.readNamespacedService({ name: 'web', namespace: NS });
    expect(read.spec?.clusterIP).toBe(created.spec?.clusterIP);

    const list = await core.listNamespacedService({ namespace: NS, labelSelector: 'app=web' });
    expect(list.items.map((s) => s.metadata?.name)).toEqual(['web']);
    const byField = await core.listServiceForAllNamespaces({ fieldSelector: 'metadata.name=kubernetes' });
    expect(byField.items.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)).toEqual(['default/kubernetes']);

    read.spec!.ports = [...read.spec!.ports!, { name: 'https', port: 443, targetPort: 8443 }];
    const replaced = await core.replaceNamespacedService({ name: 'web', namespace: NS, body: read });
    expect(replaced.spec?.ports?.map((p) => p.port)).toEqual([80, 443]);
    expect(replaced.spec?.clusterIP).toBe(created.spec?.clusterIP);

    const stale = await expectApiError(() => core.replaceNamespacedService({ name: 'web', namespace: NS, body: read }), 409);
    expect(stale.reason).toBe('Conflict');
    expect(stale.message).toContain('Operation cannot be fulfilled on services "web"');

    const patched = await core.patchNamespacedService({ name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/selector', value: { app: 'web2' } }] });
    expect(patched.spec?.selector).toEqual({ app: 'web2' });

    // Strategic merge on ports merges by port number.
    const smp = await core.patchNamespacedService(
      { name: 'web', namespace: NS, body: { spec: { ports: [{ port: 443, name: 'tls', targetPort: 9443 }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(smp.spec?.ports?.map((p) => `${p.name}:${p.port}`)).toEqual(['http:80', 'tls:443']);

    // clusterIP is immutable.
    const immutable = await expectApiError(
      () =>
        core.patchNamespacedService(
          { name: 'web', namespace: NS, body: { spec: { clusterIP: '10.96.200.200' } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      422,
    );
    expect(immutable.reason).toBe('Invalid');

    await core.deleteNamespacedService({ name: 'web', namespace: NS });
    const gone = await expectApiError(() => core.readNamespacedService({ name: 'web', namespace: NS }), 404);
    expect(gone.reason).toBe('NotFound');
    expect(gone.message).toBe('services "web" not found');
  });

  it('a NodePort service gets a node port', async () => {
    const svc = await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'np' }, spec: { type: 'NodePort', selector: { app: 'np' }, ports: [{ port: 80 }] } },
    });
    expect(svc.spec?.ports?.[0]?.nodePort).toBeGreaterThanOrEqual(30000);
    expect(svc.spec?.ports?.[0]?.nodePort).toBeLessThanOrEqual(32767);
  });
});

describe('pods', () => {
  const pod = (name: string, labels: Record<string, string>, nodeName?: string): V1Pod => ({
    metadata: { name, labels },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
  });

  it('create fills defaults; read; list with labelSelector and fieldSelector', async () => {
    const created = await core.createNamespacedPod({ namespace: NS, body: pod('p1', { app: 'web', idx: '1' }) });
    expect(created.status?.phase).toBe('Pending');
    expect(created.status?.qosClass).toBe('BestEffort');
    expect(created.spec?.restartPolicy).toBe('Always');
    expect(created.spec?.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(created.spec?.containers[0]?.terminationMessagePath).toBe('/dev/termination-log');

    await core.createNamespacedPod({ namespace: NS, body: pod('p2', { app: 'web', idx: '2' }, 'node-a') });
    await core.createNamespacedPod({ namespace: NS, body: pod('p3', { app: 'db' }, 'node-b') });

    const read = await core.readNamespacedPod({ name: 'p1', namespace: NS });
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(read.spec?.containers[0]?.image).toBe('busybox:1.36');

    const names = async (opts: { labelSelector?: string; fieldSelector?: string }) =>
      (await core.listNamespacedPod({ namespace: NS, ...opts })).items.map((p) => p.metadata?.name).sort();
    expect(await names({ labelSelector: 'app=web' })).toEqual(['p1', 'p2']);
    expect(await names({ fieldSelector: 'spec.nodeName=node-a' })).toEqual(['p2']);
    expect(await names({ fieldSelector: 'spec.nodeName=' })).toEqual(['p1']);
    expect(await names({ fieldSelector: 'status.phase=Pending,spec.nodeName!=node-a' })).toEqual(['p1', 'p3']);
    expect(await names({ fieldSelector: 'status.phase=Running' })).toEqual([]);
    expect(await names({ labelSelector: 'app in (web,db)', fieldSelector: 'metadata.name!=p1' })).toEqual(['p2', 'p3']);
    const all = await core.listPodForAllNamespaces({ fieldSelector: `metadata.namespace=${NS},spec.nodeName=node-b` });
    expect(all.items.map((p) => p.metadata?.name)).toEqual(['p3']);
  });

  it('replace with resourceVersion, stale replace 409, patches', async () => {
    const cur = await core.readNamespacedPod({ name: 'p1', namespace: NS });
    cur.metadata!.labels = { ...cur.metadata!.labels, replaced: 'yes' };
    cur.spec!.containers[0]!.image = 'busybox:1.37';
    const replaced = await core.replaceNamespacedPod({ name: 'p1', namespace: NS, body: cur });
    expect(replaced.metadata?.labels?.replaced).toBe('yes');
    expect(replaced.spec?.containers[0]?.image).toBe('busybox:1.37');

    const stale = await expectApiError(() => core.replaceNamespacedPod({ name: 'p1', namespace: NS, body: cur }), 409);
    expect(stale.reason).toBe('Conflict');
    expect(stale.message).toBe('Operation cannot be fulfilled on pods "p1": the object has been modified; please apply your changes to the latest version and try again');

    const jp = await core.patchNamespacedPod({ name: 'p1', namespace: NS, body: [{ op: 'replace', path: '/spec/containers/0/image', value: 'busybox:1.38' }] });
    expect(jp.spec?.containers[0]?.image).toBe('busybox:1.38');

    // Strategic merge patch merges containers by name.
    const smp = await core.patchNamespacedPod(
      { name: 'p1', namespace: NS, body: { spec: { containers: [{ name: 'main', image: 'busybox:1.39' }] } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(smp.spec?.containers.length).toBe(1);
    expect(smp.spec?.containers[0]?.image).toBe('busybox:1.39');
    expect(smp.spec?.containers[0]?.command).toEqual(['sleep', '3600']);

    const mp = await core.patchNamespacedPod(
      { name: 'p1', namespace: NS, body: { metadata: { annotations: { merged: 'true' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(mp.metadata?.annotations?.merged).toBe('true');

    // Pod spec fields other than images are immutable.
    const immutable = await expectApiError(
      () =>
        core.patchNamespacedPod(
          { name: 'p1', namespace: NS, body: { spec: { restartPolicy: 'Never' } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      422,
    );
    expect(immutable.reason).toBe('Invalid');
    expect(immutable.details?.kind).toBe('Pod');
  });

  it('status subresource', async () => {
    const cur = await core.readNamespacedPod({ name: 'p2', namespace: NS });
    const st = await core.patchNamespacedPodStatus(
      { name: 'p2', namespace: NS, body: { status: { phase: 'Running', podIP: '10.244.1.5' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(st.status?.phase).toBe('Running');
    expect(st.metadata?.resourceVersion).not.toBe(cur.metadata?.resourceVersion);
    const running = await core.listNamespacedPod({ namespace: NS, fieldSelector: 'status.phase=Running' });
    expect(running.items.map((p) => p.metadata?.name)).toEqual(['p2']);
  });

  it('delete: an unscheduled pod goes at once; a scheduled one waits for its kubelet unless gracePeriodSeconds=0', async () => {
    await core.deleteNamespacedPod({ name: 'p1', namespace: NS });
    const gone = await expectApiError(() => core.readNamespacedPod({ name: 'p1', namespace: NS }), 404);
    expect(gone.reason).toBe('NotFound');
    expect(gone.message).toBe('pods "p1" not found');
    expect(gone.details).toMatchObject({ name: 'p1', kind: 'pods' });

    const terminating = await core.deleteNamespacedPod({ name: 'p3', namespace: NS });
    expect(terminating.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(30);
    expect((await core.readNamespacedPod({ name: 'p3', namespace: NS })).metadata?.deletionTimestamp).toBeInstanceOf(Date);

    await core.deleteNamespacedPod({ name: 'p3', namespace: NS, gracePeriodSeconds: 0 });
    const gone3 = await expectApiError(() => core.readNamespacedPod({ name: 'p3', namespace: NS }), 404);
    expect(gone3.reason).toBe('NotFound');
  });

  it('a pod without containers is 422 Invalid', async () => {
    const body = await expectApiError(() => core.createNamespacedPod({ namespace: NS, body: { metadata: { name: 'empty' }, spec: { containers: [] } } }), 422);
    expect(body.reason).toBe('Invalid');
    expect(body.details?.causes?.some((c) => c.field === 'spec.containers')).toBe(true);
  });
});

describe('auth and dry run', () => {
  it('a wrong token is a 401 ApiException', async () => {
    const bad = kubeConfigFor(cluster);
    const user = bad.getCurrentUser()!;
    bad.users = bad.users.map((u) => (u.name === user.name ? { ...u, token: 'not-a-valid-token' } : u));
    const api = bad.makeApiClient(CoreV1Api);
    let caught: unknown;
    try {
      await api.listNamespace();
    } catch (e) {
      caught = e;
    }
    expect((caught as { code?: number }).code).toBe(401);
  });

  it('dryRun=All validates and returns the result without persisting it', async () => {
    const dry = await core.createNamespacedConfigMap({ namespace: NS, dryRun: 'All', body: { metadata: { name: 'dry' }, data: { a: 'b' } } });
    expect(dry.metadata?.name).toBe('dry');
    expect(dry.data).toEqual({ a: 'b' });
    await expectApiError(() => core.readNamespacedConfigMap({ name: 'dry', namespace: NS }), 404);
    const invalid = await expectApiError(() => core.createNamespacedConfigMap({ namespace: NS, dryRun: 'All', body: { metadata: { name: 'BAD' } } }), 422);
    expect(invalid.reason).toBe('Invalid');
  });
});

describe('typed deserialisation', () => {
  it('list items carry full objects with Dates', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const cm = list.items.find((c) => c.metadata?.name === 'dup') as V1ConfigMap;
    expect(cm.metadata?.creationTimestamp).toBeInstanceOf(Date);
  });
});

describe('known server deviations (remove `.fails` once fixed)', () => {
  // kube-apiserver's generic store answers a completed DELETE with a metav1.Status unless the
  // resource sets ReturnDeletedObject (pods, services, namespaces, serviceaccounts, ... do;
  // configmaps, secrets and deployments do not). client-node types deleteNamespacedConfigMap as
  // returning V1Status; Flotilla returns the deleted ConfigMap instead.
  it('deleting a configmap answers Status Success with details', async () => {
    const cm = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'status-on-delete' } } });
    const st = await core.deleteNamespacedConfigMap({ name: 'status-on-delete', namespace: NS });
    expect(st.kind).toBe('Status');
    expect(st.status).toBe('Success');
    expect(st.details).toMatchObject({ name: 'status-on-delete', kind: 'configmaps', uid: cm.metadata?.uid });
  });
});
