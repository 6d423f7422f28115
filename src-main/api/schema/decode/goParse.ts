import { K, type TypeNode } from '../compile.js';
import { NumLit } from './walk.js';
import { setOwn } from '../../ownProps.js';

// The exact parser, for the few bodies the fast path (JSON.parse + walk) cannot decode as Go does:
// a repeated key, or a number literal whose spelling matters. It reads well-formed JSON text (Go's
// syntax check has run) guided by the target type, and does what sigs.k8s.io/json does:
//   - reports `duplicate field "metadata.name"` and `unknown field "spec.foo"` in document order
//     (paths as Go builds them, `spec.containers[0].foo`; at most 100, no repeats);
//   - decodes a repeated key into what the first occurrence left: struct fields merge, a list
//     reuses its elements, a map keeps its keys, a scalar is replaced, null clears only pointers,
//     lists and maps;
//   - keeps number literals as written (NumLit) so that `1.0` or `1e3` in an int32 field fails.
// Values of undeclared fields are skipped, as Go skips them; raw JSON and values of the wrong
// type are read with JSON.parse. No recursion below the typed part, whatever the nesting.

export interface ExactParse {
  value: unknown;
  strict: string[];
}

const MAX_STRICT_ERRORS = 100;

export function parseExact(text: string, root: TypeNode): ExactParse {
  const p = new ExactParser(text);
  const value = p.value(root);
  return { value, strict: p.strict };
}

class ExactParser {
  i = 0;
  strict: string[] = [];
  /** Go's strict field stack, already joined piecewise: ['spec', '.containers', '[0]']. */
  private path: string[] = [];

  constructor(private readonly s: string) {}

  private ws(): void {
    const s = this.s;
    let c = s.charCodeAt(this.i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++this.i);
  }

  private report(kind: 'unknown' | 'duplicate', key: string): void {
    if (this.strict.length >= MAX_STRICT_ERRORS) return;
    const base = this.path.join('');
    const full = base ? `${base}.${key}` : key;
    const msg = `${kind} field "${full.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    if (!this.strict.includes(msg)) this.strict.push(msg);
  }

  private pushKey(key: string): void {
    this.path.push(this.path.length ? `.${key}` : key);
  }

  value(t: TypeNode): unknown {
    if (t.kind === K.Any) return this.any(0);
    if (t.kind === K.Raw) return this.generic();
    this.ws();
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b /* { */) {
      if (t.kind === K.Struct) return this.struct(t);
      if (t.kind === K.Map) return this.map(t);
      return this.generic();
    }
    if (c === 0x5b /* [ */) {
      if (t.kind === K.Slice) return this.slice(t.elem!);
      if (t.kind === K.Bytes) return this.slice(null);
      return this.generic();
    }
    return this.scalar();
  }

  /** interface{}: Go still reports repeated keys inside it (to a bounded depth here; then plain). */
  private any(depth: number): unknown {
    this.ws();
    const c = this.s.charCodeAt(this.i);
    if (depth > 100 || (c !== 0x7b && c !== 0x5b)) {
      if (c === 0x7b || c === 0x5b) return this.generic();
      const v = this.scalar();
      return v instanceof NumLit ? Number(v.text) : v;
    }
    const isObject = c === 0x7b;
    const out: unknown[] | Record<string, unknown> = isObject ? {} : [];
    const seen = new Set<string>();
    this.i++;
    for (let n = 0; ; n++) {
      this.ws();
      if (this.s.charCodeAt(this.i) === (isObject ? 0x7d : 0x5d)) break;
      if (isObject) {
        const key = this.string();
        this.ws();
        this.i++;
        if (seen.has(key)) this.report('duplicate', key);
        seen.add(key);
        this.pushKey(key);
        setOwn(out as Record<string, unknown>, key, this.any(depth + 1));
      } else {
        this.path.push(`[${n}]`);
        (out as unknown[]).push(this.any(depth + 1));
      }
      this.path.pop();
      this.ws();
      if (this.s.charCodeAt(this.i++) === (isObject ? 0x7d : 0x5d)) return out;
    }
    this.i++;
    return out;
  }

  private struct(t: TypeNode): Record<string, unknown> {
    const fields = t.struct!.fields;
    const out: Record<string, unknown> = {};
    this.i++;
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) === 0x7d) break;
      const key = this.string();
      this.ws();
      this.i++; // ':'
      const f = fields.get(key);
      if (!f) {
        this.report('unknown', key);
        this.skip();
      } else {
        // Every declared field read is set on `out`: a key already there is a repeat.
        const dup = Object.prototype.hasOwnProperty.call(out, key);
        if (dup) this.report('duplicate', key);
        this.pushKey(key);
        const v = this.value(f.type);
        this.path.pop();
        setOwn(out, key, dup ? mergeInto(f.type, f.pointer, out[key], v) : v);
      }
      this.ws();
      if (this.s.charCodeAt(this.i++) === 0x7d) return out;
    }
    this.i++;
    return out;
  }

  private map(t: TypeNode): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.i++;
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) === 0x7d) break;
      const key = this.string();
      this.ws();
      this.i++;
      if (seen.has(key)) this.report('duplicate', key);
      seen.add(key);
      this.pushKey(key);
      setOwn(out, key, this.value(t.elem!));
      this.path.pop();
      this.ws();
      if (this.s.charCodeAt(this.i++) === 0x7d) return out;
    }
    this.i++;
    return out;
  }

  /** A list; elem null reads the elements as literals (a []byte given as a list of numbers). */
  private slice(elem: TypeNode | null): unknown[] {
    const out: unknown[] = [];
    this.i++;
    for (;;) {
      this.ws();
      if (this.s.charCodeAt(this.i) === 0x5d) break;
      this.path.push(`[${out.length}]`);
      out.push(elem ? this.value(elem) : this.scalarOrGeneric());
      this.path.pop();
      this.ws();
      if (this.s.charCodeAt(this.i++) === 0x5d) return out;
    }
    this.i++;
    return out;
  }

  private scalarOrGeneric(): unknown {
    this.ws();
    const c = this.s.charCodeAt(this.i);
    return c === 0x7b || c === 0x5b ? this.generic() : this.scalar();
  }

  private scalar(): unknown {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 0x22) return this.string();
    if (c === 0x74) {
      this.i += 4;
      return true;
    }
    if (c === 0x66) {
      this.i += 5;
      return false;
    }
    if (c === 0x6e) {
      this.i += 4;
      return null;
    }
    const start = this.i;
    for (;;) {
      const d = s.charCodeAt(this.i);
      // digits, '+', '-', '.', 'e', 'E'
      if ((d >= 0x30 && d <= 0x39) || d === 0x2b || d === 0x2d || d === 0x2e || d === 0x65 || d === 0x45) this.i++;
      else break;
    }
    return new NumLit(s.slice(start, this.i));
  }

  private string(): string {
    const s = this.s;
    const start = this.i;
    let j = start + 1;
    let escaped = false;
    for (;;) {
      j = s.indexOf('"', j);
      let b = j - 1;
      while (s.charCodeAt(b) === 92) b--;
      if ((j - 1 - b) % 2 === 0) break;
      escaped = true;
      j++;
    }
    this.i = j + 1;
    const raw = s.slice(start + 1, j);
    return escaped || raw.includes('\\') ? (JSON.parse(s.slice(start, j + 1)) as string) : raw;
  }

  /** Skips one value of any depth without recursion. */
  private skip(): void {
    this.ws();
    const s = this.s;
    let depth = 0;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 0x22) {
        this.string();
      } else if (c === 0x7b || c === 0x5b) {
        depth++;
        this.i++;
      } else if (c === 0x7d || c === 0x5d) {
        depth--;
        this.i++;
      } else if (c === 0x2c || c === 0x3a || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        if (depth === 0) return;
        this.i++;
      } else {
        this.scalar();
      }
      if (depth === 0) return;
    }
  }

  /** A value read as plain JSON (Go decodes it without looking for repeated keys). */
  private generic(): unknown {
    this.ws();
    const start = this.i;
    this.skip();
    return JSON.parse(this.s.slice(start, this.i));
  }
}

/**
 * What Go leaves after decoding a repeated key's value into what the first occurrence decoded.
 * `next` is the second occurrence, already parsed (unknown fields dropped).
 */
function mergeInto(t: TypeNode, pointer: boolean, prev: unknown, next: unknown): unknown {
  if (prev === undefined) return next;
  if (next === null) {
    // null sets pointers, lists and maps to nil and leaves values (and raw JSON) as they were.
    if (pointer || t.kind === K.Map || t.kind === K.Slice || t.kind === K.Bytes) return null;
    if (t.kind === K.Quantity || t.kind === K.Time || t.kind === K.MicroTime || t.kind === K.IntOrString) return null;
    return prev;
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof NumLit);
  if (t.kind === K.Struct && isObj(prev) && isObj(next)) {
    const out: Record<string, unknown> = {};
    for (const k in prev) setOwn(out, k, prev[k]);
    for (const k in next) {
      const f = t.struct!.fields.get(k)!;
      setOwn(out, k, mergeInto(f.type, f.pointer, out[k], next[k]));
    }
    return out;
  }
  if (t.kind === K.Map && isObj(prev) && isObj(next)) {
    const out: Record<string, unknown> = {};
    for (const k in prev) setOwn(out, k, prev[k]);
    for (const k in next) setOwn(out, k, next[k]);
    return out;
  }
  if (t.kind === K.Slice && Array.isArray(prev) && Array.isArray(next)) {
    return next.map((x, i) => (i < prev.length ? mergeInto(t.elem!, false, prev[i], x) : x));
  }
  return next;
}
