import { isIP } from 'node:net';
import type { EndpointSlice, Ingress, IngressBackend, Service } from '../api/types.js';
import { isRenderableHost, locationKey, locationsFor, MAX_PATH_LENGTH, type NginxLocation, type PathType } from './paths.js';

// From the cluster's objects to what nginx must do: one server per host (and the catch-all `_`
// for rules without a host), each with its locations, each location proxying to an upstream (the
// ready endpoints of a Service port, as ingress-nginx sends to pods directly rather than through
// the ClusterIP) or answering with a status. Pure: the controller feeds it from informers, tests
// feed it objects. What cannot be served is listed as a problem for the Ingress it belongs to, so
// the controller can record an event on it; the rest of the configuration is still served.

/** The server for requests whose Host matches no rule. */
export const CATCH_ALL = '_';
/** ingress-nginx's annotation to turn the HTTP -> HTTPS redirect of TLS hosts off. */
export const SSL_REDIRECT_ANNOTATION = 'nginx.ingress.kubernetes.io/ssl-redirect';

export interface Upstream {
  /** nginx upstream name: [A-Za-z0-9_-] only. */
  name: string;
  /** ip:port of every ready endpoint ([ip]:port for IPv6), sorted. */
  servers: string[];
}

export interface Location extends NginxLocation {
  /** namespace/name of the Ingress the rule came from. */
  ingress: string;
  /** The upstream to proxy to; when unset, nginx answers `status`. */
  upstream?: string;
  status?: number;
  /** Plain HTTP requests are redirected to HTTPS (a TLS host with its certificate). */
  sslRedirect: boolean;
}

export interface Server {
  /** A host name, `*.<domain>`, or CATCH_ALL. */
  host: string;
  locations: Location[];
  /** The certificate id to serve for this host; the default certificate when unset. */
  certificate?: string;
}

export interface Problem {
  /** namespace/name of the Ingress. */
  ingress: string;
  reason: string;
  message: string;
}

export interface IngressModel {
  servers: Server[];
  upstreams: Upstream[];
  problems: Problem[];
}

export type CertificateLookup = (namespace: string, secretName: string) => { id: string } | { error: string };

export interface ModelInput {
  /** The Ingresses this controller serves, in any order (the oldest wins a collision). */
  ingresses: Ingress[];
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices of a Service (label kubernetes.io/service-name). */
  slices(namespace: string, service: string): EndpointSlice[];
  certificate: CertificateLookup;
}

const keyOf = (ing: Ingress) => `${ing.metadata.namespace}/${ing.metadata.name}`;

/** Oldest first, then by namespace/name: the order ingress-nginx merges rules in. */
export function byAge(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Names and port names are DNS labels ([a-z0-9-]), so `_` keeps distinct backends apart. */
function upstreamName(namespace: string, service: string, port: string): string {
  return `${namespace}_${service}_${port}`.replace(/[^A-Za-z0-9_-]/g, '-');
}

/**
 * ip:port as nginx reads it. IPv6 goes in the WHATWG URL form: nginx refuses some spellings the
 * API server and isIP accept ("1:2:3:4:5:6:7::", "::" for a single zero group) and zones.
 */
function hostPort(ip: string, port: number): string | undefined {
  if (!ip.includes(':')) return `${ip}:${port}`;
  if (ip.includes('%')) return undefined;
  try {
    return `${new URL(`http://[${ip}]/`).host}:${port}`;
  } catch {
    return undefined;
  }
}

class Builder {
  readonly servers = new Map<string, { host: string; locations: Map<string, Location>; certificate?: string }>();
  readonly upstreams = new Map<string, Upstream>();
  readonly problems: Problem[] = [];
  private readonly seenProblems = new Set<string>();

  constructor(private readonly input: ModelInput) {}

  problem(ingress: string, reason: string, message: string): void {
    const k = `${ingress}\u0000${reason}\u0000${message}`;
    if (this.seenProblems.has(k)) return;
    this.seenProblems.add(k);
    this.problems.push({ ingress, reason, message });
  }

  server(host: string) {
    let s = this.servers.get(host);
    if (!s) this.servers.set(host, (s = { host, locations: new Map() }));
    return s;
  }

  /** The upstream of a backend, or the status nginx answers instead (503, as ingress-nginx). */
  backend(ing: Ingress, b: IngressBackend | undefined): { upstream: string } | { status: number } {
    const ns = ing.metadata.namespace ?? 'default';
    const key = keyOf(ing);
    if (!b?.service) {
      this.problem(key, 'UnsupportedBackend', b?.resource ? `resource backends (${b.resource.kind} "${b.resource.name}") are not supported by the flotilla ingress controller` : 'the backend names no Service');
      return { status: 503 };
    }
    const { name, port } = b.service;
    const svc = this.input.service(ns, name);
    if (!svc) {
      this.problem(key, 'ServiceNotFound', `Service "${ns}/${name}" not found`);
      return { status: 503 };
    }
    if (svc.spec?.type === 'ExternalName') {
      this.problem(key, 'UnsupportedBackend', `Service "${ns}/${name}" is of type ExternalName, which the flotilla ingress controller does not proxy to`);
      return { status: 503 };
    }
    const sp = (svc.spec?.ports ?? []).find((p) => (port?.name ? p.name === port.name : p.port === port?.number) && (p.protocol ?? 'TCP') === 'TCP');
    const portText = port?.name ?? String(port?.number);
    if (!sp) {
      this.problem(key, 'ServicePortNotFound', `Service "${ns}/${name}" has no TCP port ${portText}`);
      return { status: 503 };
    }
    const upstream = upstreamName(ns, name, sp.name || String(sp.port));
    if (!this.upstreams.has(upstream)) {
      const servers = new Set<string>();
      for (const slice of this.input.slices(ns, name)) {
        if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
        const slicePort = (slice.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === 'TCP');
        if (!slicePort?.port || !Number.isInteger(slicePort.port) || slicePort.port < 1 || slicePort.port > 65535) continue;
        for (const e of slice.endpoints ?? []) {
          // Ready only: a terminating or unready pod leaves rotation (ingress-nginx does the same).
          if (e.conditions?.ready === false) continue;
          for (const a of e.addresses ?? []) {
            const server = isIP(a) ? hostPort(a, slicePort.port) : undefined;
            if (server) servers.add(server);
          }
        }
      }
      this.upstreams.set(upstream, { name: upstream, servers: [...servers].sort() });
    }
    return this.upstreams.get(upstream)!.servers.length ? { upstream } : { status: 503 };
  }

  addLocation(host: string, loc: Location): void {
    const s = this.server(host);
    const k = locationKey(loc);
    const old = s.locations.get(k);
    if (!old || loc.priority < old.priority) s.locations.set(k, loc);
  }
}

/** The hosts an Ingress's rules name that can be served (the catch-all for rules without one). */
function hostsOf(ing: Ingress): string[] {
  const hosts = (ing.spec?.rules ?? []).map((r) => r.host || CATCH_ALL).filter((h) => h === CATCH_ALL || isRenderableHost(h));
  return [...new Set(hosts)];
}

export function buildModel(input: ModelInput): IngressModel {
  const b = new Builder(input);
  const ingresses = [...input.ingresses].sort(byAge);
  // TLS first: a host's certificate (the oldest Ingress naming it wins) and its redirect.
  const tlsHosts = new Map<string, { certificate: string }>();
  for (const ing of ingresses) {
    const ns = ing.metadata.namespace ?? 'default';
    for (const tls of ing.spec?.tls ?? []) {
      if (!tls.secretName) continue;
      const cert = input.certificate(ns, tls.secretName);
      if ('error' in cert) {
        b.problem(keyOf(ing), 'InvalidTLSSecret', `TLS Secret "${ns}/${tls.secretName}": ${cert.error}; serving the default certificate`);
        continue;
      }
      for (const h of tls.hosts ?? []) if (!tlsHosts.has(h)) tlsHosts.set(h, { certificate: cert.id });
    }
  }
  for (const ing of ingresses) {
    const key = keyOf(ing);
    const redirectOff = ing.metadata.annotations?.[SSL_REDIRECT_ANNOTATION] === 'false';
    for (const rule of ing.spec?.rules ?? []) {
      const host = rule.host || CATCH_ALL;
      if (host !== CATCH_ALL && !isRenderableHost(host)) {
        b.problem(key, 'InvalidHost', `host ${JSON.stringify(host.slice(0, 100))} cannot be served: it must be a lowercase DNS name of at most 253 characters`);
        continue;
      }
      b.server(host);
      for (const p of rule.http?.paths ?? []) {
        const locs = locationsFor(p.pathType as PathType, p.path);
        if (!locs) {
          const why = (p.path ?? '').length > MAX_PATH_LENGTH ? `paths longer than ${MAX_PATH_LENGTH} characters are not served` : 'only the characters of RFC 3986 paths are allowed';
          // Clipped: an Event's message is at most 1024 characters (a longer one is refused).
          const shown = (p.path ?? '').length > 100 ? `${p.path!.slice(0, 100)}...` : p.path;
          b.problem(key, 'InvalidPath', `path ${JSON.stringify(shown)} (${p.pathType}) cannot be served: ${why}`);
          continue;
        }
        const target = b.backend(ing, p.backend);
        const sslRedirect = !redirectOff && tlsHosts.has(host);
        for (const l of locs) b.addLocation(host, { ...l, ingress: key, sslRedirect, ...target });
      }
    }
  }
  // defaultBackend: the root of the Ingress's own hosts that no rule claims, and of the catch-all
  // server (the oldest Ingress with one wins).
  for (const ing of ingresses) {
    if (!ing.spec?.defaultBackend) continue;
    const key = keyOf(ing);
    const target = b.backend(ing, ing.spec.defaultBackend);
    const redirectOff = ing.metadata.annotations?.[SSL_REDIRECT_ANNOTATION] === 'false';
    for (const host of new Set([...hostsOf(ing), CATCH_ALL])) {
      b.addLocation(host, { modifier: '', path: '/', priority: 3, ingress: key, sslRedirect: !redirectOff && tlsHosts.has(host), ...target });
    }
  }
  b.server(CATCH_ALL);
  const servers: Server[] = [...b.servers.values()]
    .map((s) => ({
      host: s.host,
      certificate: tlsHosts.get(s.host)?.certificate,
      locations: [...s.locations.values()].sort((x, y) => (locationKey(x) < locationKey(y) ? -1 : 1)),
    }))
    .sort((x, y) => (x.host < y.host ? -1 : x.host > y.host ? 1 : 0));
  // Only upstreams some location proxies to (a backend whose Service has no endpoints has none).
  const used = new Set(servers.flatMap((s) => s.locations.map((l) => l.upstream).filter(Boolean)));
  const upstreams = [...b.upstreams.values()].filter((u) => used.has(u.name)).sort((x, y) => (x.name < y.name ? -1 : 1));
  return { servers, upstreams, problems: b.problems };
}

/** Hosts of an Ingress, for its status and for `flotilla up`'s address line. */
export { hostsOf };
