import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type PacketOpt } from 'dns-packet';
import { bindSamePort } from '../../src-main/dns/server.js';

// DNS clients for the tests and the benchmark: queries built and answers read with dns-packet
// (an independent codec from the server's own), sent over UDP or TCP to a loopback server.

export interface QueryOptions {
  id?: number;
  flags?: number;
  /** Adds an OPT record with this UDP size. */
  edns?: number;
  ednsVersion?: number;
  /** The DO bit (needs edns). */
  dnssecOk?: boolean;
  ednsOptions?: PacketOpt[];
  klass?: 'IN' | 'CH';
}

export function query(name: string, type: string, o: QueryOptions = {}): Buffer {
  const additionals: Answer[] = [];
  if (o.edns !== undefined) {
    additionals.push({
      type: 'OPT',
      name: '.',
      udpPayloadSize: o.edns,
      ednsVersion: o.ednsVersion ?? 0,
      flags: o.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
      options: o.ednsOptions ?? [],
    } as unknown as Answer);
  }
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? 4242,
    flags: o.flags ?? dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as 'A', class: o.klass ?? 'IN' }],
    additionals,
  });
}

/** dns-packet's decoded message; its rcode (present at run time) is not in @types/dns-packet. */
export type Reply = DecodedPacket & { raw: Buffer; rcode: string };

export function decode(buf: Buffer): Reply {
  return Object.assign(dnsPacket.decode(buf) as DecodedPacket & { rcode: string }, { raw: buf });
}

/** Sends one UDP datagram and waits for the first datagram back (undefined after timeoutMs). */
export function udpExchange(port: number, msg: Buffer, timeoutMs = 3000, host = '127.0.0.1'): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const done = (b: Buffer | undefined) => {
      clearTimeout(timer);
      sock.close();
      resolve(b);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('message', (b) => done(b));
    sock.on('error', () => done(undefined));
    sock.send(msg, port, host);
  });
}

/** Sends raw bytes on a new TCP connection and collects the length-prefixed messages back until it closes or timeoutMs. */
export function tcpExchange(port: number, bytes: Buffer, expect = 1, timeoutMs = 3000, host = '127.0.0.1'): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let got = Buffer.alloc(0);
    const sock = net.connect({ host, port });
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, timeoutMs);
    sock.on('error', done);
    sock.on('close', done);
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      while (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        out.push(Buffer.from(got.subarray(2, 2 + got.readUInt16BE(0))));
        got = got.subarray(2 + got.readUInt16BE(0));
      }
      if (out.length >= expect) done();
    });
    sock.on('connect', () => sock.write(bytes));
  });
}

export function framed(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

export async function askUdp(port: number, name: string, type: string, o: QueryOptions = {}): Promise<Reply> {
  const b = await udpExchange(port, query(name, type, o));
  if (!b) throw new Error(`no UDP answer for ${name} ${type}`);
  return decode(b);
}

export async function askTcp(port: number, name: string, type: string, o: QueryOptions = {}): Promise<Reply> {
  const [b] = await tcpExchange(port, framed(query(name, type, o)));
  if (!b) throw new Error(`no TCP answer for ${name} ${type}`);
  return decode(b);
}

/** The answers' data as sorted strings (A/AAAA/CNAME/PTR as they are, SRV as "prio weight port target"). */
export function datas(list: Answer[] | undefined): string[] {
  return (list ?? [])
    .map((a) => {
      const d = (a as { data: unknown }).data;
      if (a.type === 'SRV') {
        const s = d as { priority: number; weight: number; port: number; target: string };
        return `${s.priority} ${s.weight} ${s.port} ${s.target}`;
      }
      if (a.type === 'TXT') return (d as Buffer[]).map((x) => x.toString()).join('');
      if (a.type === 'SOA') return `SOA ${(d as { mname: string }).mname}`;
      return String(d);
    })
    .sort();
}

/**
 * A stub upstream resolver on loopback (UDP and TCP on one port): answers every A query with
 * `answer` (TTL `ttl`), NXDOMAIN for names starting "missing.", and counts the queries it got.
 */
export class StubUpstream {
  port = 0;
  queries: { name: string; type: string; proto: 'udp' | 'tcp' }[] = [];
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;

  constructor(
    private readonly answer = '192.0.2.10',
    private readonly ttl = 300,
  ) {}

  private respond(buf: Buffer, proto: 'udp' | 'tcp'): Buffer | undefined {
    let q: DecodedPacket;
    try {
      q = dnsPacket.decode(buf);
    } catch {
      return undefined;
    }
    const question = q.questions?.[0];
    if (!question) return undefined;
    this.queries.push({ name: question.name, type: question.type, proto });
    const missing = question.name.toLowerCase().startsWith('missing.');
    const answers: Answer[] = !missing && question.type === 'A' ? [{ name: question.name, type: 'A', ttl: this.ttl, data: this.answer }] : [];
    const authorities: Answer[] = missing ? [{ name: 'example.', type: 'SOA', ttl: 60, data: { mname: 'ns.example.', rname: 'h.example.', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } }] : [];
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.RECURSION_DESIRED | (missing ? 3 : 0),
      questions: q.questions,
      answers,
      authorities,
    });
  }

  async start(port = 0): Promise<void> {
    const bindUdp = (p: number) =>
      new Promise<dgram.Socket>((resolve, reject) => {
        const udp = dgram.createSocket('udp4');
        udp.once('error', reject);
        udp.on('message', (m, r) => {
          const out = this.respond(m, 'udp');
          if (out) this.udp?.send(out, r.port, r.address);
        });
        udp.bind(p, '127.0.0.1', () => resolve(udp));
      });
    const listenTcp = (p: number) =>
      new Promise<net.Server>((resolve, reject) => {
        const tcp = net.createServer((c) => {
          let got = Buffer.alloc(0);
          c.on('error', () => c.destroy());
          c.on('data', (d) => {
            got = Buffer.concat([got, d]);
            while (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
              const out = this.respond(got.subarray(2, 2 + got.readUInt16BE(0)), 'tcp');
              got = got.subarray(2 + got.readUInt16BE(0));
              if (out) c.write(framed(out));
            }
          });
        });
        tcp.once('error', reject);
        tcp.listen(p, '127.0.0.1', () => resolve(tcp));
      });
    // As the DNS server itself binds: the same port for both, retried when TCP finds it taken.
    const s = await bindSamePort(port, bindUdp, listenTcp);
    this.udp = s.udp;
    this.tcp = s.tcp;
    this.port = s.port;
  }

  async stop(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }
}
