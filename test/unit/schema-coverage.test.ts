import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../src-main/api/resources.js';
import { K, SCHEMA, registeredKind, type TypeNode } from '../../src-main/api/schema/index.js';
import { applyDefaults } from '../../src-main/api/defaults/index.js';
import { validateCreate, validateUpdate } from '../../src-main/api/validation/index.js';
import type { KubeObject } from '../../src-main/api/types.js';

// The schema must know every served kind, and every field Flotilla's own defaulting and validation
// code reads or writes: a field they use but the schema lacks would be dropped by the decoder (or
// refused with fieldValidation=Strict) before that code ever saw it.
//
// The check is dynamic: a sample of each kind with every declared field set is wrapped in proxies
// that note each property read or written on a struct, and defaulting plus create and update
// validation run over it. A key the struct does not declare is a gap.

describe('schema coverage', () => {
  it('has a schema for every served kind, its list, and every subresource body', () => {
    for (const r of RESOURCES) {
      expect(registeredKind(r.group, r.version, r.kind), `${r.key}`).toBeDefined();
      expect(registeredKind(r.group, r.version, `${r.kind}List`), `${r.key} list`).toBeDefined();
    }
    expect(registeredKind('autoscaling', 'v1', 'Scale')).toBeDefined();
    expect(registeredKind('', 'v1', 'Binding')).toBeDefined();
    expect(registeredKind('policy', 'v1', 'Eviction')).toBeDefined();
    expect(registeredKind('', 'v1', 'DeleteOptions')).toBeDefined();
    expect(SCHEMA.lookup('meta.Status').struct).toBeDefined();
  });

  it('declares every field of the Kubernetes 1.32 types that validation relies on', () => {
    const fields = (q: string): string[] => [...SCHEMA.lookup(q).struct!.fields.keys()];
    // Spot checks of fields that are easy to miss (feature-gated, beta, inlined, rarely used).
    expect(fields('core.PodSpec')).toEqual(expect.arrayContaining(['ephemeralContainers', 'topologySpreadConstraints', 'schedulingGates', 'resourceClaims', 'os', 'hostUsers', 'setHostnameAsFQDN', 'overhead', 'readinessGates', 'resources']));
    expect(fields('core.Container')).toEqual(expect.arrayContaining(['resizePolicy', 'restartPolicy', 'startupProbe', 'volumeDevices']));
    expect(fields('core.Volume')).toEqual(expect.arrayContaining(['name', 'configMap', 'secret', 'projected', 'ephemeral', 'image', 'csi', 'hostPath']));
    expect(fields('core.EphemeralContainer')).toEqual(expect.arrayContaining(['targetContainerName', 'name', 'image']));
    expect(fields('core.Probe')).toEqual(expect.arrayContaining(['exec', 'httpGet', 'tcpSocket', 'grpc', 'terminationGracePeriodSeconds']));
    expect(fields('meta.ObjectMeta')).toEqual(expect.arrayContaining(['managedFields', 'ownerReferences', 'finalizers', 'generateName', 'deletionGracePeriodSeconds']));
  });

  it('declares every field that defaulting and validation read or write', () => {
    const gaps = new Set<string>();
    for (const r of RESOURCES) {
      const type = registeredKind(r.group, r.version, r.kind)!;
      for (const variant of [0, 1]) {
        const make = () => watched(sample(type, variant, 0), type, gaps) as KubeObject;
        const obj = make();
        applyDefaults(r.key, obj);
        validateCreate(r.key, obj);
        validateUpdate(r.key, make(), make());
      }
    }
    expect([...gaps].sort()).toEqual([]);
  });

  it('notices a key the schema does not declare (the check itself works)', () => {
    const gaps = new Set<string>();
    const type = registeredKind('', 'v1', 'Pod')!;
    const pod = watched(sample(type, 0, 0), type, gaps) as KubeObject;
    void (pod.spec as Record<string, unknown>).notAField;
    (pod.metadata as unknown as Record<string, unknown>).alsoNot = 1;
    void pod.spec.containers[0].image;
    expect([...gaps].sort()).toEqual(['core.PodSpec.notAField', 'meta.ObjectMeta.alsoNot']);
  });
});

/** A value of the type with every field set (enum variant 0: first values, 1: last values). */
function sample(t: TypeNode, variant: number, depth: number): unknown {
  switch (t.kind) {
    case K.String:
      return t.enum?.length ? t.enum[variant ? t.enum.length - 1 : 0] : 'x';
    case K.Int32:
    case K.Int64:
    case K.Float64:
      return 1;
    case K.Bool:
      return variant === 0;
    case K.Bytes:
      return 'eA==';
    case K.Quantity:
      return '1';
    case K.IntOrString:
      return variant ? 'http' : 1;
    case K.Time:
      return '2024-01-01T00:00:00Z';
    case K.MicroTime:
      return '2024-01-01T00:00:00.000000Z';
    case K.Raw:
    case K.Any:
      return {};
    case K.Slice:
      return depth > 12 ? [] : [sample(t.elem!, variant, depth + 1)];
    case K.Map:
      return depth > 12 ? {} : { k: sample(t.elem!, variant, depth + 1) };
    case K.Struct: {
      const out: Record<string, unknown> = {};
      if (depth > 12) return out;
      for (const f of t.struct!.list) out[f.json] = sample(f.type, variant, depth + 1);
      return out;
    }
  }
  return null;
}

const IGNORED = new Set(['toJSON', 'then', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'length', 'asymmetricMatch', '$$typeof', 'nodeType']);

/** Wraps structs in proxies that record undeclared keys read or written; lists and maps are walked through. */
function watched(value: unknown, t: TypeNode, gaps: Set<string>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (t.kind === K.Slice) {
    const arr = value as unknown[];
    for (let i = 0; i < arr.length; i++) arr[i] = watched(arr[i], t.elem!, gaps);
    return arr;
  }
  if (t.kind === K.Map) {
    const m = value as Record<string, unknown>;
    for (const k of Object.keys(m)) m[k] = watched(m[k], t.elem!, gaps);
    return m;
  }
  if (t.kind !== K.Struct) return value;
  const st = t.struct!;
  const o = value as Record<string, unknown>;
  for (const f of st.list) if (f.json in o) o[f.json] = watched(o[f.json], f.type, gaps);
  const check = (key: string | symbol): void => {
    if (typeof key !== 'string' || IGNORED.has(key) || st.fields.has(key)) return;
    gaps.add(`${t.pkg!.name}.${st.name}.${key}`);
  };
  return new Proxy(o, {
    get(target, key, receiver) {
      check(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      check(key);
      return Reflect.has(target, key);
    },
    set(target, key, v) {
      check(key);
      const f = typeof key === 'string' ? st.fields.get(key) : undefined;
      return Reflect.set(target, key, f ? watched(v, f.type, gaps) : v);
    },
  });
}
