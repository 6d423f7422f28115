import { describe, expect, it } from 'vitest';
import { validateCreate, validateUpdate } from '../../src-main/api/validation/index.js';
import { applyDefaults } from '../../src-main/api/defaults/index.js';
import type { KubeObject } from '../../src-main/api/types.js';

const lines = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);
const b64 = (s: string) => Buffer.from(s).toString('base64');
const meta = { name: 'cfg', namespace: 'default' };

describe('configmaps', () => {
  it('accepts valid keys', () => {
    expect(validateCreate('configmaps', { metadata: meta, data: { 'app.properties': 'a=b', KEY_1: 'x' }, binaryData: { 'logo.png': b64('png') } })).toEqual([]);
  });

  it('rejects invalid keys with kube text', () => {
    expect(lines(validateCreate('configmaps', { metadata: meta, data: { 'a b': 'x', '..hidden': 'y' } }))).toEqual([
      `data[a b]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      `data[..hidden]: Invalid value: "..hidden": must not start with '..'`,
    ]);
    expect(lines(validateCreate('configmaps', { metadata: meta, binaryData: { 'x/y': b64('1') } }))[0]).toMatch(/^binaryData\[x\/y\]: Invalid value: "x\/y"/);
  });

  it('rejects a key present in both data and binaryData', () => {
    expect(lines(validateCreate('configmaps', { metadata: meta, data: { k: 'v' }, binaryData: { k: b64('v') } }))).toEqual([
      'data[k]: Invalid value: "k": duplicate of key present in binaryData',
    ]);
  });

  it('limits the total size to 1 MiB', () => {
    const errs = validateCreate('configmaps', { metadata: meta, data: { big: 'x'.repeat(1024 * 1024 + 1) } });
    expect(errs).toEqual([{ type: 'FieldValueTooLong', field: '', message: 'Too long: may not be more than 1048576 bytes' }]);
  });

  it('freezes data once immutable', () => {
    const old: KubeObject = { metadata: meta, data: { a: '1' }, immutable: true };
    expect(validateUpdate('configmaps', { metadata: meta, data: { a: '1' }, immutable: true }, old)).toEqual([]);
    expect(lines(validateUpdate('configmaps', { metadata: meta, data: { a: '2' }, immutable: true }, old))).toEqual([
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
    expect(lines(validateUpdate('configmaps', { metadata: meta, data: { a: '1' }, immutable: false }, old))).toEqual([
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
    expect(validateUpdate('configmaps', { metadata: meta, data: { a: '2' } }, { metadata: meta, data: { a: '1' } })).toEqual([]);
  });
});

describe('secrets', () => {
  const secret = (extra: Record<string, unknown>): KubeObject => {
    const s: KubeObject = { metadata: { name: 'sec', namespace: 'default' }, ...extra };
    applyDefaults('secrets', s);
    return s;
  };

  it('accepts Opaque secrets with valid keys (including stringData)', () => {
    expect(validateCreate('secrets', secret({ data: { password: b64('pw') }, stringData: { user: 'admin' } }))).toEqual([]);
  });

  it('rejects invalid keys', () => {
    expect(lines(validateCreate('secrets', secret({ stringData: { 'bad key': 'x' } })))[0]).toMatch(/^data\[bad key\]: Invalid value: "bad key": a valid config key/);
  });

  it('limits the decoded size to 1 MiB', () => {
    expect(lines(validateCreate('secrets', secret({ data: { big: b64('x'.repeat(1024 * 1024 + 1)) } })))).toEqual(['data: Too long: may not be more than 1048576 bytes']);
  });

  it('checks the keys each type requires', () => {
    expect(lines(validateCreate('secrets', secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c') } })))).toEqual(['data[tls.key]: Required value']);
    expect(lines(validateCreate('secrets', secret({ type: 'kubernetes.io/basic-auth' })))).toEqual(['data[username]: Required value', 'data[password]: Required value']);
    expect(lines(validateCreate('secrets', secret({ type: 'kubernetes.io/dockerconfigjson' })))).toEqual(['data[.dockerconfigjson]: Required value']);
    expect(validateCreate('secrets', secret({ type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '{"auths":{}}' } }))).toEqual([]);
    expect(lines(validateCreate('secrets', secret({ type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': 'nope' } })))[0]).toMatch(
      /^data\[\.dockerconfigjson\]: Invalid value: "<secret contents redacted>": /,
    );
    expect(lines(validateCreate('secrets', secret({ type: 'kubernetes.io/service-account-token' })))).toEqual([
      'metadata.annotations[kubernetes.io/service-account.name]: Required value',
    ]);
    expect(validateCreate('secrets', secret({ type: 'example.com/custom' }))).toEqual([]);
  });

  it('keeps type immutable and honours immutable: true', () => {
    const old = secret({ data: { a: b64('1') } });
    expect(lines(validateUpdate('secrets', secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }), old))).toEqual([
      'type: Invalid value: "kubernetes.io/tls": field is immutable',
    ]);
    const frozen = secret({ data: { a: b64('1') }, immutable: true });
    expect(lines(validateUpdate('secrets', secret({ stringData: { a: '2' }, immutable: true }), frozen))).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
  });
});
