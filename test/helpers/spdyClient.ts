import net from 'node:net';
import { FrameReader, encodeData, encodeSynStream, type Frame } from '../../src-main/kubelet/spdy/frames.js';
import { HeaderDeflater, HeaderInflater, type HeaderMap } from '../../src-main/kubelet/spdy/headerBlock.js';
import { until } from './wait.js';

// The client side of a SPDY/3.1 port-forward connection, as kubectl opens one, for tests that talk
// to the kubelet's server (or a bare SpdyConnection) directly: its own compression contexts, the
// frames it has read (header blocks inflated), and what each stream has received.

export interface ReadFrame {
  frame: Frame;
  headers?: HeaderMap;
}

export class SpdyTestClient {
  readonly frames: ReadFrame[] = [];
  private readonly reader = new FrameReader();
  private readonly inflater = new HeaderInflater();
  private readonly deflater = new HeaderDeflater();
  private nextId = 1;
  private readonly received = new Map<number, Buffer[]>();
  readonly fins = new Set<number>();
  readonly resets = new Map<number, number>();
  error: string | undefined;

  constructor(private readonly sendBytes: (b: Buffer) => void) {}

  /** Bytes from the server. */
  receive(b: Buffer): void {
    try {
      for (const frame of this.reader.push(b)) {
        const r: ReadFrame = { frame };
        if (frame.type === 'syn_reply' || frame.type === 'syn_stream' || frame.type === 'headers') r.headers = this.inflater.decompress(frame.headerBlock);
        if (frame.type === 'data') {
          if (frame.data.length) this.received.set(frame.streamId, [...(this.received.get(frame.streamId) ?? []), Buffer.from(frame.data)]);
          if (frame.fin) this.fins.add(frame.streamId);
        } else {
          if (frame.type === 'rst_stream') this.resets.set(frame.streamId, frame.status);
          this.frames.push(r);
        }
      }
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  /** Opens a stream with these headers; returns its id. */
  open(headers: [string, string][], opts: { fin?: boolean } = {}): number {
    const id = this.nextId;
    this.nextId += 2;
    this.openAs(id, headers, opts);
    return id;
  }

  /** A SYN_STREAM with any id (a well-behaved client's ids are odd and increasing). */
  openAs(id: number, headers: [string, string][], opts: { fin?: boolean } = {}): void {
    this.sendBytes(encodeSynStream(id, this.deflater.compress(headers), opts));
  }

  /** kubectl's pair for one forwarded connection: the error stream (half-closed at once) and the data stream. */
  openPair(port: number, requestId: number): { error: number; data: number } {
    const error = this.open([['streamtype', 'error'], ['port', String(port)], ['requestid', String(requestId)]]);
    this.sendBytes(encodeData(error, Buffer.alloc(0), true));
    const data = this.open([['streamtype', 'data'], ['port', String(port)], ['requestid', String(requestId)]]);
    return { error, data };
  }

  send(streamId: number, data: Buffer, fin = false): void {
    this.sendBytes(encodeData(streamId, data, fin));
  }

  data(streamId: number): Buffer {
    return Buffer.concat(this.received.get(streamId) ?? []);
  }

  text(streamId: number): string {
    return this.data(streamId).toString('utf8');
  }

  of<T extends Frame['type']>(type: T): Extract<Frame, { type: T }>[] {
    return this.frames.map((f) => f.frame).filter((f): f is Extract<Frame, { type: T }> => f.type === type);
  }
}

/** A raw SPDY/3.1 upgrade to `path` on a server; resolves once the 101 is read. */
export async function spdyUpgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<{ socket: net.Socket; client: SpdyTestClient; status: number; closed: () => boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  const client = new SpdyTestClient((b) => socket.write(b));
  let head = Buffer.alloc(0);
  let status = 0;
  let closed = false;
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  socket.on('data', (d: Buffer) => {
    if (status) return client.receive(d);
    head = Buffer.concat([head, d]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    status = Number(/^HTTP\/1\.1 (\d+)/.exec(head.toString('latin1'))?.[1] ?? -1);
    const rest = head.subarray(end + 4);
    if (rest.length) client.receive(rest);
  });
  const extra = Object.entries({ Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: kubelet\r\n${extra.join('')}\r\n`);
  await until(`the answer to the SPDY upgrade of ${path}`, () => status || closed);
  return { socket, client, status, closed: () => closed };
}
