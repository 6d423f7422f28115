// One linear pass over JSON text that JSON.parse has already accepted, to learn what JSON.parse
// hides: how many object keys the text has (the decoder counts the keys it reads back; fewer means
// a key was repeated, which JSON.parse silently collapses), how deep it nests (Go refuses more
// than 10000 levels), and whether a number literal is spelled in a way an integer field must
// refuse (1.0, 1e3) or is too long for a double to hold exactly. Any of these sends the body to
// the exact parser (goJson.ts). Strings are skipped with indexOf, so the cost is per structural
// character, not per byte of string data.

export const MAX_DEPTH = 10000;

export interface ScanResult {
  /** Number of object keys in the text. */
  keys: number;
  /** Deepest nesting of objects and arrays. */
  depth: number;
  /** A number literal with a fraction, an exponent or more than 15 digits. */
  inexactNumbers: boolean;
}

export function scanJSON(text: string): ScanResult {
  let keys = 0;
  let depth = 0;
  let maxDepth = 0;
  let inexact = false;
  let digits = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 15) inexact = true;
      continue;
    }
    const wasDigit = digits > 0;
    digits = 0;
    switch (c) {
      case 34: {
        // '"': skip to the closing quote (one preceded by an even number of backslashes).
        let j = i + 1;
        for (;;) {
          j = text.indexOf('"', j);
          let b = j - 1;
          while (text.charCodeAt(b) === 92) b--;
          if ((j - 1 - b) % 2 === 0) break;
          j++;
        }
        i = j;
        break;
      }
      case 58: // ':' outside strings: one per object member
        keys++;
        break;
      case 123: // {
      case 91: // [
        if (++depth > maxDepth) maxDepth = depth;
        break;
      case 125: // }
      case 93: // ]
        depth--;
        break;
      case 46: // '.'
      case 69: // 'E'
        inexact = true;
        break;
      case 101: // 'e': also in true/false; an exponent follows a digit
        if (wasDigit) inexact = true;
        break;
    }
  }
  return { keys, depth: maxDepth, inexactNumbers: inexact };
}
