import type { TypeNode } from '../compile.js';
import { scanJSON, MAX_DEPTH, type ScanResult } from './scan.js';
import { goSyntaxError } from './goSyntax.js';
import { parseExact } from './goParse.js';
import { walk } from './walk.js';

// Decoding JSON into kube's Go types, as sigs.k8s.io/json does it, in two speeds:
//   fast: JSON.parse, one scan of the text (scan.ts), one typed walk of the value (walk.ts);
//   exact: Go's syntax check (goSyntax.ts) and a type-guided parse of the text (goParse.ts),
//          taken only for what the fast path cannot see: a syntax error, more than 10000 levels,
//          a repeated key, or a number literal whose spelling matters.

export { NumLit } from './walk.js';
export { yamlToValue, YamlError } from './yaml.js';

export interface ReadJSON {
  text: string;
  value: unknown;
  scan: ScanResult;
}

/** Reads JSON text; returns Go's syntax error text when Go would refuse it. */
export function readJSON(buf: Buffer): ReadJSON | { syntaxError: string } {
  const text = buf.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { syntaxError: goSyntaxError(buf) ?? 'unexpected end of JSON input' };
  }
  const scan = scanJSON(text);
  if (scan.depth > MAX_DEPTH) return { syntaxError: goSyntaxError(buf) ?? 'exceeded max depth' };
  return { text, value, scan };
}

export interface GoDecoded {
  /** The value as a Go round trip leaves it (undefined after an error). */
  value: unknown;
  /** The error Go's decoder returns (a type error, a bad quantity, time or base64 value). */
  error?: string;
  /** Strict-mode findings: `unknown field "..."` and `duplicate field "..."`, in document order. */
  strict: string[];
}

/**
 * Decodes JSON read by readJSON into `root`. The parsed value is reused (and modified). Strict
 * findings are collected only when `strict` (fieldValidation Strict or Warn).
 */
export function decodeJSON(read: ReadJSON, root: TypeNode, strict: boolean): GoDecoded {
  if (!read.scan.inexactNumbers) {
    const r = walk(read.value, root, strict);
    // Every key was read once: no repeated key was folded away by JSON.parse.
    if (r.error !== undefined || r.keys === read.scan.keys) return { value: r.value, error: r.error, strict: r.unknown };
  }
  const exact = parseExact(read.text, root);
  const r = walk(exact.value, root, false);
  return { value: r.value, error: r.error, strict: strict ? exact.strict : [] };
}

/** Decodes an already-parsed value (YAML, protobuf, a patched object): no repeated keys to find. */
export function decodeValue(value: unknown, root: TypeNode, strict: boolean): GoDecoded {
  const r = walk(value, root, strict);
  return { value: r.value, error: r.error, strict: r.unknown };
}

export interface TypeMeta {
  apiVersion: string;
  kind: string;
}

const FIND_KIND_TYPE = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/** encoding/json's key folding: ASCII case, plus the Kelvin sign and the long s. */
function fold(k: string): string {
  return k.toLowerCase().replace(/\u212a/g, 'k').replace(/\u017f/g, 's');
}

/**
 * The apiVersion and kind of a body, read as apimachinery's SimpleMetaFactory.Interpret reads
 * them (standard encoding/json into a two-field struct: case-insensitive keys, last one wins).
 */
export function interpretTypeMeta(value: unknown): TypeMeta | { error: string } {
  const out: TypeMeta = { apiVersion: '', kind: '' };
  if (value === null) return out;
  const what = typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? 'number' : Array.isArray(value) ? 'array' : 'object';
  if (what !== 'object') return { error: `json: cannot unmarshal ${what} into Go value of type ${FIND_KIND_TYPE}` };
  let error: string | undefined;
  for (const key in value as Record<string, unknown>) {
    let field: 'apiVersion' | 'kind' | undefined;
    if (key === 'apiVersion' || key === 'kind') field = key;
    else if (key.length === 10 && fold(key) === 'apiversion') field = 'apiVersion';
    else if (key.length === 4 && fold(key) === 'kind') field = 'kind';
    if (!field) continue;
    const v = (value as Record<string, unknown>)[key];
    if (v === null) continue;
    if (typeof v === 'string') out[field] = v;
    else error ??= `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'number' : 'object'} into Go struct field .${field} of type string`;
  }
  return error ? { error } : out;
}
