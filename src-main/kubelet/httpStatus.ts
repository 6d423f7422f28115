import http from 'node:http';
import type { Duplex } from 'node:stream';
import { QueryParamError } from '../api/queryParams.js';
import type { Status } from '../api/types.js';
import { isDockerNotFound } from './runtime.js';
import { errorMessage } from '../api/errors.js';

// How the kubelet's server refuses a request: always a metav1.Status, whichever way the answer
// leaves (an HTTP response, or raw bytes on a socket for a refused WebSocket upgrade and for a
// request Node's parser rejected before any handler ran). Everything any pod can send is the
// client's mistake (4xx); a 500 is left for the kubelet's own failures (Docker unreachable), and no
// answer carries a stack.

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  408: 'Timeout',
  413: 'RequestEntityTooLarge',
  422: 'Invalid',
  500: 'InternalError',
};

export class KubeletError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: Status['details'],
  ) {
    super(message);
  }

  get status(): Status {
    // metav1.Status's field order, as kube writes it: details before code.
    const reason = REASONS[this.code] ?? (this.code < 500 ? 'BadRequest' : 'InternalError');
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason, ...(this.details ? { details: this.details } : {}), code: this.code };
  }

  get body(): string {
    return `${JSON.stringify(this.status)}\n`;
  }
}

/** Any failure on the request path as the Status to answer with. */
export function toKubeletError(e: unknown): KubeletError {
  if (e instanceof KubeletError) return e;
  if (e instanceof QueryParamError) return new KubeletError(400, e.message);
  // The container went away between the lookup and the Docker call.
  if (isDockerNotFound(e)) return new KubeletError(404, (e as Error).message);
  return new KubeletError(500, errorMessage(e));
}

export function sendStatus(res: http.ServerResponse, e: KubeletError): void {
  if (res.headersSent) {
    // A streamed answer already started: all that is left is to end it.
    res.end();
    return;
  }
  res.writeHead(e.code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(e.body) });
  res.end(e.body);
}

/** Writes a whole HTTP response with a Status on a socket no ServerResponse owns, then closes it. */
export function writeRawStatus(socket: Duplex, e: KubeletError): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const head = `HTTP/1.1 ${e.code} ${http.STATUS_CODES[e.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(e.body)}\r\nConnection: close\r\n\r\n`;
  socket.end(head + e.body);
}

/** The codes Node itself would answer a request it could not parse with (its defaultClientError). */
function clientErrorCode(err: NodeJS.ErrnoException): number {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
}

/**
 * The server's 'clientError' handler: a request line or headers Node could not parse (an unknown
 * method, garbage bytes, headers over the size limit, a client too slow to send them). Node would
 * answer with an empty body; this answers with a Status. Like Node, it writes nothing once an
 * in-flight response on that connection has started, as that would corrupt it.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // `_httpMessage` is how Node links a connection to its in-flight response (the same check its
  // own default handler makes).
  const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const code = clientErrorCode(err);
  // The parser's own wording (e.g. "Parse Error: Invalid method encountered"), never a stack.
  const reason = (err as { reason?: string }).reason;
  writeRawStatus(socket, new KubeletError(code, code === 431 ? 'request header fields too large' : code === 408 ? 'request timeout' : `malformed HTTP request${reason ? `: ${reason}` : ''}`));
}
