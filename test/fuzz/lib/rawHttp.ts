import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';

// A deliberately dumb HTTP/1.1 client for the fuzz tests: it writes exactly the bytes it is given
// (node:http and fetch refuse malformed request lines, bad methods, duplicate or absurd headers)
// on a fresh connection, and reads back one response (Content-Length, chunked, or up to the close),
// with a deadline. It never throws: transport problems come back in `error`.

export interface Target {
  host: string;
  port: number;
  /** PEM CA for TLS; plain TCP without it (the kubelet's server in tests). */
  ca?: string;
}

export interface RawRequest {
  method: string;
  /** The request target exactly as written on the request line. */
  target: string;
  /** In order, duplicates allowed; a Host header is added unless one is given. */
  headers: [string, string][];
  body?: Buffer;
  /** Write the body length header (default: when there is a body and none is given). */
  autoLength?: boolean;
  /** The whole request as bytes instead (malformed request lines); method/target are then labels. */
  raw?: Buffer;
  /** Half-close our side after writing (for requests that are deliberately incomplete). */
  endAfterWrite?: boolean;
}

export interface RawResponse {
  /** 0 when no status line arrived. */
  status: number;
  headers: Record<string, string[]>;
  body: Buffer<ArrayBufferLike>;
  /** Time to the end of the response head, ms (undefined: none arrived). */
  headMs?: number;
  totalMs: number;
  /** How the exchange ended. */
  outcome: 'complete' | 'closed' | 'deadline' | 'stream-cut' | 'upgraded' | 'error';
  error?: string;
}

export function buildRequest(r: RawRequest, host: string): Buffer {
  if (r.raw) return r.raw;
  const lines = [`${r.method} ${r.target} HTTP/1.1`];
  const names = new Set(r.headers.map(([n]) => n.toLowerCase()));
  if (!names.has('host')) lines.push(`Host: ${host}`);
  for (const [n, v] of r.headers) lines.push(`${n}: ${v}`);
  if (r.body && r.autoLength !== false && !names.has('content-length') && !names.has('transfer-encoding')) lines.push(`Content-Length: ${r.body.length}`);
  if (!names.has('connection')) lines.push('Connection: close');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return r.body ? Buffer.concat([head, r.body]) : head;
}

interface Parsed {
  status: number;
  headers: Record<string, string[]>;
  bodyStart: number;
}

function parseHead(buf: Buffer): Parsed | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? '');
  const headers: Record<string, string[]> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const k = l.slice(0, i).trim().toLowerCase();
    (headers[k] ??= []).push(l.slice(i + 1).trim());
  }
  return { status: m ? Number(m[1]) : 0, headers, bodyStart: end + 4 };
}

/** Decodes a chunked body; `done` once the last chunk arrived. */
function dechunk(b: Buffer): { body: Buffer; done: boolean } {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const nl = b.indexOf('\r\n', i);
    if (nl < 0) return { body: Buffer.concat(parts), done: false };
    const size = parseInt(b.subarray(i, nl).toString('latin1').split(';')[0]!, 16);
    if (Number.isNaN(size)) return { body: Buffer.concat(parts), done: true };
    if (size === 0) return { body: Buffer.concat(parts), done: true };
    if (b.length < nl + 2 + size + 2) return { body: Buffer.concat(parts), done: false };
    parts.push(b.subarray(nl + 2, nl + 2 + size));
    i = nl + 2 + size + 2;
  }
}

export interface SendOptions {
  /** Give up (and destroy the connection) after this long. */
  deadlineMs: number;
  /** For a streamed 200 (watch, log follow): stop reading this long after the head, not a failure. */
  streamCutMs?: number;
  /** HEAD: the response has no body whatever its headers say. */
  noBody?: boolean;
}

export function sendRaw(t: Target, req: RawRequest, o: SendOptions): Promise<RawResponse> {
  const bytes = buildRequest(req, `${t.host}:${t.port}`);
  const noBody = o.noBody ?? req.method === 'HEAD';
  return new Promise((resolve) => {
    const t0 = performance.now();
    let buf: Buffer<ArrayBufferLike> = Buffer.alloc(0);
    let parsed: Parsed | undefined;
    let headMs: number | undefined;
    let settled = false;
    let cutTimer: NodeJS.Timeout | undefined;
    const sock: net.Socket = t.ca
      ? tls.connect({ host: t.host, port: t.port, ca: t.ca })
      : net.connect({ host: t.host, port: t.port });
    const finish = (outcome: RawResponse['outcome'], error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (cutTimer) clearTimeout(cutTimer);
      sock.destroy();
      let body = parsed ? buf.subarray(parsed.bodyStart) : Buffer.alloc(0);
      if (parsed && (parsed.headers['transfer-encoding'] ?? []).some((v) => /chunked/i.test(v))) body = dechunk(body).body;
      resolve({ status: parsed?.status ?? 0, headers: parsed?.headers ?? {}, body, headMs, totalMs: performance.now() - t0, outcome, ...(error ? { error } : {}) });
    };
    const deadline = setTimeout(() => finish('deadline'), o.deadlineMs);
    const check = () => {
      while (!parsed) {
        const head = parseHead(buf);
        if (!head) return;
        // Interim answers (100 Continue, 102, 103) precede the real one: skip them.
        if (head.status >= 100 && head.status < 200 && head.status !== 101) {
          buf = buf.subarray(head.bodyStart);
          continue;
        }
        parsed = head;
        headMs = performance.now() - t0;
        if (parsed.status === 101) return finish('upgraded');
        const chunked = (parsed.headers['transfer-encoding'] ?? []).some((v) => /chunked/i.test(v));
        if (chunked && parsed.status === 200 && o.streamCutMs !== undefined) cutTimer = setTimeout(() => finish('stream-cut'), o.streamCutMs);
      }
      const p = parsed;
      if (noBody || p.status === 204 || p.status === 304) return finish('complete');
      const rest = buf.subarray(p.bodyStart);
      const cl = p.headers['content-length']?.[0];
      if ((p.headers['transfer-encoding'] ?? []).some((v) => /chunked/i.test(v))) {
        if (dechunk(rest).done) finish('complete');
      } else if (cl !== undefined && rest.length >= Number(cl)) finish('complete');
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      check();
    });
    sock.on('end', () => finish('closed'));
    sock.on('close', () => finish('closed'));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      // A reset after a complete answer is the server closing early (e.g. a 413 before the
      // whole body was read): keep what arrived.
      if (parsed) finish('closed', e.code ?? e.message);
      else finish('error', e.code ?? e.message);
    });
    sock.once(t.ca ? 'secureConnect' : 'connect', () => {
      sock.write(bytes, (err) => {
        if (err) return; // reported through 'error'
        if (req.endAfterWrite) sock.end();
      });
    });
  });
}

/** The response body parsed as JSON, or undefined. */
export function jsonOf(r: RawResponse): unknown {
  try {
    return JSON.parse(r.body.toString('utf8'));
  } catch {
    return undefined;
  }
}
