// Results are inspected as loose JSON, so `any` is the honest type in these assertions.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it } from 'vitest';
import { PatchError, recordUpdateManager, serverSideApply } from '../../src-main/apiserver/patch/index.js';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';
const T2 = '2025-01-01T00:02:00Z';

function frozen<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) frozen(x);
    Object.freeze(v);
  }
  return v;
}

function manifest(over: { replicas?: number; image?: string; env?: unknown[]; labels?: Record<string, string> } = {}) {
  const container: Record<string, unknown> = { name: 'web', image: over.image ?? 'nginx:1.25' };
  if (over.env) container.env = over.env;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: over.labels ?? { app: 'web' } },
    spec: {
      ...(over.replicas !== undefined ? { replicas: over.replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } },
    },
  };
}

const opts = (manager: string, now = T0, force = false) => ({ manager, force, resourceKey: 'deployments.apps', apiVersion: 'apps/v1', now });
const entries = (obj: any) => obj.metadata.managedFields as any[];
const entryOf = (obj: any, manager: string) => entries(obj).find((e) => e.manager === manager);

/** What the API server would store: the caller adds server metadata after a create. */
function stored(obj: Record<string, unknown>): any {
  const o = structuredClone(obj) as any;
  o.metadata.uid = 'u-1';
  o.metadata.resourceVersion = '5';
  o.metadata.creationTimestamp = T0;
  o.metadata.generation = 1;
  return o;
}

function conflictOf(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error('expected a conflict');
}

describe('serverSideApply: create', () => {
  it('creates the object and records the Apply entry in FieldsV1', () => {
    const { object } = serverSideApply(undefined, frozen(manifest({ replicas: 2 })), opts('kubectl'));
    expect(object.spec).toEqual(manifest({ replicas: 2 }).spec);
    expect(entries(object)).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': { 'f:matchLabels': { 'f:app': {} } },
            'f:template': {
              'f:metadata': { 'f:labels': { 'f:app': {} } },
              'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
            },
          },
        },
      },
    ]);
  });

  it('drops status and server-owned metadata from the applied config', () => {
    const applied = { ...manifest(), status: { replicas: 9 } } as any;
    applied.metadata = { ...applied.metadata, uid: 'x', resourceVersion: '1', generation: 4, creationTimestamp: T0 };
    const { object } = serverSideApply(undefined, applied, opts('kubectl')) as any;
    expect(object.status).toBeUndefined();
    expect(Object.keys(object.metadata).sort()).toEqual(['labels', 'managedFields', 'name', 'namespace']);
    expect(entries(object)[0].fieldsV1).not.toHaveProperty('f:status');
    expect(entries(object)[0].fieldsV1['f:metadata']).toEqual({ 'f:labels': { 'f:app': {} } });
  });

  it('rejects managedFields in the applied config', () => {
    const applied = manifest() as any;
    applied.metadata.managedFields = [{ manager: 'x' }];
    expect(conflictOf(() => serverSideApply(undefined, applied, opts('kubectl'))).code).toBe(400);
  });

  it('records set-like primitive lists with v: and drops applied nulls', () => {
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', finalizers: ['a/b'] }, data: { x: '1', y: null } };
    const { object } = serverSideApply(undefined, applied, { ...opts('m'), resourceKey: 'configmaps', apiVersion: 'v1' }) as any;
    expect(object.data).toEqual({ x: '1' });
    expect(entries(object)[0].fieldsV1).toEqual({ 'f:data': { 'f:x': {} }, 'f:metadata': { 'f:finalizers': { 'v:"a/b"': {} } } });
  });
});

describe('serverSideApply: updates by the same manager', () => {
  it('re-applying the same config changes nothing, not even the entry time', () => {
    const live = stored(serverSideApply(undefined, manifest(), opts('kubectl', T0)).object);
    const { object } = serverSideApply(frozen(live), manifest(), opts('kubectl', T1));
    expect(object).toEqual(live);
  });

  it('changes fields and bumps the entry time', () => {
    const live = stored(serverSideApply(undefined, manifest(), opts('kubectl', T0)).object);
    const { object } = serverSideApply(live, manifest({ image: 'nginx:1.26' }), opts('kubectl', T1)) as any;
    expect(object.spec.template.spec.containers[0].image).toBe('nginx:1.26');
    expect(entryOf(object, 'kubectl').time).toBe(T1);
    expect(object.metadata.uid).toBe('u-1');
  });

  it('removes fields the manager stopped applying', () => {
    const first = manifest({ replicas: 3, env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], labels: { app: 'web', tier: 'fe' } });
    const live = stored(serverSideApply(undefined, first, opts('kubectl', T0)).object);
    const second = manifest({ env: [{ name: 'A', value: '1' }] });
    const { object } = serverSideApply(live, second, opts('kubectl', T1)) as any;
    expect(object.spec).not.toHaveProperty('replicas');
    expect(object.metadata.labels).toEqual({ app: 'web' });
    expect(object.spec.template.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }]);
    const f = entryOf(object, 'kubectl').fieldsV1;
    expect(f['f:spec']).not.toHaveProperty('f:replicas');
    expect(f['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}']['f:env']).toEqual({
      'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} },
    });
  });

  it('removes a map it emptied and a whole list item it dropped', () => {
    const first = manifest() as any;
    first.spec.template.spec.containers.push({ name: 'side', image: 'busybox' });
    first.metadata.annotations = { only: 'one' };
    const live = stored(serverSideApply(undefined, first, opts('kubectl', T0)).object);
    const { object } = serverSideApply(live, manifest(), opts('kubectl', T1)) as any;
    expect(object.metadata).not.toHaveProperty('annotations');
    expect(object.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['web']);
  });

  it('keeps unowned fields that other writers added', () => {
    const live = stored(serverSideApply(undefined, manifest(), opts('kubectl', T0)).object);
    live.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent'; // defaulted, unowned
    live.status = { replicas: 1 };
    const { object } = serverSideApply(live, manifest({ image: 'x' }), opts('kubectl', T1)) as any;
    expect(object.spec.template.spec.containers[0]).toEqual({ name: 'web', image: 'x', imagePullPolicy: 'IfNotPresent' });
    expect(object.status).toEqual({ replicas: 1 });
  });

  it('does not mutate live or applied', () => {
    const live = frozen(stored(serverSideApply(undefined, manifest({ replicas: 1 }), opts('kubectl', T0)).object));
    const applied = frozen(manifest({ replicas: 2, image: 'y' }));
    const { object } = serverSideApply(live, applied, opts('kubectl', T1)) as any;
    object.spec.template.spec.containers[0].image = 'mutated';
    expect(applied.spec.template.spec.containers[0].image).toBe('y');
  });
});

describe('serverSideApply: several managers', () => {
  /** A deployment created by client-side apply (Update by kubectl-client-side-apply), then scaled. */
  function csaDeployment() {
    const obj = stored(manifest({ replicas: 1 }));
    delete obj.metadata.managedFields;
    recordUpdateManager(undefined, obj, { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', now: T0 });
    return obj;
  }

  it('conflicts with an Update manager that owns a field being changed (kube message)', () => {
    const live = csaDeployment();
    const err = conflictOf(() => serverSideApply(live, manifest({ replicas: 3 }), opts('kubectl', T1)));
    expect(err.code).toBe(409);
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect(err.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' },
    ]);
  });

  it('applying the same value is not a conflict and shares ownership', () => {
    const live = csaDeployment();
    const { object } = serverSideApply(live, manifest({ replicas: 1 }), opts('kubectl', T1)) as any;
    expect(entryOf(object, 'kubectl').fieldsV1['f:spec']).toHaveProperty('f:replicas');
    expect(entryOf(object, 'kubectl-client-side-apply').fieldsV1['f:spec']).toHaveProperty('f:replicas');
  });

  it('lists every conflict, grouped by manager', () => {
    const live = csaDeployment();
    const err = conflictOf(() => serverSideApply(live, manifest({ replicas: 3, image: 'nginx:1.27' }), opts('kubectl', T1)));
    expect(err.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
        '- .spec.replicas\n' +
        '- .spec.template.spec.containers[name="web"].image',
    );
    expect(err.causes?.map((c) => c.field)).toEqual(['.spec.replicas', '.spec.template.spec.containers[name="web"].image']);
  });

  it('force takes ownership away from the other manager', () => {
    const live = csaDeployment();
    const { object } = serverSideApply(live, manifest({ replicas: 3 }), opts('kubectl', T1, true)) as any;
    expect(object.spec.replicas).toBe(3);
    expect(entryOf(object, 'kubectl').fieldsV1['f:spec']).toHaveProperty('f:replicas');
    expect(entryOf(object, 'kubectl-client-side-apply').fieldsV1['f:spec']).not.toHaveProperty('f:replicas');
  });

  it('conflicts between two appliers name the other applier without a version', () => {
    const live = stored(serverSideApply(undefined, manifest({ replicas: 1 }), opts('helm', T0)).object);
    const err = conflictOf(() => serverSideApply(live, manifest({ replicas: 2 }), opts('kubectl', T1)));
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "helm": .spec.replicas');
  });

  it('a field still owned by another manager survives when the applier drops it', () => {
    let live = stored(serverSideApply(undefined, manifest({ replicas: 2 }), opts('kubectl', T0)).object);
    live = stored(serverSideApply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } }, opts('hpa', T1)).object);
    const { object } = serverSideApply(live, manifest(), opts('kubectl', T2)) as any;
    expect(object.spec.replicas).toBe(2);
    expect(entryOf(object, 'kubectl').fieldsV1['f:spec']).not.toHaveProperty('f:replicas');
    expect(entryOf(object, 'hpa').fieldsV1).toEqual({ 'f:spec': { 'f:replicas': {} } });
  });

  it('a list item owned through a child by another manager is kept', () => {
    let live = stored(serverSideApply(undefined, manifest({ env: [{ name: 'A', value: '1' }] }), opts('kubectl', T0)).object);
    // Another manager (e.g. kubectl set env) changes A's value and so owns that leaf.
    const edited = structuredClone(live);
    edited.spec.template.spec.containers[0].env[0].value = '2';
    recordUpdateManager(live, edited, { manager: 'kubectl-set', operation: 'Update', apiVersion: 'apps/v1', now: T1 });
    live = edited;
    const { object } = serverSideApply(live, manifest(), opts('kubectl', T2)) as any;
    expect(object.spec.template.spec.containers[0].env).toEqual([{ name: 'A', value: '2' }]);
  });

  it('adding to a keyed list another manager also writes to merges item by item', () => {
    let live = stored(serverSideApply(undefined, manifest({ env: [{ name: 'A', value: '1' }] }), opts('kubectl', T0)).object);
    const sidecarCfg = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'B', value: 'b' }] }, { name: 'proxy', image: 'envoy' }] } } },
    };
    live = stored(serverSideApply(live, sidecarCfg, opts('injector', T1)).object);
    expect(live.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['web', 'proxy']);
    expect(live.spec.template.spec.containers[0].env.map((e: any) => e.name)).toEqual(['A', 'B']);
    // kubectl re-applies its manifest: the injector's parts stay.
    const { object } = serverSideApply(live, manifest({ env: [{ name: 'A', value: '1' }], image: 'nginx:2' }), opts('kubectl', T2)) as any;
    expect(object.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['web', 'proxy']);
    expect(object.spec.template.spec.containers[0].env.map((e: any) => e.name)).toEqual(['A', 'B']);
  });

  it('an untracked object belongs to before-first-apply, which gives up changed fields quietly', () => {
    const live = stored(manifest({ replicas: 1 }));
    live.spec.paused = false;
    const { object } = serverSideApply(live, manifest({ replicas: 4 }), opts('kubectl', T1)) as any;
    expect(object.spec.replicas).toBe(4);
    const bfa = entryOf(object, 'before-first-apply');
    expect(bfa.operation).toBe('Update');
    expect(bfa.fieldsV1['f:spec']).toHaveProperty('f:paused');
    expect(bfa.fieldsV1['f:spec']).not.toHaveProperty('f:replicas');
    // Unchanged fields stay co-owned, so a later change to them conflicts (as in kube).
    const err = conflictOf(() => serverSideApply(stored(object), manifest({ replicas: 4, labels: { app: 'other' } }), opts('kubectl', T2)));
    expect(err.message).toContain('conflict with "before-first-apply" using apps/v1: .metadata.labels.app');
  });

  it('the kubectl-last-applied migration apply only owns the annotation', () => {
    const live = stored(manifest());
    live.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    recordUpdateManager(undefined, live, { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', now: T0 });
    const applied = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}' } },
    };
    const { object } = serverSideApply(live, applied, opts('kubectl-last-applied', T1, true)) as any;
    expect(entryOf(object, 'kubectl-last-applied').fieldsV1).toEqual({
      'f:metadata': { 'f:annotations': { 'f:kubectl.kubernetes.io/last-applied-configuration': {} } },
    });
    expect(object.spec).toEqual(live.spec);
  });
});

describe('serverSideApply: status subresource', () => {
  it('applies only status and records subresource "status"', () => {
    const live = stored(serverSideApply(undefined, manifest(), opts('kubectl', T0)).object);
    const applied = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 99 }, status: { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] } };
    const { object } = serverSideApply(live, applied, { ...opts('controller', T1), resourceKey: 'deployments.apps/status' }) as any;
    expect(object.spec).toEqual(live.spec);
    expect(object.status).toEqual(applied.status);
    const e = entryOf(object, 'controller');
    expect(e.subresource).toBe('status');
    expect(e.fieldsV1).toEqual({ 'f:status': { 'f:conditions': { 'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} } }, 'f:replicas': {} } });
  });
});
