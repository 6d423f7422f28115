import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { EndpointSlice, Endpoints, KubeObject, Pod } from '../../src-main/api/types.js';
import { ManualClock } from '../../src-main/api/clock.js';
import { ApiClient, resourcePath } from '../../src-main/client/apiClient.js';
import { resourceByKey } from '../../src-main/api/resources.js';
import { InformerFactory } from '../../src-main/client/informer.js';
import { makeContext, type Controller } from '../../src-main/client/controller.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../../src-main/client/controllerOptions.js';
import { EndpointsController } from '../../src-main/controllers/endpoints/endpointsController.js';
import { EndpointSliceController } from '../../src-main/controllers/endpointslice/endpointSliceController.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { parseTable } from '../helpers/kubectlTools.js';
import { recordingLogger } from '../helpers/logger.js';
import { openWatch } from '../helpers/watchStream.js';

// The endpoints and endpointslice controllers against a real API server, observed with the real
// kubectl and with watches. No kubelet runs here: the test writes pod status itself (podIP and
// the Ready condition through pods/status), exactly what a kubelet would report.
//
// The controllers' clock never moves: nothing they do here can have waited for a timer (a
// resync, a retry, a batching period), so every change they make is their reaction to a watch
// event, which is what "they follow pods" means.

let c: TestCluster;
let client: ApiClient;
let controllers: Controller[] = [];
let informers: InformerFactory;
const log = recordingLogger({ level: 'warn' });

const SLICES = 'endpointslices.discovery.k8s.io';
/** The controllers' clock: it moves only where a test says so. */
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  c = await startTestCluster();
  client = new ApiClient({ url: c.cp.url, token: c.cp.adminToken, ca: c.cp.caCert, userAgent: 'endpoints-test-controllers' });
  informers = new InformerFactory(client);
  const ctx = makeContext(client, informers, DEFAULT_CONTROLLER_OPTIONS, log.log, clock);
  controllers = [new EndpointsController(ctx), new EndpointSliceController(ctx)];
  for (const ctl of controllers) ctl.init();
  await informers.start();
  for (const ctl of controllers) ctl.run();
});

afterAll(async () => {
  await Promise.all(controllers.map((ctl) => ctl.stop()));
  informers?.stop();
  client?.close();
  await c?.stop();
});

// ---- helpers ----

function podManifest(name: string, ns: string, labels: Record<string, string>, httpPort = 8080, extra: Partial<Pod['spec']> = {}): KubeObject {
  return {
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeName: 'node-a', // bound, as if scheduled: deleting it is graceful, like a real pod
      containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: httpPort }] }],
      ...extra,
    },
  };
}

/** What a kubelet reports: Running, an IP, and the Ready condition. */
async function reportStatus(ns: string, name: string, ip: string, ready: boolean): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await client.patch(
    'pods',
    ns,
    name,
    {
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        hostIP: '172.18.0.2',
        conditions: [
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
          { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
        ],
      },
    },
    'merge',
    'status',
  );
}

async function createNamespace(name: string): Promise<void> {
  await client.create('namespaces', undefined, { metadata: { name } });
}

async function listRV(resource: string, ns: string): Promise<string> {
  return (await client.list(resource, ns)).metadata.resourceVersion ?? '';
}

interface Watcher<T extends KubeObject> {
  events: { type: string; object: T }[];
  /** Resolves with the first event (from the start of the watch) that satisfies pred. */
  until(pred: (type: string, obj: T) => boolean, timeoutMs?: number): Promise<{ type: string; object: T }>;
  stop(): void;
}

/** A watch opened now (from the current list resourceVersion), recording every event. */
async function watch<T extends KubeObject>(resource: string, ns: string, q: { labelSelector?: string; fieldSelector?: string } = {}): Promise<Watcher<T>> {
  const query = new URLSearchParams({ ...q, watch: 'true', resourceVersion: await listRV(resource, ns) });
  const w = openWatch(c, `${resourcePath(resourceByKey(resource)!, ns)}?${query}`);
  return {
    events: w.events as { type: string; object: T }[],
    until: (pred, timeoutMs) => w.waitForEvent((e) => pred(e.type, e.object as T), `a matching ${resource} event`, timeoutMs) as Promise<{ type: string; object: T }>,
    stop: () => w.close(),
  };
}

const readyIPs = (ep: Endpoints) => (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
const notReadyIPs = (ep: Endpoints) => (ep.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort();
const sliceEndpoint = (slices: EndpointSlice[], ip: string) => slices.flatMap((s) => s.endpoints ?? []).find((e) => e.addresses.includes(ip));

// ---- scenarios ----

describe('Endpoints and EndpointSlices follow pods', () => {
  const ns = 'ep-basic';

  beforeAll(async () => {
    await createNamespace(ns);
    for (const [i, name] of ['web-1', 'web-2', 'web-3'].entries()) {
      await client.create('pods', ns, podManifest(name, ns, { app: 'web' }));
      await reportStatus(ns, name, `10.244.1.${i + 1}`, true);
    }
    await client.create('pods', ns, podManifest('db-1', ns, { app: 'db' }));
    await reportStatus(ns, 'db-1', '10.244.1.50', true);
  });

  it('kubectl get endpoints shows every ready pod as IP:targetPort', async () => {
    const w = await watch<Endpoints>('endpoints', ns);
    await c.kubectlOK(['-n', ns, 'create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    await w.until((_t, ep) => ep.metadata.name === 'web' && readyIPs(ep).length === 3);
    w.stop();

    const table = parseTable(await c.kubectlOK(['-n', ns, 'get', 'endpoints', 'web']));
    expect(table.headers).toEqual(['NAME', 'ENDPOINTS', 'AGE']);
    expect(table.rows[0]!.NAME).toBe('web');
    expect(table.rows[0]!.ENDPOINTS).toBe('10.244.1.1:8080,10.244.1.2:8080,10.244.1.3:8080');

    const ep = await client.get<Endpoints>('endpoints', ns, 'web');
    expect(ep.metadata.labels).toEqual({ app: 'web' }); // kubectl create service labels the Service app=<name>
    expect(ep.subsets).toHaveLength(1);
    expect(ep.subsets![0]!.ports).toEqual([{ name: '80-8080', port: 8080, protocol: 'TCP' }]);
    const a = ep.subsets![0]!.addresses![0]!;
    expect(a).toMatchObject({ ip: '10.244.1.1', nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: ns, name: 'web-1' } });
  });

  it('kubectl get endpointslices -l kubernetes.io/service-name=web lists one managed slice', async () => {
    // The slice controller writes independently of the Endpoints one: wait for it as well.
    const w = await watch<EndpointSlice>(SLICES, ns);
    const existing = (await client.list<EndpointSlice>(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=web' })).items;
    if ((existing[0]?.endpoints?.length ?? 0) < 3) await w.until((_t, s) => s.endpoints?.length === 3);
    w.stop();

    const out = await c.kubectlOK(['-n', ns, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
    const table = parseTable(out);
    expect(table.headers).toEqual(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0]!.NAME).toMatch(/^web-[a-z0-9]{5}$/);
    expect(table.rows[0]!.ADDRESSTYPE).toBe('IPv4');
    expect(table.rows[0]!.PORTS).toBe('8080');
    expect(table.rows[0]!.ENDPOINTS).toBe('10.244.1.1,10.244.1.2,10.244.1.3');

    const slice = (await client.list<EndpointSlice>(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=web' })).items[0]!;
    const svc = await client.get('services', ns, 'web');
    expect(slice.metadata.labels).toMatchObject({ 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': 'web' });
    expect(slice.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(slice.metadata.generateName).toBe('web-');
    expect(sliceEndpoint([slice], '10.244.1.2')).toEqual({
      addresses: ['10.244.1.2'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node-a',
      targetRef: { kind: 'Pod', namespace: ns, name: 'web-2', uid: expect.any(String) },
    });
  });

  it('a pod turning not-ready moves to notReadyAddresses / ready:false as it changes, and back', async () => {
    const eps = await watch<Endpoints>('endpoints', ns, { fieldSelector: 'metadata.name=web' });
    const slices = await watch<EndpointSlice>(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=web' });
    await reportStatus(ns, 'web-2', '10.244.1.2', false);
    const [e1, s1] = await Promise.all([
      eps.until((_t, ep) => notReadyIPs(ep).includes('10.244.1.2')),
      slices.until((_t, s) => sliceEndpoint([s], '10.244.1.2')?.conditions?.ready === false),
    ]);
    expect(readyIPs(e1.object)).toEqual(['10.244.1.1', '10.244.1.3']);
    expect(sliceEndpoint([s1.object], '10.244.1.2')!.conditions).toEqual({ ready: false, serving: false, terminating: false });

    const table = parseTable(await c.kubectlOK(['-n', ns, 'get', 'endpoints', 'web']));
    expect(table.rows[0]!.ENDPOINTS).toBe('10.244.1.1:8080,10.244.1.3:8080');

    await reportStatus(ns, 'web-2', '10.244.1.2', true);
    await Promise.all([eps.until((_t, ep) => readyIPs(ep).includes('10.244.1.2')), slices.until((_t, s) => sliceEndpoint([s], '10.244.1.2')?.conditions?.ready === true)]);
    eps.stop();
    slices.stop();
  });

  it('pods joining and leaving the selector (labels, creation, deletion) are followed', async () => {
    const eps = await watch<Endpoints>('endpoints', ns, { fieldSelector: 'metadata.name=web' });
    await client.patch('pods', ns, 'db-1', { metadata: { labels: { app: 'web' } } });
    await eps.until((_t, ep) => readyIPs(ep).includes('10.244.1.50'));
    await client.patch('pods', ns, 'db-1', { metadata: { labels: { app: 'db' } } });
    await eps.until((_t, ep) => !readyIPs(ep).includes('10.244.1.50') && readyIPs(ep).length === 3);

    await client.create('pods', ns, podManifest('web-4', ns, { app: 'web' }));
    await reportStatus(ns, 'web-4', '10.244.1.4', true);
    await eps.until((_t, ep) => readyIPs(ep).includes('10.244.1.4'));
    await client.delete('pods', ns, 'web-4', { gracePeriodSeconds: 0 });
    await eps.until((_t, ep) => !readyIPs(ep).includes('10.244.1.4'));
    eps.stop();
  });

  it('a terminating pod leaves Endpoints and is ready:false, serving, terminating in its slice', async () => {
    await client.create('pods', ns, podManifest('web-5', ns, { app: 'web' }));
    await reportStatus(ns, 'web-5', '10.244.1.5', true);
    const eps = await watch<Endpoints>('endpoints', ns, { fieldSelector: 'metadata.name=web' });
    const slices = await watch<EndpointSlice>(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=web' });
    await eps.until((_t, ep) => readyIPs(ep).includes('10.244.1.5'));

    await client.delete('pods', ns, 'web-5', { gracePeriodSeconds: 30 }); // no kubelet: it stays terminating
    await eps.until((_t, ep) => !readyIPs(ep).includes('10.244.1.5') && !notReadyIPs(ep).includes('10.244.1.5'));
    const s = await slices.until((_t, sl) => sliceEndpoint([sl], '10.244.1.5')?.conditions?.terminating === true);
    expect(sliceEndpoint([s.object], '10.244.1.5')!.conditions).toEqual({ ready: false, serving: true, terminating: true });

    await client.delete('pods', ns, 'web-5', { gracePeriodSeconds: 0 });
    await slices.until((_t, sl) => !sliceEndpoint([sl], '10.244.1.5'));
    eps.stop();
    slices.stop();
  });

  it('does not rewrite anything for changes that do not move an endpoint', async () => {
    const eps = await watch<Endpoints>('endpoints', ns, { fieldSelector: 'metadata.name=web' });
    const slices = await watch<EndpointSlice>(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=web' });
    // Noise: a pod annotation, a pod status heartbeat, a Service annotation.
    await client.patch('pods', ns, 'web-1', { metadata: { annotations: { touched: 'yes' } } });
    await reportStatus(ns, 'web-1', '10.244.1.1', true);
    await client.patch('services', ns, 'web', { metadata: { annotations: { touched: 'yes' } } });
    // Then a real change: it must be the first thing either watch sees.
    await reportStatus(ns, 'web-3', '10.244.1.3', false);
    const e = await eps.until(() => true);
    const s = await slices.until(() => true);
    expect(notReadyIPs(e.object)).toEqual(['10.244.1.3']);
    expect(sliceEndpoint([s.object], '10.244.1.3')!.conditions!.ready).toBe(false);
    await reportStatus(ns, 'web-3', '10.244.1.3', true);
    await eps.until((_t, ep) => readyIPs(ep).includes('10.244.1.3'));
    await slices.until((_t, sl) => sliceEndpoint([sl], '10.244.1.3')?.conditions?.ready === true);
    expect(eps.events).toHaveLength(2);
    expect(slices.events).toHaveLength(2);
    eps.stop();
    slices.stop();
  });

  it('deleting the Service deletes its Endpoints and EndpointSlices', async () => {
    const eps = await watch<Endpoints>('endpoints', ns, { fieldSelector: 'metadata.name=web' });
    const slices = await watch<EndpointSlice>(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=web' });
    await c.kubectlOK(['-n', ns, 'delete', 'service', 'web']);
    await eps.until((t) => t === 'DELETED');
    await slices.until((t) => t === 'DELETED');
    expect((await client.list(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=web' })).items).toEqual([]);
    const r = await c.kubectl(['-n', ns, 'get', 'endpoints', 'web']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/NotFound|not found/);
    eps.stop();
    slices.stop();
  });
});

describe('named target ports', () => {
  const ns = 'ep-named';

  it('resolve per pod: different numbers give different slices and Endpoints subsets', async () => {
    await createNamespace(ns);
    await client.create('pods', ns, podManifest('a', ns, { app: 'api' }, 8080));
    await client.create('pods', ns, podManifest('b', ns, { app: 'api' }, 8080));
    await client.create('pods', ns, podManifest('c', ns, { app: 'api' }, 9090));
    await reportStatus(ns, 'a', '10.244.2.1', true);
    await reportStatus(ns, 'b', '10.244.2.2', true);
    await reportStatus(ns, 'c', '10.244.2.3', true);

    const eps = await watch<Endpoints>('endpoints', ns);
    const slices = await watch<EndpointSlice>(SLICES, ns);
    await c.kubectlOK(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api', namespace: ns },
        spec: { selector: { app: 'api' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
      }),
    });
    await eps.until((_t, ep) => readyIPs(ep).length === 3);
    await slices.until(() => {
      const latest = new Map<string, EndpointSlice>();
      for (const e of slices.events) if (e.type === 'DELETED') latest.delete(e.object.metadata.name!);
      else latest.set(e.object.metadata.name!, e.object);
      return [...latest.values()].reduce((n, s) => n + (s.endpoints?.length ?? 0), 0) === 3;
    });

    const table = parseTable(await c.kubectlOK(['-n', ns, 'get', 'endpoints', 'api']));
    expect(table.rows[0]!.ENDPOINTS).toBe('10.244.2.1:8080,10.244.2.2:8080,10.244.2.3:9090');

    const sliceTable = parseTable(await c.kubectlOK(['-n', ns, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=api']));
    const rows = sliceTable.rows.map((r) => [r.PORTS, r.ENDPOINTS]).sort();
    expect(rows).toEqual([
      ['8080', '10.244.2.1,10.244.2.2'],
      ['9090', '10.244.2.3'],
    ]);
    const list = (await client.list<EndpointSlice>(SLICES, ns)).items;
    expect(list.map((s) => s.ports).sort((x, y) => x![0]!.port! - y![0]!.port!)).toEqual([[{ name: 'web', port: 8080, protocol: 'TCP' }], [{ name: 'web', port: 9090, protocol: 'TCP' }]]);
    eps.stop();
    slices.stop();
  });
});

describe('Service kinds', () => {
  const ns = 'ep-kinds';

  beforeAll(async () => {
    await createNamespace(ns);
    await client.create('pods', ns, podManifest('db-0', ns, { app: 'db' }, 5432, { hostname: 'db-0', subdomain: 'db' }));
    await client.create('pods', ns, podManifest('db-1', ns, { app: 'db' }, 5432, { hostname: 'db-1', subdomain: 'db' }));
    await reportStatus(ns, 'db-0', '10.244.3.1', true);
    await reportStatus(ns, 'db-1', '10.244.3.2', false);
  });

  it('headless + publishNotReadyAddresses: every pod ready, with its hostname', async () => {
    const eps = await watch<Endpoints>('endpoints', ns, { fieldSelector: 'metadata.name=db' });
    const slices = await watch<EndpointSlice>(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=db' });
    await client.create('services', ns, {
      metadata: { name: 'db' },
      spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 'http' }] },
    });
    const e = await eps.until((_t, ep) => readyIPs(ep).length === 2);
    expect(notReadyIPs(e.object)).toEqual([]);
    expect(e.object.subsets![0]!.addresses!.map((a) => a.hostname)).toEqual(['db-0', 'db-1']);
    expect(e.object.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
    const s = await slices.until((_t, sl) => sl.endpoints?.length === 2);
    expect(s.object.metadata.labels!['service.kubernetes.io/headless']).toBe('');
    expect(sliceEndpoint([s.object], '10.244.3.2')).toMatchObject({ hostname: 'db-1', conditions: { ready: true, serving: false, terminating: false } });
    eps.stop();
    slices.stop();
  });

  it('a Service without pods gets empty Endpoints and a placeholder slice', async () => {
    const eps = await watch<Endpoints>('endpoints', ns, { fieldSelector: 'metadata.name=lonely' });
    const slices = await watch<EndpointSlice>(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=lonely' });
    await client.create('services', ns, { metadata: { name: 'lonely' }, spec: { selector: { app: 'nothing' }, ports: [{ port: 80 }] } });
    const e = await eps.until((t) => t === 'ADDED');
    expect(e.object.subsets ?? []).toEqual([]);
    const s = await slices.until((t) => t === 'ADDED');
    expect(s.object.endpoints ?? []).toEqual([]);
    const table = parseTable(await c.kubectlOK(['-n', ns, 'get', 'endpoints', 'lonely']));
    expect(table.rows[0]!.ENDPOINTS).toBe('<none>');
    eps.stop();
    slices.stop();
  });

  it('a Service without selector is left alone: hand-written Endpoints stay as written', async () => {
    await client.create('services', ns, { metadata: { name: 'external' }, spec: { ports: [{ port: 5432 }] } });
    await client.create('endpoints', ns, { metadata: { name: 'external' }, subsets: [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }] });
    // A change to it makes the controllers look; they must not touch it. A change of another
    // Service in the namespace, written afterwards, proves they have been working meanwhile.
    const eps = await watch<Endpoints>('endpoints', ns);
    await client.patch('endpoints', ns, 'external', { metadata: { annotations: { note: 'mine' } } });
    await client.patch('services', ns, 'db', { spec: { publishNotReadyAddresses: false } });
    await eps.until((_t, ep) => ep.metadata.name === 'db' && notReadyIPs(ep).includes('10.244.3.2'));
    const ext = await client.get<Endpoints>('endpoints', ns, 'external');
    expect(ext.subsets).toEqual([{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    expect(eps.events.filter((x) => x.object.metadata.name === 'external')).toHaveLength(1); // only our own patch
    expect((await client.list(SLICES, ns, { labelSelector: 'kubernetes.io/service-name=external' })).items).toEqual([]);
    eps.stop();
  });

  it('leaves the kubernetes Service in default to the API server', async () => {
    // A positive control in the same namespace: a Service the controller does manage gets its
    // (placeholder) slice, so the controller has been through this namespace's Services.
    const w = await watch<EndpointSlice>(SLICES, 'default', { labelSelector: 'kubernetes.io/service-name=probe' });
    await client.create('services', 'default', { metadata: { name: 'probe' }, spec: { selector: { app: 'nothing-here' }, ports: [{ port: 80 }] } });
    await w.until((t) => t === 'ADDED');
    w.stop();
    const managed = (await client.list<EndpointSlice>(SLICES, 'default', { labelSelector: 'endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io' })).items;
    expect(managed.map((x) => x.metadata.labels?.['kubernetes.io/service-name'])).toEqual(['probe']);
    await client.delete('services', 'default', 'probe');
  });

  it('many pods are chunked into slices of at most 100 endpoints', async () => {
    const bulk = 'ep-bulk';
    await createNamespace(bulk);
    const n = 230;
    for (let i = 0; i < n; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const k = i + j;
          await client.create('pods', bulk, podManifest(`p${k}`, bulk, { app: 'bulk' }));
          await reportStatus(bulk, `p${k}`, `10.245.${Math.floor(k / 200)}.${(k % 200) + 1}`, true);
        }),
      );
    }
    const slices = await watch<EndpointSlice>(SLICES, bulk);
    const eps = await watch<Endpoints>('endpoints', bulk);
    await client.create('services', bulk, { metadata: { name: 'bulk' }, spec: { selector: { app: 'bulk' }, ports: [{ port: 80, targetPort: 8080 }] } });
    await eps.until((_t, ep) => readyIPs(ep).length === n, 10_000);
    const total = () => {
      const latest = new Map<string, EndpointSlice>();
      for (const e of slices.events) if (e.type === 'DELETED') latest.delete(e.object.metadata.name!);
      else latest.set(e.object.metadata.name!, e.object);
      return [...latest.values()];
    };
    await slices.until(() => total().reduce((k, s) => k + (s.endpoints?.length ?? 0), 0) === n, 10_000);
    const list = (await client.list<EndpointSlice>(SLICES, bulk)).items;
    expect(list.map((s) => s.endpoints!.length).sort((a, b) => b - a)).toEqual([100, 100, 30]);
    const table = parseTable(await c.kubectlOK(['-n', bulk, 'get', 'endpointslices']));
    expect(table.rows).toHaveLength(3);
    expect(table.rows.some((r) => /\+ \d+ more/.test(r.ENDPOINTS!))).toBe(true);
    slices.stop();
    eps.stop();
  });
});

describe('under churn and interference', () => {
  const ns = 'ep-churn';
  const n = 150;
  const ip = (k: number) => `10.246.${Math.floor(k / 200)}.${(k % 200) + 1}`;
  const latest = (w: Watcher<EndpointSlice>) => {
    const m = new Map<string, EndpointSlice>();
    for (const e of w.events) if (e.type === 'DELETED') m.delete(e.object.metadata.name!);
    else m.set(e.object.metadata.name!, e.object);
    return [...m.values()];
  };

  beforeAll(async () => {
    await createNamespace(ns);
    for (let i = 0; i < n; i += 15) {
      await Promise.all(
        Array.from({ length: 15 }, async (_, j) => {
          await client.create('pods', ns, podManifest(`p${i + j}`, ns, { app: 'churn' }));
          await reportStatus(ns, `p${i + j}`, ip(i + j), true);
        }),
      );
    }
    const eps = await watch<Endpoints>('endpoints', ns);
    await client.create('services', ns, { metadata: { name: 'churn' }, spec: { selector: { app: 'churn' }, ports: [{ port: 80, targetPort: 'http' }] } });
    await eps.until((_t, ep) => readyIPs(ep).length === n, 10_000);
    eps.stop();
  });

  it('rapid readiness flapping converges, without duplicate slices', async () => {
    // Here conflicting writes are expected and retried after a back-off: let the controllers'
    // time pass (a second of it every few milliseconds) while they converge.
    const passing = setInterval(() => clock.advance(1000), 10);
    onTestFinished(() => clearInterval(passing));
    const slices = await watch<EndpointSlice>(SLICES, ns);
    const eps = await watch<Endpoints>('endpoints', ns);
    // 400 status writes, 20 at a time, as fast as the API server takes them.
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => reportStatus(ns, `p${(round * 37 + j * 7) % n}`, ip((round * 37 + j * 7) % n), (round + j) % 3 !== 0)));
    }
    // Final state: every pod ready except p0..p9.
    await Promise.all(Array.from({ length: n }, (_, k) => reportStatus(ns, `p${k}`, ip(k), k >= 10)));
    await eps.until((_t, ep) => readyIPs(ep).length === n - 10 && notReadyIPs(ep).length === 10);
    await slices.until(() => {
      const all = latest(slices).flatMap((s) => s.endpoints ?? []);
      return all.length === n && all.filter((e) => e.conditions?.ready).length === n - 10;
    });
    const list = (await client.list<EndpointSlice>(SLICES, ns)).items;
    expect(list.map((s) => s.endpoints!.length).sort((a, b) => b - a)).toEqual([100, 50]);
    const ips = list.flatMap((s) => s.endpoints!.map((e) => e.addresses[0]));
    expect(new Set(ips).size).toBe(n);
    slices.stop();
    eps.stop();
  });

  it('a managed slice deleted by someone else is replaced', async () => {
    const slices = await watch<EndpointSlice>(SLICES, ns);
    const victim = (await client.list<EndpointSlice>(SLICES, ns)).items.find((s) => s.endpoints?.length === 50)!;
    await client.delete(SLICES, ns, victim.metadata.name!);
    await slices.until((t, s) => t === 'ADDED' && s.endpoints?.length === 50);
    const list = (await client.list<EndpointSlice>(SLICES, ns)).items;
    expect(list.reduce((k, s) => k + s.endpoints!.length, 0)).toBe(n);
    slices.stop();
  });

  it('hand edits to controller-managed Endpoints are put right', async () => {
    const eps = await watch<Endpoints>('endpoints', ns);
    await client.patch('endpoints', ns, 'churn', { subsets: [{ addresses: [{ ip: '192.0.2.1' }], ports: [{ port: 1, protocol: 'TCP' }] }] });
    await eps.until((_t, ep) => readyIPs(ep).length === n - 10);
    eps.stop();
  });
});

describe('controller health', () => {
  it('logged no sync errors', () => {
    expect(log.lines()).toEqual([]);
  });
});
