import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src-main/api/log.js';
import { NotInClusterError, inClusterConfig } from '../../src-main/client/inClusterConfig.js';
import { DnsCache } from '../../src-main/dns/cache.js';
import { ClusterState } from '../../src-main/dns/clusterState.js';
import { Forwarder } from '../../src-main/dns/forwarder.js';
import { Pipeline } from '../../src-main/dns/pipeline.js';
import { KubeResolver } from '../../src-main/dns/resolver.js';
import { CLASS_IN, QType, Rcode, decodeMessage, encodeMessage, readName, type Message } from '../../src-main/dns/wire.js';
import { decode, query } from '../helpers/dns.js';

// The server's handling of the message itself, as miekg/dns and CoreDNS's server do it
// (acceptfunc.go, server.go serveDNS, core/dnsserver ServeDNS, request SizeAndDo/Scrub), the
// cache plugin's TTL rules, the wire codec's edge cases, and the in-cluster config loader.

function pipeline(): Pipeline {
  const state = new ClusterState(() => 1);
  state.upsertNamespace('default');
  state.synced = true;
  return new Pipeline({ resolver: new KubeResolver(state), forwarder: new Forwarder({ upstreams: [] }), cache: new DnsCache(), log: silentLogger });
}

const p = pipeline();
const hdr = (b: Buffer) => ({ id: b.readUInt16BE(0), flags: b.readUInt16BE(2), qd: b.readUInt16BE(4), an: b.readUInt16BE(6), ns: b.readUInt16BE(8), ar: b.readUInt16BE(10) });

describe('message acceptance (miekg/dns)', () => {
  const q = query('x.default.svc.cluster.local', 'A', { id: 77 });

  it('drops what is shorter than a header, and responses', async () => {
    expect(await p.handleWire(Buffer.alloc(11), 'udp')).toBeUndefined();
    const resp = Buffer.from(q);
    resp.writeUInt16BE(resp.readUInt16BE(2) | 0x8000, 2);
    expect(await p.handleWire(resp, 'udp')).toBeUndefined();
  });

  it('answers NOTIMP to an opcode other than QUERY and NOTIFY, keeping the opcode', async () => {
    const status = Buffer.from(q);
    status.writeUInt16BE((status.readUInt16BE(2) & ~0x7800) | (2 << 11), 2);
    const h = hdr((await p.handleWire(status, 'udp'))!);
    expect(h).toMatchObject({ id: 77, qd: 0, an: 0, ns: 0, ar: 0 });
    expect(h.flags & 0xf).toBe(Rcode.NotImp);
    expect((h.flags >> 11) & 0xf).toBe(2);
    expect(h.flags & 0x8000).toBe(0x8000);
  });

  it('answers FORMERR (header only) to other than one question or too many records', async () => {
    for (const [off, value] of [
      [4, 2],
      [4, 0],
      [6, 2],
      [8, 2],
      [10, 3],
    ] as const) {
      const bad = Buffer.from(q);
      bad.writeUInt16BE(value, off);
      const out = (await p.handleWire(bad, 'udp'))!;
      expect(out.length, `count at ${off} = ${value}`).toBe(12);
      expect(hdr(out).flags & 0xf).toBe(Rcode.FormErr);
      expect(hdr(out).flags & 0x0100, 'RD kept').toBe(0x0100);
    }
  });

  it('answers FORMERR to a message it cannot read', async () => {
    const cut = q.subarray(0, q.length - 3);
    expect(hdr((await p.handleWire(cut, 'udp'))!).flags & 0xf).toBe(Rcode.FormErr);
    const loop = Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(hdr((await p.handleWire(loop, 'udp'))!).flags & 0xf).toBe(Rcode.FormErr);
  });

  it('refuses a class other than IN, echoing the OPT', async () => {
    const r = decode((await p.handleWire(query('web.default.svc.cluster.local', 'A', { klass: 'CH', edns: 1232 }), 'udp'))!);
    expect(r.rcode).toBe('REFUSED');
    expect(r.additionals?.find((a) => a.type === 'OPT')).toMatchObject({ udpPayloadSize: 1232 });
  });

  it('answers BADVERS to EDNS version 1', async () => {
    const out = (await p.handleWire(query('web.default.svc.cluster.local', 'A', { edns: 1232, ednsVersion: 1 }), 'udp'))!;
    const m = decodeMessage(out);
    expect(m.flags & 0xf).toBe(0);
    expect(m.edns).toMatchObject({ extendedRcode: 1, version: 0, udpSize: 0 });
  });

  it('echoes the client EDNS size, DO bit and supported options (cookie), not unknown ones', async () => {
    const cookie = Buffer.from('0123456789abcdef', 'hex');
    const out = (await p.handleWire(
      query('default.svc.cluster.local', 'A', {
        edns: 1400,
        dnssecOk: true,
        ednsOptions: [
          { code: 10, data: cookie },
          { code: 65001, data: Buffer.from([1]) },
        ] as never,
      }),
      'udp',
    ))!;
    const m = decodeMessage(out);
    expect(m.edns?.udpSize).toBe(1400);
    expect(m.edns!.flags & 0x8000).toBe(0x8000);
    expect(m.edns?.options).toEqual([{ code: 10, data: cookie }]);
  });

  it('answers the exact bytes of an odd question name (a dot and a high octet inside a label)', async () => {
    const name = Buffer.from([4, 0x61, 0x2e, 0xff, 0x42, 7, ...Buffer.from('example'), 0]);
    const head = Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const msg = Buffer.concat([head, name, Buffer.from([0, 1, 0, 1])]);
    const [parsed] = readName(msg, 12);
    expect(parsed).toBe('a\\.\u00ffB.example.');
    const m = decodeMessage(msg);
    const again = encodeMessage(m);
    expect(again.subarray(12, 12 + name.length)).toEqual(name);
  });
});

describe('DNS cache (CoreDNS cache plugin, `cache 30`)', () => {
  const req: Message = { id: 1, flags: 0x0100, questions: [{ name: 'a.example.', type: QType.A, class: CLASS_IN }], answers: [], authorities: [], additionals: [] };
  const key = { name: 'a.example.', qtype: QType.A, do: false, cd: false };
  const answer = (ttl: number, rcode = 0): Message => ({
    ...req,
    flags: 0x8180 | rcode,
    answers: rcode ? [] : [{ name: 'a.example.', type: QType.A, class: CLASS_IN, ttl, data: Buffer.from([192, 0, 2, 1]) }],
    authorities: rcode === Rcode.NXDomain ? [{ name: 'example.', type: QType.SOA, class: CLASS_IN, ttl, data: Buffer.alloc(22) }] : [],
  });

  it('caps TTLs at 30 s, raises them to 5 s, and counts them down on hits (AA set)', () => {
    let now = 1_000_000;
    const cache = new DnsCache({ now: () => now });
    expect(cache.written(key, answer(300), true, false).answers[0]!.ttl).toBe(30);
    now += 12_500;
    const hit = cache.lookup(key, req)!;
    expect(hit.answers[0]!.ttl).toBe(18);
    expect(hit.flags & 0x0400).toBe(0x0400);
    now += 18_000;
    expect(cache.lookup(key, req)).toBeUndefined();
    expect(cache.written(key, answer(2), true, false).answers[0]!.ttl).toBe(5);
  });

  it('keeps NXDOMAIN up to 30 s, an upstream SERVFAIL 5 s, and neither truncated nor REFUSED answers', () => {
    let now = 0;
    const cache = new DnsCache({ now: () => now });
    cache.written(key, answer(600, Rcode.NXDomain), true, false);
    now += 29_000;
    expect((cache.lookup(key, req)?.flags ?? -1) & 0xf).toBe(Rcode.NXDomain);
    now += 1000;
    expect(cache.lookup(key, req)).toBeUndefined();
    cache.written(key, answer(0, Rcode.ServFail), true, false);
    now += 4000;
    expect((cache.lookup(key, req)?.flags ?? -1) & 0xf).toBe(Rcode.ServFail);
    now += 1000;
    expect(cache.lookup(key, req)).toBeUndefined();
    cache.written(key, { ...answer(60), flags: 0x8380 }, true, false);
    expect(cache.lookup(key, req)).toBeUndefined();
    cache.written(key, answer(0, Rcode.Refused), true, false);
    expect(cache.lookup(key, req)).toBeUndefined();
  });

  it('keys on the DO and CD bits', () => {
    const cache = new DnsCache();
    cache.written(key, answer(60), true, false);
    expect(cache.lookup({ ...key, do: true }, req)).toBeUndefined();
    expect(cache.lookup({ ...key, cd: true }, req)).toBeUndefined();
    expect(cache.lookup(key, req)).toBeDefined();
  });
});

describe('in-cluster configuration (client-go rest.InClusterConfig)', () => {
  function saDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-sa-'));
    fs.writeFileSync(path.join(dir, 'token'), 'tok-1\n');
    fs.writeFileSync(path.join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    fs.writeFileSync(path.join(dir, 'namespace'), 'kube-system');
    return dir;
  }

  it('reads the service account files and the kubernetes Service address', () => {
    const dir = saDir();
    let now = 0;
    const cfg = inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir, now: () => now });
    expect(cfg).toMatchObject({ url: 'https://10.96.0.1:443', namespace: 'kube-system', token: 'tok-1' });
    expect(cfg.ca).toContain('BEGIN CERTIFICATE');
    fs.writeFileSync(path.join(dir, 'token'), 'tok-2');
    expect(cfg.token, 'not re-read within a minute').toBe('tok-1');
    now += 60_000;
    expect(cfg.token, 'the rotated token').toBe('tok-2');
    expect(inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, dir }).url).toBe('https://[fd00::1]:6443');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is not in a cluster without KUBERNETES_SERVICE_HOST and _PORT', () => {
    expect(() => inClusterConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } })).toThrow(NotInClusterError);
  });
});
