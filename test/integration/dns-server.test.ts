import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../../src-main/api/types.js';
import { silentLogger } from '../../src-main/api/log.js';
import { ApiClient } from '../../src-main/client/apiClient.js';
import { startDns, type RunningDns } from '../../src-main/dns/start.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { StubUpstream, askTcp, askUdp, datas } from '../helpers/dns.js';
import { until } from '../helpers/wait.js';

// The DNS server against a real control plane: Services and EndpointSlices created through the
// API, the server on 127.0.0.1 with a random port, queried over UDP and TCP; names outside the
// cluster forwarded to a stub upstream this test runs on loopback (never anything off the machine).

let c: TestCluster;
let client: ApiClient;
let dns: RunningDns;
let stub: StubUpstream;
let webIP = '';

const ZONE = 'cluster.local';

function slice(name: string, service: string, ips: string[], opts: { hostnames?: boolean } = {}): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'dns-test' } },
    addressType: 'IPv4',
    endpoints: ips.map((ip, i) => ({ addresses: [ip], conditions: { ready: true }, ...(opts.hostnames ? { hostname: `m${i}` } : {}) })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

describe('cluster DNS server', () => {
  beforeAll(async () => {
    c = await startTestCluster({});
    client = new ApiClient({ url: c.cp.url, token: c.cp.adminToken, ca: c.cp.caCert, userAgent: 'dns-test' });
    stub = new StubUpstream('192.0.2.10', 300);
    await stub.start();
    const web = await client.create<Service>('services', 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    webIP = web.spec.clusterIP!;
    await client.create<Service>('services', 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] } });
    await client.create('endpointslices.discovery.k8s.io', 'default', slice('db-1', 'db', ['10.244.0.3', '10.244.0.4'], { hostnames: true }));
    await client.create<Service>('services', 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'many', namespace: 'default' }, spec: { clusterIP: 'None' } });
    await client.create('endpointslices.discovery.k8s.io', 'default', slice('many-1', 'many', Array.from({ length: 60 }, (_, i) => `10.245.0.${i + 1}`)));
    dns = await startDns({
      client,
      log: silentLogger,
      config: { host: '127.0.0.1', port: 0, zone: `${ZONE}.`, ttl: 30, upstreams: [{ host: '127.0.0.1', port: stub.port }], forwardTimeoutMs: 1500, localIPs: [] },
    });
  }, 120_000);

  afterAll(async () => {
    await dns?.stop();
    await stub?.stop();
    client?.close();
    await c?.stop();
  }, 60_000);

  it('answers a ClusterIP Service over UDP and TCP', async () => {
    for (const ask of [askUdp, askTcp]) {
      const r = await ask(dns.port, `web.default.svc.${ZONE}`, 'A');
      expect(r.rcode).toBe('NOERROR');
      expect(datas(r.answers)).toEqual([webIP]);
      expect(r.answers![0]).toMatchObject({ ttl: 30 });
    }
    const srv = await askUdp(dns.port, `_http._tcp.web.default.svc.${ZONE}`, 'SRV');
    expect(datas(srv.answers)).toEqual([`0 100 80 web.default.svc.${ZONE}`]);
    expect(datas(srv.additionals)).toEqual([webIP]);
  });

  it('answers a headless Service from its EndpointSlice, with hostnames and SRV', async () => {
    expect(datas((await askUdp(dns.port, `db.default.svc.${ZONE}`, 'A')).answers)).toEqual(['10.244.0.3', '10.244.0.4']);
    expect(datas((await askUdp(dns.port, `m1.db.default.svc.${ZONE}`, 'A')).answers)).toEqual(['10.244.0.4']);
    const srv = await askTcp(dns.port, `_http._tcp.db.default.svc.${ZONE}`, 'SRV');
    expect(datas(srv.answers)).toEqual([`0 50 8080 m0.db.default.svc.${ZONE}`, `0 50 8080 m1.db.default.svc.${ZONE}`]);
    expect(datas((await askUdp(dns.port, '3.0.244.10.in-addr.arpa', 'PTR')).answers)).toEqual([`m0.db.default.svc.${ZONE}`]);
  });

  it('truncates a big answer over UDP (TC) and gives all of it over TCP or a large EDNS size', async () => {
    const udp = await askUdp(dns.port, `many.default.svc.${ZONE}`, 'A');
    expect(udp.flag_tc).toBe(true);
    expect(udp.raw.length).toBeLessThanOrEqual(512);
    expect(udp.answers!.length).toBeGreaterThan(20); // compressed: far more than 512/(name+14) fit
    expect(udp.answers!.length).toBeLessThan(60);
    const tcp = await askTcp(dns.port, `many.default.svc.${ZONE}`, 'A');
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(60);
    const edns = await askUdp(dns.port, `many.default.svc.${ZONE}`, 'A', { edns: 4096 });
    expect(edns.flag_tc).toBe(false);
    expect(edns.answers).toHaveLength(60);
    const opt = edns.additionals!.find((a) => a.type === 'OPT') as { udpPayloadSize: number } | undefined;
    expect(opt?.udpPayloadSize).toBe(4096);
  });

  it('forwards other names to the upstream and caches the answer, capped at 30 s', async () => {
    const before = stub.queries.length;
    const r = await askUdp(dns.port, 'www.example.com', 'A');
    expect(r.rcode).toBe('NOERROR');
    expect(r.answers).toEqual([expect.objectContaining({ name: 'www.example.com', data: '192.0.2.10', ttl: 30 })]);
    expect(r.flag_ra).toBe(true);
    const again = await askUdp(dns.port, 'WWW.example.com', 'A');
    expect(datas(again.answers)).toEqual(['192.0.2.10']);
    expect((again.answers![0] as { ttl: number }).ttl).toBeLessThanOrEqual(30);
    expect(stub.queries.length - before, 'the second query is answered from the cache').toBe(1);
  });

  it('forwards over TCP what came over TCP, and caches NXDOMAIN', async () => {
    const r = await askTcp(dns.port, 'tcp-only.example.org', 'A');
    expect(datas(r.answers)).toEqual(['192.0.2.10']);
    expect(stub.queries.at(-1)).toMatchObject({ name: 'tcp-only.example.org', proto: 'tcp' });
    const before = stub.queries.length;
    const nx = await askUdp(dns.port, 'missing.example.org', 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authorities?.[0]).toMatchObject({ type: 'SOA', ttl: 30 });
    expect((await askUdp(dns.port, 'missing.example.org', 'A')).rcode).toBe('NXDOMAIN');
    expect(stub.queries.length - before).toBe(1);
  });

  it('answers SERVFAIL when the upstream is down, and a cached name still answers', async () => {
    await stub.stop();
    try {
      const r = await askUdp(dns.port, 'down.example.net', 'A');
      expect(r.rcode).toBe('SERVFAIL');
      expect(datas((await askUdp(dns.port, 'www.example.com', 'A')).answers)).toEqual(['192.0.2.10']);
      // the cluster zone does not need the upstream
      expect(datas((await askUdp(dns.port, `web.default.svc.${ZONE}`, 'A')).answers)).toEqual([webIP]);
    } finally {
      await stub.start(stub.port);
    }
  });

  it('follows changes: a deleted Service turns NXDOMAIN, a new one answers', async () => {
    await client.create<Service>('services', 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'late', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    await until('the new Service answers', async () => (await askUdp(dns.port, `late.default.svc.${ZONE}`, 'A')).rcode === 'NOERROR');
    await client.delete('services', 'default', 'web');
    await until('the deleted Service is NXDOMAIN', async () => (await askUdp(dns.port, `web.default.svc.${ZONE}`, 'A')).rcode === 'NXDOMAIN');
    const nx = await askTcp(dns.port, `web.default.svc.${ZONE}`, 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authorities?.[0]).toMatchObject({ name: ZONE, type: 'SOA' });
  });
});
