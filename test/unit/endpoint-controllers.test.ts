import { describe, expect, it } from 'vitest';
import type { Container, EndpointSlice, Pod, Service } from '../../src-main/api/types.js';
import { desiredGroups, endpointPortsForPod, podToEndpoint, portSetKey, sliceLabels } from '../../src-main/controllers/endpointslice/desiredEndpoints.js';
import { planSlices } from '../../src-main/controllers/endpointslice/planSlices.js';
import { SliceTracker } from '../../src-main/controllers/endpointslice/sliceTracker.js';
import { desiredEndpoints, desiredSubsets, truncateSubsets } from '../../src-main/controllers/endpoints/desiredSubsets.js';
import { findPort, podEndpointsChanged, selectorMatches, serviceHasSelector, shouldPodBeInEndpoints } from '../../src-main/controllers/util/serviceEndpoints.js';

// The pure half of the endpoints and endpointslice controllers: (Service, pods, existing
// objects) -> the objects to write. The informer/queue half is exercised by
// test/integration/endpoints.test.ts against a real API server.

// ---- fixtures: pods and Services as they sit in the informer caches ----

interface PodOpts {
  ns?: string;
  labels?: Record<string, string>;
  ip?: string | null;
  ready?: boolean;
  node?: string;
  deleting?: boolean;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ports?: Container['ports'];
  hostname?: string;
  subdomain?: string;
}

function pod(name: string, o: PodOpts = {}): Pod {
  const ip = o.ip === undefined ? `10.244.0.${(Number(name.replace(/\D/g, '')) || 0) + 1}` : o.ip;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.ns ?? 'default',
      uid: `uid-${name}`,
      resourceVersion: '1',
      labels: o.labels ?? { app: 'web' },
      ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'nginx', ports: o.ports ?? [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }],
      nodeName: o.node ?? 'node-1',
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

/** n pods with distinct IPs 10.1.x.y, named p0..p(n-1). */
function pods(n: number, o: PodOpts = {}, prefix = 'p'): Pod[] {
  return Array.from({ length: n }, (_, i) => pod(`${prefix}${i}`, { ...o, ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}` }));
}

function service(spec: Partial<Service['spec']> = {}, labels?: Record<string, string>, name = 'web'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', uid: `svc-uid-${name}`, resourceVersion: '1', ...(labels ? { labels } : {}) },
    spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
  };
}

let seq = 0;
/** What the API server returns for a written slice: a name for generateName, a uid, a new resourceVersion. */
function stored(slice: EndpointSlice): EndpointSlice {
  seq++;
  const { generateName, ...meta } = slice.metadata;
  return { ...slice, metadata: { ...meta, name: meta.name ?? `${generateName}s${seq}`, uid: meta.uid ?? `slice-uid-${seq}`, resourceVersion: String(100 + seq) } };
}

/** Applies a plan to a set of slices the way the API server would. */
function apply(existing: EndpointSlice[], plan: ReturnType<typeof planSlices>): EndpointSlice[] {
  const byName = new Map(existing.map((s) => [s.metadata.name, s]));
  for (const s of plan.delete) byName.delete(s.metadata.name);
  for (const s of plan.update) byName.set(s.metadata.name, stored(s));
  for (const s of plan.create) {
    const c = stored(s);
    byName.set(c.metadata.name, c);
  }
  return [...byName.values()];
}

function reconcile(svc: Service, ps: Pod[], existing: EndpointSlice[] = []) {
  const plan = planSlices(svc, existing, desiredGroups(svc, ps));
  return { plan, slices: apply(existing, plan) };
}

const count = (slices: EndpointSlice[]) => slices.reduce((n, s) => n + (s.endpoints?.length ?? 0), 0);

// ---- shared helpers ----

describe('service/pod helpers', () => {
  it('only Services with a non-empty selector and not ExternalName are managed', () => {
    expect(serviceHasSelector(service())).toBe(true);
    expect(serviceHasSelector(service({ selector: undefined }))).toBe(false);
    expect(serviceHasSelector(service({ selector: {} }))).toBe(false);
    expect(serviceHasSelector(service({ type: 'ExternalName', externalName: 'example.com' }))).toBe(false);
  });

  it('matches a selector map against labels', () => {
    expect(selectorMatches({ app: 'web' }, { app: 'web', tier: 'fe' })).toBe(true);
    expect(selectorMatches({ app: 'web', tier: 'be' }, { app: 'web', tier: 'fe' })).toBe(false);
    expect(selectorMatches({ app: 'web' }, undefined)).toBe(false);
  });

  it('resolves numeric, named and defaulted target ports', () => {
    const p = pod('a', { ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] });
    expect(findPort(p, { port: 80, targetPort: 9090 })).toBe(9090);
    expect(findPort(p, { port: 80 })).toBe(80);
    expect(findPort(p, { port: 80, targetPort: 'http' })).toBe(8080);
    expect(findPort(p, { port: 80, targetPort: 'dns', protocol: 'TCP' })).toBeUndefined(); // protocol must match
    expect(findPort(p, { port: 53, targetPort: 'dns', protocol: 'UDP' })).toBe(53);
    expect(findPort(p, { port: 80, targetPort: 'metrics' })).toBeUndefined();
  });

  it('named ports of sidecar init containers count, of ordinary init containers not', () => {
    const p = pod('a');
    p.spec.initContainers = [
      { name: 'init', ports: [{ name: 'once', containerPort: 1 }] },
      { name: 'side', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001 }] },
    ];
    expect(findPort(p, { port: 80, targetPort: 'proxy' })).toBe(15001);
    expect(findPort(p, { port: 80, targetPort: 'once' })).toBeUndefined();
  });

  it('leaves out pods without an IP and finished pods; terminating ones only on request', () => {
    expect(shouldPodBeInEndpoints(pod('a', { ip: null }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod('a', { phase: 'Succeeded' }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod('a', { phase: 'Failed' }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod('a', { deleting: true }), true)).toBe(true);
    expect(shouldPodBeInEndpoints(pod('a', { deleting: true }), false)).toBe(false);
  });

  it('ignores pod updates that cannot move an endpoint', () => {
    const a = pod('a');
    const heartbeat = { ...a, metadata: { ...a.metadata, resourceVersion: '2', annotations: { x: 'y' } } };
    expect(podEndpointsChanged(a, heartbeat).changed).toBe(false);
    expect(podEndpointsChanged(a, pod('a', { ready: false })).changed).toBe(true);
    expect(podEndpointsChanged(a, pod('a', { ip: '10.9.9.9' })).changed).toBe(true);
    expect(podEndpointsChanged(a, pod('a', { deleting: true })).changed).toBe(true);
    expect(podEndpointsChanged(a, pod('a', { labels: { app: 'db' } }))).toEqual({ changed: true, labelsChanged: true });
  });
});

// ---- EndpointSlices ----

describe('EndpointSlice endpoints', () => {
  it('a ready pod is ready and serving, with node, targetRef and its address', () => {
    expect(podToEndpoint(pod('a', { ip: '10.244.1.5', node: 'n2' }), service())).toEqual({
      addresses: ['10.244.1.5'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'n2',
      targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' },
    });
  });

  it('a not-ready pod is neither ready nor serving', () => {
    expect(podToEndpoint(pod('a', { ready: false }), service())!.conditions).toEqual({ ready: false, serving: false, terminating: false });
  });

  it('a terminating pod is not ready but still serving while its Ready condition holds', () => {
    expect(podToEndpoint(pod('a', { deleting: true }), service())!.conditions).toEqual({ ready: false, serving: true, terminating: true });
    expect(podToEndpoint(pod('a', { deleting: true, ready: false }), service())!.conditions).toEqual({ ready: false, serving: false, terminating: true });
  });

  it('publishNotReadyAddresses makes every endpoint ready, terminating ones too', () => {
    const svc = service({ publishNotReadyAddresses: true });
    expect(podToEndpoint(pod('a', { ready: false }), svc)!.conditions).toEqual({ ready: true, serving: false, terminating: false });
    expect(podToEndpoint(pod('a', { deleting: true }), svc)!.conditions).toEqual({ ready: true, serving: true, terminating: true });
  });

  it('sets hostname only for the Service named by the pod subdomain', () => {
    expect(podToEndpoint(pod('a', { hostname: 'db-0', subdomain: 'web' }), service())!.hostname).toBe('db-0');
    expect(podToEndpoint(pod('a', { hostname: 'db-0', subdomain: 'other' }), service())!.hostname).toBeUndefined();
    expect(podToEndpoint(pod('a', { hostname: 'db-0' }), service())!.hostname).toBeUndefined();
  });

  it('uses the IPv4 address of a dual-stack pod', () => {
    const p = pod('a');
    p.status!.podIP = 'fd00::5';
    p.status!.podIPs = [{ ip: 'fd00::5' }, { ip: '10.244.3.3' }];
    expect(podToEndpoint(p, service())!.addresses).toEqual(['10.244.3.3']);
    p.status!.podIPs = [{ ip: 'fd00::5' }];
    expect(podToEndpoint(p, service())).toBeUndefined();
  });

  it('groups pods by the port numbers their named targetPort resolves to', () => {
    const svc = service({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
    const ps = [
      pod('a', { ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('b', { ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('c', { ports: [{ name: 'http', containerPort: 9090 }] }),
      pod('d', { ports: [{ name: 'web', containerPort: 80 }] }), // lacks the name: published with no ports, as kube does
    ];
    const groups = desiredGroups(svc, ps);
    const summary = [...groups.values()].map((g) => ({ ports: g.ports.map((p) => p.port), n: g.endpoints.size }));
    expect(summary).toEqual(expect.arrayContaining([{ ports: [8080], n: 2 }, { ports: [9090], n: 1 }, { ports: [], n: 1 }]));
    expect(groups.size).toBe(3);

    const { slices } = reconcile(svc, ps);
    expect(slices).toHaveLength(3);
    const http8080 = slices.find((s) => s.ports?.[0]?.port === 8080)!;
    expect(http8080.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(http8080.endpoints!.map((e) => e.targetRef!.name).sort()).toEqual(['a', 'b']);
  });

  it('keeps every Service port a pod offers, in Service order, with appProtocol', () => {
    const svc = service({
      ports: [
        { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP', appProtocol: 'https' },
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      ],
    });
    expect(endpointPortsForPod(svc, pod('a'))).toEqual([
      { name: 'https', port: 8443, protocol: 'TCP', appProtocol: 'https' },
      { name: 'http', port: 8080, protocol: 'TCP' },
    ]);
    expect(portSetKey(endpointPortsForPod(svc, pod('a')))).toBe(portSetKey([...endpointPortsForPod(svc, pod('a'))].reverse()));
  });

  it('leaves out pods without an IP and finished pods, keeps terminating ones', () => {
    const groups = desiredGroups(service(), [pod('a', { ip: null }), pod('b', { phase: 'Succeeded' }), pod('c', { deleting: true }), pod('d')]);
    const names = [...groups.values()].flatMap((g) => [...g.endpoints.values()].map((e) => e.targetRef!.name));
    expect(names.sort()).toEqual(['c', 'd']);
  });
});

describe('EndpointSlice planning', () => {
  it('creates owned, labelled IPv4 slices named from the Service', () => {
    const svc = service({}, { team: 'a', [`endpointslice.kubernetes.io/managed-by`]: 'someone-else' });
    const { plan } = reconcile(svc, pods(3));
    expect(plan.update).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.create).toHaveLength(1);
    const s = plan.create[0]!;
    expect(s.addressType).toBe('IPv4');
    expect(s.metadata.generateName).toBe('web-');
    expect(s.metadata.namespace).toBe('default');
    expect(s.metadata.labels).toEqual({ team: 'a', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(s.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid-web', controller: true, blockOwnerDeletion: true }]);
    expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(s.endpoints).toHaveLength(3);
  });

  it('marks headless Services', () => {
    expect(sliceLabels(service({ clusterIP: 'None' }))['service.kubernetes.io/headless']).toBe('');
    expect(sliceLabels(service())['service.kubernetes.io/headless']).toBeUndefined();
  });

  it('puts at most 100 endpoints in a slice', () => {
    const { plan, slices } = reconcile(service(), pods(250));
    expect(plan.create.map((s) => s.endpoints!.length).sort((a, b) => b - a)).toEqual([100, 100, 50]);
    expect(count(slices)).toBe(250);
    const ips = slices.flatMap((s) => s.endpoints!.map((e) => e.addresses[0]));
    expect(new Set(ips).size).toBe(250);
  });

  it('honours a smaller maximum', () => {
    const svc = service();
    const plan = planSlices(svc, [], desiredGroups(svc, pods(7)), 3);
    expect(plan.create.map((s) => s.endpoints!.length)).toEqual([3, 3, 1]);
  });

  it('writes nothing when the slices are already right', () => {
    const svc = service();
    const { slices } = reconcile(svc, pods(250));
    const again = planSlices(svc, slices, desiredGroups(svc, pods(250)));
    expect(again).toEqual({ create: [], update: [], delete: [] });
  });

  it('ignores pod resourceVersion churn: only endpoint content counts', () => {
    const svc = service();
    const ps = pods(5);
    const { slices } = reconcile(svc, ps);
    const bumped = ps.map((p) => ({ ...p, metadata: { ...p.metadata, resourceVersion: '99', annotations: { a: 'b' } } }));
    expect(planSlices(svc, slices, desiredGroups(svc, bumped))).toEqual({ create: [], update: [], delete: [] });
  });

  it('rewrites only the slice holding a pod whose readiness changed', () => {
    const svc = service();
    const ps = pods(250);
    const { slices } = reconcile(svc, ps);
    ps[137] = pod('p137', { ip: ps[137]!.status!.podIP!, ready: false });
    const plan = planSlices(svc, slices, desiredGroups(svc, ps));
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update).toHaveLength(1);
    const ep = plan.update[0]!.endpoints!.find((e) => e.targetRef!.name === 'p137')!;
    expect(ep.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(plan.update[0]!.endpoints).toHaveLength(slices.find((s) => s.metadata.name === plan.update[0]!.metadata.name)!.endpoints!.length);
  });

  it('fills an unchanged slice that has room instead of creating one', () => {
    const svc = service();
    const first = pods(130);
    const { slices } = reconcile(svc, first); // 100 + 30
    const more = [...first, ...pods(5, {}, 'q').map((p, i) => ({ ...p, status: { ...p.status, podIP: `10.2.0.${i + 1}`, podIPs: [{ ip: `10.2.0.${i + 1}` }] } }))];
    const plan = planSlices(svc, slices, desiredGroups(svc, more));
    expect(plan.create).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.endpoints).toHaveLength(35);
  });

  it('new endpoints go first into a slice being rewritten anyway', () => {
    const svc = service();
    const ps = pods(130);
    const { slices } = reconcile(svc, ps);
    const full = slices.find((s) => s.endpoints!.length === 100)!;
    const gone = full.endpoints![0]!.targetRef!.name;
    const next = ps.filter((p) => p.metadata.name !== gone);
    next.push(pod('new', { ip: '10.3.0.1' }));
    const plan = planSlices(svc, slices, desiredGroups(svc, next));
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.metadata.name).toBe(full.metadata.name);
    expect(plan.update[0]!.endpoints).toHaveLength(100);
  });

  it('a Service with no endpoints keeps one empty placeholder slice', () => {
    const svc = service();
    const { plan, slices } = reconcile(svc, []);
    expect(plan.create).toHaveLength(1);
    expect(plan.create[0]!.endpoints).toEqual([]);
    expect(plan.create[0]!.ports).toEqual([]);
    // ...and leaves it alone afterwards.
    expect(planSlices(svc, slices, desiredGroups(svc, []))).toEqual({ create: [], update: [], delete: [] });
  });

  it('the placeholder becomes the first real slice (an update, not delete + create)', () => {
    const svc = service();
    const { slices } = reconcile(svc, []);
    const plan = planSlices(svc, slices, desiredGroups(svc, pods(2)));
    expect(plan.create).toEqual([]);
    expect(plan.delete).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.metadata.name).toBe(slices[0]!.metadata.name);
    expect(plan.update[0]!.endpoints).toHaveLength(2);
    expect(plan.update[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('when every pod goes, one slice is turned into the placeholder and the rest deleted', () => {
    const svc = service();
    const { slices } = reconcile(svc, pods(250));
    const plan = planSlices(svc, slices, desiredGroups(svc, []));
    expect(plan.create).toEqual([]);
    expect(plan.update).toHaveLength(1);
    expect(plan.update[0]!.endpoints).toEqual([]);
    expect(plan.update[0]!.ports).toEqual([]);
    expect(plan.delete).toHaveLength(2);
  });

  it('deletes slices of an older Service with the same name', () => {
    const old = service();
    const { slices } = reconcile(old, pods(3));
    const renewed = { ...old, metadata: { ...old.metadata, uid: 'svc-uid-new' } };
    const plan = planSlices(renewed, slices, desiredGroups(renewed, pods(3)));
    expect(plan.delete.map((s) => s.metadata.name)).toEqual([slices[0]!.metadata.name]);
    expect(plan.create).toHaveLength(1);
    expect(plan.create[0]!.metadata.ownerReferences![0]!.uid).toBe('svc-uid-new');
    expect(plan.update).toEqual([]);
  });

  it('follows Service label and port changes', () => {
    const svc = service();
    const { slices } = reconcile(svc, pods(3));
    const relabelled = service({}, { version: 'v2' });
    const p1 = planSlices(relabelled, slices, desiredGroups(relabelled, pods(3)));
    expect(p1.update).toHaveLength(1);
    expect(p1.update[0]!.metadata.labels!.version).toBe('v2');

    const repointed = service({ ports: [{ name: 'http', port: 80, targetPort: 9000, protocol: 'TCP' }] });
    const p2 = planSlices(repointed, slices, desiredGroups(repointed, pods(3)));
    // A different port set: the old slice is rewritten with the new ports, nothing is left behind.
    expect(p2.create).toEqual([]);
    expect(p2.delete).toEqual([]);
    expect(p2.update[0]!.ports).toEqual([{ name: 'http', port: 9000, protocol: 'TCP' }]);
    expect(p2.update[0]!.endpoints).toHaveLength(3);
  });

  it('a headless Service without ports gets slices without ports', () => {
    const svc = service({ clusterIP: 'None', ports: undefined });
    const { slices } = reconcile(svc, pods(2));
    expect(slices).toHaveLength(1);
    expect(slices[0]!.ports).toEqual([]);
    expect(slices[0]!.endpoints).toHaveLength(2);
    expect(slices[0]!.metadata.labels!['service.kubernetes.io/headless']).toBe('');
  });

  it('converges from any start in one pass', () => {
    const svc = service();
    let slices: EndpointSlice[] = [];
    for (const n of [0, 5, 250, 120, 301, 1, 0, 42]) {
      const ps = pods(n, { ready: n % 2 === 0 });
      slices = reconcile(svc, ps, slices).slices;
      expect(count(slices)).toBe(n);
      expect(slices.every((s) => (s.endpoints?.length ?? 0) <= 100)).toBe(true);
      expect(planSlices(svc, slices, desiredGroups(svc, ps))).toEqual({ create: [], update: [], delete: [] });
    }
  });
});

describe('SliceTracker', () => {
  const slice = (uid: string, rv: string): EndpointSlice => ({ metadata: { name: uid, uid, resourceVersion: rv }, addressType: 'IPv4', endpoints: [] });

  it('reports a cache that has not seen our writes yet', () => {
    const t = new SliceTracker();
    expect(t.isStale('ns/web', [])).toBe(false);
    t.wrote('ns/web', slice('a', '10'));
    expect(t.isStale('ns/web', [])).toBe(true); // created, not yet seen
    expect(t.isStale('ns/web', [slice('a', '9')])).toBe(true);
    expect(t.isStale('ns/web', [slice('a', '10')])).toBe(false);
    expect(t.isStale('ns/web', [slice('a', '11')])).toBe(false);
    t.deleted('ns/web', slice('a', '10'));
    expect(t.isStale('ns/web', [slice('a', '10')])).toBe(true);
    expect(t.isStale('ns/web', [])).toBe(false);
  });

  it('syncs on changes by others, not on the echo of our own writes', () => {
    const t = new SliceTracker();
    expect(t.shouldSyncOnChange('ns/web', slice('a', '5'))).toBe(true);
    t.wrote('ns/web', slice('a', '10'));
    expect(t.shouldSyncOnChange('ns/web', slice('a', '10'))).toBe(false);
    expect(t.shouldSyncOnChange('ns/web', slice('a', '12'))).toBe(true);
    t.deleted('ns/web', slice('a', '10'));
    expect(t.shouldSyncOnDelete('ns/web', slice('a', '10'))).toBe(false);
    expect(t.shouldSyncOnDelete('ns/web', slice('b', '3'))).toBe(true);
  });
});

// ---- Endpoints ----

describe('Endpoints subsets', () => {
  it('ready pods in addresses, others in notReadyAddresses, ports named like the Service ports', () => {
    const subsets = desiredSubsets(service(), [pod('a', { ip: '10.0.0.2' }), pod('b', { ip: '10.0.0.1', ready: false, node: 'n2' })]);
    expect(subsets).toEqual([
      {
        addresses: [{ ip: '10.0.0.2', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }],
        notReadyAddresses: [{ ip: '10.0.0.1', nodeName: 'n2', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('leaves the name out of a single unnamed port', () => {
    const subsets = desiredSubsets(service({ ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }), [pod('a')]);
    expect(subsets[0]!.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
  });

  it('drops terminating pods, unless not-ready addresses are published', () => {
    const ps = [pod('a', { ip: '10.0.0.1' }), pod('b', { ip: '10.0.0.2', deleting: true }), pod('c', { ip: '10.0.0.3', ready: false })];
    const normal = desiredSubsets(service(), ps);
    expect(normal[0]!.addresses!.map((a) => a.ip)).toEqual(['10.0.0.1']);
    expect(normal[0]!.notReadyAddresses!.map((a) => a.ip)).toEqual(['10.0.0.3']);
    const publish = desiredSubsets(service({ publishNotReadyAddresses: true }), ps);
    expect(publish[0]!.addresses!.map((a) => a.ip)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(publish[0]!.notReadyAddresses).toBeUndefined();
  });

  it('leaves out pods without IP and finished pods', () => {
    expect(desiredSubsets(service(), [pod('a', { ip: null }), pod('b', { phase: 'Failed' })])).toEqual([]);
  });

  it('pods serving a named port on different numbers land in different subsets', () => {
    const subsets = desiredSubsets(service(), [
      pod('a', { ip: '10.0.0.1', ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('b', { ip: '10.0.0.2', ports: [{ name: 'http', containerPort: 9090 }] }),
      pod('c', { ip: '10.0.0.3', ports: [{ name: 'other', containerPort: 1 }] }),
    ]);
    expect(subsets.map((s) => [s.ports!.map((p) => p.port), s.addresses!.map((a) => a.ip)])).toEqual([
      [[8080], ['10.0.0.1']],
      [[9090], ['10.0.0.2']],
    ]);
  });

  it('repacks by port: ports served by the same addresses share a subset', () => {
    const svc = service({
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9100, targetPort: 'metrics', protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
      ],
    });
    const both = [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }];
    const subsets = desiredSubsets(svc, [
      pod('a', { ip: '10.0.0.1', ports: both }),
      pod('b', { ip: '10.0.0.2', ports: both }),
      pod('c', { ip: '10.0.0.3', ports: [{ name: 'http', containerPort: 8080 }] }),
    ]);
    const shape = subsets.map((s) => ({ ports: s.ports!.map((p) => p.name).sort(), ips: s.addresses!.map((a) => a.ip) }));
    expect(shape).toHaveLength(2);
    expect(shape).toEqual(
      expect.arrayContaining([
        { ports: ['http', 'https'], ips: ['10.0.0.1', '10.0.0.2', '10.0.0.3'] },
        { ports: ['metrics'], ips: ['10.0.0.1', '10.0.0.2'] },
      ]),
    );
  });

  it('sorts addresses numerically and is independent of pod order', () => {
    const ps = [pod('a', { ip: '10.0.0.10' }), pod('b', { ip: '10.0.0.9' }), pod('c', { ip: '10.0.1.1' })];
    const one = desiredSubsets(service(), ps);
    expect(one[0]!.addresses!.map((a) => a.ip)).toEqual(['10.0.0.9', '10.0.0.10', '10.0.1.1']);
    expect(desiredSubsets(service(), [...ps].reverse())).toEqual(one);
  });

  it('headless without ports publishes bare addresses; a ClusterIP Service without ports none', () => {
    const headless = desiredSubsets(service({ clusterIP: 'None', ports: undefined }), [pod('a', { hostname: 'a', subdomain: 'web' })]);
    expect(headless).toHaveLength(1);
    expect(headless[0]!.ports).toBeUndefined();
    expect(headless[0]!.addresses![0]!.hostname).toBe('a');
    expect(desiredSubsets(service({ ports: undefined }), [pod('a')])).toEqual([]);
  });

  it('truncates to 1000 addresses, ready ones first', () => {
    const subsets = desiredSubsets(service(), [...pods(900), ...pods(300, { ready: false }, 'n').map((p, i) => ({ ...p, status: { ...p.status, podIP: `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`, podIPs: undefined } }))]);
    expect(truncateSubsets(subsets)).toBe(true);
    expect(subsets[0]!.addresses).toHaveLength(900);
    expect(subsets[0]!.notReadyAddresses).toHaveLength(100);
    const many = desiredSubsets(service(), pods(1200));
    expect(truncateSubsets(many)).toBe(true);
    expect(many[0]!.addresses).toHaveLength(1000);
  });
});

describe('Endpoints object', () => {
  it('is named like the Service and carries its labels (and the headless marker)', () => {
    const ep = desiredEndpoints(service({ clusterIP: 'None' }, { app: 'web' }), [pod('a')], undefined)!;
    expect(ep.metadata).toEqual({ name: 'web', namespace: 'default', labels: { app: 'web', 'service.kubernetes.io/headless': '' } });
    expect(ep.subsets).toHaveLength(1);
  });

  it('is not rewritten when nothing changed', () => {
    const svc = service();
    const ps = [pod('a'), pod('b', { ready: false })];
    const first = desiredEndpoints(svc, ps, undefined)!;
    const current = { ...first, metadata: { ...first.metadata, uid: 'e1', resourceVersion: '7', labels: {} } };
    expect(desiredEndpoints(svc, ps, current)).toBeUndefined();
    // A Service without subsets: the stored object has none at all.
    const empty = { ...first, subsets: undefined, metadata: current.metadata };
    expect(desiredEndpoints(svc, [], empty)).toBeUndefined();
  });

  it('is rewritten when a pod turns not-ready, keeping its metadata', () => {
    const svc = service();
    const first = desiredEndpoints(svc, [pod('a')], undefined)!;
    const current = { ...first, metadata: { ...first.metadata, uid: 'e1', resourceVersion: '7', labels: {}, annotations: { keep: 'me' } } };
    const next = desiredEndpoints(svc, [pod('a', { ready: false })], current)!;
    expect(next.metadata).toMatchObject({ uid: 'e1', resourceVersion: '7', annotations: { keep: 'me' } });
    expect(next.subsets![0]!.addresses).toBeUndefined();
    expect(next.subsets![0]!.notReadyAddresses).toHaveLength(1);
  });

  it('marks a truncated object as over capacity, and unmarks it later', () => {
    const svc = service();
    const big = desiredEndpoints(svc, pods(1001), undefined)!;
    expect(big.metadata.annotations).toEqual({ 'endpoints.kubernetes.io/over-capacity': 'truncated' });
    const current = { ...big, metadata: { ...big.metadata, resourceVersion: '3' } };
    expect(desiredEndpoints(svc, pods(1001), current)).toBeUndefined();
    expect(desiredEndpoints(svc, pods(10), current)!.metadata.annotations).toBeUndefined();
  });
});
