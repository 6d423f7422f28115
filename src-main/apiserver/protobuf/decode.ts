// Schema-driven protobuf -> JSON decoding for Kubernetes API objects.
//
// The output is what encoding/json prints for the Go struct that k8s.io/api's generated Unmarshal
// fills in from the same bytes (the JSON a Go client would have sent), so the flags in schema.ts
// model omitempty, pointers and value structs. Wire-level reading is protobufjs's Reader.
import protobuf from 'protobufjs/minimal.js';
import { MESSAGES } from './schema.js';
import { nowISO } from '../../api/time.js';

export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';
}

type Reader = protobuf.Reader;
type Json = Record<string, unknown>;

const SCALARS = new Set(['s', 'i32', 'i64', 'b', 'bytes']);
const SPECIAL = new Set(['Q', 'IOS', 'T', 'F']);

interface FieldDef {
  num: number;
  name: string;
  /** `s`, `i32`, `i64`, `b`, `bytes`, `Q`, `IOS`, `T`, `F` or a message name. */
  type: string;
  repeated: boolean;
  map: boolean;
  /** Go pointer (`*`): absent is nil, a zero value on the wire is kept. */
  pointer: boolean;
  /** Keep zero scalars that are on the wire (Go pointer, or no omitempty). */
  keepZero: boolean;
  /** No omitempty: print the Go zero value when absent. */
  always: boolean;
  /** Go value struct: print the zero struct when absent. */
  valueStruct: boolean;
  inline: boolean;
}

interface MessageDef {
  name: string;
  fields: Map<number, FieldDef>;
}

const compiled = new Map<string, MessageDef>();

function parseField(msg: string, num: number, spec: string): FieldDef {
  const m = /^([A-Za-z0-9]*)(?::(\[\]|\{)?([A-Za-z0-9]+)\}?)?([*!~^]*)$/.exec(spec);
  if (!m) throw new Error(`protobuf schema ${msg}.${num}: bad spec "${spec}"`);
  const [, name, prefix, type = 's', flags] = m;
  const def: FieldDef = {
    num,
    name,
    type,
    repeated: prefix === '[]',
    map: prefix === '{',
    pointer: flags.includes('*'),
    keepZero: flags.includes('*') || flags.includes('!'),
    always: flags.includes('!'),
    valueStruct: flags.includes('~'),
    inline: flags.includes('^'),
  };
  if (!SCALARS.has(def.type) && !SPECIAL.has(def.type) && !MESSAGES[def.type]) {
    throw new Error(`protobuf schema ${msg}.${num}: unknown type "${def.type}"`);
  }
  return def;
}

function messageDef(name: string): MessageDef {
  let def = compiled.get(name);
  if (def) return def;
  const spec = MESSAGES[name];
  if (!spec) throw new Error(`protobuf schema: unknown message "${name}"`);
  def = { name, fields: new Map() };
  for (const [num, s] of Object.entries(spec)) def.fields.set(Number(num), parseField(name, Number(num), s));
  compiled.set(name, def);
  return def;
}

/** Message names in the schema (for tests). */
export function messageNames(): string[] {
  return Object.keys(MESSAGES);
}

/** Compiles every message spec, throwing on a malformed one (for tests). */
export function checkSchema(): void {
  for (const name of Object.keys(MESSAGES)) messageDef(name);
}

// ---- wire helpers ----

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  const lb = v as { low: number; high: number };
  return lb.high * 0x1_0000_0000 + (lb.low >>> 0);
}

function expectWire(field: FieldDef, msg: string, got: number, want: number): void {
  if (got !== want) {
    throw new ProtobufDecodeError(`${msg}.${field.name || field.type} (field ${field.num}): wire type ${got}, expected ${want}`);
  }
}

/** Reads a length prefix and returns the end offset of the delimited bytes. */
function delimitedEnd(r: Reader): number {
  const len = r.uint32();
  const end = r.pos + len;
  if (end > r.len) throw new ProtobufDecodeError(`truncated message: ${len} bytes announced at offset ${r.pos}, ${r.len - r.pos} left`);
  return end;
}

function readBytes(r: Reader): Buffer {
  const end = delimitedEnd(r);
  const out = Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, end - r.pos);
  r.pos = end;
  return out;
}

function readString(r: Reader): string {
  return readBytes(r).toString('utf8');
}

function readVarintScalar(r: Reader, type: string): number | boolean {
  switch (type) {
    case 'i32':
      return r.int32();
    case 'i64':
      return toNumber(r.int64());
    case 'b':
      return r.bool();
  }
  throw new ProtobufDecodeError(`not a varint type: ${type}`);
}

/** Walks the fields of a small fixed message up to `end`, skipping those `read` does not consume. */
function readSmall(r: Reader, end: number, read: (num: number, wire: number) => boolean): void {
  while (r.pos < end) {
    const tag = r.uint32();
    if (!read(tag >>> 3, tag & 7)) r.skipType(tag & 7);
  }
  if (r.pos !== end) throw new ProtobufDecodeError('sub-message overran its length');
}

function readQuantity(r: Reader): string {
  const end = delimitedEnd(r);
  let s = '';
  readSmall(r, end, (num, wire) => {
    if (num !== 1 || wire !== WIRE_LEN) return false;
    s = readString(r);
    return true;
  });
  // A zero resource.Quantity prints as "0".
  return s === '' ? '0' : s;
}

function readIntOrString(r: Reader): number | string {
  const end = delimitedEnd(r);
  let type = 0;
  let intVal = 0;
  let strVal = '';
  readSmall(r, end, (num, wire) => {
    if (num === 1 && wire === WIRE_VARINT) type = toNumber(r.int64());
    else if (num === 2 && wire === WIRE_VARINT) intVal = r.int32();
    else if (num === 3 && wire === WIRE_LEN) strVal = readString(r);
    else return false;
    return true;
  });
  return type === 1 ? strVal : intVal;
}

// Go's zero time.Time is 0001-01-01T00:00:00Z.
const GO_ZERO_TIME_UNIX = -62135596800;

function readTime(r: Reader): string | null {
  const end = delimitedEnd(r);
  if (end === r.pos) return null; // a zero metav1.Time marshals to no bytes
  let seconds = 0;
  readSmall(r, end, (num, wire) => {
    if (num === 1 && wire === WIRE_VARINT) seconds = toNumber(r.int64());
    else return false; // nanos (2) are dropped by metav1.Time, which has second precision
    return true;
  });
  if (seconds === GO_ZERO_TIME_UNIX) return null;
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) throw new ProtobufDecodeError(`time out of range: ${seconds}s`);
  return nowISO(d);
}

function readFieldsV1(r: Reader): unknown {
  const end = delimitedEnd(r);
  let raw: Buffer | undefined;
  readSmall(r, end, (num, wire) => {
    if (num !== 1 || wire !== WIRE_LEN) return false;
    raw = readBytes(r);
    return true;
  });
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ProtobufDecodeError('managedFields.fieldsV1 is not valid JSON');
  }
}

/** Reads one length-delimited value of a non-scalar type. */
function readLenValue(r: Reader, type: string): unknown {
  switch (type) {
    case 's':
      return readString(r);
    case 'bytes':
      return readBytes(r).toString('base64');
    case 'Q':
      return readQuantity(r);
    case 'IOS':
      return readIntOrString(r);
    case 'T':
      return readTime(r);
    case 'F':
      return readFieldsV1(r);
  }
  const end = delimitedEnd(r);
  return decodeRange(r, end, type);
}

/** The JSON that encoding/json prints for the Go zero value of an absent field. */
function goZero(f: FieldDef): unknown {
  if (f.repeated || f.map) return null;
  switch (f.type) {
    case 's':
      return f.pointer ? null : '';
    case 'i32':
    case 'i64':
      return f.pointer ? null : 0;
    case 'b':
      return f.pointer ? null : false;
    case 'Q':
      return f.valueStruct ? '0' : null;
    case 'IOS':
      return f.valueStruct ? 0 : null;
    case 'T':
    case 'F':
    case 'bytes':
      return null;
  }
  return f.valueStruct ? decodeRange(undefined, 0, f.type) : null;
}

function isZeroScalar(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function readMapEntry(r: Reader, f: FieldDef, target: Json): void {
  const end = delimitedEnd(r);
  let key = '';
  let value: unknown;
  readSmall(r, end, (num, wire) => {
    if (num === 1 && wire === WIRE_LEN) key = readString(r);
    else if (num === 2 && wire === WIRE_LEN) value = readLenValue(r, f.type);
    else return false;
    return true;
  });
  if (value === undefined) value = f.type === 'Q' ? '0' : '';
  // defineProperty so that a "__proto__" key becomes an own property, as JSON.parse would make it.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Decodes the message `type` from r.pos up to `end`. With no reader, returns the zero message
 * (what Go prints for an absent value struct).
 */
export function decodeRange(r: Reader | undefined, end: number, type: string): Json {
  const def = messageDef(type);
  const out: Json = {};
  const seen = new Set<number>();
  while (r && r.pos < end) {
    const tag = r.uint32();
    const num = tag >>> 3;
    const wire = tag & 7;
    const f = def.fields.get(num);
    if (!f) {
      r.skipType(wire); // fields this schema leaves out, like the Go decoder's unknown fields
      continue;
    }
    seen.add(num);
    if (f.map) {
      expectWire(f, type, wire, WIRE_LEN);
      const target = (out[f.name] ??= {}) as Json;
      readMapEntry(r, f, target);
    } else if (f.repeated) {
      const list = (out[f.name] ??= []) as unknown[];
      if (f.type === 'i32' || f.type === 'i64' || f.type === 'b') {
        if (wire === WIRE_LEN) {
          const e = delimitedEnd(r);
          while (r.pos < e) list.push(readVarintScalar(r, f.type));
          if (r.pos !== e) throw new ProtobufDecodeError(`${type}.${f.name}: packed list overran its length`);
        } else {
          expectWire(f, type, wire, WIRE_VARINT);
          list.push(readVarintScalar(r, f.type));
        }
      } else {
        expectWire(f, type, wire, WIRE_LEN);
        list.push(readLenValue(r, f.type));
      }
    } else if (f.inline) {
      expectWire(f, type, wire, WIRE_LEN);
      Object.assign(out, readLenValue(r, f.type) as Json);
    } else if (f.type === 'i32' || f.type === 'i64' || f.type === 'b') {
      expectWire(f, type, wire, WIRE_VARINT);
      const v = readVarintScalar(r, f.type);
      if (f.keepZero || !isZeroScalar(v)) out[f.name] = v;
      else delete out[f.name];
    } else {
      expectWire(f, type, wire, WIRE_LEN);
      const v = readLenValue(r, f.type);
      if (f.type === 's' && !f.keepZero && v === '') delete out[f.name];
      else out[f.name] = v;
    }
  }
  if (r && r.pos !== end) throw new ProtobufDecodeError(`${type}: message overran its length`);
  // Fields that are not on the wire but that encoding/json would still print.
  for (const f of def.fields.values()) {
    if (seen.has(f.num)) continue;
    if (f.inline) {
      for (const [k, v] of Object.entries(decodeRange(undefined, 0, f.type))) if (!(k in out)) out[k] = v;
    } else if (f.always || f.valueStruct) {
      out[f.name] = goZero(f);
    }
  }
  return out;
}
