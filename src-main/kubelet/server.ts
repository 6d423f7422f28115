import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { WebSocketServer, type WebSocket } from 'ws';
import { KubeletError, answerClientError, sendStatus, toKubeletError, writeRawStatus } from './httpStatus.js';
import { parseRequestTarget } from '../api/requestTarget.js';
import { closeServer, trackConnections, type ServerConnections } from '../api/serverConnections.js';
import { containerRef, logOptions, streamOptions, type ContainerRef, type StreamOptions } from './requestParams.js';
import { Demuxer } from './streams.js';
import { portForwardHandlers, type PodEndpoint } from './portForward.js';
import { spdyOverSocket, spdyOverWebSocket } from './spdy/transports.js';
import { openNodePortTunnel, tunnelRoute, type NodePortTunnelOptions } from './nodePortTunnel.js';
import { NODE_PORT_TUNNEL_PROTOCOL } from '../api/nodePortTunnel.js';

// The kubelet's own server (kube's :10250), which the API server proxies pods/log, pods/exec and
// pods/attach to. Plain HTTP by default (HTTPS with `tls`), on the project's Docker network.
// Every request except /healthz must carry `Authorization: Bearer <token>` with the shared token
// the kubelet was started with (401 otherwise).
//
// Every pod can reach every kubelet, so no request, however malformed, may crash or stall this
// process: every refusal is a metav1.Status (httpStatus.ts), request targets and queries are read
// without anything that throws (requestParams.ts), every socket and WebSocket has an 'error'
// listener, and output is paced by what the client reads.
//
//   GET /healthz
//       "ok"; no authentication (for the cluster manager's readiness checks).
//
//   GET /containerLogs/<namespace>/<pod>/<container>
//       ?follow=true&previous=true&tailLines=N&timestamps=true&sinceSeconds=N&sinceTime=RFC3339&limitBytes=N
//       (booleans and integers read as kube's parameter codec reads them: a value that does not
//       parse is a 400, one out of range a 422, as kube's kubelet answers)
//       200 text/plain: the container's stdout and stderr interleaved as written (Docker's
//       multiplexed stream, demultiplexed), kube's format with timestamps=true
//       ("<RFC3339Nano> <line>"); `follow` streams until the container exits or the client
//       goes away; `previous` reads the instance before the current one. Errors are a
//       metav1.Status (404 unknown pod/container, 400 no previous instance).
//
//   GET /exec/<namespace>/<pod>/<container>?command=a&command=b&stdin=true&stdout=true&stderr=true&tty=true
//   GET /exec/<namespace>/<pod>/<uid>/<container>?...
//       WebSocket upgrade with Sec-WebSocket-Protocol v5.channel.k8s.io (also v4.channel.k8s.io),
//       i.e. exactly what kubectl and client-node speak to the API server, so the API server can
//       relay the upgraded connection byte for byte. Binary frames start with a channel byte:
//       0 stdin (client->kubelet), 1 stdout, 2 stderr, 3 status (one JSON metav1.Status at the
//       end: Success, or Failure/NonZeroExitCode with details.causes[{reason:"ExitCode"}]),
//       4 resize ({"Width":w,"Height":h}), 255 close (v5: [255,0] closes stdin).
//       Bridged to `docker exec` (with a TTY when tty=true). After the status the kubelet closes
//       the connection at once, as kube's wsstream does, without waiting for the client's close.
//
//   GET /attach/<namespace>/<pod>/<container>?stdin=true&stdout=true&stderr=true&tty=true
//       The same protocol bridged to `docker attach`; the status arrives when the container exits.
//
//   POST|GET /portForward/<namespace>/<pod>[/<uid>]
//       Port-forward (portForward.ts), SPDY/3.1 either way kubectl 1.32 asks for it: an upgrade
//       to SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`;
//       answered 101 with the negotiated protocol, or 403 when the client offers only others),
//       or a WebSocket with subprotocol SPDY/3.1+portforward.k8s.io carrying the SPDY bytes in
//       binary messages (spdy/transports.ts). A pod this kubelet does not run is a 404.
//   GET /tunnel/<nodePort>   (Connection: Upgrade, Upgrade: flotilla-tunnel)
//       A raw TCP stream to <node IP>:<nodePort> after a 101, for the control plane's service load
//       balancer (nodePortTunnel.ts; the wire: api/nodePortTunnel.ts). Ports outside the NodePort
//       range are refused (403); a port nobody answers on is a 503.

export interface LookupResult {
  id: string;
  tty: boolean;
  running: boolean;
}

export interface KubeletServerOptions {
  /** 10250 in a node container; 0 picks a free port (tests). */
  port: number;
  host?: string;
  /** Shared secret the API server presents as a bearer token. Without it every request is accepted. */
  token?: string;
  tls?: { cert: string; key: string };
  docker: Dockerode;
  lookup(namespace: string, pod: string, container: string, previous: boolean): Promise<LookupResult | { error: string; code: number }>;
  /** The running sandbox of a pod (port-forward); without it port-forward is not served. */
  podSandbox?(namespace: string, pod: string, uid: string | undefined): Promise<{ uid: string; sandboxId: string } | { error: string; code: number }>;
  /** Where a sandbox is on the cluster network, looked up for every forwarded connection. */
  sandboxEndpoint?(uid: string, sandboxId: string): Promise<PodEndpoint>;
  /** Serves the NodePort tunnel; without it /tunnel is a 404. */
  tunnel?: NodePortTunnelOptions;
}

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

/** Port-forward's protocol (kube's portforward.k8s.io), and its name as a WebSocket subprotocol tunnelling SPDY. */
const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
const PORT_FORWARD_TUNNEL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/**
 * The largest tunnel message accepted: client-go writes each SPDY frame header and payload as a
 * message of its own, payloads in kubectl's 32 KiB copy buffers.
 */
const MAX_TUNNEL_MESSAGE_BYTES = 4 << 20;

/** The largest WebSocket message a client may send: x/net/websocket's default, which kube's wsstream uses (ws would take 100 MiB). */
const MAX_MESSAGE_BYTES = 32 << 20;

/**
 * Output the kubelet holds for a client that is not reading (and stdin it holds before Docker's
 * exec exists): past this, the source is paused until the other side drains, so a client that
 * never reads costs a paused process, not the kubelet's memory.
 */
const HIGH_WATER_BYTES = 1 << 20;

type Session = { kind: 'exec'; command: string[] } | { kind: 'attach' };

export class KubeletServer {
  private server: http.Server | https.Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, handleProtocols: (protocols) => PROTOCOLS.find((p) => protocols.has(p)) ?? false });
  private readonly tunnels = new WebSocketServer({ noServer: true, maxPayload: MAX_TUNNEL_MESSAGE_BYTES });
  private connections: ServerConnections | undefined;

  constructor(private readonly o: KubeletServerOptions) {
    // ws refuses a malformed handshake itself (bad Sec-WebSocket-Key, version or protocol header);
    // with this listener the refusal is a Status instead of ws's plain text.
    this.wss.on('wsClientError', (err: Error, socket: Duplex) => writeRawStatus(socket, new KubeletError(400, err.message)));
    this.tunnels.on('wsClientError', (err: Error, socket: Duplex) => writeRawStatus(socket, new KubeletError(400, err.message)));
    // The tunnel's subprotocol has a "/" and a "+", which RFC 6455's token grammar (and so ws's
    // parser) does not allow; Go's gorilla/websocket takes it. portForward() checks the header and
    // removes it before ws sees it, and the answer names the protocol here.
    this.tunnels.on('headers', (headers: string[]) => headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL}`));
  }

  get port(): number | undefined {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a?.port;
  }

  async listen(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = this.o.tls ? https.createServer({ cert: this.o.tls.cert, key: this.o.tls.key }, handler) : http.createServer(handler);
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    this.server.on('clientError', answerClientError);
    // An `Expect` other than 100-continue, which Node would answer with an empty 417.
    this.server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => sendStatus(res, new KubeletError(417, `unsupported Expect header ${JSON.stringify(req.headers.expect)}`)));
    this.connections = trackConnections(this.server);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host ?? '0.0.0.0', () => resolve());
    });
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    for (const c of this.tunnels.clients) c.terminate();
    if (this.server && this.connections) await closeServer(this.server, this.connections);
  }

  private authorized(req: http.IncomingMessage): boolean {
    if (!this.o.token) return true;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const a = Buffer.from(m[1]!);
    const b = Buffer.from(this.o.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const { segments, query } = parseRequestTarget(req.url);
      if (segments.length === 1 && segments[0] === 'healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
      }
      if (!this.authorized(req)) throw new KubeletError(401, 'Unauthorized');
      const logs = containerRef(segments, 'containerLogs');
      if (logs) {
        if (req.method !== 'GET') throw new KubeletError(405, `${req.method} is not allowed`);
        return await this.logs(logs, query, res);
      }
      if (this.o.tunnel && tunnelRoute(segments) !== undefined) throw new KubeletError(400, `a tunnel needs Connection: Upgrade and Upgrade: ${NODE_PORT_TUNNEL_PROTOCOL}`);
      if (containerRef(segments, 'exec') || containerRef(segments, 'attach')) throw new KubeletError(400, 'exec and attach need a WebSocket upgrade (Sec-WebSocket-Protocol: v5.channel.k8s.io)');
      if (podRef(segments, 'portForward')) throw new KubeletError(400, `port-forward needs an upgrade to SPDY/3.1 or a WebSocket (Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL})`);
      throw new KubeletError(404, `the kubelet serves no /${segments.join('/')}`);
    } catch (e) {
      sendStatus(res, toKubeletError(e));
    }
  }

  // ---- logs ----

  private async logs(t: ContainerRef, q: URLSearchParams, res: http.ServerResponse): Promise<void> {
    const opts = logOptions(q, t.pod);
    const found = await this.o.lookup(t.namespace, t.pod, t.container, opts.previous);
    if ('error' in found) throw new KubeletError(found.code, found.error);
    const dockerOpts = {
      stdout: true,
      stderr: true,
      timestamps: opts.timestamps,
      ...(opts.tailLines !== undefined ? { tail: opts.tailLines } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
    };
    const container = this.o.docker.getContainer(found.id);
    const limit = opts.limitBytes ?? Infinity;
    let sent = 0;
    /** Writes what fits under limitBytes; false when the client must wait (backpressure). */
    const write = (b: Buffer): boolean => {
      const chunk = b.length > limit - sent ? b.subarray(0, limit - sent) : b;
      sent += chunk.length;
      return chunk.length ? res.write(chunk) : true;
    };
    // Docker answers before the 200 goes out, so a container gone since the lookup is still a 404.
    if (!opts.follow || !found.running) {
      const buf = (await container.logs({ ...dockerOpts, follow: false })) as unknown as Buffer;
      startText(res);
      if (found.tty) write(buf);
      else new Demuxer((_s, p) => void write(p)).push(buf);
      res.end();
      return;
    }
    const stream = (await container.logs({ ...dockerOpts, follow: true })) as NodeJS.ReadableStream & { destroy(): void };
    startText(res);
    await new Promise<void>((resolve) => {
      let done = false;
      let paused = false;
      const finish = () => {
        if (done) return;
        done = true;
        stream.destroy();
        resolve();
      };
      const deliver = (b: Buffer) => {
        if (done) return;
        if (!write(b) && !paused) {
          // The client reads slower than the container writes: let Docker wait, not our memory.
          paused = true;
          stream.pause();
          res.once('drain', () => {
            paused = false;
            stream.resume();
          });
        }
        if (sent >= limit) finish();
      };
      const demux = found.tty ? undefined : new Demuxer((_s, p) => deliver(p));
      stream.on('data', (d: Buffer) => (demux ? demux.push(d) : deliver(d)));
      stream.on('end', finish);
      stream.on('error', finish);
      res.on('close', finish);
    });
    res.end();
  }

  // ---- exec / attach ----

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Node hands an upgrade's socket over without its own 'error' listener: a client that resets
    // the connection while the lookup runs must not become an uncaught exception.
    socket.on('error', () => socket.destroy());
    try {
      const { segments, query } = parseRequestTarget(req.url);
      if (!this.authorized(req)) throw new KubeletError(401, 'Unauthorized');
      const pf = podRef(segments, 'portForward');
      if (pf) return await this.portForward(req, socket, head, pf);
      const tunnelPort = this.o.tunnel ? tunnelRoute(segments) : undefined;
      if (tunnelPort !== undefined) return await openNodePortTunnel(req, socket, head, tunnelPort, this.o.tunnel!);
      const execT = containerRef(segments, 'exec');
      const t = execT ?? containerRef(segments, 'attach');
      if (!t) throw new KubeletError(404, `the kubelet serves no /${segments.join('/')}`);
      if (req.method !== 'GET') throw new KubeletError(405, `${req.method} is not allowed`);
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw new KubeletError(400, 'exec and attach need a WebSocket upgrade (Sec-WebSocket-Protocol: v5.channel.k8s.io)');
      const command = query.getAll('command');
      if (execT && !command.length) throw new KubeletError(400, 'you must specify at least one command for the container');
      const io = streamOptions(query);
      const found = await this.o.lookup(t.namespace, t.pod, t.container, false);
      if ('error' in found) throw new KubeletError(found.code, found.error);
      if (!found.running) throw new KubeletError(400, `container ${t.container} is not running`);
      if (socket.destroyed) return;
      const session: Session = execT ? { kind: 'exec', command } : { kind: 'attach' };
      this.wss.handleUpgrade(req, socket, head, (ws) => this.session(ws, socket, session, found.id, io));
    } catch (e) {
      writeRawStatus(socket, toKubeletError(e));
    }
  }

  // ---- port-forward ----

  private async portForward(req: http.IncomingMessage, socket: Duplex, head: Buffer, t: PodRef): Promise<void> {
    const { podSandbox, sandboxEndpoint } = this.o;
    if (!podSandbox || !sandboxEndpoint) throw new KubeletError(404, 'this kubelet does not serve port-forward');
    if (req.method !== 'GET' && req.method !== 'POST') throw new KubeletError(405, `${req.method} is not allowed`);
    const websocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (!websocket) checkSpdyUpgrade(req);
    const found = await podSandbox(t.namespace, t.pod, t.uid);
    if ('error' in found) throw new KubeletError(found.code, found.error);
    if (socket.destroyed) return;
    const handlers = portForwardHandlers({ sandboxId: found.sandboxId, resolve: () => sandboxEndpoint(found.uid, found.sandboxId) });
    if (websocket) {
      if (!headerValues(req.headers['sec-websocket-protocol']).includes(PORT_FORWARD_TUNNEL)) throw new KubeletError(400, `unable to upgrade: no tunneling spdy protocols provided (Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL})`);
      delete req.headers['sec-websocket-protocol'];
      this.tunnels.handleUpgrade(req, socket, head, (ws) => void spdyOverWebSocket(ws, socket, handlers));
      return;
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
    spdyOverSocket(socket, head, handlers);
  }

  private session(ws: WebSocket, socket: Duplex, what: Session, id: string, io: StreamOptions): void {
    // A protocol error (an unmasked or oversized frame, a bad close code) is the client's: ws has
    // already sent the matching close frame; close the connection at once, as kube's wsstream
    // does when a read fails, instead of waiting for the client's answer.
    ws.on('error', () => closeNow(ws, socket));
    // Clients send stdin right after the upgrade, before Docker's exec exists: keep it.
    const inbox = new Inbox(ws);
    const run = what.kind === 'exec' ? this.bridgeExec(ws, socket, inbox, id, what.command, io) : this.bridgeAttach(ws, socket, inbox, id, io);
    run.catch((e) => finishWs(ws, socket, failure(`${(e as Error).message}`)));
  }

  private async bridgeExec(ws: WebSocket, socket: Duplex, inbox: Inbox, id: string, command: string[], io: StreamOptions): Promise<void> {
    const exec = await this.o.docker.getContainer(id).exec({ Cmd: command, AttachStdin: io.stdin, AttachStdout: io.stdout, AttachStderr: io.stderr, Tty: io.tty });
    const stream = await exec.start({ hijack: true, stdin: io.stdin, Tty: io.tty });
    await bridge(ws, socket, inbox, stream, io, (w, h) => exec.resize({ w, h }).then(() => undefined));
    let code: number | null = null;
    for (let i = 0; i < 40; i++) {
      const info = await exec.inspect();
      if (!info.Running) {
        code = info.ExitCode;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    finishWs(ws, socket, code === 0 || code === null ? success() : nonZero(command, code));
  }

  private async bridgeAttach(ws: WebSocket, socket: Duplex, inbox: Inbox, id: string, io: StreamOptions): Promise<void> {
    const container = this.o.docker.getContainer(id);
    const stream = (await container.attach({ stream: true, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, hijack: true })) as unknown as Duplex;
    const info = await container.inspect();
    // Closing an attach's stdin makes Docker drop the connection with output in flight, so the
    // close only reaches containers that asked for it (stdinOnce), as their stdin then ends anyway.
    await bridge(ws, socket, inbox, stream, { ...io, tty: !!info.Config.Tty, closeStdin: !!info.Config.StdinOnce }, (w, h) => container.resize({ w, h }).then(() => undefined));
    const after = await container.inspect();
    finishWs(ws, socket, after.State.Running || after.State.ExitCode === 0 ? success() : nonZero(['attach'], after.State.ExitCode));
  }
}

interface PodRef {
  namespace: string;
  pod: string;
  uid?: string;
}

/** /<prefix>/<ns>/<pod> or /<prefix>/<ns>/<pod>/<uid> (kube's port-forward routes). */
function podRef(segments: string[], prefix: string): PodRef | undefined {
  if (segments[0] !== prefix) return undefined;
  if (segments.length === 3) return { namespace: segments[1]!, pod: segments[2]! };
  if (segments.length === 4) return { namespace: segments[1]!, pod: segments[2]!, uid: segments[3]! };
  return undefined;
}

/** A header's comma-separated values, over repeated headers. */
function headerValues(h: string | string[] | undefined): string[] {
  return (Array.isArray(h) ? h : [h ?? '']).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/**
 * apimachinery's SPDY upgrade checks: the Connection and Upgrade headers (400 without them), then
 * protocol negotiation (httpstream.Handshake: no X-Stream-Protocol-Version at all is an old client
 * and accepted; versions none of which is portforward.k8s.io are a 403).
 */
function checkSpdyUpgrade(req: http.IncomingMessage): void {
  const connection = (req.headers.connection ?? '').toLowerCase();
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (!connection.includes('upgrade') || !upgrade.includes('spdy/3.1')) throw new KubeletError(400, `unable to upgrade: missing upgrade headers in request: Connection ${JSON.stringify(req.headers.connection ?? '')}, Upgrade ${JSON.stringify(req.headers.upgrade ?? '')}`);
  const offered = headerValues(req.headers['x-stream-protocol-version']);
  if (offered.length && !offered.includes(PORT_FORWARD_PROTOCOL)) throw new KubeletError(403, `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]`);
}

function startText(res: http.ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
}

function success(): string {
  return JSON.stringify({ metadata: {}, status: 'Success' });
}

function failure(message: string): string {
  return JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError' });
}

function nonZero(command: string[], code: number): string {
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

function frame(channel: number, payload: Buffer | string): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Buffer.from([channel]), p]);
}

/** Sends the status on channel 3, then closes the connection. */
function finishWs(ws: WebSocket, socket: Duplex, status: string): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(frame(3, status), () => closeNow(ws, socket));
}

/**
 * Closes a session the way kube's wsstream Conn.Close does: the close frame, then the TCP
 * connection, without waiting for the client's answering close frame (RFC 6455 lets the server
 * close first). ws's own close() would wait for it up to its closeTimeout (30 s), so a client that
 * never answers would hang that long. ws writes the close frame synchronously (no compression is
 * negotiated), so ending the socket right after still delivers it, with everything before it;
 * once that is flushed the socket is destroyed rather than left half-open for the client's FIN.
 */
function closeNow(ws: WebSocket, socket: Duplex): void {
  if (ws.readyState === ws.OPEN) ws.close(1000);
  socket.end(() => socket.destroy());
}

/** Holds a WebSocket's messages until a consumer is attached, then delivers them in order. */
class Inbox {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private held = false;
  private consumer: ((m: Buffer) => void) | undefined;

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buf = isBinary ? data : Buffer.from(data.toString(), 'utf8');
      if (this.consumer) return this.consumer(buf);
      this.pending.push(buf);
      this.pendingBytes += buf.length;
      if (this.pendingBytes > HIGH_WATER_BYTES && !this.held) {
        // Docker's stream is not there yet: stop reading the client rather than buffer without bound.
        this.held = true;
        ws.pause();
      }
    });
  }

  consume(fn: (m: Buffer) => void): void {
    this.consumer = fn;
    // Resume first, so that backpressure the consumer applies while draining the backlog stands.
    if (this.held) {
      this.held = false;
      this.ws.resume();
    }
    for (const m of this.pending.splice(0)) fn(m);
    this.pendingBytes = 0;
  }
}

/** Pumps a hijacked Docker stream to and from a channel-protocol WebSocket until Docker ends it. */
function bridge(ws: WebSocket, socket: Duplex, inbox: Inbox, stream: Duplex, io: { stdin: boolean; tty: boolean; closeStdin?: boolean }, resize: (w: number, h: number) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      resolve();
    };
    let outHeld = false;
    const send = (channel: number, payload: Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frame(channel, payload));
      if (ws.bufferedAmount > HIGH_WATER_BYTES && !outHeld) {
        // The client is not reading: let the process wait on its output until the socket drains.
        outHeld = true;
        stream.pause();
        socket.once('drain', () => {
          outHeld = false;
          stream.resume();
        });
      }
    };
    const demux = io.tty ? undefined : new Demuxer((s, p) => send(s, p));
    stream.on('data', (d: Buffer) => (demux ? demux.push(d) : send(1, d)));
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
    let stdinOpen = io.stdin;
    let inHeld = false;
    inbox.consume((buf) => {
      if (!buf.length) return;
      const ch = buf[0];
      const payload = buf.subarray(1);
      if (ch === 0) {
        if (!stdinOpen || !payload.length) return;
        if (!stream.write(payload) && !inHeld) {
          // The process reads slower than the client writes: stop reading the client meanwhile.
          inHeld = true;
          ws.pause();
          stream.once('drain', () => {
            inHeld = false;
            ws.resume();
          });
        }
      } else if (ch === 4) {
        try {
          const { Width, Height } = JSON.parse(payload.toString('utf8')) as { Width: number; Height: number };
          if (Number.isInteger(Width) && Number.isInteger(Height) && Width > 0 && Height > 0) void resize(Width, Height).catch(() => {});
        } catch {
          /* malformed resize: ignore, as kube does */
        }
      } else if (ch === 255 && payload[0] === 0 && stdinOpen && io.closeStdin !== false) {
        // v5: the client closed stdin. Without a TTY, half-close the hijacked connection (the
        // process reads EOF); with one, Docker would drop the whole connection and the output
        // still in flight, so send the terminal's end-of-file character (Ctrl-D) instead.
        stdinOpen = false;
        if (io.tty) stream.write(Buffer.from([4]));
        else stream.end();
      }
    });
    ws.on('close', () => {
      stream.destroy();
      end();
    });
  });
}
