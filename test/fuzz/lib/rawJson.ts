// JSON documents that JSON.stringify cannot write: a value tree may hold `Raw` text (numbers out
// of any range, 10,000-deep nesting built as text) and `DupKeys` objects (the same key twice),
// which `emit` writes verbatim. Everything else is written as JSON.stringify would.

export class Raw {
  constructor(
    readonly text: string,
    /** What it is, for reproductions (the text itself may be megabytes). */
    readonly label: string,
  ) {}
}

export class DupKeys {
  constructor(readonly entries: [string, unknown][]) {}
}

export type Doc = unknown;

export function emit(v: Doc): string {
  if (v instanceof Raw) return v.text;
  if (v instanceof DupKeys) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${emit(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : emit(x))).join(',')}]`;
  if (v && typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v)) if (x !== undefined) parts.push(`${JSON.stringify(k)}:${emit(x)}`);
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A short description of a document for reproductions: large strings and Raw text are summarised. */
export function describe(v: Doc, max = 600): string {
  const s = emitShort(v);
  return s.length > max ? `${s.slice(0, max)}... (${s.length} chars)` : s;
}

function emitShort(v: Doc): string {
  if (v instanceof Raw) return `<${v.label}>`;
  if (v instanceof DupKeys) return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${emitShort(x)}`).join(',')}} (duplicate keys)`;
  if (typeof v === 'string' && v.length > 80) return `<string of ${v.length} chars: ${JSON.stringify(v.slice(0, 12))}...>`;
  if (Array.isArray(v)) return `[${v.map(emitShort).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${emitShort(x)}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Deep copy of a document (Raw and DupKeys are immutable and shared). */
export function clone<T extends Doc>(v: T): T {
  if (v instanceof Raw || v instanceof DupKeys) return v;
  if (Array.isArray(v)) return v.map(clone) as T;
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    // defineProperty: a "__proto__" key stays an own property, as JSON.parse makes it.
    for (const [k, x] of Object.entries(v)) Object.defineProperty(o, k, { value: clone(x), enumerable: true, writable: true, configurable: true });
    return o as T;
  }
  return v;
}

export type Path = (string | number)[];

/** Every path into plain objects and arrays of a document, the root ([]) first. */
export function paths(v: Doc, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (v instanceof Raw || v instanceof DupKeys) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

export function getAt(v: Doc, p: Path): unknown {
  let cur: unknown = v;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object' || cur instanceof Raw || cur instanceof DupKeys) return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** Sets (or with `undefined`, deletes) the value at a path; returns the new root. */
export function setAt(root: Doc, p: Path, value: unknown): Doc {
  if (!p.length) return value;
  const parent = getAt(root, p.slice(0, -1));
  if (parent === null || typeof parent !== 'object' || parent instanceof Raw || parent instanceof DupKeys) return root;
  const k = p[p.length - 1]!;
  if (Array.isArray(parent) && typeof k === 'number') {
    if (value === undefined) parent.splice(k, 1);
    else parent[k] = value;
  } else if (value === undefined) delete (parent as Record<string, unknown>)[k];
  else Object.defineProperty(parent, k, { value, enumerable: true, writable: true, configurable: true });
  return root;
}
