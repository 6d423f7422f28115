import { goQuote } from '../../validation/goRender.js';
import { MAX_DEPTH } from './scan.js';

// Go's encoding/json well-formedness check (checkValid, run before any decoding), over the raw
// bytes, so that a malformed body is refused with the text Go gives: `invalid character 'x'
// looking for beginning of value`, `unexpected end of JSON input`, and `invalid character '['
// exceeded max depth` past 10000 levels. A byte-at-a-time state machine with an explicit stack:
// no recursion, whatever the nesting.

const enum S {
  BeginValue,
  BeginValueOrEmpty,
  BeginStringOrEmpty,
  BeginString,
  EndValue,
  EndTop,
  InString,
  InStringEsc,
  InStringEscU,
  InStringEscU1,
  InStringEscU12,
  InStringEscU123,
  Neg,
  Zero,
  Digits,
  Dot,
  Dot0,
  E,
  ESign,
  E0,
  T,
  Tr,
  Tru,
  F,
  Fa,
  Fal,
  Fals,
  N,
  Nu,
  Nul,
}

const enum P {
  ObjectKey,
  ObjectValue,
  ArrayValue,
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/** Go's quoteChar: how a byte is shown in `invalid character ...` (a byte >= 0x80 as a Latin-1 rune). */
export function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  if (c >= 0x80 && (c < 0xa0 || c === 0xa0 || c === 0xad)) return `'\\u00${c.toString(16)}'`;
  return `'${goQuote(String.fromCharCode(c)).slice(1, -1)}'`;
}

/** The states inside true/false/null: [expected byte, next state, error context]. */
const LITERALS: Partial<Record<S, [number, S, string]>> = {
  [S.T]: [0x72, S.Tr, "in literal true (expecting 'r')"],
  [S.Tr]: [0x75, S.Tru, "in literal true (expecting 'u')"],
  [S.Tru]: [0x65, S.EndValue, "in literal true (expecting 'e')"],
  [S.F]: [0x61, S.Fa, "in literal false (expecting 'a')"],
  [S.Fa]: [0x6c, S.Fal, "in literal false (expecting 'l')"],
  [S.Fal]: [0x73, S.Fals, "in literal false (expecting 's')"],
  [S.Fals]: [0x65, S.EndValue, "in literal false (expecting 'e')"],
  [S.N]: [0x75, S.Nu, "in literal null (expecting 'u')"],
  [S.Nu]: [0x6c, S.Nul, "in literal null (expecting 'l')"],
  [S.Nul]: [0x6c, S.EndValue, "in literal null (expecting 'l')"],
};

/** Returns Go's syntax error text for `data`, or null when it is one well-formed JSON value. */
export function goSyntaxError(data: Uint8Array): string | null {
  let state = S.BeginValue;
  const stack: P[] = [];
  const fail = (c: number, context: string): string => `invalid character ${quoteChar(c)} ${context}`;

  // Returns an error text, or null after moving to the next state.
  function step(c: number): string | null {
    for (;;) {
      switch (state) {
        case S.BeginValueOrEmpty:
          if (isSpace(c)) return null;
          if (c === 0x5d /* ] */) {
            state = S.EndValue;
            return endValue(c);
          }
          state = S.BeginValue;
          continue;
        case S.BeginValue:
          if (isSpace(c)) return null;
          switch (c) {
            case 0x7b: // {
              state = S.BeginStringOrEmpty;
              return push(c, P.ObjectKey);
            case 0x5b: // [
              state = S.BeginValueOrEmpty;
              return push(c, P.ArrayValue);
            case 0x22:
              state = S.InString;
              return null;
            case 0x2d:
              state = S.Neg;
              return null;
            case 0x30:
              state = S.Zero;
              return null;
            case 0x74:
              state = S.T;
              return null;
            case 0x66:
              state = S.F;
              return null;
            case 0x6e:
              state = S.N;
              return null;
          }
          if (c >= 0x31 && c <= 0x39) {
            state = S.Digits;
            return null;
          }
          return fail(c, 'looking for beginning of value');
        case S.BeginStringOrEmpty:
          if (isSpace(c)) return null;
          if (c === 0x7d /* } */) {
            stack[stack.length - 1] = P.ObjectValue;
            state = S.EndValue;
            return endValue(c);
          }
          state = S.BeginString;
          continue;
        case S.BeginString:
          if (isSpace(c)) return null;
          if (c === 0x22) {
            state = S.InString;
            return null;
          }
          return fail(c, 'looking for beginning of object key string');
        case S.EndValue:
          return endValue(c);
        case S.EndTop:
          if (!isSpace(c)) return fail(c, 'after top-level value');
          return null;
        case S.InString:
          if (c === 0x22) {
            state = S.EndValue;
            return null;
          }
          if (c === 0x5c) {
            state = S.InStringEsc;
            return null;
          }
          if (c < 0x20) return fail(c, 'in string literal');
          return null;
        case S.InStringEsc:
          if (c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74 || c === 0x5c || c === 0x2f || c === 0x22) {
            state = S.InString;
            return null;
          }
          if (c === 0x75) {
            state = S.InStringEscU;
            return null;
          }
          return fail(c, 'in string escape code');
        case S.InStringEscU:
        case S.InStringEscU1:
        case S.InStringEscU12:
        case S.InStringEscU123:
          if (!isHex(c)) return fail(c, 'in \\u hexadecimal character escape');
          state = state === S.InStringEscU123 ? S.InString : state + 1;
          return null;
        case S.Neg:
          if (c === 0x30) {
            state = S.Zero;
            return null;
          }
          if (c >= 0x31 && c <= 0x39) {
            state = S.Digits;
            return null;
          }
          return fail(c, 'in numeric literal');
        case S.Digits:
          if (isDigit(c)) return null;
          state = S.Zero;
          continue;
        case S.Zero:
          if (c === 0x2e) {
            state = S.Dot;
            return null;
          }
          if (c === 0x65 || c === 0x45) {
            state = S.E;
            return null;
          }
          state = S.EndValue;
          return endValue(c);
        case S.Dot:
          if (isDigit(c)) {
            state = S.Dot0;
            return null;
          }
          return fail(c, 'after decimal point in numeric literal');
        case S.Dot0:
          if (isDigit(c)) return null;
          if (c === 0x65 || c === 0x45) {
            state = S.E;
            return null;
          }
          state = S.EndValue;
          return endValue(c);
        case S.E:
          if (c === 0x2b || c === 0x2d) {
            state = S.ESign;
            return null;
          }
          state = S.ESign;
          continue;
        case S.ESign:
          if (isDigit(c)) {
            state = S.E0;
            return null;
          }
          return fail(c, 'in exponent of numeric literal');
        case S.E0:
          if (isDigit(c)) return null;
          state = S.EndValue;
          return endValue(c);
        default:
          return literal(c);
      }
    }
  }

  function literal(c: number): string | null {
    const [want, next, context] = LITERALS[state]!;
    if (c !== want) return fail(c, context);
    state = next;
    return null;
  }

  function push(c: number, p: P): string | null {
    stack.push(p);
    return stack.length <= MAX_DEPTH ? null : fail(c, 'exceeded max depth');
  }

  function endValue(c: number): string | null {
    if (stack.length === 0) {
      state = S.EndTop;
      return isSpace(c) ? null : fail(c, 'after top-level value');
    }
    if (isSpace(c)) return null;
    const top = stack[stack.length - 1]!;
    if (top === P.ObjectKey) {
      if (c === 0x3a) {
        stack[stack.length - 1] = P.ObjectValue;
        state = S.BeginValue;
        return null;
      }
      return fail(c, 'after object key');
    }
    if (top === P.ObjectValue) {
      if (c === 0x2c) {
        stack[stack.length - 1] = P.ObjectKey;
        state = S.BeginString;
        return null;
      }
      if (c === 0x7d) {
        stack.pop();
        state = S.EndValue;
        if (stack.length === 0) state = S.EndTop;
        return null;
      }
      return fail(c, 'after object key:value pair');
    }
    if (c === 0x2c) {
      state = S.BeginValue;
      return null;
    }
    if (c === 0x5d) {
      stack.pop();
      state = stack.length === 0 ? S.EndTop : S.EndValue;
      return null;
    }
    return fail(c, 'after array element');
  }

  for (let i = 0; i < data.length; i++) {
    const err = step(data[i]!);
    if (err) return err;
  }
  // End of input: a number may still be open, and Go feeds one space to close it (an error that
  // space causes is the one reported).
  if ((state as S) === S.EndTop) return null;
  const err = step(0x20);
  if (err) return err;
  return (state as S) === S.EndTop ? null : 'unexpected end of JSON input';
}
