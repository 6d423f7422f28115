// Printers for networking resources: Services, Endpoints, EndpointSlices, Ingresses and IngressClasses.
// The string forms (port lists, "+ N more...", "<pending>") follow printers.go v1.32 because scripts and
// people grep `kubectl get svc/ep/ing` output.
import type { EndpointSlice, Endpoints, Ingress, IngressClass, KubeObject, Service } from '../../api/types.js';
import { ageColumn, column, DOC, nameColumn } from './columns.js';
import { translateTimestampSince } from './duration.js';
import { formatLabels } from './selectors.js';
import type { Printer } from './types.js';

/** The "a,b,c + 2 more..." lists show at most this many entries. */
const MAX_LISTED = 3;

/** net.JoinHostPort: IPv6 hosts are bracketed. */
function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** listWithMoreString: "<unset>" for an empty list, "a,b,c + N more..." when truncated. */
function listWithMore(list: string[], more: boolean, total: number): string {
  const joined = list.join(',');
  if (more) return `${joined} + ${total - MAX_LISTED} more...`;
  return joined === '' ? '<unset>' : joined;
}

/**
 * Load-balancer ingress points as a sorted, de-duplicated comma list (IP preferred over hostname). The API
 * server always renders tables in wide mode, so the 16-character clipping of plain kubectl never applies.
 */
function loadBalancerIngress(ingress: { ip?: string; hostname?: string }[] | undefined): string {
  const result = new Set<string>();
  for (const i of ingress ?? []) {
    if (i?.ip) result.add(i.ip);
    else if (i?.hostname) result.add(i.hostname);
  }
  return [...result].sort().join(',');
}

/** getServiceExternalIP. An omitted type is read as ClusterIP, which is what API defaulting stores. */
function serviceExternalIP(svc: Service): string {
  const spec = svc.spec ?? {};
  const externalIPs = spec.externalIPs ?? [];
  switch (spec.type || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return spec.externalName ?? '';
  }
  return '<unknown>';
}

/** makePortString: "80/TCP" or "80:30080/TCP" when a node port is allocated; protocol defaults to TCP. */
function servicePorts(svc: Service): string {
  const pieces = (svc.spec?.ports ?? []).map((p) => {
    const protocol = p.protocol || 'TCP';
    return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${protocol}` : `${p.port}/${protocol}`;
  });
  return pieces.length > 0 ? pieces.join(',') : '<none>';
}

/** The v1->internal conversion makes spec.clusterIP authoritative over spec.clusterIPs[0]. */
function clusterIP(svc: Service): string {
  return svc.spec?.clusterIP || svc.spec?.clusterIPs?.[0] || '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Type', 'string', DOC['ServiceSpec.type']),
    column('Cluster-IP', 'string', DOC['ServiceSpec.clusterIP']),
    column('External-IP', 'string', DOC['ServiceSpec.externalIPs']),
    column('Port(s)', 'string', DOC['ServiceSpec.ports']),
    ageColumn(),
    column('Selector', 'string', DOC['ServiceSpec.selector'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const svc = obj as Service;
    return [
      svc.metadata.name ?? '',
      svc.spec?.type || 'ClusterIP',
      clusterIP(svc),
      serviceExternalIP(svc),
      servicePorts(svc),
      translateTimestampSince(svc.metadata.creationTimestamp, now),
      formatLabels(svc.spec?.selector),
    ];
  },
};

/**
 * formatEndpoints: "ip:port" for every (port, address) pair, at most three shown, then "+ N more..." where N
 * counts every remaining pair. Subsets without ports (headless, no ports) list bare IPs.
 */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let more = false;
  let total = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      total += addresses.length;
      for (const a of addresses) {
        if (list.length === MAX_LISTED) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ports) {
      total += addresses.length;
      for (const a of addresses) {
        if (list.length === MAX_LISTED) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${total - MAX_LISTED} more...` : joined;
}

export const endpointsPrinter: Printer = {
  columns: [nameColumn(), column('Endpoints', 'string', DOC['Endpoints.subsets']), ageColumn()],
  cells(obj: KubeObject, now: Date): unknown[] {
    const ep = obj as Endpoints;
    return [ep.metadata.name ?? '', formatEndpoints(ep), translateTimestampSince(ep.metadata.creationTimestamp, now)];
  },
};

/** formatDiscoveryPorts: the port number, else its name, else "*" (all ports). */
function endpointSlicePorts(slice: EndpointSlice): string {
  const list: string[] = [];
  let more = false;
  let total = 0;
  for (const port of slice.ports ?? []) {
    if (list.length < MAX_LISTED) {
      if (typeof port?.port === 'number') list.push(String(port.port));
      else if (typeof port?.name === 'string') list.push(port.name);
      else list.push('*');
    } else if (list.length === MAX_LISTED) {
      more = true;
    }
    total++;
  }
  return listWithMore(list, more, total);
}

/** formatDiscoveryEndpoints: every address of every endpoint, ready or not. */
function endpointSliceEndpoints(slice: EndpointSlice): string {
  const list: string[] = [];
  let more = false;
  let total = 0;
  for (const endpoint of slice.endpoints ?? []) {
    for (const address of endpoint?.addresses ?? []) {
      if (list.length < MAX_LISTED) list.push(address);
      else if (list.length === MAX_LISTED) more = true;
      total++;
    }
  }
  return listWithMore(list, more, total);
}

export const endpointSlicePrinter: Printer = {
  columns: [
    nameColumn(),
    column('AddressType', 'string', DOC['EndpointSlice.addressType']),
    column('Ports', 'string', DOC['EndpointSlice.ports']),
    column('Endpoints', 'string', DOC['EndpointSlice.endpoints']),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const slice = obj as EndpointSlice;
    return [
      slice.metadata.name ?? '',
      slice.addressType ?? '',
      endpointSlicePorts(slice),
      endpointSliceEndpoints(slice),
      translateTimestampSince(slice.metadata.creationTimestamp, now),
    ];
  },
};

/**
 * formatHosts: up to three hosts; rules without a host are skipped, and "*" means no rule names a host.
 * Once three are listed, "+ N more..." counts all remaining rules (host or not), as Kubernetes does.
 */
function ingressHosts(ing: Ingress): string {
  const rules = ing.spec?.rules ?? [];
  const list: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (list.length === MAX_LISTED) more = true;
    if (!more && rule?.host) list.push(rule.host);
  }
  if (list.length === 0) return '*';
  const joined = list.join(',');
  return more ? `${joined} + ${rules.length - MAX_LISTED} more...` : joined;
}

export const ingressPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const ing = obj as Ingress;
    return [
      ing.metadata.name ?? '',
      ing.spec?.ingressClassName ?? '<none>',
      ingressHosts(ing),
      loadBalancerIngress(ing.status?.loadBalancer?.ingress),
      // formatPorts: any TLS section means the controller also listens on 443.
      (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
      translateTimestampSince(ing.metadata.creationTimestamp, now),
    ];
  },
};

interface ParametersReference {
  apiGroup?: string;
  kind?: string;
  name?: string;
}

export const ingressClassPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const ic = obj as IngressClass;
    const p = ic.spec?.parameters as ParametersReference | undefined | null;
    // "Kind.apiGroup/name", or "Kind/name" for core-group parameters.
    const parameters = p ? `${p.kind ?? ''}${p.apiGroup != null ? `.${p.apiGroup}` : ''}/${p.name ?? ''}` : '<none>';
    return [
      ic.metadata.name ?? '',
      ic.spec?.controller ?? '',
      parameters,
      translateTimestampSince(ic.metadata.creationTimestamp, now),
    ];
  },
};
