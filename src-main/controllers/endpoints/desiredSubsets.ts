import type { EndpointAddress, Endpoints, ObjectMeta, Pod, Service } from '../../api/types.js';
import { isPodReady } from '../util/pods.js';
import { compareIPs, findPort, isHeadless, jsonEqual, LABEL_HEADLESS, podIPv4, sameStringMap, shouldPodBeInEndpoints, shouldSetHostname } from '../util/serviceEndpoints.js';

// The legacy core/v1 Endpoints of a Service, computed from its pods (kube's endpoints
// controller + RepackSubsets): every (pod address, service port) pair, ready or not, then
// packed so that ports served by exactly the same addresses share one subset.

export type EndpointsSubset = NonNullable<Endpoints['subsets']>[number];
export type EndpointsPort = NonNullable<EndpointsSubset['ports']>[number];

/** Endpoints beyond this many are dropped and the object is annotated as over capacity. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

interface Entry {
  addr: EndpointAddress;
  /** undefined: a headless Service without ports (the address is published bare). */
  port: EndpointsPort | undefined;
  ready: boolean;
}

function addressKey(a: EndpointAddress): string {
  return `${a.ip}|${a.targetRef?.uid ?? ''}`;
}

function portKey(p: EndpointsPort | undefined): string {
  return p ? JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']) : '';
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  const c = compareIPs(a.ip, b.ip);
  if (c) return c;
  const x = a.targetRef?.uid ?? '';
  const y = b.targetRef?.uid ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function comparePorts(a: EndpointsPort, b: EndpointsPort): number {
  const x = portKey(a);
  const y = portKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The address of a pod in a Service's Endpoints. */
export function podToAddress(pod: Pod, svc: Service): EndpointAddress | undefined {
  const ip = podIPv4(pod);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip };
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec.hostname;
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
  return addr;
}

/**
 * Subsets for a Service. Pods being deleted are left out, and not-ready pods go to
 * notReadyAddresses, unless the Service publishes not-ready addresses (then all are ready).
 * A pod that lacks a named targetPort is simply absent from that port's subset.
 */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointsSubset[] {
  const publishAll = svc.spec?.publishNotReadyAddresses === true;
  const svcPorts = svc.spec?.ports ?? [];
  const entries: Entry[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishAll)) continue;
    const addr = podToAddress(pod, svc);
    if (!addr) continue;
    const ready = publishAll || isPodReady(pod);
    if (!svcPorts.length) {
      if (isHeadless(svc)) entries.push({ addr, port: undefined, ready });
      continue;
    }
    for (const sp of svcPorts) {
      const n = findPort(pod, sp);
      if (n === undefined) continue;
      const port: EndpointsPort = { port: n, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) port.name = sp.name;
      if (sp.appProtocol) port.appProtocol = sp.appProtocol;
      entries.push({ addr, port, ready });
    }
  }
  return repackSubsets(entries);
}

/**
 * RepackSubsets: collect, per port, the set of (address, ready) it is served by; ports with
 * identical sets share a subset. Everything is sorted, so equal inputs give equal output.
 */
function repackSubsets(entries: Entry[]): EndpointsSubset[] {
  const byPort = new Map<string, { port: EndpointsPort | undefined; addrs: Map<string, { addr: EndpointAddress; ready: boolean }> }>();
  for (const e of entries) {
    const pk = portKey(e.port);
    let g = byPort.get(pk);
    if (!g) byPort.set(pk, (g = { port: e.port, addrs: new Map() }));
    const ak = addressKey(e.addr);
    const prev = g.addrs.get(ak);
    // An address ready anywhere for this port counts as ready.
    if (!prev || (!prev.ready && e.ready)) g.addrs.set(ak, { addr: e.addr, ready: e.ready });
  }

  const bySet = new Map<string, { ports: EndpointsPort[]; addrs: { addr: EndpointAddress; ready: boolean }[] }>();
  for (const g of byPort.values()) {
    const addrs = [...g.addrs.values()];
    const setKey = addrs
      .map((a) => `${addressKey(a.addr)}:${a.ready ? 1 : 0}`)
      .sort()
      .join(',');
    let s = bySet.get(setKey);
    if (!s) bySet.set(setKey, (s = { ports: [], addrs }));
    if (g.port) s.ports.push(g.port);
  }

  const subsets: EndpointsSubset[] = [];
  for (const s of bySet.values()) {
    const subset: EndpointsSubset = {};
    const ready = s.addrs.filter((a) => a.ready).map((a) => a.addr).sort(compareAddresses);
    const notReady = s.addrs.filter((a) => !a.ready).map((a) => a.addr).sort(compareAddresses);
    if (ready.length) subset.addresses = ready;
    if (notReady.length) subset.notReadyAddresses = notReady;
    if (s.ports.length) subset.ports = s.ports.sort(comparePorts);
    subsets.push(subset);
  }
  return subsets.sort((a, b) => {
    const x = subsetSortKey(a);
    const y = subsetSortKey(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

function subsetSortKey(s: EndpointsSubset): string {
  const first = s.addresses?.[0] ?? s.notReadyAddresses?.[0];
  return `${(s.ports ?? []).map(portKey).join(';')}#${first ? addressKey(first) : ''}`;
}

/**
 * Keeps at most `max` addresses (kube's truncateEndpoints): ready ones first, each subset keeping
 * its proportional share. Returns whether anything was dropped.
 */
export function truncateSubsets(subsets: EndpointsSubset[], max = MAX_ENDPOINTS_CAPACITY): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += s.addresses?.length ?? 0;
    totalNotReady += s.notReadyAddresses?.length ?? 0;
  }
  if (totalReady + totalNotReady <= max) return false;
  const truncateReady = totalReady > max;
  const budget = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let left = budget;
  for (const s of subsets) {
    const n = (truncateReady ? s.addresses?.length : s.notReadyAddresses?.length) ?? 0;
    const share = Math.min(left, Math.ceil((n / total) * budget));
    if (truncateReady) {
      if (s.addresses) s.addresses = s.addresses.slice(0, share);
      delete s.notReadyAddresses;
      left -= s.addresses?.length ?? 0;
    } else {
      if (s.notReadyAddresses) s.notReadyAddresses = s.notReadyAddresses.slice(0, share);
      left -= s.notReadyAddresses?.length ?? 0;
    }
  }
  // Subsets left with no address at all are not valid Endpoints.
  for (let i = subsets.length - 1; i >= 0; i--) if (!subsets[i]!.addresses?.length && !subsets[i]!.notReadyAddresses?.length) subsets.splice(i, 1);
  return true;
}

/** Labels of a Service's Endpoints: the Service's own, plus the headless marker. */
export function endpointsLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (isHeadless(svc)) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  return labels;
}

/**
 * The Endpoints object to write, or undefined when `current` already says it all. `current`
 * is the cached object (undefined: none yet); its other metadata is kept.
 */
export function desiredEndpoints(svc: Service, pods: readonly Pod[], current: Endpoints | undefined): Endpoints | undefined {
  const subsets = desiredSubsets(svc, pods);
  const truncated = truncateSubsets(subsets);
  const labels = endpointsLabels(svc);
  if (current && subsetsEqual(current.subsets ?? [], subsets) && sameStringMap(current.metadata.labels, labels) && (current.metadata.annotations?.[ANNOTATION_OVER_CAPACITY] === 'truncated') === truncated) {
    return undefined;
  }
  const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
  if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';
  else delete annotations[ANNOTATION_OVER_CAPACITY];
  const meta: ObjectMeta = current ? { ...current.metadata, labels, annotations } : { name: svc.metadata.name, namespace: svc.metadata.namespace, labels, annotations };
  if (!Object.keys(annotations).length) delete meta.annotations;
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: meta, subsets };
}

/** Compares subsets ignoring targetRef.resourceVersion (pod updates that move nothing). */
export function subsetsEqual(a: EndpointsSubset[], b: EndpointsSubset[]): boolean {
  const strip = (subs: EndpointsSubset[]) =>
    subs.map((s) => {
      const clean = (list: EndpointAddress[] | undefined) => (list?.length ? list.map((x) => (x.targetRef?.resourceVersion ? { ...x, targetRef: { ...x.targetRef, resourceVersion: undefined } } : x)) : undefined);
      return { addresses: clean(s.addresses), notReadyAddresses: clean(s.notReadyAddresses), ports: s.ports?.length ? s.ports : undefined };
    });
  return jsonEqual(strip(a), strip(b));
}
