import { describe, expect, it } from 'vitest';
import { resourceByKey } from '../../src-main/api/resources.js';
import { ApiError } from '../../src-main/apiserver/status.js';
import type { Status } from '../../src-main/api/types.js';
import { applyStrictCheck, decodePatchBody, decodePatched } from '../../src-main/apiserver/handlers/decode.js';

// PATCH as patch.go checks it: the patch body first (by patch type), then the patched object, with
// kube's 400s and its 422 `"" is invalid: patch: Invalid value: ...` (which kubectl prints as
// "The request is invalid: ...").

const deployments = resourceByKey('deployments.apps')!;
const SMP = 'application/strategic-merge-patch+json';
const MERGE = 'application/merge-patch+json';
const JSONPATCH = 'application/json-patch+json';
const b = (s: string): Buffer => Buffer.from(s);

function status(f: () => unknown): Status {
  try {
    f();
  } catch (e) {
    if (e instanceof ApiError) return e.status;
    throw e;
  }
  throw new Error('expected an ApiError');
}

const live = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } } } });

describe('decodePatchBody', () => {
  it('a strategic merge patch must be a JSON object (400, with or without strictness)', () => {
    for (const mode of ['Strict', 'Ignore'] as const) {
      expect(status(() => decodePatchBody(b('[1]'), SMP, mode))).toMatchObject({ code: 400, reason: 'BadRequest', message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' });
    }
    expect(status(() => decodePatchBody(b('{"a":'), SMP, 'Strict')).message).toBe('unexpected end of JSON input');
  });

  it('JSON and merge patches are decoded first when strict, with "error decoding patch: "', () => {
    expect(status(() => decodePatchBody(b('{"op":"add"}'), JSONPATCH, 'Strict')).message).toBe('error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
    expect(status(() => decodePatchBody(b('{"op":"add"}'), JSONPATCH, 'Ignore')).message).toBe('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    expect(status(() => decodePatchBody(b('[1]'), MERGE, 'Warn')).message).toBe('error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}');
    expect(status(() => decodePatchBody(b('{x'), MERGE, 'Ignore')).message).toBe('Invalid JSON Patch');
  });

  it('finds repeated keys in the patch, and unknown fields of JSON patch operations', () => {
    expect(decodePatchBody(b('{"metadata":{"labels":{"a":"1","a":"2"}}}'), SMP, 'Warn')).toEqual({ patch: { metadata: { labels: { a: '2' } } }, strict: ['duplicate field "metadata.labels.a"'] });
    expect(decodePatchBody(b('[{"op":"add","path":"/a","value":{"x":1,"x":2},"foo":1}]'), JSONPATCH, 'Strict').strict).toEqual([
      'json patch duplicate field "[0].value.x"',
      'json patch unknown field "[0].foo"',
    ]);
    expect(decodePatchBody(b('{"a":1,"a":2}'), MERGE, 'Ignore').strict).toEqual([]);
  });
});

describe('decodePatched', () => {
  it('strategic merge: unknown fields of the patched object, sorted, with the patch shown as Go prints a map', () => {
    const body = decodePatchBody(b('{"spec":{"wat":1,"replicas":2},"metadata":{"labels":{"a":"1","a":"2"}},"zzz":true}'), SMP, 'Strict');
    // (decodePatched consumes the object it is given: each call gets a fresh one.)
    const patched = () => ({ ...live(), zzz: true, metadata: { ...live().metadata, labels: { a: '2' } }, spec: { ...live().spec, wat: 1, replicas: 2 } });
    const s = status(() => decodePatched(patched(), deployments, 'Strict', SMP, body));
    const detail = 'Invalid value: "map[metadata:map[labels:map[a:2]] spec:map[replicas:2 wat:1] zzz:true]": strict decoding error: duplicate field "metadata.labels.a", unknown field "spec.wat", unknown field "zzz"';
    expect(s).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: ` "" is invalid: patch: ${detail}`,
      reason: 'Invalid',
      details: { causes: [{ reason: 'FieldValueInvalid', message: detail, field: 'patch' }] },
      code: 422,
    });
    const warn = decodePatched(patched(), deployments, 'Warn', SMP, decodePatchBody(b('{"metadata":{"labels":{"a":"1","a":"2"}}}'), SMP, 'Warn'));
    expect(warn.warnings).toEqual(['duplicate field "metadata.labels.a"', 'unknown field "spec.wat"', 'unknown field "zzz"']);
    expect(warn.obj).toEqual({ ...live(), metadata: { ...live().metadata, labels: { a: '2' } }, spec: { ...live().spec, replicas: 2 } });
  });

  it('strategic merge: type errors in the unstructured converter words', () => {
    const body = { patch: { spec: { replicas: 'x' } }, strict: [] };
    const msg = (spec: Record<string, unknown>) => status(() => decodePatched({ ...live(), spec: { ...live().spec, ...spec } }, deployments, 'Ignore', SMP, body)).message;
    expect(msg({ replicas: 'x' })).toBe(' "" is invalid: patch: Invalid value: "map[spec:map[replicas:x]]": unrecognized type: int32');
    expect(msg({ replicas: 1.5 })).toContain(': cannot convert float64 to int32');
    expect(msg({ paused: 'yes' })).toContain(': unrecognized type: bool');
    expect(msg({ selector: 'x' })).toContain(': cannot restore struct from: string');
    expect(msg({ template: { spec: { containers: { a: 1 } } } })).toContain(': cannot restore slice from map');
    expect(msg({ template: { metadata: { labels: ['a'] } } })).toContain(': cannot restore map from slice');
    expect(msg({ template: { metadata: { name: 5 } } })).toContain(': cannot convert int64 to string');
    expect(msg({ strategy: { rollingUpdate: { maxSurge: true } } })).toContain(': json: cannot unmarshal bool into Go value of type int32');
    // An integral float fits (the converter converts it); kube stores the integer.
    expect(decodePatched({ ...live(), spec: { ...live().spec, replicas: 2.0 } }, deployments, 'Strict', SMP, body).obj.spec.replicas).toBe(2);
  });

  it('JSON and merge patches: the patched JSON through the decoder, shown with sorted keys', () => {
    const patched = { ...live(), spec: { ...live().spec, replicas: '2' } };
    const s = status(() => decodePatched(patched, deployments, 'Strict', MERGE, { patch: {}, strict: [] }));
    expect(s.code).toBe(422);
    expect(s.message).toBe(
      ' "" is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"apps/v1\\",\\"kind\\":\\"Deployment\\",\\"metadata\\":{\\"name\\":\\"web\\",\\"namespace\\":\\"default\\"},\\"spec\\":{\\"replicas\\":\\"2\\",\\"selector\\":{\\"matchLabels\\":{\\"app\\":\\"web\\"}}}}": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
    );
    const strict = status(() => decodePatched({ ...live(), foo: 1 }, deployments, 'Strict', JSONPATCH, { patch: [], strict: ['json patch unknown field "[0].x"'] }));
    expect(strict.message).toMatch(/: strict decoding error: json patch unknown field "\[0\]\.x", unknown field "foo"$/);
  });

  it('returns the normalised object and no warnings when all is well', () => {
    const ok = decodePatched({ ...live(), metadata: { ...live().metadata, labels: {} }, spec: { ...live().spec, paused: false } }, deployments, 'Strict', SMP, { patch: {}, strict: [] });
    expect(ok).toEqual({ obj: live(), warnings: [] });
  });
});

describe('applyStrictCheck (server-side apply bodies)', () => {
  it('a repeated key: 400 when Strict, a warning when Warn, nothing when Ignore', () => {
    const body = b('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: "1"\n  k: "2"\n');
    expect(status(() => applyStrictCheck(body, 'Strict'))).toMatchObject({
      code: 400,
      message: 'error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key "k" already set in map',
    });
    expect(applyStrictCheck(body, 'Warn')).toEqual(['line 7: key "k" already set in map']);
    expect(applyStrictCheck(body, 'Ignore')).toEqual([]);
  });
});
