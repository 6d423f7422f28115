// resource.Quantity (k8s.io/apimachinery/pkg/api/resource): parsing, comparison and the canonical
// string form. kube re-serialises every quantity canonically ("0.5" → "500m", "1024Mi" → "1Gi")
// and its error messages print that form, so we need the same rules. Values are kept exactly as
// mantissa × 10^exponent with BigInt; binary suffixes only ever multiply the mantissa.

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** Signed mantissa. */
  m: bigint;
  /** Base-10 exponent. */
  e: number;
  /** Format implied by the suffix the value was written with; canonical output keeps it. */
  format: QuantityFormat;
}

/** Go's resource.ErrFormatWrong text (what kube answers for an unparsable quantity). */
export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/** Go's resource.ErrSuffix text. */
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const DEC_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BIN_SUFFIX: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DEC_BY_EXP = new Map(Object.entries(DEC_SUFFIX).map(([s, e]) => [e, s]));
const BIN_BY_EXP = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** Parses a quantity; returns the Go error text on failure. JSON numbers are accepted like kube does. */
export function parseQuantity(input: unknown): Quantity | { error: string } {
  const s = typeof input === 'number' && Number.isFinite(input) ? String(input) : typeof input === 'string' ? input : null;
  if (s === null || !/^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/.test(s)) return { error: QUANTITY_FORMAT_ERROR };
  const m = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/.exec(s);
  if (!m) return { error: QUANTITY_FORMAT_ERROR };
  const [, sign, num, suffix] = m;
  const [intPart, frac = ''] = num.split('.');
  let mant = BigInt((intPart || '0') + frac);
  let e = -frac.length;
  let format: QuantityFormat;
  if (suffix in DEC_SUFFIX) {
    e += DEC_SUFFIX[suffix];
    format = 'DecimalSI';
  } else if (suffix in BIN_SUFFIX) {
    mant *= 1024n ** BigInt(BIN_SUFFIX[suffix]);
    format = 'BinarySI';
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    e += Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else {
    return { error: QUANTITY_SUFFIX_ERROR };
  }
  if (sign === '-') mant = -mant;
  // Quantities keep at most nano precision; finer values are rounded up (away from zero).
  return roundUpTo({ m: mant, e, format }, -9);
}

export function isQuantity(q: Quantity | { error: string }): q is Quantity {
  return !('error' in q);
}

/** Rounds |value| up so that it is a multiple of 10^scale (Quantity.RoundUp). */
export function roundUpTo(q: Quantity, scale: number): Quantity {
  if (q.e >= scale) return q;
  const div = pow10(scale - q.e);
  const a = abs(q.m);
  let r = a / div;
  if (r * div !== a) r += 1n;
  return { m: q.m < 0n ? -r : r, e: scale, format: q.format };
}

/** Compares two quantities by value: -1, 0 or 1. */
export function cmpQuantity(a: Quantity, b: Quantity): number {
  const e = Math.min(a.e, b.e);
  const x = a.m * pow10(a.e - e);
  const y = b.m * pow10(b.e - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function quantitySign(q: Quantity): number {
  return q.m < 0n ? -1 : q.m > 0n ? 1 : 0;
}

/** True when the value is a whole number (kube's MilliValue() % 1000 == 0). */
export function quantityIsInteger(q: Quantity): boolean {
  return q.e >= 0 || q.m % pow10(-q.e) === 0n;
}

/** Quantity.String(): the canonical form kube serialises and prints. */
export function quantityString(q: Quantity): string {
  if (q.m === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const small = cmpQuantity(q, { m: -1024n, e: 0, format }) > 0 && cmpQuantity(q, { m: 1024n, e: 0, format }) < 0;
    // Below 1024, or with a fractional part, binary suffixes would lose information: use DecimalSI.
    if (small || !quantityIsInteger(q)) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let n = q.e >= 0 ? q.m * pow10(q.e) : q.m / pow10(-q.e);
    let k = 0;
    while (k < 6 && n % 1024n === 0n) {
      n /= 1024n;
      k++;
    }
    return `${n}${BIN_BY_EXP[k]}`;
  }
  // Strip trailing zeros, then lower the exponent to a multiple of 3.
  let m = q.m;
  let e = q.e;
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  const r = ((e % 3) + 3) % 3;
  m *= pow10(r);
  e -= r;
  if (format === 'DecimalExponent') return e === 0 ? `${m}` : `${m}e${e}`;
  if (e > 18) {
    m *= pow10(e - 18);
    e = 18;
  }
  return `${m}${DEC_BY_EXP.get(e) ?? ''}`;
}

/** Canonicalises a quantity string, or returns it unchanged when it does not parse. */
export function canonicalQuantity(input: unknown, roundToMilli = false): unknown {
  const q = parseQuantity(input);
  if (!isQuantity(q)) return input;
  return quantityString(roundToMilli ? roundUpTo(q, -3) : q);
}
