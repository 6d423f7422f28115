// Renders values the way Go's fmt %#v does, because Kubernetes 1.32 (the version Flotilla reports)
// prints the "bad value" of a field error with %#v whenever it is not a string, number or bool.
// kubectl users see e.g. `Invalid value: map[string]string{"app":"x"}: ...`, so we reproduce it.
// (Kubernetes 1.34 switched to JSON; we follow the reported version.)

import { rendered, type Rendered } from './fieldErrors.js';
import { isObj, str } from './util.js';

/** strconv.Quote: double-quoted with Go escapes; printable Unicode is kept as is. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** %#v of map[string]string (Go prints map keys sorted). */
export function goStringMap(m: unknown): string {
  if (!isObj(m)) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(str(m[k]))}`).join(', ')}}`;
}

/** %#v of a slice of string-kinded values, e.g. `[]string{"a", "b"}` or `[]core.IPFamily(nil)`. */
export function goStrings(v: unknown, type = 'string'): string {
  if (!Array.isArray(v)) return `[]${type}(nil)`;
  return `[]${type}{${v.map((x) => goQuote(str(x))).join(', ')}}`;
}

/** %#v of an intstr.IntOrString (Type 0 = Int, 1 = String). */
export function goIntOrString(v: unknown): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`;
  const n = typeof v === 'number' ? Math.trunc(v) : 0;
  return `intstr.IntOrString{Type:0, IntVal:${n}, StrVal:""}`;
}

/** %#v of a metav1.LabelSelector value (as validation prints spec.selector). */
export function goLabelSelector(sel: unknown): string {
  const s = isObj(sel) ? sel : {};
  const exprs = Array.isArray(s.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions
        .map((e) => {
          const r = isObj(e) ? e : {};
          return `v1.LabelSelectorRequirement{Key:${goQuote(str(r.key))}, Operator:${goQuote(str(r.operator))}, Values:${goStrings(r.values)}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(s.matchLabels)}, MatchExpressions:${exprs}}`;
}

/** Shorthands returning values ready for fieldErr.invalid(). */
export const go = {
  map: (m: unknown): Rendered => rendered(goStringMap(m)),
  strings: (v: unknown, type?: string): Rendered => rendered(goStrings(v, type)),
  intOrString: (v: unknown): Rendered => rendered(goIntOrString(v)),
  selector: (sel: unknown): Rendered => rendered(goLabelSelector(sel)),
  /** A nil pointer: Kubernetes 1.32 substitutes the string "null" and then quotes it. */
  nil: (): Rendered => rendered('"null"'),
};
