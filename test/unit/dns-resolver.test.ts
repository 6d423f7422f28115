import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../../src-main/api/types.js';
import { silentLogger } from '../../src-main/api/log.js';
import { DnsCache } from '../../src-main/dns/cache.js';
import { ClusterState, toDnsEndpoints, toDnsService } from '../../src-main/dns/clusterState.js';
import { Forwarder } from '../../src-main/dns/forwarder.js';
import { Pipeline } from '../../src-main/dns/pipeline.js';
import { DEFAULT_RESOLVER_OPTIONS, KubeResolver, addressFromReverse } from '../../src-main/dns/resolver.js';
import { datas, decode, query, type Reply } from '../helpers/dns.js';

// Table tests of the cluster zone's answers against a hand-built cluster, each row as CoreDNS
// 1.11's kubernetes plugin answers it (plugin/kubernetes/{handler,kubernetes,parse,reverse,ns}.go,
// plugin/backend_lookup.go). Queries go through the whole pipeline as bytes (no sockets), so
// flags, TTLs (after the cache's rewrite) and the authority section are checked too.

const SERIAL = 1_700_000_000;

function svc(ns: string, name: string, spec: Service['spec']): Service {
  return { metadata: { name, namespace: ns }, spec };
}

function slice(ns: string, name: string, service: string, endpoints: EndpointSlice['endpoints'], ports: EndpointSlice['ports'], addressType: EndpointSlice['addressType'] = 'IPv4'): EndpointSlice {
  return { metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } }, addressType, endpoints, ports };
}

function cluster(opts: { synced?: boolean } = {}): ClusterState {
  const s = new ClusterState(() => SERIAL);
  for (const ns of ['default', 'other', 'kube-system']) s.upsertNamespace(ns);
  s.synced = opts.synced ?? true;
  const add = (x: Service) => s.upsertService(toDnsService(x));
  add(svc('default', 'web', { clusterIP: '10.96.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] }));
  add(svc('default', 'noports', { clusterIP: '10.96.0.6' }));
  add(svc('default', 'hl', { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
  add(svc('default', 'hl-empty', { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
  add(svc('default', 'ext', { type: 'ExternalName', externalName: 'db.example.com' }));
  add(svc('default', 'extip', { type: 'ExternalName', externalName: '1.2.3.4' }));
  add(svc('default', 'extin', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }));
  add(svc('default', 'v6', { clusterIP: 'fd00::5', clusterIPs: ['fd00::5'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
  add(svc('kube-system', 'kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }));
  s.upsertEndpoints(
    toDnsEndpoints(
      slice(
        'default',
        'hl-abc',
        'hl',
        [
          { addresses: ['10.244.0.3'], hostname: 'h0', conditions: { ready: true } },
          { addresses: ['10.244.0.4'] },
          { addresses: ['10.244.0.9'], conditions: { ready: false } },
        ],
        [{ name: 'http', port: 8080, protocol: 'TCP' }],
      ),
    ),
  );
  s.upsertEndpoints(toDnsEndpoints(slice('kube-system', 'kube-dns-x', 'kube-dns', [{ addresses: ['10.244.1.2'] }], [{ name: 'dns', port: 53, protocol: 'UDP' }])));
  return s;
}

function pipeline(state: ClusterState, localIPs: string[] = []): Pipeline {
  return new Pipeline({
    resolver: new KubeResolver(state, { ...DEFAULT_RESOLVER_OPTIONS, localIPs }),
    // No upstream: a forwarded query fails at once (SERVFAIL).
    forwarder: new Forwarder({ upstreams: [] }),
    cache: new DnsCache(),
    log: silentLogger,
  });
}

async function ask(p: Pipeline, name: string, type: string, o: Parameters<typeof query>[2] = {}): Promise<Reply> {
  const out = await p.handleWire(query(name, type, o), 'udp');
  if (!out) throw new Error('no answer');
  return decode(out);
}

const AA = dnsPacket.AUTHORITATIVE_ANSWER;

interface Row {
  name: string;
  type: string;
  rcode: string;
  answers?: string[];
  extra?: string[];
  /** NXDOMAIN and NODATA carry the zone's SOA (this zone) in the authority section. */
  soa?: string;
}

// zone apex SOA of the cluster zone, as plugin.SOA writes it
const SOA = 'SOA ns.dns.cluster.local';

const ROWS: Row[] = [
  // ClusterIP Services
  { name: 'web.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10.96.0.5'] },
  { name: 'web.default.svc.cluster.local', type: 'AAAA', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'v6.default.svc.cluster.local', type: 'AAAA', rcode: 'NOERROR', answers: ['fd00::5'] },
  { name: 'v6.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'noports.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10.96.0.6'] },
  { name: 'nope.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: 'web.nons.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // an endpoint label under a ClusterIP Service names one of its endpoints (it has none here)
  { name: 'x.web.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // too many labels, or neither svc nor pod
  { name: 'a.b.c.web.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: 'web.default.foo.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // apex, svc., pod., and <ns>.svc: NODATA when the namespace exists, NXDOMAIN when it does not
  { name: 'cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'pod.cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'nons.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: 'default.pod.cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  // headless: ready endpoints only; named endpoints; IP-dashed names for those without a hostname
  { name: 'hl.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10.244.0.3', '10.244.0.4'] },
  { name: 'h0.hl.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10.244.0.3'] },
  { name: '10-244-0-4.hl.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10.244.0.4'] },
  { name: '10-244-0-9.hl.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: '10-244-0-3.hl.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // a headless Service with no ready endpoint is NXDOMAIN (no record found, not NODATA)
  { name: 'hl-empty.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // SRV: named ports, the protocol label, and the service name alone (every port)
  { name: '_http._tcp.web.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: ['0 100 80 web.default.svc.cluster.local'], extra: ['10.96.0.5'] },
  { name: '_dns._udp.web.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: ['0 100 53 web.default.svc.cluster.local'], extra: ['10.96.0.5'] },
  { name: 'web.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: ['0 50 53 web.default.svc.cluster.local', '0 50 80 web.default.svc.cluster.local'], extra: ['10.96.0.5'] },
  { name: '_http._udp.web.default.svc.cluster.local', type: 'SRV', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: '_nope._tcp.web.default.svc.cluster.local', type: 'SRV', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: '_http._tcp.hl.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: ['0 50 8080 10-244-0-4.hl.default.svc.cluster.local', '0 50 8080 h0.hl.default.svc.cluster.local'], extra: ['10.244.0.3', '10.244.0.4'] },
  // no declared port: the name answers A, but SRV has nothing (CoreDNS's port -1 sentinel)
  { name: 'noports.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  // an A query on an SRV name answers the ClusterIP when the port matches (parse.go reads it so)
  { name: '_http._tcp.web.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10.96.0.5'] },
  // ExternalName
  { name: 'ext.default.svc.cluster.local', type: 'CNAME', rcode: 'NOERROR', answers: ['db.example.com'] },
  { name: 'extin.default.svc.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['10.96.0.5', 'web.default.svc.cluster.local'] },
  { name: 'extip.default.svc.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: 'ext.default.svc.cluster.local', type: 'SRV', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: '_http._tcp.ext.default.svc.cluster.local', type: 'SRV', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // CNAME of a ClusterIP Service: the name exists, no CNAME
  { name: 'web.default.svc.cluster.local', type: 'CNAME', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  // pods insecure: any address in an existing namespace
  { name: '1-2-3-4.default.pod.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['1.2.3.4'] },
  { name: 'x.1-2-3-4.default.pod.cluster.local', type: 'A', rcode: 'NOERROR', answers: ['1.2.3.4'] },
  { name: 'fd00--1.default.pod.cluster.local', type: 'AAAA', rcode: 'NOERROR', answers: ['fd00::1'] },
  { name: 'fd00--1.default.pod.cluster.local', type: 'A', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: '1-2-3-4.nons.pod.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: 'not-an-ip.default.pod.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: '01-2-3-4.default.pod.cluster.local', type: 'A', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // TXT: dns-version; an existing name is NODATA; anything else (even the apex) NXDOMAIN
  { name: 'dns-version.cluster.local', type: 'TXT', rcode: 'NOERROR', answers: ['1.1.0'] },
  { name: 'web.default.svc.cluster.local', type: 'TXT', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'nope.default.svc.cluster.local', type: 'TXT', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: 'cluster.local', type: 'TXT', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // other types: NODATA for an existing name, NXDOMAIN otherwise
  { name: 'web.default.svc.cluster.local', type: 'MX', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'nope.default.svc.cluster.local', type: 'MX', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  { name: 'web.default.svc.cluster.local', type: 'HINFO', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'nope.default.svc.cluster.local', type: 'CAA', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // SOA: at the apex only; any other name (even a missing one) is NODATA
  { name: 'cluster.local', type: 'SOA', rcode: 'NOERROR', answers: [SOA] },
  { name: 'nope.default.svc.cluster.local', type: 'SOA', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  // PTR: ClusterIPs, endpoint addresses (hostname or dashed IP), IPv6
  { name: '5.0.96.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', answers: ['web.default.svc.cluster.local'] },
  { name: '3.0.244.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', answers: ['h0.hl.default.svc.cluster.local'] },
  { name: '4.0.244.10.in-addr.arpa', type: 'PTR', rcode: 'NOERROR', answers: ['10-244-0-4.hl.default.svc.cluster.local'] },
  { name: `5.0.0.0.${'0.'.repeat(26)}d.f.ip6.arpa`, type: 'PTR', rcode: 'NOERROR', answers: ['v6.default.svc.cluster.local'] },
  { name: 'web.default.svc.cluster.local', type: 'PTR', rcode: 'NOERROR', answers: [], soa: 'cluster.local' },
  { name: 'nope.default.svc.cluster.local', type: 'PTR', rcode: 'NXDOMAIN', soa: 'cluster.local' },
  // the reverse zones' apex and svc./pod. labels are NODATA (parseRequest)
  { name: 'in-addr.arpa', type: 'A', rcode: 'NOERROR', answers: [], soa: 'in-addr.arpa' },
];

describe('cluster DNS answers (CoreDNS kubernetes plugin)', () => {
  const p = pipeline(cluster());

  it.each(ROWS)('$type $name -> $rcode $answers', async (row) => {
    const r = await ask(p, row.name, row.type);
    expect(r.rcode).toBe(row.rcode);
    expect(r.flags! & AA, 'authoritative').toBe(AA);
    expect(r.flags! & dnsPacket.RECURSION_AVAILABLE, 'CoreDNS sets no RA on its own answers').toBe(0);
    expect(r.id).toBe(4242);
    expect(r.questions).toEqual([{ name: row.name, type: row.type, class: 'IN' }]);
    expect(datas(r.answers)).toEqual([...(row.answers ?? [])].sort());
    if (row.extra) expect(datas(r.additionals)).toEqual(row.extra);
    if (row.soa) {
      expect(r.authorities).toHaveLength(1);
      const soa = r.authorities![0] as unknown as { name: string; type: string; ttl: number; data: Record<string, unknown> };
      expect(soa).toMatchObject({ name: row.soa, type: 'SOA', ttl: 30 });
      expect(soa.data).toEqual({ mname: `ns.dns.${row.soa}`, rname: `hostmaster.${row.soa}`, serial: SERIAL, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 });
    } else {
      expect(r.authorities).toEqual([]);
    }
    for (const a of [...(r.answers ?? []), ...(r.additionals ?? [])]) expect((a as { ttl: number }).ttl, `${a.type} ttl`).toBe(30);
  });

  it('keeps the case of the question in the answer and the zone', async () => {
    const r = await ask(p, 'WEB.Default.SVC.Cluster.Local', 'A');
    expect(r.answers?.[0]).toMatchObject({ name: 'WEB.Default.SVC.Cluster.Local', data: '10.96.0.5' });
    const nx = await ask(p, 'NOPE.default.svc.CLUSTER.local', 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authorities?.[0]).toMatchObject({ name: 'CLUSTER.local' });
    const srv = await ask(p, '_HTTP._TCP.web.default.svc.cluster.local', 'SRV');
    expect(datas(srv.answers)).toEqual(['0 100 80 web.default.svc.cluster.local']);
  });

  it('answers CNAME and nothing else for an ExternalName whose target no upstream resolves', async () => {
    const r = await ask(p, 'ext.default.svc.cluster.local', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([expect.objectContaining({ type: 'CNAME', data: 'db.example.com', ttl: 30 })]);
  });

  it('answers the apex NS with the Service whose endpoint is this server, or ns.dns.<zone>', async () => {
    const withEndpoint = pipeline(cluster(), ['10.244.1.2']);
    const ns = await ask(withEndpoint, 'cluster.local', 'NS');
    expect(datas(ns.answers)).toEqual(['kube-dns.kube-system.svc.cluster.local']);
    expect(ns.additionals).toEqual([expect.objectContaining({ name: 'kube-dns.kube-system.svc.cluster.local', type: 'A', data: '10.96.0.10' })]);
    const bare = pipeline(cluster(), ['10.0.0.7']);
    expect(datas((await ask(bare, 'cluster.local', 'NS')).answers)).toEqual(['ns.dns.cluster.local']);
    expect(datas((await ask(bare, 'ns.dns.cluster.local', 'A')).answers)).toEqual(['10.0.0.7']);
    // no address of its own (listening on loopback): NODATA
    const none = await ask(pipeline(cluster()), 'cluster.local', 'NS');
    expect(none.rcode).toBe('NOERROR');
    expect(none.answers).toEqual([]);
  });

  it('refuses zone transfers without AA or SOA, as the server error path does', async () => {
    const r = await ask(p, 'cluster.local', 'AXFR');
    expect(r.rcode).toBe('REFUSED');
    expect(r.flags! & AA).toBe(0);
    expect(r.authorities).toEqual([]);
  });

  it('answers SERVFAIL instead of NXDOMAIN until the informers have listed', async () => {
    const r = await ask(pipeline(cluster({ synced: false })), 'nope.default.svc.cluster.local', 'A');
    expect(r.rcode).toBe('SERVFAIL');
    expect(r.flags! & AA).toBe(AA);
    expect(r.authorities?.[0]).toMatchObject({ type: 'SOA' });
  });

  it('gives reverse-zone names it does not know to the forwarder (fallthrough)', async () => {
    const resolver = new KubeResolver(cluster());
    expect(await resolver.handle('9.9.9.9.in-addr.arpa.', 12)).toBe('next');
    expect(await resolver.handle('10.in-addr.arpa.', 12)).toBe('next');
    expect(await resolver.handle('example.com.', 1)).toBe('next');
    // A names in the reverse zone are the plugin's only at its apex
    expect(await resolver.handle('1.0.0.10.in-addr.arpa.', 1)).toBe('next');
  });

  it('reads reverse names as dnsutil.ExtractAddressFromReverse does', () => {
    expect(addressFromReverse('4.3.2.1.in-addr.arpa.')).toBe('1.2.3.4');
    expect(addressFromReverse('3.2.1.in-addr.arpa.')).toBe('');
    expect(addressFromReverse(`b.a.9.8.7.6.5.0.${'0.'.repeat(16)}8.b.d.0.1.0.0.2.ip6.arpa.`)).toBe('2001:db8::567:89ab');
    expect(addressFromReverse('example.com.')).toBe('');
  });

  it('follows the state: a deleted Service is NXDOMAIN, a new endpoint answers', async () => {
    const s = cluster();
    const p2 = pipeline(s);
    expect((await ask(p2, 'web.default.svc.cluster.local', 'A')).rcode).toBe('NOERROR');
    s.deleteService('default', 'web');
    expect((await ask(p2, 'web.default.svc.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
    s.upsertEndpoints(toDnsEndpoints(slice('default', 'hl-def', 'hl', [{ addresses: ['10.244.0.20'] }], [{ name: 'http', port: 8080, protocol: 'TCP' }])));
    expect(datas((await ask(p2, 'hl.default.svc.cluster.local', 'A')).answers)).toEqual(['10.244.0.20', '10.244.0.3', '10.244.0.4']);
  });
});
