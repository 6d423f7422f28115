import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Endpoints, KubeObject, Pod } from '../../src-main/api/types.js';
import type { ApiClient, WatchHandle } from '../../src-main/client/apiClient.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { parseTable } from '../helpers/kubectlTools.js';

// Endpoints end to end on the whole control plane: kubectl creates a Deployment and exposes
// it; the scheduler binds the pods to hollow nodes, which report them Running and Ready with
// pod IPs; the endpoints and endpointslice controllers (started by the controller manager)
// publish them. Hollow nodes stand in for kubelets here only because this is about the
// control loops; the real-node tests cover the data path.

let c: TestCluster;
let client: ApiClient;
const SLICES = 'endpointslices.discovery.k8s.io';

beforeAll(async () => {
  c = await startTestCluster({ scheduler: true, controllers: true, hollowNodes: { count: 3, podStartupDelayMs: 50 } });
  client = c.cp.componentClient('endpoints-hollow-test');
});

afterAll(async () => {
  await c?.stop();
});

interface Seen<T> {
  type: string;
  object: T;
  at: number;
}

/** Watches from now and resolves with the first event satisfying pred. */
async function watchUntil<T extends KubeObject>(resource: string, ns: string, pred: (type: string, obj: T) => boolean, q: { labelSelector?: string; fieldSelector?: string } = {}, timeoutMs = 15_000) {
  const rv = (await client.list(resource, ns, q)).metadata.resourceVersion;
  let handle: WatchHandle | undefined;
  let done!: (e: Seen<T>) => void;
  let fail!: (e: Error) => void;
  const result = new Promise<Seen<T>>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  const timer = setTimeout(() => fail(new Error(`no matching ${resource} event within ${timeoutMs} ms`)), timeoutMs);
  handle = client.watch<T>(
    resource,
    ns,
    { ...q, resourceVersion: rv },
    (e) => {
      if (pred(e.type, e.object)) done({ type: e.type, object: e.object, at: Date.now() });
    },
    () => {},
  );
  return {
    result: result.finally(() => {
      clearTimeout(timer);
      handle?.stop();
      handle = undefined;
    }),
  };
}

const readyIPs = (ep: Endpoints) => (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
const notReadyIPs = (ep: Endpoints) => (ep.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort();

describe('a Deployment exposed as a Service, on hollow nodes', () => {
  const ns = 'default';

  it('kubectl get endpoints lists the ready replicas as IP:port', async () => {
    const w = await watchUntil<Endpoints>('endpoints', ns, (_t, ep) => readyIPs(ep).length === 3, { fieldSelector: 'metadata.name=web' });
    await c.kubectlOK(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '--port=8080']);
    await c.kubectlOK(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']);
    const ep = (await w.result).object;

    const pods = (await client.list<Pod>('pods', ns, { labelSelector: 'app=web' })).items;
    expect(readyIPs(ep)).toEqual(pods.map((p) => p.status!.podIP!).sort());
    for (const a of ep.subsets![0]!.addresses!) expect(a.nodeName).toMatch(/^hollow-node-/);

    const table = parseTable(await c.kubectlOK(['get', 'endpoints', 'web']));
    const shown = table.rows[0]!.ENDPOINTS!.split(',');
    expect(shown).toHaveLength(3);
    for (const s of shown) expect(s).toMatch(/^\d+\.\d+\.\d+\.\d+:8080$/);
  });

  it('kubectl get endpointslices shows the same pods, and follows a scale-up', async () => {
    const w = await watchUntil<EndpointSlice>(SLICES, ns, (_t, s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).length === 5, { labelSelector: 'kubernetes.io/service-name=web' });
    await c.kubectlOK(['scale', 'deployment', 'web', '--replicas=5']);
    await w.result;
    const table = parseTable(await c.kubectlOK(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']));
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0]!.PORTS).toBe('8080');
    expect(table.rows[0]!.ENDPOINTS).toMatch(/ \+ 2 more\.\.\.$/);
  });

  it('a replica that stops being ready moves to notReadyAddresses within a second', async () => {
    const pods = (await client.list<Pod>('pods', ns, { labelSelector: 'app=web' })).items;
    const victim = pods[0]!;
    const ip = victim.status!.podIP!;
    const w = await watchUntil<Endpoints>('endpoints', ns, (_t, ep) => notReadyIPs(ep).includes(ip), { fieldSelector: 'metadata.name=web' });
    const s = await watchUntil<EndpointSlice>(SLICES, ns, (_t, sl) => sl.endpoints?.some((e) => e.addresses.includes(ip) && e.conditions?.ready === false) ?? false, { labelSelector: 'kubernetes.io/service-name=web' });
    const t0 = Date.now();
    await c.kubectlOK(['annotate', 'pod', victim.metadata.name!, 'hollow.flotilla.dev/ready=false']);
    const [e1, s1] = await Promise.all([w.result, s.result]);
    expect(e1.at - t0).toBeLessThan(1000);
    expect(s1.at - t0).toBeLessThan(1000);
    expect(readyIPs(e1.object)).toHaveLength(4);
  });

  it('deleting the Deployment empties the Endpoints; deleting the Service removes them', async () => {
    const w = await watchUntil<Endpoints>('endpoints', ns, (_t, ep) => !(ep.subsets ?? []).length, { fieldSelector: 'metadata.name=web' });
    await c.kubectlOK(['delete', 'deployment', 'web']);
    await w.result;
    expect(parseTable(await c.kubectlOK(['get', 'endpoints', 'web'])).rows[0]!.ENDPOINTS).toBe('<none>');

    const gone = await watchUntil<EndpointSlice>(SLICES, ns, (t) => t === 'DELETED', { labelSelector: 'kubernetes.io/service-name=web' });
    await c.kubectlOK(['delete', 'service', 'web']);
    await gone.result;
    expect((await c.kubectl(['get', 'endpoints', 'web'])).code).not.toBe(0);
  });
});
