import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type Dockerode from 'dockerode';
import { WebSocketServer, type WebSocket } from 'ws';
import { Demuxer } from './streams.js';

// The kubelet's own server (kube's :10250), which the API server proxies pods/log, pods/exec and
// pods/attach to. Plain HTTP by default (HTTPS with `tls`), on the project's Docker network.
// Every request except /healthz must carry `Authorization: Bearer <token>` with the shared token
// the kubelet was started with (401 otherwise).
//
//   GET /healthz
//       "ok"; no authentication (for the cluster manager's readiness checks).
//
//   GET /containerLogs/<namespace>/<pod>/<container>
//       ?follow=true&previous=true&tailLines=N&timestamps=true&sinceSeconds=N&sinceTime=RFC3339&limitBytes=N
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
//       Bridged to `docker exec` (with a TTY when tty=true).
//
//   GET /attach/<namespace>/<pod>/<container>?stdin=true&stdout=true&stderr=true&tty=true
//       The same protocol bridged to `docker attach`; the status arrives when the container exits.

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
}

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 404: 'NotFound', 405: 'MethodNotAllowed', 500: 'InternalError' };

function sendStatus(res: http.ServerResponse, code: number, message: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(statusBody(code, REASONS[code] ?? 'InternalError', message));
}

function flag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

/** Splits /<prefix>/<ns>/<pod>/<container> (or /<prefix>/<ns>/<pod>/<uid>/<container>). */
function parseTarget(pathname: string, prefix: string): { namespace: string; pod: string; container: string } | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== prefix) return undefined;
  if (parts.length === 4) return { namespace: parts[1]!, pod: parts[2]!, container: parts[3]! };
  if (parts.length === 5) return { namespace: parts[1]!, pod: parts[2]!, container: parts[4]! };
  return undefined;
}

export class KubeletServer {
  private server: http.Server | https.Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => PROTOCOLS.find((p) => protocols.has(p)) ?? false });
  private readonly sockets = new Set<Socket>();

  constructor(private readonly o: KubeletServerOptions) {}

  get port(): number | undefined {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a?.port;
  }

  async listen(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = this.o.tls ? https.createServer({ cert: this.o.tls.cert, key: this.o.tls.key }, handler) : http.createServer(handler);
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.upgrade(req, socket, head));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.o.port, this.o.host ?? '0.0.0.0', () => resolve());
    });
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
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
    const url = new URL(req.url ?? '/', 'http://kubelet');
    try {
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
      }
      if (!this.authorized(req)) return sendStatus(res, 401, 'Unauthorized');
      const logs = parseTarget(url.pathname, 'containerLogs');
      if (logs) {
        if (req.method !== 'GET') return sendStatus(res, 405, `${req.method} is not allowed`);
        return await this.logs(logs, url.searchParams, res);
      }
      if (parseTarget(url.pathname, 'exec') || parseTarget(url.pathname, 'attach')) return sendStatus(res, 400, 'exec and attach need a WebSocket upgrade (Sec-WebSocket-Protocol: v5.channel.k8s.io)');
      sendStatus(res, 404, `the kubelet serves no ${url.pathname}`);
    } catch (e) {
      sendStatus(res, 500, (e as Error).message);
    }
  }

  // ---- logs ----

  private async logs(t: { namespace: string; pod: string; container: string }, q: URLSearchParams, res: http.ServerResponse): Promise<void> {
    const found = await this.o.lookup(t.namespace, t.pod, t.container, flag(q, 'previous'));
    if ('error' in found) return sendStatus(res, found.code, found.error);
    const follow = flag(q, 'follow') && found.running;
    const tail = q.get('tailLines');
    const sinceSeconds = q.get('sinceSeconds');
    const sinceTime = q.get('sinceTime');
    const limit = q.get('limitBytes') ? Math.max(1, Number(q.get('limitBytes'))) : Infinity;
    const since = sinceSeconds ? Date.now() / 1000 - Number(sinceSeconds) : sinceTime ? Date.parse(sinceTime) / 1000 : undefined;
    const opts = {
      stdout: true,
      stderr: true,
      timestamps: flag(q, 'timestamps'),
      ...(tail !== null && /^\d+$/.test(tail) ? { tail: Number(tail) } : {}),
      ...(since !== undefined && !Number.isNaN(since) ? { since: Math.max(0, Math.floor(since)) } : {}),
    };
    const container = this.o.docker.getContainer(found.id);
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    let sent = 0;
    let done = false;
    const write = (b: Buffer): boolean => {
      if (done) return false;
      const room = limit - sent;
      const chunk = b.length > room ? b.subarray(0, room) : b;
      sent += chunk.length;
      res.write(chunk);
      if (sent >= limit) {
        done = true;
        return false;
      }
      return true;
    };
    if (!follow) {
      const buf = (await container.logs({ ...opts, follow: false })) as unknown as Buffer;
      if (found.tty) write(buf);
      else new Demuxer((_s, p) => void write(p)).push(buf);
      res.end();
      return;
    }
    const stream = (await container.logs({ ...opts, follow: true })) as NodeJS.ReadableStream & { destroy(): void };
    const demux = found.tty ? undefined : new Demuxer((_s, p) => void write(p));
    await new Promise<void>((resolve) => {
      const finish = () => {
        done = true;
        stream.destroy();
        resolve();
      };
      stream.on('data', (d: Buffer) => {
        if (demux) demux.push(d);
        else write(d);
        if (done) finish();
      });
      stream.on('end', finish);
      stream.on('error', finish);
      res.on('close', finish);
    });
    res.end();
  }

  // ---- exec / attach ----

  private async upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const reject = (code: number, message: string) => {
      const body = statusBody(code, REASONS[code] ?? 'InternalError', message);
      socket.end(`HTTP/1.1 ${code} ${http.STATUS_CODES[code]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    };
    try {
      if (!this.authorized(req)) return reject(401, 'Unauthorized');
      const url = new URL(req.url ?? '/', 'http://kubelet');
      const execT = parseTarget(url.pathname, 'exec');
      const attachT = parseTarget(url.pathname, 'attach');
      const t = execT ?? attachT;
      if (!t) return reject(404, `the kubelet serves no ${url.pathname}`);
      const q = url.searchParams;
      const command = q.getAll('command');
      if (execT && !command.length) return reject(400, 'you must specify at least one command for the container');
      const found = await this.o.lookup(t.namespace, t.pod, t.container, false);
      if ('error' in found) return reject(found.code, found.error);
      if (!found.running) return reject(400, `container ${t.container} is not running`);
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const io = { stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr'), tty: flag(q, 'tty') };
        // Clients send stdin right after the upgrade, before Docker's exec exists: keep it.
        const inbox = new Inbox(ws);
        const run = execT ? this.bridgeExec(ws, inbox, found.id, command, io) : this.bridgeAttach(ws, inbox, found.id, io);
        run.catch((e) => finishWs(ws, failure(`${(e as Error).message}`)));
      });
    } catch (e) {
      reject(500, (e as Error).message);
    }
  }

  private async bridgeExec(ws: WebSocket, inbox: Inbox, id: string, command: string[], io: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<void> {
    const exec = await this.o.docker.getContainer(id).exec({ Cmd: command, AttachStdin: io.stdin, AttachStdout: io.stdout, AttachStderr: io.stderr && !io.tty, Tty: io.tty });
    const stream = await exec.start({ hijack: true, stdin: io.stdin, Tty: io.tty });
    await bridge(ws, inbox, stream, io, (w, h) => exec.resize({ w, h }).then(() => undefined));
    let code: number | null = null;
    for (let i = 0; i < 40; i++) {
      const info = await exec.inspect();
      if (!info.Running) {
        code = info.ExitCode;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    finishWs(ws, code === 0 || code === null ? success() : nonZero(command, code));
  }

  private async bridgeAttach(ws: WebSocket, inbox: Inbox, id: string, io: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<void> {
    const container = this.o.docker.getContainer(id);
    const stream = (await container.attach({ stream: true, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, hijack: true })) as unknown as Duplex;
    const info = await container.inspect();
    // Closing an attach's stdin makes Docker drop the connection with output in flight, so the
    // close only reaches containers that asked for it (stdinOnce), as their stdin then ends anyway.
    await bridge(ws, inbox, stream, { ...io, tty: !!info.Config.Tty, closeStdin: !!info.Config.StdinOnce }, (w, h) => container.resize({ w, h }).then(() => undefined));
    const after = await container.inspect();
    finishWs(ws, after.State.Running || after.State.ExitCode === 0 ? success() : nonZero(['attach'], after.State.ExitCode));
  }
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

function finishWs(ws: WebSocket, status: string): void {
  if (ws.readyState !== ws.OPEN) return;
  ws.send(frame(3, status), () => ws.close(1000));
}

/** Holds a WebSocket's messages until a consumer is attached, then delivers them in order. */
class Inbox {
  private readonly pending: Buffer[] = [];
  private consumer: ((m: Buffer) => void) | undefined;

  constructor(ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buf = isBinary ? data : Buffer.from(data.toString(), 'utf8');
      if (this.consumer) this.consumer(buf);
      else this.pending.push(buf);
    });
  }

  consume(fn: (m: Buffer) => void): void {
    this.consumer = fn;
    for (const m of this.pending.splice(0)) fn(m);
  }
}

/** Pumps a hijacked Docker stream to and from a channel-protocol WebSocket until Docker ends it. */
function bridge(ws: WebSocket, inbox: Inbox, stream: Duplex, io: { stdin: boolean; tty: boolean; closeStdin?: boolean }, resize: (w: number, h: number) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      resolve();
    };
    const demux = io.tty ? undefined : new Demuxer((s, p) => ws.readyState === ws.OPEN && ws.send(frame(s, p)));
    stream.on('data', (d: Buffer) => {
      if (demux) demux.push(d);
      else if (ws.readyState === ws.OPEN) ws.send(frame(1, d));
    });
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
    inbox.consume((buf) => {
      if (!buf.length) return;
      const ch = buf[0];
      const payload = buf.subarray(1);
      if (ch === 0 && io.stdin) stream.write(payload);
      else if (ch === 4) {
        try {
          const { Width, Height } = JSON.parse(payload.toString('utf8')) as { Width: number; Height: number };
          if (Width && Height) void resize(Width, Height).catch(() => {});
        } catch {
          /* malformed resize: ignore, as kube does */
        }
      } else if (ch === 255 && payload[0] === 0 && io.stdin && io.closeStdin !== false) {
        // v5: the client closed stdin. Without a TTY, half-close the hijacked connection (the
        // process reads EOF); with one, Docker would drop the whole connection and the output
        // still in flight, so send the terminal's end-of-file character (Ctrl-D) instead.
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
