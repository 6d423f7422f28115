import { goQuote } from '../../validation/goRender.js';

// metav1.Time and metav1.MicroTime as Go decodes and re-encodes them: time.Parse with the RFC 3339
// layout (MicroTime: exactly six fractional digits), errors worded as Go's time.ParseError, and
// output in UTC (Time to the second, MicroTime to the microsecond; the zero time prints as null).

export const RFC3339 = '2006-01-02T15:04:05Z07:00';
export const RFC3339_MICRO = '2006-01-02T15:04:05.000000Z07:00';

type Elem = string; // a layout chunk: a literal or one of the std chunks below
const LAYOUT_SECONDS: Elem[] = ['2006', '-', '01', '-', '02', 'T', '15', ':', '04', ':', '05', 'Z07:00'];
const LAYOUT_MICRO: Elem[] = ['2006', '-', '01', '-', '02', 'T', '15', ':', '04', ':', '05', '.000000', 'Z07:00'];

/** A parsed instant: seconds since the Unix epoch (UTC) and nanoseconds. */
export interface GoTime {
  sec: number;
  nsec: number;
}

export class GoTimeError extends Error {}

const isDigit = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (valid for any year). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** getnum: one or two digits (exactly two when fixed). */
function getnum(s: string, fixed: boolean): [number, string] | null {
  if (!isDigit(s, 0)) return null;
  if (!isDigit(s, 1)) return fixed ? null : [s.charCodeAt(0) - 48, s.slice(1)];
  return [(s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), s.slice(2)];
}

/** time.Parse(layout, value) for the two RFC 3339 layouts Kubernetes uses. */
export function parseGoTime(value: string, micro: boolean): GoTime {
  const layout = micro ? RFC3339_MICRO : RFC3339;
  const elems = micro ? LAYOUT_MICRO : LAYOUT_SECONDS;
  const bad = (rest: string, elem: string): GoTimeError =>
    new GoTimeError(`parsing time ${goQuote(value)} as ${goQuote(layout)}: cannot parse ${goQuote(rest)} as ${goQuote(elem)}`);
  const range = (what: string): GoTimeError => new GoTimeError(`parsing time ${goQuote(value)}: ${what} out of range`);
  let s = value;
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nsec = 0;
  let offset = 0;
  for (let i = 0; i < elems.length; i++) {
    const e = elems[i]!;
    switch (e) {
      case '2006': {
        if (s.length < 4 || !/^[0-9]{4}/.test(s)) throw bad(s, e);
        year = Number(s.slice(0, 4));
        s = s.slice(4);
        break;
      }
      case '01':
      case '02':
      case '15':
      case '04':
      case '05': {
        const r = getnum(s, e !== '15');
        if (!r) throw bad(s, e);
        const [n, rest] = r;
        s = rest;
        if (e === '01') {
          if (n < 1 || n > 12) throw range('month');
          month = n;
        } else if (e === '02') day = n;
        else if (e === '15') {
          if (n >= 24) throw range('hour');
          hour = n;
        } else if (e === '04') {
          if (n >= 60) throw range('minute');
          min = n;
        } else {
          if (n >= 60) throw range('second');
          sec = n;
          // A fraction the layout does not spell out is still accepted after the seconds.
          if (!micro && s.length >= 2 && (s[0] === '.' || s[0] === ',') && isDigit(s, 1)) {
            let n2 = 2;
            while (isDigit(s, n2)) n2++;
            nsec = Number(s.slice(1, Math.min(n2, 10)).padEnd(9, '0'));
            s = s.slice(n2);
          }
        }
        break;
      }
      case '.000000': {
        if (s.length < 7 || (s[0] !== '.' && s[0] !== ',')) throw bad(s, e);
        const digits = s.slice(1, 7);
        if (!/^[0-9]{6}$/.test(digits)) throw bad(s, e);
        nsec = Number(digits) * 1000;
        s = s.slice(7);
        break;
      }
      case 'Z07:00': {
        if (s.length >= 1 && s[0] === 'Z') {
          s = s.slice(1);
          break;
        }
        if (s.length < 6 || s[3] !== ':' || (s[0] !== '+' && s[0] !== '-')) throw bad(s, e);
        const hh = getnum(s.slice(1, 3), true);
        const mm = getnum(s.slice(4, 6), true);
        if (!hh || !mm) throw bad(s, e);
        if (hh[0] > 24) throw range('time zone offset hour');
        if (mm[0] > 60) throw range('time zone offset minute');
        offset = (hh[0] * 60 + mm[0]) * 60 * (s[0] === '-' ? -1 : 1);
        s = s.slice(6);
        break;
      }
      default: {
        if (!s.startsWith(e)) throw bad(s, e);
        s = s.slice(e.length);
      }
    }
  }
  if (s.length) throw new GoTimeError(`parsing time ${goQuote(value)}: extra text: ${goQuote(s)}`);
  if (day < 1 || day > daysIn(month, year)) throw range('day');
  return { sec: daysFromCivil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec - offset, nsec };
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** The zero time.Time (0001-01-01T00:00:00Z) marshals as null. */
const ZERO_SEC = daysFromCivil(1, 1, 1) * 86400;

/** Time.MarshalJSON / MicroTime.MarshalJSON: UTC, seconds (or microseconds); null for the zero time. */
export function formatGoTime(t: GoTime, micro: boolean): string | null {
  if (t.sec === ZERO_SEC && t.nsec === 0) return null;
  const days = Math.floor(t.sec / 86400);
  let rem = t.sec - days * 86400;
  const [y, m, d] = civilFromDays(days);
  const hh = Math.floor(rem / 3600);
  rem -= hh * 3600;
  const mi = Math.floor(rem / 60);
  const ss = rem - mi * 60;
  const base = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mi, 2)}:${pad(ss, 2)}`;
  return micro ? `${base}.${pad(Math.floor(t.nsec / 1000), 6)}Z` : `${base}Z`;
}

const CANONICAL_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const CANONICAL_MICRO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Decodes and re-encodes a time string; throws GoTimeError with Go's message. */
export function normalizeGoTime(value: string, micro: boolean): string | null {
  const t = parseGoTime(value, micro);
  // Already canonical (what every Kubernetes client sends): keep the string, no re-formatting.
  if ((micro ? CANONICAL_MICRO : CANONICAL_SECONDS).test(value) && !value.startsWith('0001-01-01T00:00:00')) return value;
  return formatGoTime(t, micro);
}
