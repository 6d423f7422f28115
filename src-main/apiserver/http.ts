import type { IncomingMessage, ServerResponse } from 'node:http';
import yaml from 'js-yaml';
import { ApiError, errors } from './status.js';
import { decodeK8sProtobuf, ProtobufDecodeError } from './protobuf/index.js';

// Request and response plumbing shared by every handler: bodies in, JSON out, Status errors.

const MAX_BODY = 3 * 1024 * 1024; // kube-apiserver's default request size limit

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'RequestEntityTooLarge', code: 413, message: 'Request entity too large: limit is 3145728' }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Decodes a JSON, YAML or Kubernetes-protobuf body (kubectl create sends protobuf since 1.31). */
export function decodeBody(buf: Buffer, contentType: string): unknown {
  if (contentType === 'application/vnd.kubernetes.protobuf') {
    try {
      return decodeK8sProtobuf(buf);
    } catch (e) {
      if (e instanceof ProtobufDecodeError) throw errors.unsupportedMediaTypeFor(e.message);
      throw e;
    }
  }
  const text = buf.toString('utf8');
  if (!text.trim()) return undefined;
  if (contentType.includes('yaml')) {
    try {
      return yaml.load(text);
    } catch (e) {
      throw errors.badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

export function sendJSON(res: ServerResponse, code: number, body: unknown): void {
  sendRaw(res, code, typeof body === 'string' ? body : JSON.stringify(body));
}

export function sendRaw(res: ServerResponse, code: number, json: string, contentType = 'application/json'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-cache, private' });
  res.end(json);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const apiErr = err instanceof ApiError ? err : errors.internal((err as Error)?.message ?? String(err));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJSON(res, apiErr.code, apiErr.status);
}
