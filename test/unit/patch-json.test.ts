// Results are inspected as loose JSON, so `any` is the honest type in these assertions.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it } from 'vitest';
import { jsonMergePatch, jsonPatch, PatchError } from '../../src-main/apiserver/patch/index.js';

function frozen<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) frozen(x);
    Object.freeze(v);
  }
  return v;
}

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e.code;
    throw e;
  }
  return undefined;
}

describe('jsonMergePatch (RFC 7386)', () => {
  // Appendix A of RFC 7386, restricted to object patches (kube rejects the others).
  const vectors: [unknown, unknown, unknown][] = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(vectors)('merge %j with %j', (target, patch, want) => {
    expect(jsonMergePatch(frozen(target), frozen(patch))).toEqual(want);
  });

  it('kubectl scale and annotate bodies', () => {
    const d = { metadata: { name: 'web', annotations: { a: '1' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'c' }] } } } };
    expect((jsonMergePatch(d, { spec: { replicas: 3 } }) as any).spec).toEqual({ replicas: 3, template: d.spec.template });
    expect((jsonMergePatch(d, { metadata: { annotations: { b: '2' } } }) as any).metadata.annotations).toEqual({ a: '1', b: '2' });
  });

  it('replaces lists wholesale, unlike strategic merge', () => {
    const pod = { spec: { containers: [{ name: 'a' }, { name: 'b' }] } };
    expect(jsonMergePatch(pod, { spec: { containers: [{ name: 'c' }] } })).toEqual({ spec: { containers: [{ name: 'c' }] } });
  });

  it('shares nothing with its inputs', () => {
    const patch = { spec: { list: [{ x: 1 }] } };
    const target = { keep: { deep: 1 } };
    const out = jsonMergePatch(target, patch) as any;
    out.spec.list[0].x = 2;
    out.keep.deep = 2;
    expect(patch.spec.list[0].x).toBe(1);
    expect(target.keep.deep).toBe(1);
  });

  it('rejects a patch that is not an object with 400', () => {
    expect(codeOf(() => jsonMergePatch({}, [1]))).toBe(400);
    expect(codeOf(() => jsonMergePatch({}, 'x'))).toBe(400);
    expect(codeOf(() => jsonMergePatch({}, null))).toBe(400);
  });
});

describe('jsonPatch (RFC 6902)', () => {
  const doc = () => ({ metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 1, list: ['a', 'b'] } });

  it('applies add, replace, remove, move, copy and test', () => {
    const ops = [
      { op: 'test', path: '/spec/replicas', value: 1 },
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/metadata/labels/tier', value: 'fe' },
      { op: 'add', path: '/spec/list/-', value: 'c' },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'copy', from: '/metadata/name', path: '/metadata/labels/name' },
      { op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/application' },
    ];
    expect(jsonPatch(frozen(doc()), frozen(ops))).toEqual({
      metadata: { name: 'web', labels: { tier: 'fe', name: 'web', application: 'web' } },
      spec: { replicas: 3, list: ['b', 'c'] },
    });
  });

  it('escapes ~1 and ~0 in paths (annotation keys with slashes)', () => {
    const out = jsonPatch({ metadata: { annotations: {} } }, [{ op: 'add', path: '/metadata/annotations/example.com~1a~0b', value: 'v' }]);
    expect(out).toEqual({ metadata: { annotations: { 'example.com/a~b': 'v' } } });
  });

  it('a failed test is 422 with a kube-like message', () => {
    try {
      jsonPatch(doc(), [{ op: 'test', path: '/spec/replicas', value: 5 }]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PatchError);
      expect((e as PatchError).code).toBe(422);
      expect((e as PatchError).message).toBe('testing value /spec/replicas failed: test failed');
    }
  });

  it('operations on missing paths are 422', () => {
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'replace', path: '/spec/missing', value: 1 }]))).toBe(422);
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'remove', path: '/metadata/annotations' }]))).toBe(422);
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'add', path: '/no/such/parent', value: 1 }]))).toBe(422);
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'move', from: '/nope', path: '/x' }]))).toBe(422);
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'add', path: '/spec/list/9', value: 'x' }]))).toBe(422);
  });

  it('malformed patches are 400', () => {
    expect(codeOf(() => jsonPatch(doc(), { op: 'add' }))).toBe(400);
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'frobnicate', path: '/x' }]))).toBe(400);
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'add', value: 1 }]))).toBe(400);
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'add', path: '/x' }]))).toBe(400);
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'copy', path: '/x' }]))).toBe(400);
    expect(codeOf(() => jsonPatch(doc(), [{ op: 'add', path: 'x', value: 1 }]))).toBe(400);
    expect(codeOf(() => jsonPatch(doc(), ['nope']))).toBe(400);
  });

  it('refuses prototype pollution', () => {
    expect(codeOf(() => jsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: 1 }]))).toBe(422);
    expect(({} as any).polluted).toBeUndefined();
  });

  it('does not mutate its inputs, and results do not alias the op values', () => {
    const original = doc();
    const ops = [{ op: 'add', path: '/spec/obj', value: { deep: 1 } }];
    const out = jsonPatch(frozen(original), frozen(ops)) as any;
    out.spec.obj.deep = 2;
    expect(ops[0].value).toEqual({ deep: 1 });
    expect(original.spec).not.toHaveProperty('obj');
  });

  it('an empty operation list returns an equal copy', () => {
    const original = doc();
    const out = jsonPatch(original, []);
    expect(out).toEqual(original);
    expect(out).not.toBe(original);
  });
});
