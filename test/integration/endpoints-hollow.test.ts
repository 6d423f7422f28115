import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Endpoints, KubeObject, Pod } from '../../src-main/api/types.js';
import { resourcePath, type ApiClient } from '../../src-main/client/apiClient.js';
import { resourceByKey } from '../../src-main/api/resources.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { parseTable } from '../helpers/kubectlTools.js';
import { openWatch } from '../helpers/watchStream.js';

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

/** Watches from now; `result` is the first event satisfying pred (the watch then closes). */
async function watchUntil<T extends KubeObject>(resource: string, ns: string, pred: (type: string, obj: T) => boolean, q: { labelSelector?: string; fieldSelector?: string } = {}) {
  const rv = (await client.list(resource, ns, q)).metadata.resourceVersion ?? '';
  const w = openWatch(c, `${resourcePath(resourceByKey(resource)!, ns)}?${new URLSearchParams({ ...q, watch: 'true', resourceVersion: rv })}`);
  const result = w.waitForEvent((e) => pred(e.type, e.object as T), `a matching ${resource} event`).finally(() => w.close());
  return { result: result as Promise<{ type: string; object: T }> };
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

  // (That the controllers react to the pod's change rather than to a timer is shown on a clock
  // that never moves in endpoints.test.ts.)
  it('a replica that stops being ready moves to notReadyAddresses', async () => {
    const pods = (await client.list<Pod>('pods', ns, { labelSelector: 'app=web' })).items;
    const victim = pods[0]!;
    const ip = victim.status!.podIP!;
    const w = await watchUntil<Endpoints>('endpoints', ns, (_t, ep) => notReadyIPs(ep).includes(ip), { fieldSelector: 'metadata.name=web' });
    const s = await watchUntil<EndpointSlice>(SLICES, ns, (_t, sl) => sl.endpoints?.some((e) => e.addresses.includes(ip) && e.conditions?.ready === false) ?? false, { labelSelector: 'kubernetes.io/service-name=web' });
    await c.kubectlOK(['annotate', 'pod', victim.metadata.name!, 'hollow.flotilla.dev/ready=false']);
    const [e1, s1] = await Promise.all([w.result, s.result]);
    expect(readyIPs(e1.object)).toHaveLength(4);
    expect(s1.object.endpoints!.filter((e) => e.conditions?.ready)).toHaveLength(4);
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
