// []byte fields are base64 (padded, standard alphabet) in JSON. Go's decoder skips CR and LF,
// rejects anything else outside the alphabet and checks the padding; its error names the offset
// (`illegal base64 data at input byte 4`). Node's Buffer.from(s, 'base64') accepts far more, so
// the checks are done here; the stored value is Go's re-encoding.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

const CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class GoBase64Error extends Error {
  constructor(offset: number) {
    super(`illegal base64 data at input byte ${offset}`);
  }
}

const isNewline = (c: number): boolean => c === 10 || c === 13;

/** Checks `s` as Go's base64.StdEncoding.Decode does; returns Go's canonical re-encoding. */
export function goBase64(s: string): string {
  if (CANONICAL.test(s)) {
    // Well formed; Go ignores leftover bits in the last quantum, so re-encode only if any are set.
    const tail = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
    if (!tail) return s;
    const last = DECODE[s.charCodeAt(s.length - tail - 1)]!;
    return (tail === 2 ? last & 0x0f : last & 0x03) ? Buffer.from(s, 'base64').toString('base64') : s;
  }
  const n = s.length;
  let si = 0;
  const out: number[] = [];
  while (si < n) {
    const q: number[] = [];
    let j = 0;
    let end = false;
    for (; j < 4; j++) {
      if (si === n) {
        if (j === 0) return Buffer.from(out).toString('base64');
        throw new GoBase64Error(si - j);
      }
      const c = s.charCodeAt(si++);
      const v = c < 128 ? DECODE[c]! : -1;
      if (v >= 0) {
        q.push(v);
        continue;
      }
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== 61 /* = */) throw new GoBase64Error(si - 1);
      if (j < 2) throw new GoBase64Error(si - 1);
      if (j === 2) {
        while (si < n && isNewline(s.charCodeAt(si))) si++;
        if (si === n) throw new GoBase64Error(n);
        if (s.charCodeAt(si) !== 61) throw new GoBase64Error(si - 1);
        si++;
      }
      while (si < n && isNewline(s.charCodeAt(si))) si++;
      if (si < n) throw new GoBase64Error(si);
      end = true;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = q;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((bits >> 16) & 0xff);
    if (q.length > 2) out.push((bits >> 8) & 0xff);
    if (q.length > 3) out.push(bits & 0xff);
    if (end) break;
  }
  return Buffer.from(out).toString('base64');
}
