import { describe, it, expect } from 'vitest';
import type { KubeObject, OwnerReference } from '../../src-main/api/types.js';
import {
  blockingDependents,
  decideDependentAction,
  identityKey,
  isDeletingDependents,
  ownerStateOf,
  parseIdentityKey,
  removeOwnerRefsPatch,
  resourceForOwnerRef,
  sameOwnerRefs,
  unblockOwnerRefsPatch,
  type OwnerState,
} from '../../src-main/controllers/garbagecollector/ownership.js';
import { strategicMergePatch } from '../../src-main/apiserver/patch/index.js';

const ref = (uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${uid}`, uid, ...extra });
const states = (o: Record<string, OwnerState>) => new Map(Object.entries(o));
const obj = (meta: Partial<KubeObject['metadata']>): KubeObject => ({ metadata: { name: 'x', uid: 'u', ...meta } });

describe('garbage collector: owner references', () => {
  it('resolves owners by group and kind', () => {
    expect(resourceForOwnerRef({ apiVersion: 'apps/v1', kind: 'ReplicaSet' })?.key).toBe('replicasets.apps');
    expect(resourceForOwnerRef({ apiVersion: 'apps/v1', kind: 'Deployment' })?.key).toBe('deployments.apps');
    expect(resourceForOwnerRef({ apiVersion: 'v1', kind: 'Node' })?.key).toBe('nodes');
    expect(resourceForOwnerRef({ apiVersion: 'v1', kind: 'Service' })?.key).toBe('services');
    expect(resourceForOwnerRef({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' })?.key).toBe('endpointslices.discovery.k8s.io');
    // Another version of a served group still maps; an unknown group or kind does not.
    expect(resourceForOwnerRef({ apiVersion: 'apps/v1beta2', kind: 'ReplicaSet' })?.key).toBe('replicasets.apps');
    expect(resourceForOwnerRef({ apiVersion: 'batch/v1', kind: 'Job' })).toBeUndefined();
    expect(resourceForOwnerRef({ apiVersion: 'v1', kind: 'ReplicaSet' })).toBeUndefined();
  });

  it('classifies an owner as solid, dangling or waiting', () => {
    expect(ownerStateOf(undefined, { uid: 'a' })).toBe('dangling');
    expect(ownerStateOf(obj({ uid: 'b' }), { uid: 'a' })).toBe('dangling'); // same name, another object
    expect(ownerStateOf(obj({ uid: 'a' }), { uid: 'a' })).toBe('solid');
    expect(ownerStateOf(obj({ uid: 'a', deletionTimestamp: '2024-01-01T00:00:00Z' }), { uid: 'a' })).toBe('solid');
    expect(ownerStateOf(obj({ uid: 'a', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['orphan'] }), { uid: 'a' })).toBe('solid');
    expect(ownerStateOf(obj({ uid: 'a', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] }), { uid: 'a' })).toBe('waiting');
    expect(isDeletingDependents(obj({ finalizers: ['foregroundDeletion'] }))).toBe(false); // not deleted yet
  });

  it('round-trips queue keys', () => {
    const id = { resource: 'replicasets.apps', namespace: 'default', name: 'web-1', uid: 'abc' };
    expect(parseIdentityKey(identityKey(id))).toEqual(id);
    const node = { resource: 'nodes', name: 'n1', uid: 'u1' };
    expect(parseIdentityKey(identityKey(node))).toEqual({ ...node, namespace: undefined });
  });

  it('detects ownership changes only', () => {
    expect(sameOwnerRefs(undefined, [])).toBe(true);
    expect(sameOwnerRefs([ref('a')], [ref('a')])).toBe(true);
    expect(sameOwnerRefs([ref('a')], [ref('a', { blockOwnerDeletion: true })])).toBe(false);
    expect(sameOwnerRefs([ref('a')], [ref('b')])).toBe(false);
    expect(sameOwnerRefs([ref('a')], [])).toBe(false);
  });
});

describe('garbage collector: what to do with a dependent', () => {
  const base = { finalizers: [] as string[], hasDependents: false, dependentIsDeletingDependents: false };

  it('leaves objects without owners or with live owners alone', () => {
    expect(decideDependentAction({ ...base, refs: [], states: states({}) })).toEqual({ kind: 'none' });
    expect(decideDependentAction({ ...base, refs: [ref('a')], states: states({ a: 'solid' }) })).toEqual({ kind: 'none' });
  });

  it('deletes in the background when every owner is gone', () => {
    expect(decideDependentAction({ ...base, refs: [ref('a'), ref('b')], states: states({ a: 'dangling', b: 'dangling' }) })).toEqual({ kind: 'delete', policy: 'Background' });
  });

  it('keeps an object with one live owner and drops the references to the gone ones', () => {
    expect(decideDependentAction({ ...base, refs: [ref('a'), ref('b')], states: states({ a: 'dangling', b: 'solid' }) })).toEqual({ kind: 'removeOwnerRefs', uids: ['a'] });
    // An owner waiting for its dependents must not wait for one that another owner keeps.
    expect(decideDependentAction({ ...base, refs: [ref('a'), ref('b'), ref('c')], states: states({ a: 'waiting', b: 'solid', c: 'dangling' }) })).toEqual({ kind: 'removeOwnerRefs', uids: ['c', 'a'] });
  });

  it('follows an owner deleting in the foreground', () => {
    // A leaf (no dependents of its own) just goes, in the background.
    expect(decideDependentAction({ ...base, refs: [ref('a')], states: states({ a: 'waiting' }) })).toEqual({ kind: 'delete', policy: 'Background' });
    // A middle object passes the foreground deletion down, unblocking a possible cycle first.
    expect(decideDependentAction({ ...base, hasDependents: true, refs: [ref('a')], states: states({ a: 'waiting' }) })).toEqual({ kind: 'deleteForeground', unblockFirst: false });
    expect(decideDependentAction({ ...base, hasDependents: true, dependentIsDeletingDependents: true, refs: [ref('a')], states: states({ a: 'waiting' }) })).toEqual({ kind: 'deleteForeground', unblockFirst: true });
  });

  it("honours the dependent's own propagation finalizers", () => {
    expect(decideDependentAction({ ...base, finalizers: ['orphan'], refs: [ref('a')], states: states({ a: 'dangling' }) })).toEqual({ kind: 'delete', policy: 'Orphan' });
    expect(decideDependentAction({ ...base, finalizers: ['foregroundDeletion'], refs: [ref('a')], states: states({ a: 'dangling' }) })).toEqual({ kind: 'delete', policy: 'Foreground' });
  });

  it('finds the dependents that block an owner', () => {
    const deps = [
      obj({ name: 'p1', ownerReferences: [ref('a', { blockOwnerDeletion: true })] }),
      obj({ name: 'p2', ownerReferences: [ref('a')] }),
      obj({ name: 'p3', ownerReferences: [ref('b', { blockOwnerDeletion: true })] }),
    ];
    expect(blockingDependents('a', deps).map((d) => d.metadata.name)).toEqual(['p1']);
  });

  it('writes patches the API server understands (ownerReferences merge on uid)', () => {
    const pod = { metadata: { name: 'p', ownerReferences: [ref('a', { controller: true, blockOwnerDeletion: true }), ref('b')] } };
    const removed = strategicMergePatch(pod, removeOwnerRefsPatch(['a']), 'pods') as KubeObject;
    expect(removed.metadata.ownerReferences).toEqual([ref('b')]);
    const unblocked = strategicMergePatch(pod, unblockOwnerRefsPatch(pod.metadata.ownerReferences)!, 'pods') as KubeObject;
    expect(unblocked.metadata.ownerReferences).toEqual([ref('a', { controller: true, blockOwnerDeletion: false }), ref('b')]);
    expect(unblockOwnerRefsPatch([ref('b')])).toBeUndefined();
  });
});
