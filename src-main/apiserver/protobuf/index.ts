// Decoder for `Content-Type: application/vnd.kubernetes.protobuf` request bodies.
//
// Since client-go 1.31, `kubectl create namespace|configmap|secret|service|serviceaccount|deployment|
// ingress ...` POSTs protobuf and does not retry with JSON on 415. The body is the 4-byte magic
// "k8s\0" followed by a runtime.Unknown message:
//   1 typeMeta {1 apiVersion, 2 kind}   2 raw (the object's own protobuf encoding)
//   3 contentEncoding                   4 contentType
// The result is the JSON object a Go client would have sent for the same object.
import protobuf from 'protobufjs/minimal.js';
import { decodeRange, ProtobufDecodeError } from './decode.js';
import { KINDS } from './schema.js';

export { ProtobufDecodeError } from './decode.js';

export const K8S_PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

/** True when the body starts with the Kubernetes protobuf envelope's magic bytes. */
export function isK8sProtobuf(buf: Buffer): boolean {
  return buf.length >= MAGIC.length && buf.subarray(0, MAGIC.length).equals(MAGIC);
}

/** The apiVersion/kind pairs decodeK8sProtobuf understands, e.g. `apps/v1 Deployment`. */
export function supportedProtobufKinds(): string[] {
  return Object.entries(KINDS).flatMap(([apiVersion, kinds]) => Object.keys(kinds).map((k) => `${apiVersion} ${k}`));
}

interface Unknown {
  apiVersion: string;
  kind: string;
  raw?: Buffer;
  contentEncoding: string;
  contentType: string;
}

function readUnknown(r: protobuf.Reader): Unknown {
  const u: Unknown = { apiVersion: '', kind: '', contentEncoding: '', contentType: '' };
  const sub = (): Buffer => {
    const b = r.bytes();
    return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  };
  while (r.pos < r.len) {
    const tag = r.uint32();
    const num = tag >>> 3;
    const wire = tag & 7;
    if (wire !== 2 || num < 1 || num > 4) {
      r.skipType(wire);
      continue;
    }
    const value = sub();
    if (num === 1) {
      const t = protobuf.Reader.create(value);
      while (t.pos < t.len) {
        const tt = t.uint32();
        if ((tt & 7) === 2 && tt >>> 3 === 1) u.apiVersion = t.string();
        else if ((tt & 7) === 2 && tt >>> 3 === 2) u.kind = t.string();
        else t.skipType(tt & 7);
      }
    } else if (num === 2) u.raw = value;
    else if (num === 3) u.contentEncoding = value.toString('utf8');
    else u.contentType = value.toString('utf8');
  }
  return u;
}

/**
 * Decodes the k8s envelope + the object to the same JSON shape kubectl would send as JSON
 * (apiVersion, kind, metadata, spec ...). Throws ProtobufDecodeError for a body that is not
 * valid protobuf and for kinds it doesn't know, naming the kind.
 */
export function decodeK8sProtobuf(buf: Buffer): Record<string, unknown> {
  if (!isK8sProtobuf(buf)) throw new ProtobufDecodeError('body does not start with the Kubernetes protobuf prefix "k8s\\0"');
  try {
    const u = readUnknown(protobuf.Reader.create(buf.subarray(MAGIC.length)));
    if (!u.kind) throw new ProtobufDecodeError('protobuf envelope has no kind');
    if (u.contentEncoding) throw new ProtobufDecodeError(`protobuf envelope content encoding "${u.contentEncoding}" is not supported`);
    if (u.contentType && u.contentType !== K8S_PROTOBUF_CONTENT_TYPE) {
      throw new ProtobufDecodeError(`protobuf envelope content type "${u.contentType}" is not supported`);
    }
    const kinds = Object.hasOwn(KINDS, u.apiVersion) ? KINDS[u.apiVersion] : undefined;
    const message = kinds && Object.hasOwn(kinds, u.kind) ? kinds[u.kind] : undefined;
    if (!message) {
      throw new ProtobufDecodeError(
        `protobuf decoding of kind ${u.kind} (apiVersion "${u.apiVersion}") is not supported; send it as application/json`,
      );
    }
    const raw = u.raw ?? Buffer.alloc(0);
    const r = protobuf.Reader.create(raw);
    return { apiVersion: u.apiVersion, kind: u.kind, ...decodeRange(r, r.len, message) };
  } catch (e) {
    if (e instanceof ProtobufDecodeError) throw e;
    // protobufjs throws RangeError/Error for truncated or malformed input.
    throw new ProtobufDecodeError(`malformed protobuf body: ${(e as Error).message}`);
  }
}
