// Small helpers shared by the validators: field paths spelled like k8s.io/apimachinery's
// field.Path.String(), and defensive readers for untyped JSON (objects arrive exactly as clients
// sent them, so any field may be missing or of the wrong type).

/** field.Path.Child: `spec` + `replicas` → `spec.replicas` (an empty parent yields just the child). */
export function child(path: string, ...names: string[]): string {
  let out = path;
  for (const n of names) out = out ? `${out}.${n}` : n;
  return out;
}

/** field.Path.Index: `spec.containers` + 0 → `spec.containers[0]`. */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** field.Path.Key: `data` + `a.txt` → `data[a.txt]` (kube does not quote map keys). */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value as a plain object, or an empty one (so optional sub-objects can be walked safely). */
export function obj(v: unknown): Obj {
  return isObj(v) ? v : {};
}

/** The value as an array, or an empty one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The value as a string; Go's zero value "" for anything else. */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Length in bytes, as Go's len(string) counts it. */
export function byteLen(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Structural equality of JSON values (Go's reflect.DeepEqual on the decoded object). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * Equality that treats absent, null, empty string, empty list and empty map alike, the way Go
 * compares decoded structs (omitted fields decode to their zero values).
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  const zero = (v: unknown) =>
    v === undefined || v === null || v === '' || v === false || v === 0 || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.values(v).every(zero));
  if (zero(a) && zero(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => semanticEqual(v, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}
