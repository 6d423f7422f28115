// Helpers for defaulting untyped JSON in place. Defaults only ever fill what is missing, which is
// what makes applyDefaults idempotent (kube's SetDefaults_* functions behave the same way).

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's "zero value" test used by kube's defaulters: absent, null or an empty string. */
export function unset(v: unknown): boolean {
  return v === undefined || v === null || v === '';
}

/** Sets obj[key] = value when obj[key] is unset. */
export function setDefault(o: Obj, key: string, value: unknown): void {
  if (unset(o[key])) o[key] = value;
}

/** The object at o[key], created empty when missing (like a Go struct field that always exists). */
export function ensureObj(o: Obj, key: string): Obj {
  if (!isObj(o[key])) o[key] = {};
  return o[key] as Obj;
}

/** The objects of the array at o[key] (non-objects are skipped, the array is not created). */
export function objects(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}
