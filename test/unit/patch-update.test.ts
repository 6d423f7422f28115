// Results are inspected as loose JSON, so `any` is the honest type in these assertions.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it } from 'vitest';
import { recordUpdateManager, serverSideApply, strategicMergePatch } from '../../src-main/apiserver/patch/index.js';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';
const T2 = '2025-01-01T00:02:00Z';

const upd = (manager: string, now: string, extra: Record<string, unknown> = {}) => ({
  manager,
  operation: 'Update' as const,
  apiVersion: 'v1',
  now,
  ...extra,
});
const entryOf = (obj: any, manager: string) => (obj.metadata.managedFields as any[] | undefined)?.find((e) => e.manager === manager);

function pod(): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u', resourceVersion: '1', creationTimestamp: T0, labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }], tolerations: [{ key: 'k', operator: 'Exists' }] },
    status: { phase: 'Pending' },
  };
}

describe('recordUpdateManager', () => {
  it('on create, the manager owns every field except status and server metadata', () => {
    const obj = pod();
    recordUpdateManager(undefined, obj, upd('kubectl-create', T0));
    expect(obj.metadata.managedFields).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"c"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80}': { '.': {}, 'f:containerPort': {} } },
              },
            },
            'f:tolerations': {},
          },
        },
      },
    ]);
  });

  it('infers merge keys from the kind, or takes a resourceKey', () => {
    const node: any = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { podCIDRs: ['10.0.0.0/24'] } };
    recordUpdateManager(undefined, node, upd('kubelet', T0));
    expect(node.metadata.managedFields[0].fieldsV1).toEqual({ 'f:spec': { 'f:podCIDRs': { 'v:"10.0.0.0/24"': {} } } });
    const svc: any = { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } };
    recordUpdateManager(undefined, svc, upd('m', T0, { resourceKey: 'services' }));
    expect(svc.metadata.managedFields[0].fieldsV1['f:spec']['f:ports']).toHaveProperty(['k:{"port":80}']);
  });

  it('a change takes the changed fields from their previous owner', () => {
    const old = pod();
    recordUpdateManager(undefined, old, upd('creator', T0));
    const next = strategicMergePatch(old, { metadata: { labels: { app: 'api' } } }, 'pods') as any;
    recordUpdateManager(old, next, upd('kubectl-label', T1));
    expect(entryOf(next, 'kubectl-label').fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { 'f:app': {} } } });
    expect(entryOf(next, 'kubectl-label').time).toBe(T1);
    expect(entryOf(next, 'creator').fieldsV1).not.toHaveProperty('f:metadata');
    expect(entryOf(next, 'creator').time).toBe(T0);
    expect(old.metadata.managedFields).toHaveLength(1); // oldObj untouched
  });

  it('removed fields leave every manager; emptied managers lose their entry', () => {
    const old = pod();
    recordUpdateManager(undefined, old, upd('creator', T0));
    const labelled = strategicMergePatch(old, { metadata: { labels: { extra: 'x' } } }, 'pods') as any;
    recordUpdateManager(old, labelled, upd('labeller', T1));
    const unlabelled = strategicMergePatch(labelled, { metadata: { labels: { extra: null } } }, 'pods') as any;
    recordUpdateManager(labelled, unlabelled, upd('other', T2));
    expect(entryOf(unlabelled, 'labeller')).toBeUndefined();
    expect(entryOf(unlabelled, 'other')).toBeUndefined(); // it only removed things
    expect(entryOf(unlabelled, 'creator')).toBeDefined();
  });

  it("a write re-encodes only the entries it changes: the others keep the stored FieldsV1 as is", () => {
    const created = pod();
    recordUpdateManager(undefined, created, upd('creator', T0));
    const stored = structuredClone(created);
    const before = stored.metadata.managedFields[0].fieldsV1;
    // The registry carries the stored entries over as the same array.
    const next = { ...structuredClone(stored), status: { phase: 'Running' } };
    next.metadata.managedFields = stored.metadata.managedFields;
    recordUpdateManager(stored, next, upd('kubelet', T1, { subresource: 'status' }));
    expect(entryOf(next, 'creator').fieldsV1).toBe(before);
    expect(entryOf(next, 'kubelet').fieldsV1).toEqual({ 'f:status': { 'f:phase': {} } });
    // A change to the creator's fields is encoded afresh and loses them.
    const relabelled = structuredClone(next);
    relabelled.metadata.labels = { app: 'api' };
    relabelled.metadata.managedFields = next.metadata.managedFields;
    recordUpdateManager(next, relabelled, upd('kubectl-label', T2));
    expect(entryOf(relabelled, 'creator').fieldsV1).not.toBe(before);
    expect(entryOf(relabelled, 'creator').fieldsV1['f:metadata']).toBeUndefined();
    expect(entryOf(relabelled, 'kubelet').fieldsV1).toBe(entryOf(next, 'kubelet').fieldsV1);
  });

  it('a no-op write adds no entry and keeps times', () => {
    const old = pod();
    recordUpdateManager(undefined, old, upd('creator', T0));
    const same = structuredClone(old);
    recordUpdateManager(old, same, upd('noop', T1));
    expect(same.metadata.managedFields).toEqual(old.metadata.managedFields);
  });

  it('keeps separate entries per apiVersion and per subresource', () => {
    const old = pod();
    recordUpdateManager(undefined, old, upd('m', T0));
    const next = structuredClone(old);
    next.status = { phase: 'Running' };
    recordUpdateManager(old, next, upd('m', T1, { subresource: 'status' }));
    const entries = next.metadata.managedFields as any[];
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({ manager: 'm', subresource: 'status', fieldsV1: { 'f:status': { 'f:phase': {} } } });
    const again = structuredClone(next);
    again.spec.containers[0].image = 'x';
    recordUpdateManager(next, again, upd('m', T2, { apiVersion: 'v2' }));
    expect((again.metadata.managedFields as any[]).filter((e) => e.manager === 'm')).toHaveLength(3);
  });

  it('status writes through the main resource are not tracked', () => {
    const old = pod();
    const next = structuredClone(old);
    next.status = { phase: 'Running' };
    recordUpdateManager(old, next, upd('m', T1));
    expect(next.metadata.managedFields).toBeUndefined();
  });

  it('managedFields sent by the client win, and [{}] resets them', () => {
    const old = pod();
    recordUpdateManager(undefined, old, upd('creator', T0));
    const reset = structuredClone(old);
    reset.metadata.managedFields = [{}];
    reset.metadata.labels.app = 'x';
    recordUpdateManager(old, reset, upd('editor', T1));
    expect(reset.metadata.managedFields.map((e: any) => e.manager)).toEqual(['editor']);
    const dropped = structuredClone(old);
    delete dropped.metadata.managedFields;
    recordUpdateManager(old, dropped, upd('editor', T1));
    expect(dropped.metadata.managedFields).toEqual(old.metadata.managedFields);
  });

  it('orders Apply entries first, then Update entries by time', () => {
    const live: any = serverSideApply(undefined, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'a' }] } }, {
      manager: 'kubectl',
      force: false,
      resourceKey: 'pods',
      apiVersion: 'v1',
      now: T1,
    }).object;
    const next = structuredClone(live);
    next.metadata.labels = { a: 'b' };
    recordUpdateManager(live, next, upd('labeller', T2));
    const earlier = structuredClone(next);
    earlier.metadata.annotations = { x: 'y' };
    recordUpdateManager(next, earlier, upd('annotator', T0));
    expect(earlier.metadata.managedFields.map((e: any) => e.manager)).toEqual(['kubectl', 'annotator', 'labeller']);
  });

  it('then server-side apply conflicts with the Update manager', () => {
    const old = pod();
    recordUpdateManager(undefined, old, upd('kubectl-client-side-apply', T0));
    const applied = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } };
    expect(() => serverSideApply(old, applied, { manager: 'kubectl', force: false, resourceKey: 'pods', apiVersion: 'v1', now: T1 })).toThrow(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.containers[name="c"].image',
    );
  });
});
