import net from 'node:net';
import type { HeaderMap } from './spdy/headerBlock.js';
import { RST } from './spdy/frames.js';
import type { SpdyConnectionOptions, SpdyStream } from './spdy/connection.js';

// Port-forward over a SPDY connection, with the rules of Kubernetes' kubelet
// (pkg/kubelet/cri/streaming/portforward/httpstream.go): each forwarded connection is a pair of
// client-opened streams with the same `requestID` header, one `streamType: error` and one
// `streamType: data`, both naming the pod's `port`. A stream with a missing or bad port or stream
// type is refused; a pair not complete within the stream creation timeout (30 s) is reported on
// its error stream. Once complete, the data stream is joined to a TCP connection to the port, and
// a failure is written to the error stream as "error forwarding port <p> to pod <sandbox>, uid :
// <reason>" (kubectl prints it, and kubectl 1.23+ then gives up on the whole session). When the
// forwarding ends both streams are half-closed.
//
// Where the connection goes: kube's runtime dials localhost:<port> inside the pod's network
// namespace. Flotilla's kubelet runs in the node container, outside every pod's namespace, and a
// Node.js process cannot enter another network namespace per connection; so it dials the pod's IP
// on the cluster network instead. The difference shows only for a process that listens on the
// pod's loopback (127.0.0.1 or ::1) alone: kube reaches it, Flotilla's port-forward does not
// (connection refused, reported on the error stream). A process listening on 0.0.0.0 or the pod
// IP, which is what a Service can reach too, is reached the same way.

/** Where a pod is on the cluster network, looked up afresh for every forwarded connection. */
export type PodEndpoint = { ip: string; sandboxId: string } | { error: string };

export interface PortForwardOptions {
  /** The pod's sandbox when the session started, named in error messages as kube names it. */
  sandboxId: string;
  resolve(): Promise<PodEndpoint>;
  /** kubelet's --streaming-connection-creation timeout, 30 s. */
  streamCreationTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** Client bytes held for a connection still being dialed; past this the client is not read. */
const PENDING_HIGH_WATER = 1 << 20;
const DEFAULT_CREATION_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

const header = (h: HeaderMap, name: string) => h.get(name)?.[0] ?? '';

/** httpStreamReceived's checks, with its messages. */
export function checkPortForwardStream(h: HeaderMap): string | undefined {
  const port = header(h, 'port');
  if (!port) return '"port" header is required';
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port: invalid syntax`;
  if (Number(port) < 1) return `port "${port}" must be > 0`;
  const type = header(h, 'streamtype');
  if (!type) return '"streamType" header is required';
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
  return undefined;
}

/** The stream handlers of one port-forward connection. */
export function portForwardHandlers(o: PortForwardOptions): Pick<SpdyConnectionOptions, 'accept' | 'onStream' | 'onClose'> {
  const pairs = new Map<string, Pair>();
  return {
    accept: checkPortForwardStream,
    onStream(s) {
      const type = s.header('streamtype');
      let id = s.header('requestid');
      // Clients older than request ids: kube pairs an error stream with the data stream two ids on.
      if (!id) id = String(type === 'error' ? s.id : s.id - 2);
      let p = pairs.get(id);
      if (!p) {
        const created = new Pair(id, o);
        pairs.set(id, created);
        created.onSettled = () => pairs.delete(id);
        p = created;
      }
      p.add(s, type as 'error' | 'data');
    },
    onClose() {
      for (const p of pairs.values()) p.abandon();
      pairs.clear();
    },
  };
}

class Pair {
  onSettled: () => void = () => {};
  private data: SpdyStream | undefined;
  private error: SpdyStream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private release: (() => void) | undefined;
  private sock: net.Socket | undefined;
  private connected = false;
  private clientEnded = false;
  private finished = false;

  constructor(
    private readonly requestId: string,
    private readonly o: PortForwardOptions,
  ) {
    this.timer = setTimeout(() => this.timedOut(), o.streamCreationTimeoutMs ?? DEFAULT_CREATION_TIMEOUT_MS);
    this.timer.unref();
  }

  add(s: SpdyStream, type: 'error' | 'data'): void {
    if ((type === 'error' && this.error) || (type === 'data' && this.data)) {
      this.printError(`error processing stream for request ${this.requestId}: ${type} stream already assigned`);
      s.resetStream(RST.Cancel);
      return;
    }
    if (type === 'error') {
      this.error = s;
      // kubectl half-closes its error stream at once; nothing it sends there means anything.
      s.onReset = () => {};
    } else {
      this.data = s;
      s.onData = (b) => this.fromClient(b);
      s.onEnd = () => {
        this.clientEnded = true;
        if (this.connected && !this.pending.length) this.sock?.end();
      };
      s.onReset = () => this.finish();
    }
    if (this.data && this.error) {
      clearTimeout(this.timer);
      this.onSettled();
      void this.forward();
    }
  }

  /** The connection went away: drop everything at once. */
  abandon(): void {
    clearTimeout(this.timer);
    this.finish();
  }

  private timedOut(): void {
    if (this.data && this.error) return;
    this.onSettled();
    this.printError(`(conn=spdy, request=${this.requestId}) timed out waiting for streams`);
    this.finish();
  }

  private printError(msg: string): void {
    this.error?.write(Buffer.from(msg, 'utf8'));
  }

  private fromClient(b: Buffer): void {
    const sock = this.sock;
    if (this.connected && sock && !this.pending.length) {
      if (!sock.write(b) && !this.release) {
        // The pod reads slower than the client writes: stop reading the client meanwhile.
        this.release = this.data!.hold();
        sock.once('drain', () => this.unhold());
      }
      return;
    }
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.pendingBytes > PENDING_HIGH_WATER && !this.release) this.release = this.data!.hold();
  }

  private unhold(): void {
    const r = this.release;
    this.release = undefined;
    r?.();
  }

  private async forward(): Promise<void> {
    const port = Number(this.data!.header('port'));
    const fail = (reason: string) => {
      if (this.finished) return;
      this.printError(`error forwarding port ${port} to pod ${this.o.sandboxId}, uid : ${reason}`);
      this.finish();
    };
    let ep: PodEndpoint;
    try {
      ep = await this.o.resolve();
    } catch (e) {
      return fail((e as Error).message);
    }
    if (this.finished) return;
    if ('error' in ep) return fail(ep.error);
    const sock = net.connect({ host: ep.ip, port, allowHalfOpen: true });
    this.sock = sock;
    sock.setNoDelay(true);
    sock.setTimeout(this.o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, () => fail(`failed to connect to ${ep.ip}:${port} on the pod network: dial tcp4 ${ep.ip}:${port}: i/o timeout`));
    sock.once('connect', () => {
      sock.setTimeout(0);
      this.connected = true;
      for (const b of this.pending.splice(0)) sock.write(b);
      this.pendingBytes = 0;
      if (sock.writableNeedDrain) sock.once('drain', () => this.unhold());
      else this.unhold();
      if (this.clientEnded) sock.end();
    });
    sock.on('data', (b: Buffer) => {
      const data = this.data!;
      if (!data.write(b)) {
        // The client is not reading: leave the rest in the pod's socket until it does.
        sock.pause();
        data.onceDrain(() => sock.resume());
      }
    });
    // The pod closed its side: pass the half-close on (kubectl then ends the connection).
    sock.on('end', () => this.data?.end());
    sock.on('error', (e: NodeJS.ErrnoException) => fail(this.connected ? e.message : `failed to connect to ${ep.ip}:${port} on the pod network: ${e.message}`));
    sock.on('close', () => this.finish());
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    this.pending = [];
    this.unhold();
    this.sock?.destroy();
    this.data?.end();
    this.error?.end();
  }
}
