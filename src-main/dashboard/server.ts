import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { IPC_CHANNELS, uiApiPath, type IpcChannel, type IpcEnvelope } from '../desktop/ipcChannels.js';
import { silentLogger, type Logger } from '../api/log.js';
import { dispatch, type IpcHandlers } from './channelDispatch.js';
import { cookieName, cookieValue, fetchSiteAllowed, hostAllowed, newSecret, originAllowed, secretMatches, sessionCookie } from './access.js';
import { contentTypeOf, lookupStatic } from './staticFiles.js';

// Headless mode's transport: the built renderer and the bridge's channels over HTTP on loopback,
// for the local user only. Every request passes, in order: the Host check (DNS rebinding), the
// per-run secret (cookie, or `?token=` once), and for POSTs and WebSocket upgrades the Origin
// and Sec-Fetch-Site checks (another site's page). Refusals carry no content beyond a status line.

/** Where WebSocket streams will be served; an upgrade anywhere else is refused. */
export const UI_WS_PATH = '/ui-ws';
/** The largest /ui-api request body: channel payloads are small (forms, names), never files. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * The page's Content-Security-Policy: the policy of the renderer's own meta tag (index.html, the
 * one Electron enforces) narrowed to headless mode, where the page talks to nothing but this
 * server, plus what only a header can say (frame-ancestors). Both apply, so the stricter wins.
 */
export const HEADLESS_CSP = "default-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': HEADLESS_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export interface DashboardServerOptions {
  /** Loopback port; 0 picks a free one. */
  port: number;
  handlers: IpcHandlers;
  /** The built renderer (out/renderer). If it has no index.html, pages answer 503 saying how to build it. */
  rendererDir: string;
  /** The per-run secret; a new random one by default. */
  secret?: string;
  /**
   * Takes an upgrade to UI_WS_PATH that passed every check (e.g. ws's handleUpgrade). Without it,
   * such an upgrade is answered 404: nothing streams over WebSocket yet.
   */
  onUpgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
  maxBodyBytes?: number;
  log?: Logger;
}

export interface DashboardServer {
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The URL to open: the origin with `?token=<secret>`, which trades itself for the session cookie. */
  url: string;
  secret: string;
  close(): Promise<void>;
}

/** Refusal statuses and their one-line bodies: nothing about the dashboard leaks to whoever is refused. */
const REFUSALS = {
  400: 'Bad Request',
  401: 'Unauthorized: open the URL that `flotilla up` printed (`flotilla dashboard` prints it again)',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type: send application/json',
  421: 'Misdirected Request: use http://127.0.0.1 or http://localhost with this port',
  500: 'Internal Server Error',
} as const;
type RefusalStatus = keyof typeof REFUSALS;

class Refused extends Error {
  constructor(readonly status: RefusalStatus) {
    super(REFUSALS[status]);
  }
}

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Flotilla: dashboard not built</title></head>
<body><h1>The dashboard is not built</h1><p>This checkout has no built renderer (out/renderer). Run <code>npm run build</code>
(or <code>npm run build:app</code>), then reload this page. The cluster itself is running.</p></body></html>
`;

export async function startDashboardServer(o: DashboardServerOptions): Promise<DashboardServer> {
  const secret = o.secret ?? newSecret();
  const log = (o.log ?? silentLogger).with('dashboard');
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const pathToChannel = new Map<string, IpcChannel>(IPC_CHANNELS.map((c) => [uiApiPath(c), c]));
  let port = o.port;

  const server = http.createServer({ requireHostHeader: true }, (req, res) => {
    serve(req, res).catch((err: unknown) => {
      const status = err instanceof Refused ? err.status : 500;
      if (status === 500) log.error('request failed', { err: err instanceof Error ? err.message : String(err), path: req.url });
      refuse(res, status);
    });
  });
  // A request line or header the parser cannot read: one status line, then the socket is closed.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      const { path: reqPath } = checkAccess(req);
      checkSameOrigin(req);
      if (reqPath !== UI_WS_PATH || !o.onUpgrade) throw new Refused(404);
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      o.onUpgrade(req, socket, head);
    } catch (err) {
      const status = err instanceof Refused ? err.status : 500;
      socket.end(`HTTP/1.1 ${status} ${REFUSALS[status].split(':')[0]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
  });

  /** Host, then the secret. Returns the path (still percent-encoded) and the query. */
  function checkAccess(req: http.IncomingMessage): { path: string; query: URLSearchParams; byToken: boolean } {
    // Node keeps the first of several Host headers; a proxy in between may keep another (RFC 9112 says 400).
    if (req.rawHeaders.filter((_, i) => i % 2 === 0 && /^host$/i.test(req.rawHeaders[i]!)).length !== 1) throw new Refused(400);
    if (!hostAllowed(req.headers.host, port)) throw new Refused(421);
    const target = req.url ?? '';
    // Only origin-form targets (`/path?query`): an absolute URL or `*` is not for this server.
    if (!target.startsWith('/')) throw new Refused(400);
    const q = target.indexOf('?');
    const reqPath = q < 0 ? target : target.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    const byCookie = secretMatches(secret, cookieValue(req.headers.cookie, cookieName(port)));
    const byToken = secretMatches(secret, query.get('token') ?? undefined);
    if (!byCookie && !byToken) throw new Refused(401);
    return { path: reqPath, query, byToken };
  }

  function checkSameOrigin(req: http.IncomingMessage): void {
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if (!fetchSiteAllowed(typeof site === 'string' ? site : undefined)) throw new Refused(403);
    if (!originAllowed(origin, req.headers.host ?? '')) throw new Refused(403);
  }

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { path: reqPath, query, byToken } = checkAccess(req);
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    if (byToken && isRead) {
      // The secret leaves the address bar (and the history) at once: a cookie carries it from now on.
      query.delete('token');
      const rest = query.toString();
      const safePath = /^\/(?![/\\])[^\\]*$/.test(reqPath) ? reqPath : '/';
      res.writeHead(303, { ...SECURITY_HEADERS, 'Set-Cookie': sessionCookie(port, secret), Location: rest ? `${safePath}?${rest}` : safePath, 'Cache-Control': 'no-store', 'Content-Length': '0' });
      res.end();
      return;
    }
    if (reqPath === '/ui-api' || reqPath.startsWith('/ui-api/')) return serveChannel(req, res, reqPath);
    if (!isRead) {
      res.setHeader('Allow', 'GET, HEAD');
      throw new Refused(405);
    }
    return serveStatic(req, res, reqPath);
  }

  async function serveChannel(req: http.IncomingMessage, res: http.ServerResponse, reqPath: string): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      throw new Refused(405);
    }
    checkSameOrigin(req);
    const body = await readBody(req, res, maxBody);
    let payload: unknown;
    if (body.length > 0) {
      // JSON only: a cross-site form cannot send it without a preflight, which this server never grants.
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') throw new Refused(415);
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        return sendEnvelope(res, 400, { error: { name: 'SyntaxError', message: 'the request body is not JSON' } });
      }
    }
    const channel = pathToChannel.get(reqPath);
    if (!channel) return sendEnvelope(res, 404, { error: { name: 'Error', message: `no channel at ${reqPath}` } });
    const { envelope, failedAt } = await dispatch(o.handlers, channel, payload);
    // A handler's failure is the call's outcome, carried like IPC carries it; bad input is the caller's.
    sendEnvelope(res, failedAt === 'parse' ? 400 : failedAt === 'channel' ? 404 : 200, envelope);
  }

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, reqPath: string): Promise<void> {
    if (!fs.existsSync(path.join(o.rendererDir, 'index.html'))) {
      res.writeHead(503, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(NOT_BUILT_PAGE) });
      res.end(req.method === 'HEAD' ? undefined : NOT_BUILT_PAGE);
      return;
    }
    const found = lookupStatic(o.rendererDir, reqPath);
    if ('refused' in found) throw new Refused(400);
    if ('missing' in found) throw new Refused(404);
    // Vite's assets/ names carry a content hash; index.html must be asked for again each time.
    const cache = reqPath.startsWith('/assets/') ? 'private, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': contentTypeOf(found.file), 'Content-Length': found.size, 'Cache-Control': cache });
    if (req.method === 'HEAD') return void res.end();
    await new Promise<void>((resolve) => {
      const stream = fs.createReadStream(found.file);
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      stream.on('end', resolve);
      stream.pipe(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as { port: number }).port;
  server.on('error', (err) => log.error('server error', { err: err.message }));
  const origin = `http://127.0.0.1:${port}`;
  return {
    port,
    origin,
    url: `${origin}/?token=${secret}`,
    secret,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of upgraded) s.destroy();
      }),
  };
}

function refuse(res: http.ServerResponse, status: RefusalStatus): void {
  if (res.headersSent) return void res.destroy();
  const body = `${status} ${REFUSALS[status]}\n`;
  const allow = res.getHeader('Allow');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...(allow ? { Allow: allow } : {}),
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
    // After a refused body (413) or a refusal of any kind, the connection is not worth keeping.
    Connection: 'close',
  });
  res.end(body);
}

function sendEnvelope(res: http.ServerResponse, status: number, envelope: IpcEnvelope<unknown>): void {
  const body = JSON.stringify(envelope);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The whole body, or a 413 refusal as soon as it is known to be too large. */
async function readBody(req: http.IncomingMessage, res: http.ServerResponse, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw new Refused(413);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > max) throw new Refused(413);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof Refused) throw err;
    // The client went away mid-body: nobody is left to answer.
    res.destroy();
    throw new Refused(400);
  }
  return Buffer.concat(chunks);
}
