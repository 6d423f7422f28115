import { describe, expect, it } from 'vitest';
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidLabelValue,
  isValidPortName,
  isWildcardDNS1123Subdomain,
  nameIsDNSSubdomain,
  regexError,
} from '../../src-main/api/validation/names.js';
import { cmpQuantity, isQuantity, parseQuantity, quantityString, roundUpTo, type Quantity } from '../../src-main/api/validation/quantity.js';
import { goIntOrString, goLabelSelector, goQuote, goStringMap, goStrings } from '../../src-main/api/validation/goRender.js';
import { fieldErr, rendered } from '../../src-main/api/validation/fieldErrors.js';
import { isValidCIDR, isValidIP, validateNonSpecialIP } from '../../src-main/api/validation/ip.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('name formats (apimachinery util/validation)', () => {
  it('DNS-1123 subdomain uses kube text', () => {
    expect(isDNS1123Subdomain('example.com')).toEqual([]);
    expect(isDNS1123Subdomain('Example')).toEqual([SUBDOMAIN_MSG]);
    expect(isDNS1123Subdomain('a'.repeat(254))).toEqual(['must be no more than 253 characters']);
  });

  it('DNS-1123 label distinguishes dots', () => {
    expect(isDNS1123Label('my-name')).toEqual([]);
    expect(isDNS1123Label('a.b')).toEqual(['must not contain dots']);
    expect(isDNS1123Label('-a')[0]).toBe(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
    expect(isDNS1123Label('a'.repeat(64))).toEqual(['must be no more than 63 characters']);
  });

  it('DNS-1035 label must start with a letter', () => {
    expect(isDNS1035Label('web')).toEqual([]);
    expect(isDNS1035Label('1web')[0]).toMatch(/^a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character/);
  });

  it('wildcard subdomains', () => {
    expect(isWildcardDNS1123Subdomain('*.example.com')).toEqual([]);
    expect(isWildcardDNS1123Subdomain('*.*.example.com')).toHaveLength(1);
    expect(isWildcardDNS1123Subdomain('foo*.example.com')).toHaveLength(1);
  });

  it('qualified names with prefixes', () => {
    expect(isQualifiedName('app.kubernetes.io/name')).toEqual([]);
    expect(isQualifiedName('/name')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName('a/b/c')[0]).toMatch(/^a qualified name must consist of alphanumeric characters/);
    expect(isQualifiedName('')).toHaveLength(2);
    expect(isQualifiedName(`x/${'a'.repeat(64)}`)).toEqual(['name part must be no more than 63 characters']);
    expect(isQualifiedName('Bad_/x')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain/);
  });

  it('label values may be empty but not longer than 63', () => {
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('v1.2_3')).toEqual([]);
    expect(isValidLabelValue('-x')[0]).toMatch(/^a valid label must be an empty string or consist of alphanumeric/);
    expect(isValidLabelValue('a'.repeat(64))).toContain('must be no more than 63 characters');
  });

  it('config keys', () => {
    expect(isConfigMapKey('app.properties')).toEqual([]);
    expect(isConfigMapKey('..data')).toEqual(["must not start with '..'"]);
    expect(isConfigMapKey('a/b')[0]).toBe(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  });

  it('port names (IANA_SVC_NAME)', () => {
    expect(isValidPortName('http')).toEqual([]);
    expect(isValidPortName('80')).toEqual(['must contain at least one letter (a-z)']);
    expect(isValidPortName('a--b')).toEqual(['must not contain consecutive hyphens']);
    expect(isValidPortName('averyveryverylongname')).toContain('must be no more than 15 characters');
    expect(isValidPortName('HTTP')).toContain('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  });

  it('relaxed env var names', () => {
    expect(isRelaxedEnvVarName('1_FOO.bar-baz')).toEqual([]);
    expect(isRelaxedEnvVarName('A=B')).toEqual(["a valid environment variable name must consist only of printable ASCII characters other than '='"]);
  });

  it('generateName prefixes may end with a dash', () => {
    expect(nameIsDNSSubdomain('web-', true)).toEqual([]);
    expect(nameIsDNSSubdomain('web-', false)).toHaveLength(1);
  });

  it('regexError punctuation matches kube', () => {
    expect(regexError('m', 'f')).toBe("m (regex used for validation is 'f')");
    expect(regexError('m', 'f', 'a', 'b')).toBe("m (e.g. 'a',  or 'b', regex used for validation is 'f')");
  });
});

describe('quantities', () => {
  const q = (s: unknown) => {
    const r = parseQuantity(s);
    if (!isQuantity(r)) throw new Error(r.error);
    return r;
  };
  it.each([
    ['500m', '500m'],
    ['0.5', '500m'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['2000', '2k'],
    ['1.5G', '1500M'],
    ['128Mi', '128Mi'],
    ['1024Mi', '1Gi'],
    ['0.5Gi', '512Mi'],
    ['1.5Ki', '1536'],
    ['512Ki', '512Ki'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['0', '0'],
    ['-1', '-1'],
    ['0.0000000001', '1n'],
    [2, '2'],
  ])('canonical form of %s is %s', (input, out) => {
    expect(quantityString(q(input))).toBe(out);
  });

  it('rejects malformed values with the Go error text', () => {
    const r = parseQuantity('abc');
    expect(isQuantity(r)).toBe(false);
    expect((r as { error: string }).error).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    expect(isQuantity(parseQuantity('1Kb'))).toBe(false);
    expect(isQuantity(parseQuantity(''))).toBe(false);
  });

  it('compares across suffixes', () => {
    expect(cmpQuantity(q('1Gi'), q('1024Mi'))).toBe(0);
    expect(cmpQuantity(q('1G'), q('1Gi'))).toBe(-1);
    expect(cmpQuantity(q('2'), q('1500m'))).toBe(1);
  });

  it('rounds up to milli precision', () => {
    const r: Quantity = roundUpTo(q('0.0001'), -3);
    expect(quantityString(r)).toBe('1m');
  });
});

describe('Go %#v rendering', () => {
  it('renders maps, slices, IntOrString and selectors like Go', () => {
    expect(goStringMap({ b: '2', a: '1' })).toBe('map[string]string{"a":"1", "b":"2"}');
    expect(goStringMap(undefined)).toBe('map[string]string(nil)');
    expect(goStrings(['10.0.0.1'])).toBe('[]string{"10.0.0.1"}');
    expect(goStrings(undefined)).toBe('[]string(nil)');
    expect(goIntOrString(0)).toBe('intstr.IntOrString{Type:0, IntVal:0, StrVal:""}');
    expect(goIntOrString('0%')).toBe('intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}');
    expect(goLabelSelector({ matchLabels: { app: 'x' } })).toBe(
      'v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}',
    );
    expect(goLabelSelector({ matchExpressions: [{ key: 'k', operator: 'In', values: ['a'] }] })).toBe(
      'v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"k", Operator:"In", Values:[]string{"a"}}}}',
    );
    expect(goQuote('a"b\n\u0001')).toBe('"a\\"b\\n\\x01"');
  });

  it('field errors print rendered values verbatim and support NotFound/TooMany', () => {
    expect(fieldErr.invalid('f', rendered('map[string]string{}'), 'd').message).toBe('Invalid value: map[string]string{}: d');
    expect(fieldErr.notFound('f', 'x')).toEqual({ type: 'FieldValueNotFound', field: 'f', message: 'Not found: "x"' });
    expect(fieldErr.tooMany('f', 101, 100).message).toBe('Too many: 101: must have at most 100 items');
  });
});

describe('IP helpers', () => {
  it('parses IPv4 (sloppily), IPv6 and CIDRs', () => {
    expect(isValidIP('10.0.0.1')).toBe(true);
    expect(isValidIP('010.000.000.001')).toBe(true);
    expect(isValidIP('256.0.0.1')).toBe(false);
    expect(isValidIP('fd00::1')).toBe(true);
    expect(isValidIP('nope')).toBe(false);
    expect(isValidCIDR('10.0.0.0/8')).toBe(true);
    expect(isValidCIDR('10.0.0.0/33')).toBe(false);
  });
  it('rejects special addresses for endpoints', () => {
    expect(validateNonSpecialIP('ip', '127.0.0.1')[0].message).toBe('Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)');
    expect(validateNonSpecialIP('ip', '0.0.0.0')[0].message).toBe('Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)');
    expect(validateNonSpecialIP('ip', '169.254.1.1')).toHaveLength(1);
    expect(validateNonSpecialIP('ip', 'fe80::1')).toHaveLength(1);
    expect(validateNonSpecialIP('ip', '10.1.2.3')).toEqual([]);
  });
});
