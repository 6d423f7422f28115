// Go's fmt %+v of a decoded JSON value (map[string]interface{} and friends), as kube-apiserver
// prints a strategic merge patch inside its 422 (`patch: Invalid value: "map[spec:map[x:1]]"`).

/** fmt's %v of a float64: shortest digits, exponent form below 1e-4 and from 1e6 (`1.5e+06`). */
function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = n.toExponential().split('e');
    const ei = Number(e);
    return `${m}e${ei < 0 ? '-' : '+'}${String(Math.abs(ei)).padStart(2, '0')}`;
  }
  return String(n);
}

/** %+v of a value decoded from JSON: map keys sorted, strings bare, null as <nil>. */
export function goSprintValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  // Integers were decoded as int64 (PreserveInts); other numbers are float64.
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? String(v) : goFloat(v);
  if (Array.isArray(v)) return `[${v.map(goSprintValue).join(' ')}]`;
  const o = v as Record<string, unknown>;
  return `map[${Object.keys(o)
    .sort()
    .map((k) => `${k}:${goSprintValue(o[k])}`)
    .join(' ')}]`;
}
