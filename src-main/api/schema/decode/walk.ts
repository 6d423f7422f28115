import { K, type TypeNode, type Field } from '../compile.js';
import { parseQuantity, isQuantity, quantityString } from '../../validation/quantity.js';
import { normalizeGoTime, GoTimeError } from './goTime.js';
import { goBase64, GoBase64Error } from './goBase64.js';
import { setOwn } from '../../ownProps.js';

// Decodes a parsed JSON value against a type as Go's encoding/json (sigs.k8s.io/json, case
// sensitive) decodes into kube's structs, and returns what a Go round trip stores:
//   - a JSON type the field cannot hold is an error worded as Go words it
//     (`json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type
//     map[string]string`); Go keeps decoding after such an error and reports the first one,
//     unless a type that decodes itself (Quantity, IntOrString, Time) fails, which stops at once;
//   - fields the struct does not declare are dropped (and listed, for fieldValidation);
//   - null fields and omitempty zero values ("", 0, false, [], {}) are absent; a null map or list
//     element becomes the element's zero value;
//   - quantities, times and base64 bytes take Go's canonical form.
// With `converter` set, it checks instead as apimachinery's unstructured converter does after a
// strategic merge patch (FromUnstructuredWithValidation): the first mismatch stops it, with the
// converter's words (`cannot restore struct from: string`, `unrecognized type: int32`), an
// integral float fits an integer field, and undeclared fields are listed sorted.
// The input is modified in place where values change (parsed request bodies are ours to reuse);
// an object that loses keys is rebuilt rather than `delete`d, to keep it a fast object.

/** A number literal kept as written (from the exact parser): Go checks integer fields on the text. */
export class NumLit {
  constructor(readonly text: string) {}
}

/** A decode error after which Go stops (returned by a type's own UnmarshalJSON). */
export class FatalDecodeError extends Error {}

export interface WalkResult {
  value: unknown;
  /** The error Go returns, if any (fatal or the first saved type error). */
  error?: string;
  /** `unknown field "spec.foo"` for each undeclared field, in document order (at most 100). */
  unknown: string[];
  /** Object keys read (to compare with the text's count: fewer means a repeated key). */
  keys: number;
}


interface State {
  converter: boolean;
  reportUnknown: boolean;
  unknown: string[];
  saved: string | undefined;
  keys: number;
  /** Where the walk is: a Field (struct field), a string (map key) or a number (list index). */
  path: (Field | string | number)[];
}

const DROP: unknown = Symbol('drop');

const MAX_STRICT_ERRORS = 100;

export function walk(value: unknown, root: TypeNode, reportUnknown: boolean, converter = false): WalkResult {
  const st: State = { converter, reportUnknown, unknown: [], saved: undefined, keys: 0, path: [] };
  try {
    const out = value === null ? (root.kind === K.Struct ? {} : null) : walkValue(value, root, st);
    if (converter) st.unknown.sort();
    return { value: out, error: st.saved, unknown: st.unknown, keys: st.keys };
  } catch (e) {
    if (e instanceof FatalDecodeError) return { value: undefined, error: e.message, unknown: [], keys: st.keys };
    throw e;
  }
}

// ---- paths and errors ----

/** sigs.k8s.io/json's strict path: `spec.containers[0].foo`. */
function strictPath(st: State, last: string): string {
  let p = '';
  for (const s of st.path) {
    if (typeof s === 'number') p += `[${s}]`;
    else {
      const name = typeof s === 'string' ? s : s.json;
      p += p ? `.${name}` : name;
    }
  }
  return p ? `${p}.${last}` : last;
}

function recordUnknown(st: State, key: string): void {
  if (!st.reportUnknown || (st.unknown.length >= MAX_STRICT_ERRORS && !st.converter)) return;
  const msg = `unknown field "${strictPath(st, key).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (!st.unknown.includes(msg)) st.unknown.push(msg);
}

/** What Go's UnmarshalTypeError calls a JSON value. */
function jsonKind(x: unknown): string {
  if (typeof x === 'string') return 'string';
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'number' || x instanceof NumLit) return 'number';
  return Array.isArray(x) ? 'array' : 'object';
}

/** `json: cannot unmarshal <what> into Go struct field <Struct>.<a.b.c> of type <T>`. */
function typeErrorText(st: State, what: string, goType: string): string {
  let fields = '';
  let struct = '';
  // Go's error context holds only struct fields (no map keys, no indexes) and the last struct.
  for (const s of st.path) {
    if (typeof s !== 'object') continue;
    fields += fields ? `.${s.json}` : s.json;
    struct = s.owner;
  }
  if (!fields) return `json: cannot unmarshal ${what} into Go value of type ${goType}`;
  return `json: cannot unmarshal ${what} into Go struct field ${struct}.${fields} of type ${goType}`;
}

function save(st: State, message: string): void {
  if (st.saved === undefined) st.saved = message;
}

function typeError(st: State, x: unknown, t: TypeNode): unknown {
  if (st.converter) throw new FatalDecodeError(converterError(x, t));
  save(st, typeErrorText(st, jsonKind(x), t.go));
  return DROP;
}

/** The unstructured converter's Go type name of a decoded JSON value (ints are int64). */
function unstructuredType(x: unknown): string {
  if (typeof x === 'string') return 'string';
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'number') return Number.isInteger(x) ? 'int64' : 'float64';
  if (x instanceof NumLit) return INT_LITERAL.test(x.text) ? 'int64' : 'float64';
  return Array.isArray(x) ? 'slice' : 'map';
}

/** What runtime.DefaultUnstructuredConverter says when a value does not fit a type. */
function converterError(x: unknown, t: TypeNode): string {
  const from = unstructuredType(x);
  switch (t.kind) {
    case K.Struct:
      return `cannot restore struct from: ${from}`;
    case K.Map:
      return `cannot restore map from ${from}`;
    case K.Slice:
    case K.Bytes:
      return `cannot restore slice from ${from}`;
  }
  const kind = t.kind === K.String ? 'string' : t.kind === K.Bool ? 'bool' : t.kind === K.Int32 ? 'int32' : t.kind === K.Float64 ? 'float64' : 'int64';
  // Go converts an integer to a string type (and any number to a number type) before giving up.
  if (from === 'int64' && t.kind === K.String) return `cannot convert int64 to ${t.go}`;
  if (from === 'float64' && (t.kind === K.Int32 || t.kind === K.Int64)) return `cannot convert float64 to ${t.go}`;
  return `unrecognized type: ${kind}`;
}

// ---- numbers ----

const INT_LITERAL = /^-?(?:0|[1-9]\d*)$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The text Go would have seen for a number that reached us as a JS number (YAML, patches). */
function literalOf(n: number): string {
  return String(n);
}

/** An integer of the field's size, or undefined where Go's strconv.ParseInt (or the range) refuses it. */
function intValue(x: number | NumLit, bits: 32 | 64): number | undefined {
  if (typeof x === 'number') {
    if (!Number.isInteger(x)) return undefined;
    if (bits === 32) return x < INT32_MIN || x > INT32_MAX ? undefined : x;
    return Math.abs(x) < 2 ** 63 ? x : undefined;
  }
  if (!INT_LITERAL.test(x.text)) return undefined;
  const b = BigInt(x.text);
  if (bits === 32 ? b < BigInt(INT32_MIN) || b > BigInt(INT32_MAX) : b < -(2n ** 63n) || b >= 2n ** 63n) return undefined;
  return Number(b);
}

function numberText(x: number | NumLit): string {
  return typeof x === 'number' ? literalOf(x) : x.text;
}

// ---- the walk ----

function walkValue(x: unknown, t: TypeNode, st: State): unknown {
  switch (t.kind) {
    case K.String:
      return typeof x === 'string' ? x : typeError(st, x, t);
    case K.Int32:
    case K.Int64: {
      if (typeof x !== 'number' && !(x instanceof NumLit)) return typeError(st, x, t);
      if (st.converter) {
        // reflect.Value.Convert: an integral float is fine, an int32 wraps around.
        const v = typeof x === 'number' ? x : Number(x.text);
        if (!Number.isInteger(v)) return typeError(st, x, t);
        return t.kind === K.Int32 ? v | 0 : v;
      }
      const n = intValue(x, t.kind === K.Int32 ? 32 : 64);
      if (n === undefined) {
        save(st, typeErrorText(st, `number ${numberText(x)}`, t.go));
        return DROP;
      }
      return n;
    }
    case K.Bool:
      return typeof x === 'boolean' ? x : typeError(st, x, t);
    case K.Float64: {
      if (typeof x === 'number') return x;
      if (!(x instanceof NumLit)) return typeError(st, x, t);
      const n = Number(x.text);
      if (!Number.isFinite(n)) {
        save(st, typeErrorText(st, `number ${x.text}`, t.go));
        return DROP;
      }
      return n;
    }
    case K.Bytes:
      return bytesValue(x, t, st);
    case K.Quantity:
      return quantityValue(x);
    case K.IntOrString:
      return intOrStringValue(x, st);
    case K.Any:
      st.keys += countKeys(x);
      return x;
    case K.Time:
    case K.MicroTime: {
      if (typeof x !== 'string') throw new FatalDecodeError(st.converter ? `json: cannot unmarshal ${jsonKind(x)} into Go value of type string` : typeErrorText(st, jsonKind(x), 'string'));
      try {
        const s = normalizeGoTime(x, t.kind === K.MicroTime);
        return s === null ? DROP : s;
      } catch (e) {
        if (e instanceof GoTimeError) throw new FatalDecodeError(e.message);
        throw e;
      }
    }
    case K.Raw:
      st.keys += countKeys(x);
      return x;
    case K.Struct:
      if (typeof x !== 'object' || Array.isArray(x) || x instanceof NumLit) return typeError(st, x, t);
      return walkStruct(x as Record<string, unknown>, t, st);
    case K.Map:
      if (typeof x !== 'object' || Array.isArray(x) || x instanceof NumLit) return typeError(st, x, t);
      return walkMap(x as Record<string, unknown>, t, st);
    case K.Slice:
      if (!Array.isArray(x)) return typeError(st, x, t);
      return walkSlice(x, t, st);
  }
  return x;
}

function walkStruct(obj: Record<string, unknown>, t: TypeNode, st: State): Record<string, unknown> {
  const fields = t.struct!.fields;
  let n = 0;
  // Keys to leave out; the input is never given a placeholder (it stays clean if decoding fails).
  let drops: Set<string> | undefined;
  for (const key in obj) {
    n++;
    const x = obj[key];
    const f = fields.get(key);
    if (f === undefined) {
      recordUnknown(st, key);
      st.keys += countKeys(x);
      (drops ??= new Set()).add(key);
      continue;
    }
    let y: unknown;
    if (x === null) y = DROP;
    else {
      st.path.push(f);
      y = walkValue(x, f.type, st);
      st.path.pop();
      if (f.omitempty && y !== DROP && isEmpty(y, f)) y = DROP;
    }
    if (y === DROP) (drops ??= new Set()).add(key);
    else if (y !== x) setOwn(obj, key, y);
  }
  st.keys += n;
  if (!drops) return obj;
  const out: Record<string, unknown> = {};
  for (const key in obj) if (!drops.has(key)) setOwn(out, key, obj[key]);
  return out;
}

function walkMap(obj: Record<string, unknown>, t: TypeNode, st: State): Record<string, unknown> {
  const elem = t.elem!;
  let n = 0;
  for (const key in obj) {
    n++;
    const x = obj[key];
    let y: unknown;
    if (x === null) y = zeroOf(elem);
    else {
      st.path.push(key);
      y = walkValue(x, elem, st);
      st.path.pop();
      // An element Go could not decode keeps its zero value.
      if (y === DROP) y = zeroOf(elem);
    }
    if (y !== x) setOwn(obj, key, y);
  }
  st.keys += n;
  return obj;
}

function walkSlice(arr: unknown[], t: TypeNode, st: State): unknown[] {
  const elem = t.elem!;
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    let y: unknown;
    if (x === null) y = zeroOf(elem);
    else {
      st.path.push(i);
      y = walkValue(x, elem, st);
      st.path.pop();
      if (y === DROP) y = zeroOf(elem);
    }
    if (y !== x) arr[i] = y;
  }
  return arr;
}


/** Go's zero value of a map or list element that was null (or could not be decoded). */
function zeroOf(t: TypeNode): unknown {
  switch (t.kind) {
    case K.String:
      return '';
    case K.Int32:
    case K.Int64:
    case K.Float64:
    case K.IntOrString:
      return 0;
    case K.Bool:
      return false;
    case K.Quantity:
      return '0';
    case K.Struct:
      return {};
    default:
      return null;
  }
}

/** omitempty: Go leaves out "", 0, false and empty lists and maps (never structs). */
function isEmpty(y: unknown, f: Field): boolean {
  if (f.pointer) return false;
  switch (f.type.kind) {
    case K.String:
    case K.Bytes:
      return y === '';
    case K.Int32:
    case K.Int64:
    case K.Float64:
      return y === 0;
    case K.Bool:
      return y === false;
    case K.Slice:
      return (y as unknown[]).length === 0;
    case K.Map:
      for (const _ in y as object) return false;
      return true;
    default:
      return false;
  }
}

function bytesValue(x: unknown, t: TypeNode, st: State): unknown {
  if (typeof x === 'string') {
    try {
      return goBase64(x);
    } catch (e) {
      if (e instanceof GoBase64Error) {
        if (st.converter) throw new FatalDecodeError(`error decoding from json: ${e.message}`);
        save(st, e.message);
        return DROP;
      }
      throw e;
    }
  }
  if (Array.isArray(x)) {
    // Go decodes a JSON array into []byte element by element.
    const bytes: number[] = [];
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v === null) {
        bytes.push(0);
        continue;
      }
      if (typeof v !== 'number' && !(v instanceof NumLit)) {
        if (st.converter) throw new FatalDecodeError(`unrecognized type: uint8`);
        save(st, typeErrorText(st, jsonKind(v), 'uint8'));
        return DROP;
      }
      const n = intValue(v, 32);
      if (st.converter && n !== undefined) {
        bytes.push(n & 0xff);
        continue;
      }
      if (n === undefined || n < 0 || n > 255) {
        save(st, typeErrorText(st, `number ${numberText(v)}`, 'uint8'));
        return DROP;
      }
      bytes.push(n);
    }
    return Buffer.from(bytes).toString('base64');
  }
  return typeError(st, x, t);
}

/** Quantities already in canonical form (what clients almost always send): no parse needed. */
const CANONICAL_QUANTITY = /^(?:0|[1-9][0-9]{0,14}(?:[mkMGTP]|[KMGTP]i)?)$/;

function isCanonicalQuantity(s: string): boolean {
  if (!CANONICAL_QUANTITY.test(s)) return false;
  if (s === '0') return true;
  const m = /^(\d+)(.*)$/.exec(s)!;
  const n = Number(m[1]);
  // A mantissa that a larger suffix could shorten is not canonical (1000m -> 1, 1024Ki -> 1Mi).
  return m[2]!.endsWith('i') ? n % 1024 !== 0 : n % 1000 !== 0;
}

function quantityValue(x: unknown): unknown {
  if (typeof x === 'string' && isCanonicalQuantity(x)) return x;
  // Quantity.UnmarshalJSON parses the literal text (quotes removed), whatever JSON type it is.
  const text = typeof x === 'string' ? x.trim() : typeof x === 'number' ? literalOf(x) : x instanceof NumLit ? x.text : '';
  const q = parseQuantity(text);
  if (!isQuantity(q)) throw new FatalDecodeError(q.error);
  return quantityString(q);
}

function intOrStringValue(x: unknown, st: State): unknown {
  // IntOrString.UnmarshalJSON: a string is kept; anything else is decoded as an int32 by
  // encoding/json, whose error stops the decode (with the field's context added).
  if (typeof x === 'string') return x;
  // (The unstructured converter decodes through encoding/json too, with no field context.)
  const text = (what: string): string => (st.converter ? `json: cannot unmarshal ${what} into Go value of type int32` : typeErrorText(st, what, 'int32'));
  if (typeof x === 'number' || x instanceof NumLit) {
    const n = intValue(x, 32);
    if (n === undefined) throw new FatalDecodeError(text(`number ${numberText(x)}`));
    return n;
  }
  throw new FatalDecodeError(text(jsonKind(x)));
}

/** Counts object keys below a value without recursion (raw JSON can nest 10000 deep). */
function countKeys(x: unknown): number {
  if (x === null || typeof x !== 'object') return 0;
  let n = 0;
  const stack: unknown[] = [x];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const e of v) if (e !== null && typeof e === 'object') stack.push(e);
    } else if (v !== null && typeof v === 'object' && !(v instanceof NumLit)) {
      for (const k in v as Record<string, unknown>) {
        n++;
        const e = (v as Record<string, unknown>)[k];
        if (e !== null && typeof e === 'object') stack.push(e);
      }
    }
  }
  return n;
}
