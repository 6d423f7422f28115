// Results are inspected as loose JSON, so `any` is the honest type in these assertions.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it } from 'vitest';
import { FieldSet, fieldsOf, formatPath, getAt, membersOf, pathKey, removeAt } from '../../src-main/apiserver/patch/fieldsV1.js';
import { schemaForResource } from '../../src-main/apiserver/patch/mergeKeys.js';
import { serverSideApply } from '../../src-main/apiserver/patch/index.js';

// A managedFields entry as a real kube-apiserver 1.32 writes it for `kubectl apply` (client side):
// Update entries mark newly created maps with ".".
const kubeCsaFields = {
  'f:metadata': {
    'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
    'f:labels': { '.': {}, 'f:app': {} },
  },
  'f:spec': {
    'f:replicas': {},
    'f:template': {
      'f:spec': {
        'f:containers': {
          'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } } },
        },
      },
    },
  },
};

describe('FieldSet', () => {
  it('reads FieldsV1 members, including "." markers, and writes them back unchanged', () => {
    const set = FieldSet.fromFieldsV1(kubeCsaFields);
    expect(set.has(['f:metadata', 'f:labels'])).toBe(true);
    expect(set.has(['f:metadata', 'f:labels', 'f:app'])).toBe(true);
    expect(set.has(['f:metadata'])).toBe(false);
    expect(set.has(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}'])).toBe(true);
    expect(set.toFieldsV1()).toEqual(kubeCsaFields);
  });

  it('writes "." first and sorts the other keys', () => {
    const set = new FieldSet([['f:b'], ['f:a', 'k:{"x":1}'], ['f:a', 'k:{"x":1}', 'f:z'], ['f:a', 'k:{"x":1}', 'f:y']]);
    expect(JSON.stringify(set.toFieldsV1())).toBe('{"f:a":{"k:{\\"x\\":1}":{".":{},"f:y":{},"f:z":{}}},"f:b":{}}');
  });

  it('set algebra and prefix checks', () => {
    const a = new FieldSet([['f:a'], ['f:b', 'f:c']]);
    const b = new FieldSet([['f:b', 'f:c'], ['f:d']]);
    expect(a.union(b).size).toBe(3);
    expect(a.difference(b).paths()).toEqual([['f:a']]);
    expect(a.intersection(b).paths()).toEqual([['f:b', 'f:c']]);
    expect(a.coversOrContains(['f:b'])).toBe(true);
    expect(a.coversOrContains(['f:b', 'f:c', 'f:e'])).toBe(false);
    expect(a.intersects(b)).toBe(true);
    expect(a.intersects(new FieldSet([['f:b']]))).toBe(false);
  });

  it('tells paths apart whatever characters their elements hold', () => {
    const paths = [['f:a', 'f:b'], ['f:a\u0000f:b'], ['f:a\\', 'f:b'], ['f:a\\\u0000f:b'], ['f:a\\0', 'f:b'], ['f:a', 'f:b\u0000'], ['f:a', 'f:b\\0'], ['f:a', 'f:b', '']];
    expect(new Set(paths.map(pathKey)).size).toBe(paths.length);
    const set = new FieldSet(paths);
    expect(set.size).toBe(paths.length);
    for (const p of paths) expect(set.has(p)).toBe(true);
    expect(set.has(['f:a'])).toBe(false);
    const fromV1 = FieldSet.fromFieldsV1({ 'f:a\u0000x': { '.': {}, 'f:b\\': {} } });
    expect(fromV1.paths()).toEqual([['f:a\u0000x'], ['f:a\u0000x', 'f:b\\']]);
    expect(fromV1.has(['f:a\u0000x', 'f:b\\'])).toBe(true);
  });
});

describe('fieldsOf', () => {
  it('walks keyed lists with k:, sets with v:, and treats other lists as leaves', () => {
    const pod = {
      metadata: { finalizers: ['a', 'b'] },
      spec: { containers: [{ name: 'c', args: ['x'] }], tolerations: [{ key: 't' }], nodeSelector: {} },
    };
    const paths = [...fieldsOf(pod, schemaForResource('pods')).values()].map((f) => [f.path.join('/'), f.leaf]);
    expect(paths).toEqual([
      ['f:metadata/f:finalizers/v:"a"', true],
      ['f:metadata/f:finalizers/v:"b"', true],
      ['f:spec/f:containers/k:{"name":"c"}', false],
      ['f:spec/f:containers/k:{"name":"c"}/f:name', true],
      ['f:spec/f:containers/k:{"name":"c"}/f:args', true],
      ['f:spec/f:tolerations', true],
      ['f:spec/f:nodeSelector', true],
    ]);
  });

  it('membersOf finds the same members as fieldsOf, with their values', () => {
    const pod = {
      metadata: { labels: { app: 'web' }, finalizers: ['a', 'b'] },
      spec: { containers: [{ name: 'c', args: ['x'], ports: [{ containerPort: 80 }] }], tolerations: [{ key: 't' }], nodeSelector: {} },
    };
    const schema = schemaForResource('pods');
    const members = [...membersOf(pod, schema).values()];
    expect(members.map((m) => [m.path, m.leaf])).toEqual([...fieldsOf(pod, schema).values()].map((f) => [f.path, f.leaf]));
    for (const m of members) {
      expect(m.key).toBe(pathKey(m.path));
      expect(m.value).toEqual(getAt(pod, m.path));
    }
  });

  it('falls back to owning a keyed list whole when an item lacks its key or keys repeat', () => {
    const pod = { spec: { containers: [{ image: 'no-name' }], volumes: [{ name: 'v' }, { name: 'v' }] } };
    const paths = [...fieldsOf(pod, schemaForResource('pods')).keys()];
    expect(paths).toEqual(['["f:spec","f:containers"]', '["f:spec","f:volumes"]']);
  });
});

describe('paths', () => {
  const obj = { spec: { ports: [{ port: 80, name: 'a' }, { port: 443 }], list: ['x', 'y'], arr: [1, 2, 3] } };

  it('getAt follows f:, k:, v: and i:', () => {
    expect(getAt(obj, ['f:spec', 'f:ports', 'k:{"port":80}', 'f:name'])).toBe('a');
    expect(getAt(obj, ['f:spec', 'f:list', 'v:"y"'])).toBe('y');
    expect(getAt(obj, ['f:spec', 'f:arr', 'i:2'])).toBe(3);
    expect(getAt(obj, ['f:spec', 'f:ports', 'k:{"port":8080}'])).toBeUndefined();
    expect(getAt(obj, ['f:nope'])).toBeUndefined();
  });

  it('removeAt removes fields and list items', () => {
    const o = structuredClone(obj);
    expect(removeAt(o, ['f:spec', 'f:ports', 'k:{"port":80}'])).toBe(true);
    expect(removeAt(o, ['f:spec', 'f:list', 'v:"x"'])).toBe(true);
    expect(removeAt(o, ['f:spec', 'f:arr', 'i:0'])).toBe(true);
    expect(removeAt(o, ['f:spec', 'f:missing'])).toBe(false);
    expect(o).toEqual({ spec: { ports: [{ port: 443 }], list: ['y'], arr: [2, 3] } });
  });

  it('formats paths like structured-merge-diff', () => {
    expect(formatPath(['f:spec', 'f:replicas'])).toBe('.spec.replicas');
    expect(formatPath(['f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'])).toBe('.spec.containers[name="web"].image');
    expect(formatPath(['f:spec', 'f:ports', 'k:{"containerPort":80,"protocol":"TCP"}'])).toBe('.spec.ports[containerPort=80,protocol="TCP"]');
    expect(formatPath(['f:metadata', 'f:finalizers', 'v:"a"'])).toBe('.metadata.finalizers[="a"]');
    expect(formatPath(['f:x', 'i:3'])).toBe('.x[3]');
  });
});

describe('interop with entries written by kube', () => {
  it('conflicts with a kube-written client-side-apply entry and honours compound keys when reading', () => {
    const live = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        labels: { app: 'web' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
        managedFields: [
          { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', time: '2025-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: kubeCsaFields },
        ],
      },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } } },
    };
    const applied = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } };
    expect(() =>
      serverSideApply(live, applied, { manager: 'kubectl', force: false, resourceKey: 'deployments.apps', apiVersion: 'apps/v1', now: '2025-01-02T00:00:00Z' }),
    ).toThrow('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    const { object } = serverSideApply(live, applied, {
      manager: 'kubectl',
      force: true,
      resourceKey: 'deployments.apps',
      apiVersion: 'apps/v1',
      now: '2025-01-02T00:00:00Z',
    }) as any;
    const csa = object.metadata.managedFields.find((e: any) => e.manager === 'kubectl-client-side-apply');
    expect(csa.fieldsV1['f:spec']).not.toHaveProperty('f:replicas');
    expect(csa.fieldsV1['f:spec']['f:template']).toEqual(kubeCsaFields['f:spec']['f:template']);
  });
});
