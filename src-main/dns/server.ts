import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../api/log.js';
import type { Pipeline } from './pipeline.js';

// The sockets: UDP and TCP on the same address and port, as CoreDNS listens. Over TCP each
// message is preceded by its 2-octet length (RFC 1035 4.2.2); the queries of one connection are
// answered one after the other, at most 128 of them (miekg/dns maxTCPQueries), and a connection
// waits 3 s for its first query and 10 s for each next one (CoreDNS's read and idle timeouts).
// Nothing a client sends ends the process: a bad packet is answered or dropped by the pipeline,
// and socket errors only close that connection.

export interface DnsServerOptions {
  host: string;
  /** 0: a free port (the same for UDP and TCP). */
  port: number;
  pipeline: Pipeline;
  log: Logger;
  tcpReadTimeoutMs?: number;
  tcpIdleTimeoutMs?: number;
  maxTcpQueries?: number;
}

export class DnsServer {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly conns = new Set<net.Socket>();
  port = 0;

  constructor(private readonly o: DnsServerOptions) {}

  async start(): Promise<void> {
    const s = await bindSamePort(this.o.port, (p) => this.bindUdp(p), (p) => this.listenTcp(p));
    this.udp = s.udp;
    this.tcp = s.tcp;
    this.port = s.port;
  }

  async stop(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    for (const c of this.conns) c.destroy();
    const tcp = this.tcp;
    this.tcp = undefined;
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }

  private bindUdp(port: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const sock = dgram.createSocket({ type: net.isIPv6(this.o.host) ? 'udp6' : 'udp4' });
      sock.once('error', reject);
      sock.bind(port, this.o.host, () => {
        sock.off('error', reject);
        sock.on('error', (e) => this.o.log.warn('UDP socket error', { err: e }));
        sock.on('message', (msg, rinfo) => this.onUdp(sock, msg, rinfo));
        resolve(sock);
      });
    });
  }

  private onUdp(sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.o.pipeline.handleWire(msg, 'udp').then(
      (out) => {
        if (out && this.udp === sock) sock.send(out, rinfo.port, rinfo.address, (e) => e && this.o.log.debug('UDP send failed', { err: e }));
      },
      (e) => this.o.log.warn('UDP query failed', { err: e }),
    );
  }

  private listenTcp(port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const srv = net.createServer((c) => this.onTcp(c));
      srv.once('error', reject);
      srv.listen(port, this.o.host, () => {
        srv.off('error', reject);
        srv.on('error', (e) => this.o.log.warn('TCP server error', { err: e }));
        resolve(srv);
      });
    });
  }

  private onTcp(c: net.Socket): void {
    this.conns.add(c);
    const readTimeout = this.o.tcpReadTimeoutMs ?? 3000;
    const idleTimeout = this.o.tcpIdleTimeoutMs ?? 10_000;
    const maxQueries = this.o.maxTcpQueries ?? 128;
    let buf = Buffer.alloc(0);
    let served = 0;
    let busy = false;
    // Data that came in while a query was being answered: look at the buffer again afterwards.
    let more = false;
    c.setNoDelay(true);
    c.setTimeout(readTimeout, () => c.destroy());
    c.on('error', () => c.destroy());
    c.on('close', () => this.conns.delete(c));

    const pump = async () => {
      if (busy) {
        more = true;
        return;
      }
      busy = true;
      more = false;
      try {
        while (buf.length >= 2 && !c.destroyed) {
          const n = buf.readUInt16BE(0);
          if (n === 0) {
            // miekg ends a connection whose message length is 0.
            c.destroy();
            return;
          }
          if (buf.length < 2 + n) break;
          const msg = Buffer.from(buf.subarray(2, 2 + n));
          buf = buf.subarray(2 + n);
          const out = await this.o.pipeline.handleWire(msg, 'tcp');
          if (c.destroyed) return;
          if (out) {
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length);
            c.write(Buffer.concat([len, out]));
          }
          if (++served >= maxQueries) {
            c.end();
            return;
          }
          c.setTimeout(idleTimeout);
        }
      } catch (e) {
        this.o.log.warn('TCP query failed', { err: e });
        c.destroy();
      } finally {
        busy = false;
      }
      if (more && !c.destroyed) void pump();
    };

    c.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      // A client that sends far more than it waits for is cut off rather than buffered.
      if (buf.length > 4 * 0x10000) {
        c.destroy();
        return;
      }
      void pump();
    });
  }
}

/**
 * UDP and TCP on one port, as a DNS server listens. With port 0 the UDP port is chosen first and
 * TCP then takes the same number, tried again with another if something holds it over TCP.
 */
export async function bindSamePort(port: number, bindUdp: (port: number) => Promise<dgram.Socket>, listenTcp: (port: number) => Promise<net.Server>): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = await bindUdp(port);
    const chosen = udp.address().port;
    try {
      return { udp, tcp: await listenTcp(chosen), port: chosen };
    } catch (e) {
      udp.close();
      if (port !== 0 || attempt >= 10) throw e;
    }
  }
}
