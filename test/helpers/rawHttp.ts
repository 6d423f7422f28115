import net from 'node:net';
import tls from 'node:tls';

// Raw HTTP/1.1 over a socket: request lines and bytes that fetch, undici or node:https would refuse
// or normalise (dot segments, `//[`, bad escapes, lying Content-Length) reach the server as written.

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the server closed the connection (rather than the reader giving up). */
  closed: boolean;
  /** The socket ended in an error (e.g. ECONNRESET) instead of a clean close. */
  error?: string;
}

export interface RawTarget {
  host?: string;
  port: number;
  /** TLS (the API server) or plain TCP (the kubelet). */
  tls: boolean;
}

/**
 * Sends `head` (request line and headers, without the final blank line) and `body`, and reads one
 * response. The connection is closed after the response (`Connection: close` is added).
 */
export function rawRequest(t: RawTarget, head: string, body: Buffer | string = '', opts: { timeoutMs?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const host = t.host ?? '127.0.0.1';
    const sock: net.Socket = t.tls ? tls.connect({ host, port: t.port, rejectUnauthorized: false }) : net.connect(t.port, host);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete response within ${opts.timeoutMs ?? 15_000} ms to ${head.split('\r\n')[0]}`));
    }, opts.timeoutMs ?? 15_000);
    sock.on(t.tls ? 'secureConnect' : 'connect', () => {
      const lines = head.replace(/\r?\n$/, '').split(/\r?\n/);
      if (!lines.some((l) => /^connection:/i.test(l))) lines.push('Connection: close');
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (body.length) sock.write(body, () => {});
    });
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => (error = (e as NodeJS.ErrnoException).code ?? e.message));
    sock.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const headText = (split >= 0 ? all.subarray(0, split) : all).toString('latin1');
      const [statusLine, ...hl] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of hl) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      let rawBody: Buffer = split >= 0 ? all.subarray(split + 4) : Buffer.alloc(0);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) rawBody = dechunk(rawBody);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0), headers, body: rawBody.toString('utf8'), closed: true, error });
    });
  });
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const nl = b.indexOf('\r\n', i);
    if (nl < 0) break;
    const size = parseInt(b.subarray(i, nl).toString('latin1'), 16);
    if (!size) break;
    out.push(b.subarray(nl + 2, nl + 2 + size));
    i = nl + 2 + size + 2;
  }
  return Buffer.concat(out);
}
