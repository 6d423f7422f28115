import type { EndpointSlice, Service } from '../api/types.js';

// What kube-proxy knows of one service port once Services and EndpointSlices are joined
// (kube's pkg/proxy servicePortInfo + endpointslicecache), and which of its endpoints this node
// uses (pkg/proxy/topology.go CategorizeEndpoints). Pure: the iptables rules are rendered from it.

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ProxyEndpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On the node this proxy programs. */
  local: boolean;
}

export interface ServicePortInfo {
  /** kube's ServicePortName.String(): `ns/name` or `ns/name:port`. */
  name: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  clusterIP: string;
  port: number;
  nodePort?: number;
  /** ClientIP affinity timeout in seconds; undefined: no affinity. */
  stickySeconds?: number;
  internalPolicyLocal: boolean;
  externalPolicyLocal: boolean;
  endpoints: ProxyEndpoint[];
}

export interface CategorizedEndpoints {
  /** Usable endpoints anywhere in the cluster (for Cluster traffic policy). */
  cluster: ProxyEndpoint[];
  /** Usable endpoints on this node (for Local traffic policy). */
  local: ProxyEndpoint[];
  /** Whether the service has usable endpoints anywhere (else its traffic is REJECTed). */
  hasEndpoints: boolean;
}

const endpointKey = (e: ProxyEndpoint) => `${e.ip}:${e.port}`;

/** Ready endpoints, else serving-and-terminating ones (kube's fallback so draining pods finish). */
function usable(endpoints: ProxyEndpoint[]): ProxyEndpoint[] {
  const ready = endpoints.filter((e) => e.ready);
  return ready.length ? ready : endpoints.filter((e) => e.serving && e.terminating);
}

/**
 * CategorizeEndpoints, without topology hints (Flotilla's EndpointSlices carry none): Cluster
 * and Local each fall back to serving-terminating endpoints independently.
 */
export function categorizeEndpoints(sp: ServicePortInfo): CategorizedEndpoints {
  const cluster = usable(sp.endpoints);
  return { cluster, local: usable(sp.endpoints.filter((e) => e.local)), hasEndpoints: cluster.length > 0 };
}

function protocolOf(p: string | undefined): ServicePortInfo['protocol'] {
  const v = (p ?? 'TCP').toLowerCase();
  return v === 'udp' ? 'udp' : v === 'sctp' ? 'sctp' : 'tcp';
}

function isIPv4(ip: string | undefined): ip is string {
  return !!ip && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip);
}

/**
 * Joins Services with their EndpointSlices into service ports. Services without a usable IPv4
 * ClusterIP (headless, ExternalName) are not proxied, as in kube. Endpoints come from every slice
 * labelled with the service's name whose port has the service port's name and protocol;
 * duplicates across slices are merged (a slice being replaced may briefly overlap the new one).
 */
export function buildServicePorts(services: Service[], slices: EndpointSlice[], nodeName: string): ServicePortInfo[] {
  const slicesByService = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== 'IPv4') continue;
    const key = `${s.metadata.namespace}/${svc}`;
    const list = slicesByService.get(key);
    if (list) list.push(s);
    else slicesByService.set(key, [s]);
  }
  const out: ServicePortInfo[] = [];
  for (const svc of services) {
    const spec = svc.spec;
    if (!spec || spec.type === 'ExternalName' || !isIPv4(spec.clusterIP)) continue;
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const svcSlices = slicesByService.get(key) ?? [];
    const timeout = (spec.sessionAffinityConfig as { clientIP?: { timeoutSeconds?: number } } | undefined)?.clientIP?.timeoutSeconds;
    for (const p of spec.ports ?? []) {
      const protocol = protocolOf(p.protocol);
      const portName = p.name ?? '';
      const byAddr = new Map<string, ProxyEndpoint>();
      for (const slice of svcSlices) {
        const sp = (slice.ports ?? []).find((x) => (x.name ?? '') === portName && protocolOf(x.protocol) === protocol);
        if (!sp || typeof sp.port !== 'number') continue;
        for (const ep of slice.endpoints ?? []) {
          const ip = ep.addresses?.[0];
          if (!isIPv4(ip)) continue;
          // endpointslicecache: ready defaults to true, serving to ready, terminating to false.
          const ready = ep.conditions?.ready ?? true;
          const e: ProxyEndpoint = {
            ip,
            port: sp.port,
            ready,
            serving: ep.conditions?.serving ?? ready,
            terminating: ep.conditions?.terminating ?? false,
            local: ep.nodeName === nodeName,
          };
          if (!byAddr.has(endpointKey(e))) byAddr.set(endpointKey(e), e);
        }
      }
      out.push({
        name: portName ? `${key}:${portName}` : key,
        protocol,
        clusterIP: spec.clusterIP,
        port: p.port,
        ...(typeof p.nodePort === 'number' && p.nodePort > 0 ? { nodePort: p.nodePort } : {}),
        ...(spec.sessionAffinity === 'ClientIP' ? { stickySeconds: timeout ?? 10800 } : {}),
        internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
        externalPolicyLocal: spec.externalTrafficPolicy === 'Local',
        // Sorted so that the rendered rules, and so the chain probabilities, are stable.
        endpoints: [...byAddr.values()].sort((a, b) => endpointKey(a).localeCompare(endpointKey(b))),
      });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.protocol.localeCompare(b.protocol)));
}
