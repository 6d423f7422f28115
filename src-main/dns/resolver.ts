import { isHeadless, type ClusterView, type DnsEndpointAddress } from './clusterState.js';
import { parseIP, type ParsedIP } from './ip.js';
import { addressRecord, cnameRecord, nsRecord, ptrRecord, soaRecord, srvRecord, txtRecord } from './records.js';
import { QType, Rcode, fqdn, lowerName, nameLabels, type Message, type ResourceRecord } from './wire.js';

// The cluster zone's answers, as CoreDNS 1.11's kubernetes plugin gives them with kubeadm's
// Corefile (`kubernetes cluster.local in-addr.arpa ip6.arpa { pods insecure; fallthrough
// in-addr.arpa ip6.arpa; ttl 30 }`). A pure function of the question and a ClusterView; the one
// way out is `lookup`, for an ExternalName's target outside the zone, which CoreDNS resolves
// through its own server again (plugin/pkg/upstream).
//
// The structure follows CoreDNS so the decisions can be checked against it line by line:
//   handle      plugin/kubernetes/handler.go ServeDNS (type switch, NXDOMAIN/NODATA/fallthrough)
//   services    plugin/kubernetes/kubernetes.go Services (TXT dns-version, NS, ns.dns names)
//   records     kubernetes.go Records + parse.go parseRequest, findServices, findPods
//   a/srv/...   plugin/backend_lookup.go A, AAAA, SRV, CNAME, TXT, PTR, NS, SOA
//   reverse     plugin/kubernetes/reverse.go, plugin/pkg/dnsutil/reverse.go
//   nsAddrs     plugin/kubernetes/ns.go

export interface ResolverOptions {
  /** Lower-case, absolute; the first is the primary (forward) zone. */
  zones: string[];
  /** Zones whose name errors go on to the forwarder (`fallthrough`). */
  fallthrough: string[];
  ttl: number;
  /** The server's own addresses (CoreDNS's bound non-loopback IPs), for NS and ns.dns.<zone>. */
  localIPs: string[];
}

export const DEFAULT_RESOLVER_OPTIONS: ResolverOptions = {
  zones: ['cluster.local.', 'in-addr.arpa.', 'ip6.arpa.'],
  fallthrough: ['in-addr.arpa.', 'ip6.arpa.'],
  ttl: 30,
  localIPs: [],
};

/** Resolves a name outside the zone through the whole server (cache and forwarder). */
export type UpstreamLookup = (name: string, type: number) => Promise<Message | undefined>;

export interface KubeAnswer {
  rcode: number;
  authoritative: boolean;
  truncated: boolean;
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

/**
 * "next": the question is not the plugin's (or falls through): the forwarder answers it.
 * "refused": zone transfers, which CoreDNS refuses through its server's error reply (no AA, no SOA).
 */
export type KubeResult = KubeAnswer | 'next' | 'refused';

// CoreDNS's schema version (kubernetes/dns docs/specification.md) and the TXT TTL it gives it.
const DNS_SCHEMA_VERSION = '1.1.0';
const DNS_VERSION_TTL = 28800;
const DEFAULT_NS_NAME = 'ns.dns.';

interface State {
  /** The question's name as asked (case kept), absolute. */
  qname: string;
  /** Lower case. */
  name: string;
  qtype: number;
  /** The matched zone with the question's case (CoreDNS keeps it: qname[len(qname)-len(zone):]). */
  zone: string;
}

/** CoreDNS's msg.Service: what a lookup finds, before it becomes records. */
interface Found {
  host: string;
  port: number;
  ttl: number;
  /** The name an SRV or NS record points to (CoreDNS derives it from the etcd-style key). */
  target: string;
  text?: string;
}

interface Lookup {
  found: Found[];
  /** CoreDNS's IsNameError (errNoItems, errNsNotExposed, errInvalidRequest). */
  nameError: boolean;
}

const ok = (found: Found[]): Lookup => ({ found, nameError: false });
const NAME_ERROR: Lookup = { found: [], nameError: true };

type HostKind = 'A' | 'AAAA' | 'CNAME' | 'TXT';

function hostType(f: Found): [HostKind, ParsedIP | undefined] {
  const ip = parseIP(f.host);
  if (!ip) return [f.text ? 'TXT' : 'CNAME', undefined];
  return [ip.family === 4 ? 'A' : 'AAAA', ip];
}

/** dns.IsSubDomain(parent, child), case-insensitively, by labels. */
function isSubDomain(parent: string, child: string): boolean {
  const p = nameLabels(lowerName(parent));
  const c = nameLabels(lowerName(child));
  if (p.length > c.length) return false;
  for (let i = 1; i <= p.length; i++) if (p[p.length - i] !== c[c.length - i]) return false;
  return true;
}

/** dnsutil.IsReverse(name) > 0. */
function isReverse(name: string): boolean {
  return name.endsWith('.in-addr.arpa.') || name.endsWith('.ip6.arpa.');
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

const eqFold = (a: string, b: string) => lowerName(a) === lowerName(b);

function matchPortAndProtocol(aPort: string, bPort: string, aProto: string, bProto: string): boolean {
  return (eqFold(aPort, bPort) || aPort === '') && (eqFold(aProto, bProto) || aProto === '');
}

/** CoreDNS's endpointHostname (endpoint_pod_names off): the hostname, else the IP with '-' for '.' or ':'. */
export function endpointHostname(a: DnsEndpointAddress): string {
  if (a.hostname) return a.hostname;
  if (a.ip.includes('.')) return a.ip.replaceAll('.', '-');
  if (a.ip.includes(':')) return a.ip.replaceAll(':', '-');
  return '';
}

/** dnsutil.ExtractAddressFromReverse: the address a PTR name stands for, or "". */
export function addressFromReverse(name: string): string {
  const v4 = '.in-addr.arpa.';
  const v6 = '.ip6.arpa.';
  if (name.endsWith(v4)) {
    const parts = name.slice(0, -v4.length).split('.').reverse();
    const ip = parseIP(parts.join('.'));
    return ip?.family === 4 ? ip.text : '';
  }
  if (name.endsWith(v6)) {
    const parts = name.slice(0, -v6.length).split('.').reverse();
    const groups: string[] = [];
    for (let i = 0; i + 4 <= parts.length; i += 4) groups.push(parts.slice(i, i + 4).join(''));
    return parseIP(groups.join(':'))?.text ?? '';
  }
  return '';
}

interface Parsed {
  invalid: boolean;
  podOrSvc: string;
  namespace: string;
  service: string;
  endpoint: string;
  port: string;
  protocol: string;
}

/** parse.go parseRequest, on the labels left of the zone. */
function parseRequest(base: string[]): Parsed {
  const r: Parsed = { invalid: false, podOrSvc: '', namespace: '', service: '', endpoint: '', port: '', protocol: '' };
  // NODATA for the apex, and for svc.<zone> and pod.<zone>.
  if (base.length === 0 || (base.length === 1 && (base[0] === 'svc' || base[0] === 'pod'))) return r;
  let last = base.length - 1;
  r.podOrSvc = base[last]!;
  if (r.podOrSvc !== 'pod' && r.podOrSvc !== 'svc') return { ...r, invalid: true };
  if (--last < 0) return r;
  r.namespace = base[last]!;
  if (--last < 0) return r;
  r.service = base[last]!;
  if (--last < 0) return r;
  if (last === 0) r.endpoint = base[0]!;
  else if (last === 1) {
    r.protocol = stripUnderscore(base[1]!);
    r.port = stripUnderscore(base[0]!);
  } else return { ...r, invalid: true };
  return r;
}

export class KubeResolver {
  private readonly zones: string[][];
  private readonly fallthrough: string[];

  constructor(
    private readonly view: ClusterView,
    readonly opts: ResolverOptions = DEFAULT_RESOLVER_OPTIONS,
  ) {
    this.zones = opts.zones.map((z) => nameLabels(lowerName(z)));
    this.fallthrough = opts.fallthrough.map(lowerName);
  }

  /** The zone of the plugin a name falls in (plugin.Zones.Matches: the longest), lower case; "" when none. */
  zoneOf(name: string): string {
    const labels = nameLabels(lowerName(name));
    let best = -1;
    for (let i = 0; i < this.zones.length; i++) {
      const z = this.zones[i]!;
      if (z.length > labels.length || (best >= 0 && z.length <= this.zones[best]!.length)) continue;
      let match = true;
      for (let j = 1; j <= z.length; j++) if (z[z.length - j] !== labels[labels.length - j]) match = false;
      if (match) best = i;
    }
    return best < 0 ? '' : this.opts.zones[best]!;
  }

  /** handler.go ServeDNS. */
  async handle(qname: string, qtype: number, lookup?: UpstreamLookup): Promise<KubeResult> {
    qname = fqdn(qname);
    const zoneLower = this.zoneOf(qname);
    if (!zoneLower) return 'next';
    const state: State = { qname, name: lowerName(qname), qtype, zone: qname.slice(qname.length - zoneLower.length) };
    const zone = state.zone;

    let records: ResourceRecord[] = [];
    let extra: ResourceRecord[] = [];
    let truncated = false;
    let nameError = false;
    switch (qtype) {
      case QType.A:
      case QType.AAAA:
        ({ records, truncated, nameError } = await this.address(state, [], lookup));
        break;
      case QType.TXT:
        ({ records, nameError } = this.txt(state));
        break;
      case QType.CNAME:
        ({ records, nameError } = this.cname(state));
        break;
      case QType.PTR:
        ({ records, nameError } = this.ptr(state));
        break;
      case QType.MX:
        // No Service is a mail exchanger: only the name error (or not) matters.
        ({ nameError } = this.services(state));
        break;
      case QType.SRV:
        ({ records, extra, nameError } = this.srv(state));
        break;
      case QType.SOA:
        if (qname === zone) records = [this.soa(zone)];
        break;
      case QType.AXFR:
      case QType.IXFR:
        return 'refused';
      case QType.NS:
        // CoreDNS compares the lower-cased name with the zone as asked: an upper-case apex NS
        // query takes the default path below (and gets NODATA).
        if (state.name === zone) ({ records, extra } = this.ns(state));
        else ({ nameError } = await this.fakeA(state, lookup));
        break;
      default:
        ({ nameError } = await this.fakeA(state, lookup));
    }

    if (nameError) {
      if (this.fallthrough.some((z) => isSubDomain(z, state.name))) return 'next';
      return this.backendError(zone, this.view.synced ? Rcode.NXDomain : Rcode.ServFail);
    }
    if (records.length === 0) return this.backendError(zone, Rcode.NoError);
    return { rcode: Rcode.NoError, authoritative: true, truncated, answers: records, authorities: [], additionals: extra };
  }

  /** A fake A lookup tells NODATA from NXDOMAIN for every other type. */
  private fakeA(state: State, lookup: UpstreamLookup | undefined): Promise<{ nameError: boolean }> {
    return this.address({ ...state, qtype: QType.A }, [], lookup);
  }

  /** plugin.BackendError: the rcode, authoritative, the zone's SOA in the authority section. */
  private backendError(zone: string, rcode: number): KubeAnswer {
    return { rcode, authoritative: true, truncated: false, answers: [], authorities: [this.soa(zone)], additionals: [] };
  }

  /** plugin.SOA. The TTL is min(300, ttl); the negative TTL (minimum) is the plugin's ttl. */
  soa(zone: string): ResourceRecord {
    const ttl = this.opts.ttl;
    return soaRecord(zone, Math.min(300, ttl), {
      mname: `${DEFAULT_NS_NAME}${zone}`,
      rname: `hostmaster.${zone}`,
      serial: this.view.serial,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: ttl,
    });
  }

  // ---- kubernetes.go ----

  private services(state: State): Lookup {
    switch (state.qtype) {
      case QType.TXT: {
        const base = this.base(state);
        if (base.length === 1 && base[0] === 'dns-version') {
          return ok([{ host: '', port: 0, ttl: DNS_VERSION_TTL, target: state.qname, text: DNS_SCHEMA_VERSION }]);
        }
        // An existing name of another type is NODATA; anything else (even an empty answer) NXDOMAIN.
        return this.records(state).found.length > 0 ? ok([]) : NAME_ERROR;
      }
      case QType.NS:
        return ok(this.nsAddrs(state.zone).map(([name, ip]) => ({ host: ip, port: 0, ttl: this.opts.ttl, target: name })));
    }
    if (this.isDefaultNS(state)) {
      const want = state.qtype === QType.A ? 4 : state.qtype === QType.AAAA ? 6 : 0;
      return ok(
        this.nsAddrs(state.zone)
          .filter(([, ip]) => parseIP(ip)?.family === want)
          .map(([, ip]) => ({ host: ip, port: 0, ttl: this.opts.ttl, target: state.qname })),
      );
    }
    const r = this.records(state);
    // SRV for ExternalName Services is not implemented in CoreDNS: they are left out.
    if (state.qtype !== QType.SRV) return r;
    return { found: r.found.filter((f) => hostType(f)[0] !== 'CNAME'), nameError: r.nameError };
  }

  /** ns.go isDefaultNS: the name is ns.dns.<zone> (the zone as asked, the name lower-cased). */
  private isDefaultNS(state: State): boolean {
    return state.name.indexOf(DEFAULT_NS_NAME) === 0 && state.name.indexOf(state.zone) === DEFAULT_NS_NAME.length;
  }

  /** The labels left of the zone (dnsutil.TrimZone + dns.SplitDomainName), lower case. */
  private base(state: State): string[] {
    const labels = nameLabels(state.name);
    return labels.slice(0, labels.length - nameLabels(state.zone).length);
  }

  private records(state: State): Lookup {
    const r = parseRequest(this.base(state));
    if (r.invalid) return NAME_ERROR;
    if (r.podOrSvc === '') return ok([]);
    if (isReverse(state.name)) return NAME_ERROR;
    if (!this.view.namespaceExists(r.namespace)) return NAME_ERROR;
    return r.podOrSvc === 'pod' ? this.findPods(r, state.zone) : this.findServices(r, state.zone);
  }

  /** findPods, `pods insecure`: any address-shaped name in an existing namespace answers. */
  private findPods(r: Parsed, zone: string): Lookup {
    const podname = r.service;
    if (podname === '') return ok([]);
    const dashes = podname.split('-').length - 1;
    const ip = dashes === 3 && !podname.includes('--') ? podname.replaceAll('-', '.') : podname.replaceAll('-', ':');
    if (!parseIP(ip)) return NAME_ERROR;
    return ok([{ host: ip, port: 0, ttl: this.opts.ttl, target: `${podname}.${r.namespace}.pod.${zone}` }]);
  }

  private findServices(r: Parsed, zone: string): Lookup {
    if (r.service === '') return ok([]);
    const svc = this.view.service(r.namespace, r.service);
    if (!svc) return NAME_ERROR;
    const ttl = this.opts.ttl;
    const svcDomain = `${svc.name}.${svc.namespace}.svc.${zone}`;
    const found: Found[] = [];
    let nameError = true;

    if (svc.type === 'ExternalName') {
      // No endpoints, and no port/protocol pseudo-labels, under an ExternalName.
      if (r.endpoint || r.port || r.protocol) return NAME_ERROR;
      const f: Found = { host: svc.externalName, port: 0, ttl, target: svcDomain };
      // An IP address in externalName answers nothing (it is not a CNAME target).
      return hostType(f)[0] === 'CNAME' ? ok([f]) : NAME_ERROR;
    }

    if (isHeadless(svc) || r.endpoint) {
      for (const ep of this.view.endpointsOf(svc.namespace, svc.name)) {
        for (const addr of ep.addresses) {
          const host = endpointHostname(addr);
          if (r.endpoint && !eqFold(r.endpoint, host)) continue;
          for (const p of ep.ports) {
            if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
            found.push({ host: addr.ip, port: p.port, ttl, target: `${host}.${svcDomain}` });
            nameError = false;
          }
        }
      }
      return { found, nameError };
    }

    for (const p of svc.ports) {
      if (!matchPortAndProtocol(r.port, p.name, r.protocol, p.protocol)) continue;
      nameError = false;
      for (const ip of svc.clusterIPs) found.push({ host: ip, port: p.port, ttl, target: svcDomain });
    }
    return { found, nameError };
  }

  /** ns.go nsAddrs: [name, ip] of the Services whose endpoints are this server, else ns.dns.<zone>. */
  private nsAddrs(zone: string): [string, string][] {
    const out: [string, string][] = [];
    let foundEndpoint = false;
    for (const local of this.opts.localIPs) {
      for (const ep of this.view.endpointsByIP(local)) {
        foundEndpoint = true;
        const svc = this.view.service(ep.namespace, ep.serviceName);
        if (!svc) continue;
        const svcName = `${svc.name}.${svc.namespace}.svc.${zone}`;
        if (isHeadless(svc)) for (const a of ep.addresses) out.push([`${endpointHostname(a)}.${svcName}`, a.ip]);
        else for (const ip of svc.clusterIPs) out.push([svcName, ip]);
      }
    }
    if (!foundEndpoint) for (const ip of this.opts.localIPs) out.push([`${DEFAULT_NS_NAME}${zone}`, ip]);
    return out.filter(([, ip]) => parseIP(ip) !== undefined);
  }

  // ---- backend_lookup.go ----

  /** plugin.A and plugin.AAAA (the question's type says which). */
  private async address(state: State, previous: ResourceRecord[], lookup: UpstreamLookup | undefined): Promise<{ records: ResourceRecord[]; truncated: boolean; nameError: boolean }> {
    // checkForApex looks for apex.dns.<zone> first, which the kubernetes plugin never has.
    const { found, nameError } = this.services(state);
    if (nameError) return { records: [], truncated: false, nameError };
    const want: HostKind = state.qtype === QType.AAAA ? 'AAAA' : 'A';
    const records: ResourceRecord[] = [];
    const dup = new Set<string>();
    let truncated = false;
    for (const f of found) {
      const [kind, ip] = hostType(f);
      if (kind === 'CNAME') {
        const target = fqdn(f.host);
        // x CNAME x (or a name under x) is a loop.
        if (isSubDomain(state.name, target)) continue;
        const cname = cnameRecord(state.qname, f.ttl, target);
        if (previous.length > 7) continue;
        if (previous.some((p) => p.type === QType.CNAME && p.data.equals(cname.data))) continue;
        if (isSubDomain(state.zone, target)) {
          const next = await this.address({ ...state, qname: target, name: lowerName(target) }, [...previous, cname], lookup);
          if (!next.nameError && next.records.length > 0) records.push(cname, ...next.records);
          if (next.truncated) truncated = true;
          continue;
        }
        const m = lookup ? await lookup(target, state.qtype) : undefined;
        if (!m) continue;
        if ((m.flags & 0x0200) !== 0) truncated = true;
        records.push(cname, ...m.answers);
      } else if (kind === want && !dup.has(f.host)) {
        dup.add(f.host);
        records.push(addressRecord(state.qname, f.ttl, ip!));
      }
    }
    return { records, truncated, nameError: false };
  }

  /** plugin.SRV: weights split 100 over the records of a priority (all are priority 0 here). */
  private srv(state: State): { records: ResourceRecord[]; extra: ResourceRecord[]; nameError: boolean } {
    const { found, nameError } = this.services(state);
    if (nameError) return { records: [], extra: [], nameError };
    const total = found.length * 100;
    const records: ResourceRecord[] = [];
    const extra: ResourceRecord[] = [];
    const dup = new Set<string>();
    for (const f of found) {
      if (f.port === -1) continue;
      const weight = Math.max(1, Math.floor((100.0 / total) * 100));
      const [kind, ip] = hostType(f);
      if (kind !== 'A' && kind !== 'AAAA') continue; // CNAME targets were filtered out in services()
      const target = fqdn(f.target);
      const srvKey = `${target}\0${f.port}`;
      if (!dup.has(srvKey)) {
        dup.add(srvKey);
        records.push(srvRecord(state.qname, f.ttl, 0, weight, f.port, target));
      }
      const addrKey = `${target}\0\0${f.host}`;
      if (!dup.has(addrKey)) {
        dup.add(addrKey);
        extra.push(addressRecord(target, f.ttl, ip!));
      }
    }
    return { records, extra, nameError: false };
  }

  /** plugin.CNAME: the first thing found, if it is a name. */
  private cname(state: State): { records: ResourceRecord[]; nameError: boolean } {
    const { found, nameError } = this.services(state);
    if (nameError || found.length === 0 || parseIP(found[0]!.host)) return { records: [], nameError };
    return { records: [cnameRecord(state.qname, found[0]!.ttl, fqdn(found[0]!.host))], nameError };
  }

  /** plugin.TXT. */
  private txt(state: State): { records: ResourceRecord[]; nameError: boolean } {
    const { found, nameError } = this.services(state);
    const records: ResourceRecord[] = [];
    const seen = new Set<string>();
    for (const f of found) {
      if (hostType(f)[0] !== 'TXT' || seen.has(f.text!)) continue;
      seen.add(f.text!);
      records.push(txtRecord(state.qname, f.ttl, split255(f.text!)));
    }
    return { records, nameError };
  }

  /** plugin.PTR over reverse.go Reverse. */
  private ptr(state: State): { records: ResourceRecord[]; nameError: boolean } {
    const ip = addressFromReverse(state.name);
    if (!ip) return { records: [], nameError: this.records(state).nameError };
    const targets = this.serviceRecordForIP(ip);
    if (targets.length === 0) return { records: [], nameError: true };
    const seen = new Set<string>();
    const records: ResourceRecord[] = [];
    for (const t of targets) {
      if (seen.has(t)) continue;
      seen.add(t);
      records.push(ptrRecord(state.qname, this.opts.ttl, fqdn(t)));
    }
    return { records, nameError: false };
  }

  /** reverse.go serviceRecordForIP: a Service by cluster IP first, else every endpoint with the IP. */
  private serviceRecordForIP(ip: string): string[] {
    const primary = this.opts.zones[0]!;
    const svcs = this.view.servicesByClusterIP(ip);
    if (svcs.length > 0) return [`${svcs[0]!.name}.${svcs[0]!.namespace}.svc.${primary}`];
    const out: string[] = [];
    for (const ep of this.view.endpointsByIP(ip)) {
      for (const a of ep.addresses) {
        if (parseIP(a.ip)?.text === ip) out.push(`${endpointHostname(a)}.${ep.serviceName}.${ep.namespace}.svc.${primary}`);
      }
    }
    return out;
  }

  /** plugin.NS at the apex: NS records naming the server's Service, its addresses as extra. */
  private ns(state: State): { records: ResourceRecord[]; extra: ResourceRecord[] } {
    const { found } = this.services(state);
    const records: ResourceRecord[] = [];
    const extra: ResourceRecord[] = [];
    const seen = new Set<string>();
    for (const f of found) {
      const [, ip] = hostType(f);
      const target = fqdn(f.target);
      extra.push(addressRecord(target, f.ttl, ip!));
      if (seen.has(target)) continue;
      seen.add(target);
      records.push(nsRecord(state.qname, f.ttl, target));
    }
    return { records, extra };
  }
}

function split255(s: string): string[] {
  if (s.length < 255) return [s];
  const out: string[] = [];
  for (let i = 0; i < s.length; i += 255) out.push(s.slice(i, i + 255));
  return out;
}
