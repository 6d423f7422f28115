import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { goSyntaxError } from '../../src-main/api/schema/decode/goSyntax.js';
import { scanJSON } from '../../src-main/api/schema/decode/scan.js';
import { parseExact } from '../../src-main/api/schema/decode/goParse.js';
import { walk } from '../../src-main/api/schema/decode/walk.js';
import { goBase64, GoBase64Error } from '../../src-main/api/schema/decode/goBase64.js';
import { normalizeGoTime } from '../../src-main/api/schema/decode/goTime.js';
import { goSprintValue } from '../../src-main/api/schema/decode/goFormat.js';
import { registeredKind } from '../../src-main/api/schema/index.js';

// The pieces that reproduce Go's encoding/json, encoding/base64 and time.Parse behaviour.

describe("Go's JSON syntax errors", () => {
  const cases: [string, string | Buffer, string | null][] = [
    ['valid', '{"a":[1,-2.5e3,true,false,null,"x\\u00e9"]}', null],
    ['a missing colon', '{"a" 1}', "invalid character '1' after object key"],
    ['a missing comma', '{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['a missing comma in a list', '[1 2]', "invalid character '2' after array element"],
    ['a non-string key', '{1:2}', "invalid character '1' looking for beginning of object key string"],
    ['a trailing comma', '[1,]', "invalid character ']' looking for beginning of value"],
    ['a single quote', "'a'", "invalid character '\\'' looking for beginning of value"],
    ['a bad escape', '"a\\x"', "invalid character 'x' in string escape code"],
    ['a bad \\u escape', '"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['a raw tab in a string', '"a\tb"', "invalid character '\\t' in string literal"],
    ['a leading zero', '01', "invalid character '1' after top-level value"],
    ['text after the value', '{} x', "invalid character 'x' after top-level value"],
    ['a bad literal', 'nul!', "invalid character '!' in literal null (expecting 'l')"],
    ['a truncated literal', 'tru', "invalid character ' ' in literal true (expecting 'e')"],
    ['a lone minus', '-', "invalid character ' ' in numeric literal"],
    ['a bare decimal point', '1.', "invalid character ' ' after decimal point in numeric literal"],
    ['an empty exponent', '1e', "invalid character ' ' in exponent of numeric literal"],
    ['an unterminated string', '"abc', 'unexpected end of JSON input'],
    ['an unclosed object', '{"a":1', 'unexpected end of JSON input'],
    ['empty input', '', 'unexpected end of JSON input'],
    ['a byte order mark', Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), "invalid character 'ï' looking for beginning of value"],
    ['a control byte', Buffer.from([0x01]), "invalid character '\\x01' looking for beginning of value"],
  ];
  it.each(cases)('%s', (_name, text, message) => {
    expect(goSyntaxError(Buffer.isBuffer(text) ? text : Buffer.from(text))).toBe(message);
  });

  it('allows 10000 levels and refuses the 10001st', () => {
    expect(goSyntaxError(Buffer.from(`${'['.repeat(10000)}${']'.repeat(10000)}`))).toBeNull();
    expect(goSyntaxError(Buffer.from(`${'{"a":'.repeat(10001)}1${'}'.repeat(10001)}`))).toBe("invalid character '{' exceeded max depth");
  });
});

describe('the fast scan', () => {
  it('counts keys outside strings, nesting and number spellings', () => {
    expect(scanJSON('{"a:b":{"c":[1,2]},"d":"x\\":y"}')).toEqual({ keys: 3, depth: 3, inexactNumbers: false });
    expect(scanJSON('{"a":1.0}').inexactNumbers).toBe(true);
    expect(scanJSON('{"a":1e3}').inexactNumbers).toBe(true);
    expect(scanJSON('{"a":true,"e":false}').inexactNumbers).toBe(false);
    expect(scanJSON('{"a":1234567890123456}').inexactNumbers).toBe(true);
    expect(scanJSON('{"a":"1.5e3 and 12345678901234567"}').inexactNumbers).toBe(false);
  });
});

describe('fast path and exact parser agree', () => {
  const pod = registeredKind('', 'v1', 'Pod')!;
  // Random pod-shaped bodies, with mistakes: unknown keys, wrong types, nulls.
  const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 70000 }), fc.boolean(), fc.constant(null));
  const anyValue = fc.oneof(scalar, fc.dictionary(fc.constantFrom('a', 'b', 'name'), scalar, { maxKeys: 3 }), fc.array(scalar, { maxLength: 3 }));
  const container = fc.record(
    { name: fc.oneof(fc.string({ maxLength: 5 }), anyValue), image: anyValue, ports: fc.array(fc.record({ containerPort: anyValue, protocol: anyValue, bogus: anyValue }, { requiredKeys: [] }), { maxLength: 2 }), args: fc.oneof(fc.array(anyValue, { maxLength: 2 }), anyValue), stdin: anyValue },
    { requiredKeys: [] },
  );
  const body = fc.record(
    {
      metadata: fc.record({ name: anyValue, labels: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), anyValue, { maxKeys: 3 }), anyValue), finalizers: anyValue, extra: anyValue }, { requiredKeys: [] }),
      spec: fc.record({ containers: fc.oneof(fc.array(container, { maxLength: 2 }), anyValue), hostNetwork: anyValue, nodeSelector: anyValue, priority: anyValue, x: anyValue }, { requiredKeys: [] }),
      unknown: anyValue,
    },
    { requiredKeys: [] },
  );
  it('on values, errors and unknown fields', () => {
    fc.assert(
      fc.property(body, (b) => {
        const text = JSON.stringify(b);
        const fast = walk(JSON.parse(text), pod, true);
        const exact = parseExact(text, pod);
        const slow = walk(exact.value, pod, false);
        expect(slow.value).toEqual(fast.value);
        expect(slow.error).toEqual(fast.error);
        if (fast.error === undefined) {
          expect(exact.strict).toEqual(fast.unknown);
          // Every key was read once: what decodeJSON compares to know there was no repeated key.
          expect(fast.keys).toBe(scanJSON(text).keys);
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('base64 as encoding/base64.StdEncoding decodes it', () => {
  const cases: [string, string | number][] = [
    ['aGVsbG8=', 'aGVsbG8='],
    ['', ''],
    ['aGVs\nbG8=\r\n', 'aGVsbG8='],
    ['YR==', 'YQ=='],
    ['aGVsbG8', 4],
    ['abc', 0],
    ['a', 0],
    ['ab!d', 2],
    ['YQ=', 3],
    ['YQ==YQ==', 4],
    ['=abc', 0],
    ['aGVsbG8==', 8],
    ['aé==', 1],
  ];
  it.each(cases)('%j', (input, want) => {
    if (typeof want === 'string') expect(goBase64(input)).toBe(want);
    else expect(() => goBase64(input)).toThrow(new GoBase64Error(want));
  });
});

describe('metav1.Time and MicroTime as time.Parse reads them', () => {
  const cases: [string, boolean, string | null][] = [
    ['2024-05-01T10:00:00Z', false, '2024-05-01T10:00:00Z'],
    ['2024-05-01T10:00:00.999+02:00', false, '2024-05-01T08:00:00Z'],
    ['2024-05-01T1:02:03Z', false, '2024-05-01T01:02:03Z'],
    ['0001-01-01T00:00:00Z', false, null],
    ['2024-02-29T00:00:00-00:30', false, '2024-02-29T00:30:00Z'],
    ['2024-05-01T10:00:00.123456Z', true, '2024-05-01T10:00:00.123456Z'],
    ['2024-05-01T10:00:00.123456-01:00', true, '2024-05-01T11:00:00.123456Z'],
  ];
  it.each(cases)('%s', (input, micro, want) => {
    expect(normalizeGoTime(input, micro)).toBe(want);
  });

  const errors: [string, boolean, string][] = [
    ['', false, 'parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006"'],
    ['2024-05-01', false, 'parsing time "2024-05-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"'],
    ['2024-05-01 10:00:00Z', false, 'parsing time "2024-05-01 10:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 10:00:00Z" as "T"'],
    ['2024-5-01T10:00:00Z', false, 'parsing time "2024-5-01T10:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "5-01T10:00:00Z" as "01"'],
    ['2024-05-01T10:00:00', false, 'parsing time "2024-05-01T10:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"'],
    ['2024-05-01T10:00:00z', false, 'parsing time "2024-05-01T10:00:00z" as "2006-01-02T15:04:05Z07:00": cannot parse "z" as "Z07:00"'],
    ['2024-02-30T10:00:00Z', false, 'parsing time "2024-02-30T10:00:00Z": day out of range'],
    ['2024-05-01T24:00:00Z', false, 'parsing time "2024-05-01T24:00:00Z": hour out of range'],
    ['2024-05-01T10:60:00Z', false, 'parsing time "2024-05-01T10:60:00Z": minute out of range'],
    ['2024-05-01T10:00:00Zjunk', false, 'parsing time "2024-05-01T10:00:00Zjunk": extra text: "junk"'],
    ['2024-05-01T10:00:00.1234567Z', true, 'parsing time "2024-05-01T10:00:00.1234567Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "7Z" as "Z07:00"'],
  ];
  it.each(errors)('refuses %j', (input, micro, message) => {
    expect(() => normalizeGoTime(input, micro)).toThrow(message);
  });
});

describe("Go's %+v of a decoded patch", () => {
  it('prints maps sorted, strings bare, null as <nil>, floats as Go does', () => {
    expect(goSprintValue({ b: [1, 'x', null], a: { c: true }, d: 1.5, e: 1e-7, f: 2500000.5 })).toBe('map[a:map[c:true] b:[1 x <nil>] d:1.5 e:1e-07 f:2.5000005e+06]');
  });
});
