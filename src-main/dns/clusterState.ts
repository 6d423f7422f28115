import type { EndpointSlice, Service } from '../api/types.js';
import { canonicalIP } from './ip.js';

// What the DNS server knows of the cluster: the parts of Services, EndpointSlices and Namespaces
// that CoreDNS's kubernetes plugin keeps (plugin/kubernetes/object/{service,endpoint,namespace}.go),
// indexed as it indexes them (by service name.namespace, by cluster IP, by endpoint IP). The
// informers in watch.ts fill it; the resolver's table tests fill it by hand.

export interface DnsPort {
  /** -1 is CoreDNS's sentinel for "no ports declared" (a name query still answers, SRV does not). */
  port: number;
  name: string;
  protocol: string;
}

export interface DnsService {
  name: string;
  namespace: string;
  type: string;
  /** spec.clusterIPs, or [spec.clusterIP] when that is empty; ["None"] for a headless Service. */
  clusterIPs: string[];
  externalName: string;
  ports: DnsPort[];
}

export interface DnsEndpointAddress {
  ip: string;
  hostname: string;
}

/** One EndpointSlice, as CoreDNS converts it: only its ready addresses (ready unset counts as ready). */
export interface DnsEndpoints {
  /** The slice's own name (its key in the state). */
  sliceName: string;
  namespace: string;
  /** Its kubernetes.io/service-name label. */
  serviceName: string;
  addresses: DnsEndpointAddress[];
  ports: DnsPort[];
}

const NO_PORTS: DnsPort[] = [{ port: -1, name: '', protocol: '' }];
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function toDnsService(s: Service): DnsService {
  const spec = s.spec ?? {};
  const ips = spec.clusterIPs?.length ? [...spec.clusterIPs] : [spec.clusterIP ?? ''];
  return {
    name: s.metadata.name ?? '',
    namespace: s.metadata.namespace ?? '',
    type: spec.type ?? 'ClusterIP',
    clusterIPs: ips,
    externalName: spec.externalName ?? '',
    ports: spec.ports?.length ? spec.ports.map((p) => ({ port: p.port, name: p.name ?? '', protocol: p.protocol ?? '' })) : NO_PORTS,
  };
}

export function toDnsEndpoints(e: EndpointSlice): DnsEndpoints {
  const addresses: DnsEndpointAddress[] = [];
  for (const ep of e.endpoints ?? []) {
    if (ep?.conditions?.ready === false) continue;
    for (const ip of ep.addresses ?? []) addresses.push({ ip, hostname: ep.hostname ?? '' });
  }
  return {
    sliceName: e.metadata.name ?? '',
    namespace: e.metadata.namespace ?? '',
    serviceName: e.metadata.labels?.[SERVICE_NAME_LABEL] ?? '',
    addresses,
    ports: e.ports?.length ? e.ports.map((p) => ({ port: p.port ?? -1, name: p.name ?? '', protocol: p.protocol ?? '' })) : NO_PORTS,
  };
}

export function isHeadless(s: DnsService): boolean {
  return s.clusterIPs[0] === 'None';
}

/** The read side the resolver uses. */
export interface ClusterView {
  /** Whether every informer has listed (CoreDNS answers SERVFAIL instead of NXDOMAIN before). */
  readonly synced: boolean;
  /** The SOA serial: Unix seconds of the last change to a Service or EndpointSlice. */
  readonly serial: number;
  namespaceExists(name: string): boolean;
  service(namespace: string, name: string): DnsService | undefined;
  endpointsOf(namespace: string, serviceName: string): DnsEndpoints[];
  servicesByClusterIP(ip: string): DnsService[];
  endpointsByIP(ip: string): DnsEndpoints[];
}

function addTo<V>(m: Map<string, Set<V>>, k: string, v: V): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom<V>(m: Map<string, Set<V>>, k: string, v: V): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (!s.size) m.delete(k);
}

/** The in-memory ClusterView, changed by upserts and deletes. */
export class ClusterState implements ClusterView {
  synced = false;
  serial = 0;
  private readonly namespaces = new Set<string>();
  private readonly services = new Map<string, DnsService>();
  private readonly slices = new Map<string, DnsEndpoints>();
  private readonly slicesByService = new Map<string, Set<DnsEndpoints>>();
  private readonly servicesByIP = new Map<string, Set<DnsService>>();
  private readonly slicesByIP = new Map<string, Set<DnsEndpoints>>();

  constructor(private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {}

  private touch(): void {
    this.serial = this.now();
  }

  upsertNamespace(name: string): void {
    this.namespaces.add(name);
  }

  deleteNamespace(name: string): void {
    this.namespaces.delete(name);
  }

  upsertService(s: DnsService): void {
    const key = `${s.namespace}/${s.name}`;
    const old = this.services.get(key);
    if (old && JSON.stringify(old) === JSON.stringify(s)) return;
    if (old) for (const ip of old.clusterIPs) removeFrom(this.servicesByIP, canonicalIP(ip), old);
    this.services.set(key, s);
    for (const ip of s.clusterIPs) addTo(this.servicesByIP, canonicalIP(ip), s);
    this.touch();
  }

  deleteService(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const old = this.services.get(key);
    if (!old) return;
    this.services.delete(key);
    for (const ip of old.clusterIPs) removeFrom(this.servicesByIP, canonicalIP(ip), old);
    this.touch();
  }

  upsertEndpoints(e: DnsEndpoints): void {
    const key = `${e.namespace}/${e.sliceName}`;
    const old = this.slices.get(key);
    if (old && JSON.stringify(old) === JSON.stringify(e)) return;
    if (old) this.unindexSlice(old);
    this.slices.set(key, e);
    addTo(this.slicesByService, `${e.namespace}/${e.serviceName}`, e);
    for (const a of e.addresses) addTo(this.slicesByIP, canonicalIP(a.ip), e);
    this.touch();
  }

  deleteEndpoints(namespace: string, sliceName: string): void {
    const key = `${namespace}/${sliceName}`;
    const old = this.slices.get(key);
    if (!old) return;
    this.slices.delete(key);
    this.unindexSlice(old);
    this.touch();
  }

  private unindexSlice(e: DnsEndpoints): void {
    removeFrom(this.slicesByService, `${e.namespace}/${e.serviceName}`, e);
    for (const a of e.addresses) removeFrom(this.slicesByIP, canonicalIP(a.ip), e);
  }

  namespaceExists(name: string): boolean {
    return this.namespaces.has(name);
  }

  service(namespace: string, name: string): DnsService | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  endpointsOf(namespace: string, serviceName: string): DnsEndpoints[] {
    return sortedSlices(this.slicesByService.get(`${namespace}/${serviceName}`));
  }

  servicesByClusterIP(ip: string): DnsService[] {
    return [...(this.servicesByIP.get(canonicalIP(ip)) ?? [])];
  }

  endpointsByIP(ip: string): DnsEndpoints[] {
    return sortedSlices(this.slicesByIP.get(canonicalIP(ip)));
  }
}

// CoreDNS walks its indexer in map order (unspecified); a fixed order keeps answers reproducible.
function sortedSlices(s: Set<DnsEndpoints> | undefined): DnsEndpoints[] {
  if (!s) return [];
  return [...s].sort((a, b) => (a.sliceName < b.sliceName ? -1 : a.sliceName > b.sliceName ? 1 : 0));
}
