import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { QR, decodeMessage, encodeMessage, lowerName, type Message } from './wire.js';

// CoreDNS's forward plugin as kubeadm configures it (`forward . /etc/resolv.conf
// { max_concurrent 1000 }`), from plugin/forward/forward.go and plugin/pkg/proxy/connect.go:
// - upstreams are tried in random order, again and again, until 5 s have passed since the query
//   came in; each attempt waits at most 2 s for its answer;
// - a query that came over TCP goes over TCP, one over UDP over UDP; a truncated UDP answer is
//   passed on as it is (the client retries over TCP);
// - each attempt sends the client's message with a fresh random ID (answers with another ID are
//   dropped) and the client's ID is put back on the answer;
// - an answer for another question is a FORMERR to the client; no answer at all, a SERVFAIL
//   (written by the server, so it is neither cached nor shuffled);
// - more than 1,000 queries waiting on upstreams at once: REFUSED.
//
// Health checks are left out: CoreDNS's only change what is tried first, and with every upstream
// down it still tries one until the deadline. A failed attempt is retried after a short pause
// instead of at once (CoreDNS spins on an upstream that refuses immediately).

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** The whole query's budget (CoreDNS's defaultTimeout). */
  timeoutMs: number;
  /** One attempt's wait for an answer (CoreDNS's proxy readTimeout). */
  attemptTimeoutMs: number;
  maxConcurrent: number;
  /** Pause after a failed attempt before the next one. */
  retryPauseMs: number;
}

export const DEFAULT_FORWARDER_OPTIONS: Omit<ForwarderOptions, 'upstreams'> = {
  timeoutMs: 5000,
  attemptTimeoutMs: 2000,
  maxConcurrent: 1000,
  retryPauseMs: 50,
};

export type ForwardResult = { kind: 'answer'; msg: Message } | { kind: 'mismatch' } | { kind: 'failed'; error: string } | { kind: 'refused' };

export class Forwarder {
  private concurrent = 0;
  readonly opts: ForwarderOptions;
  private stopped = false;
  private readonly inFlight = new Set<() => void>();

  constructor(opts: Partial<ForwarderOptions> & { upstreams: Upstream[] }) {
    this.opts = { ...DEFAULT_FORWARDER_OPTIONS, ...opts };
  }

  /** Ends every attempt under way (their queries fail). */
  stop(): void {
    this.stopped = true;
    for (const end of [...this.inFlight]) end();
  }

  async forward(req: Message, proto: 'udp' | 'tcp'): Promise<ForwardResult> {
    if (this.concurrent >= this.opts.maxConcurrent) return { kind: 'refused' };
    this.concurrent++;
    try {
      return await this.tryUpstreams(req, proto);
    } finally {
      this.concurrent--;
    }
  }

  private async tryUpstreams(req: Message, proto: 'udp' | 'tcp'): Promise<ForwardResult> {
    const list = shuffled(this.opts.upstreams);
    if (list.length === 0) return { kind: 'failed', error: 'no upstreams' };
    const deadline = Date.now() + this.opts.timeoutMs;
    let lastError = 'timeout';
    for (let i = 0; Date.now() < deadline && !this.stopped; i++) {
      const up = list[i % list.length]!;
      const wait = Math.min(this.opts.attemptTimeoutMs, deadline - Date.now());
      const id = randomInt(0, 0x10000);
      try {
        const wire = encodeMessage({ ...req, id });
        const raw = await (proto === 'tcp' ? this.exchangeTcp(up, wire, id, wait) : this.exchangeUdp(up, wire, id, wait));
        const msg = decodeMessage(raw);
        msg.id = req.id;
        if (!matches(req, msg)) return { kind: 'mismatch' };
        return { kind: 'answer', msg };
      } catch (e) {
        lastError = `${up.host}:${up.port}: ${e instanceof Error ? e.message : String(e)}`;
      }
      const pause = Math.min(this.opts.retryPauseMs, deadline - Date.now());
      if (pause > 0) await new Promise((r) => setTimeout(r, pause));
    }
    return { kind: 'failed', error: lastError };
  }

  /**
   * One exchange with an upstream: `start` sends and calls `end` with the answer or an error;
   * the exchange ends once, on the answer, an error, the wait running out or stop().
   */
  private exchange(waitMs: number, close: () => void, start: (end: (err: Error | undefined, buf?: Buffer) => void) => void): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let done = false;
      const end = (err: Error | undefined, buf?: Buffer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.inFlight.delete(cancel);
        close();
        if (err) reject(err);
        else resolve(buf!);
      };
      const cancel = () => end(new Error('forwarder stopped'));
      this.inFlight.add(cancel);
      const timer = setTimeout(() => end(new Error('timeout')), waitMs);
      start(end);
    });
  }

  private exchangeUdp(up: Upstream, wire: Buffer, id: number, waitMs: number): Promise<Buffer> {
    const sock = dgram.createSocket(net.isIPv6(up.host) ? 'udp6' : 'udp4');
    return this.exchange(waitMs, () => sock.close(), (end) => {
      sock.on('error', (e) => end(e));
      sock.on('message', (buf) => {
        // Out-of-order or stray answers are dropped; the attempt keeps waiting.
        if (buf.length >= 2 && buf.readUInt16BE(0) === id) end(undefined, buf);
      });
      sock.connect(up.port, up.host, () => sock.send(wire, (e) => e && end(e)));
    });
  }

  private exchangeTcp(up: Upstream, wire: Buffer, id: number, waitMs: number): Promise<Buffer> {
    const sock = net.connect({ host: up.host, port: up.port });
    let got = Buffer.alloc(0);
    return this.exchange(waitMs, () => sock.destroy(), (end) => {
      sock.on('error', (e) => end(e));
      sock.on('close', () => end(new Error('connection closed before an answer')));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(wire.length);
        sock.write(Buffer.concat([len, wire]));
      });
      sock.on('data', (d) => {
        got = Buffer.concat([got, d]);
        while (got.length >= 2) {
          const n = got.readUInt16BE(0);
          if (got.length < 2 + n) return;
          const msg = got.subarray(2, 2 + n);
          got = got.subarray(2 + n);
          if (msg.length >= 2 && msg.readUInt16BE(0) === id) return end(undefined, Buffer.from(msg));
        }
      });
    });
  }
}

/** request.Match: one question, a response, the same (case-folded) name and type. */
export function matches(req: Message, res: Message): boolean {
  if (res.questions.length !== 1 || (res.flags & QR) === 0) return false;
  const q = req.questions[0]!;
  return lowerName(res.questions[0]!.name) === lowerName(q.name) && res.questions[0]!.type === q.type;
}

function shuffled<T>(a: T[]): T[] {
  const out = [...a];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
