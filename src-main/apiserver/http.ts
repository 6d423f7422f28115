import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, errors, statusJSON } from './status.js';
import { QueryParamError } from '../api/queryParams.js';

// Request and response plumbing shared by every handler: bodies in, JSON out, Status errors.

const MAX_BODY = 3 * 1024 * 1024; // kube-apiserver's default request size limit

/**
 * How deep a JSON or YAML body may nest. Go's decoder stops at 10,000; V8's recursive
 * JSON.stringify and structuredClone overflow their stack near 5,000, so the bound is lower. No
 * object Kubernetes defines nests anywhere near it (a Pod with managedFields is about 20 deep).
 */
export const MAX_DEPTH = 1000;

function tooLarge(): ApiError {
  return new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `Request entity too large: limit is ${MAX_BODY}`, reason: 'RequestEntityTooLarge', code: 413 });
}

/**
 * Reads a request body up to kube's limit. An oversized body is answered with a 413 Status, not a
 * reset: the rest of the body is drained (not kept) so the client can read the answer, and the
 * connection is closed once the answer is out (see sendError).
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > MAX_BODY) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that goes away mid-body: settle, so nothing waits on it forever.
    req.on('close', () => {
      if (!req.complete) reject(errors.badRequest('the request body was not received completely'));
    });
  });
}

/**
 * The deepest nesting of a JSON text, counted without parsing (brackets outside strings), stopping
 * as soon as `limit` is passed: linear, no recursion, so hostile depth costs nothing.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Refuses a JSON body nested deeper than MAX_DEPTH before anything parses or walks it (YAML is
 * bounded where it is read, src-main/api/schema/decode/yaml.ts). Returns the body.
 */
export function guardDepth(buf: Buffer, contentType: string): Buffer {
  if ((contentType === 'application/json' || contentType === '' || contentType.endsWith('patch+json')) && buf.length > MAX_DEPTH * 2) {
    if (jsonDepthExceeds(buf.toString('latin1'), MAX_DEPTH)) throw errors.badRequest(`couldn't get version/kind; json parse error: exceeded max depth of ${MAX_DEPTH}`);
  }
  return buf;
}

export function sendJSON(res: ServerResponse, code: number, body: unknown): void {
  sendRaw(res, code, typeof body === 'string' ? body : JSON.stringify(body));
}

export function sendRaw(res: ServerResponse, code: number, json: string, contentType = 'application/json'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-cache, private' });
  res.end(json);
}

/** The Status for any failure: the client's malformed request line or query is a 400, the rest as thrown. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof QueryParamError) return errors.badRequest(err.message);
  return errors.internal((err as Error)?.message ?? String(err));
}

export function sendError(res: ServerResponse, err: unknown): void {
  const apiErr = toApiError(err);
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = statusJSON(apiErr.status);
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache, private' };
  const req = res.req;
  const unread = req && !req.complete;
  // A body we did not read (413, or a refusal before reading) cannot leave the connection reusable:
  // close it once the answer is out, and only then, so the client reads the Status, not a reset.
  if (unread) headers.Connection = 'close';
  res.writeHead(apiErr.code, headers);
  res.end(req?.method === 'HEAD' ? undefined : body);
  if (unread) {
    req.resume();
    res.once('finish', () => setTimeout(() => req.socket.destroy(), 2000).unref());
  }
}
