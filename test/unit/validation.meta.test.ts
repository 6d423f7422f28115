import { describe, expect, it } from 'vitest';
import { validateCreate, validateUpdate } from '../../src-main/api/validation/index.js';
import type { KubeObject } from '../../src-main/api/types.js';

const lines = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);
const cm = (meta: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default', ...meta } });

describe('metadata.name', () => {
  it('is required unless generateName is given', () => {
    expect(lines(validateCreate('configmaps', cm({})))).toEqual(['metadata.name: Required value: name or generateName is required']);
    expect(validateCreate('configmaps', cm({ generateName: 'cfg-' }))).toEqual([]);
  });

  it('validates generateName as a prefix', () => {
    expect(lines(validateCreate('configmaps', cm({ generateName: 'Cfg-' })))[0]).toMatch(/^metadata\.generateName: Invalid value: "Cfg-": a lowercase RFC 1123 subdomain/);
  });

  it('is a DNS-1123 subdomain for most kinds', () => {
    expect(validateCreate('configmaps', cm({ name: 'my.config-1' }))).toEqual([]);
    expect(lines(validateCreate('configmaps', cm({ name: 'My_Config' })))).toEqual([
      `metadata.name: Invalid value: "My_Config": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });

  it('is a DNS-1123 label for namespaces', () => {
    const ns = (name: string): KubeObject => ({ metadata: { name }, spec: { finalizers: ['kubernetes'] } });
    expect(validateCreate('namespaces', ns('team-a'))).toEqual([]);
    expect(lines(validateCreate('namespaces', ns('team.a')))).toEqual(['metadata.name: Invalid value: "team.a": must not contain dots']);
  });

  it('is a DNS-1035 label for services (kube: must start with a letter)', () => {
    const svc = (name: string): KubeObject => ({
      metadata: { name, namespace: 'default' },
      spec: { type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] },
    });
    expect(validateCreate('services', svc('web'))).toEqual([]);
    expect(lines(validateCreate('services', svc('1web')))[0]).toMatch(/^metadata\.name: Invalid value: "1web": a DNS-1035 label/);
    expect(lines(validateCreate('services', svc('a.b')))[0]).toMatch(/^metadata\.name: Invalid value: "a\.b": a DNS-1035 label/);
  });
});

describe('metadata.namespace', () => {
  it('is required for namespaced kinds and checked as a label', () => {
    expect(lines(validateCreate('configmaps', { metadata: { name: 'x' } }))).toEqual(['metadata.namespace: Required value']);
    expect(lines(validateCreate('configmaps', { metadata: { name: 'x', namespace: 'Bad' } }))[0]).toMatch(/^metadata\.namespace: Invalid value: "Bad": a lowercase RFC 1123 label/);
  });
  it('is not required for cluster-scoped or unknown kinds', () => {
    expect(validateCreate('nodes', { metadata: { name: 'n1' } })).toEqual([]);
    expect(validateCreate('widgets.example.com', { metadata: { name: 'w' } })).toEqual([]);
  });
});

describe('labels and annotations', () => {
  it('checks label keys and values', () => {
    const errs = lines(validateCreate('configmaps', cm({ name: 'x', labels: { 'app.kubernetes.io/name': 'ok', 'bad key': 'v', k: '-bad' } })));
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/^metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric characters/);
    expect(errs[1]).toMatch(/^metadata\.labels: Invalid value: "-bad": a valid label must be an empty string/);
  });
  it('rejects label values over 63 characters', () => {
    const errs = lines(validateCreate('configmaps', cm({ name: 'x', labels: { k: 'a'.repeat(64) } })));
    expect(errs).toEqual([`metadata.labels: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`]);
  });
  it('limits the total annotation size to 256 KiB', () => {
    expect(validateCreate('configmaps', cm({ name: 'x', annotations: { a: 'x'.repeat(1000) } }))).toEqual([]);
    const errs = validateCreate('configmaps', cm({ name: 'x', annotations: { a: 'x'.repeat(256 * 1024) } }));
    expect(lines(errs)).toEqual(['metadata.annotations: Too long: may not be more than 262144 bytes']);
    expect(errs[0].type).toBe('FieldValueTooLong');
  });
  it('checks annotation keys case-insensitively as qualified names', () => {
    expect(validateCreate('configmaps', cm({ name: 'x', annotations: { 'Example.COM/Key': 'v' } }))).toEqual([]);
    expect(lines(validateCreate('configmaps', cm({ name: 'x', annotations: { 'a b': 'v' } })))[0]).toMatch(/^metadata\.annotations: Invalid value: "a b"/);
  });
});

describe('finalizers and owner references', () => {
  it('requires unqualified finalizers to be standard', () => {
    expect(validateCreate('configmaps', cm({ name: 'x', finalizers: ['kubernetes', 'example.com/cleanup', 'foregroundDeletion'] }))).toEqual([]);
    expect(lines(validateCreate('configmaps', cm({ name: 'x', finalizers: ['cleanup'] })))).toEqual([
      'metadata.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
    ]);
    expect(lines(validateCreate('configmaps', cm({ name: 'x', finalizers: ['orphan', 'foregroundDeletion'] })))).toEqual([
      'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
    ]);
  });
  it('checks owner references', () => {
    const errs = lines(validateCreate('configmaps', cm({ name: 'x', ownerReferences: [{ apiVersion: '', kind: 'Deployment', name: 'd', uid: '' }] })));
    expect(errs).toEqual([
      'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
      'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
    ]);
  });
  it('allows only one controller reference', () => {
    const ref = (name: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: name, controller: true });
    expect(lines(validateCreate('configmaps', cm({ name: 'x', ownerReferences: [ref('a'), ref('b')] })))[0]).toContain(
      'Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b',
    );
  });
  it('rejects a negative generation', () => {
    expect(lines(validateCreate('configmaps', cm({ name: 'x', generation: -1 })))).toEqual(['metadata.generation: Invalid value: -1: must be greater than or equal to 0']);
  });
});

describe('metadata on update', () => {
  const old = cm({ name: 'x', uid: 'u1', resourceVersion: '5' });
  it('allows label changes', () => {
    expect(validateUpdate('configmaps', cm({ name: 'x', uid: 'u1', labels: { a: 'b' } }), old)).toEqual([]);
  });
  it('keeps name, namespace and uid immutable', () => {
    expect(lines(validateUpdate('configmaps', cm({ name: 'y', uid: 'u1' }), old))).toEqual(['metadata.name: Invalid value: "y": field is immutable']);
    expect(lines(validateUpdate('configmaps', cm({ name: 'x', uid: 'u2' }), old))).toEqual(['metadata.uid: Invalid value: "u2": field is immutable']);
    expect(lines(validateUpdate('configmaps', { metadata: { name: 'x', namespace: 'other' } }, old))).toEqual(['metadata.namespace: Invalid value: "other": field is immutable']);
  });
  it('forbids new finalizers while deleting', () => {
    const deleting = cm({ name: 'x', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['a.io/x'] });
    expect(lines(validateUpdate('configmaps', cm({ name: 'x', finalizers: ['a.io/x', 'b.io/y'] }), deleting))).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
    ]);
  });
  it('validates unknown resources by metadata only', () => {
    expect(validateUpdate('widgets.example.com', { metadata: { name: 'w' }, spec: { anything: true } }, { metadata: { name: 'w' } })).toEqual([]);
    expect(lines(validateUpdate('widgets.example.com', { metadata: { name: 'w', labels: { 'a b': 'c' } } }, { metadata: { name: 'w' } }))).toHaveLength(1);
  });
});
