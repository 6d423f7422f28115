import { describe, it, expect } from 'vitest';
import { ManualClock } from '../../src-main/api/clock.js';
import type { Pod, PodStatus, ReplicaSet } from '../../src-main/api/types.js';
import { compareForDeletion, podsToDelete, POD_DELETION_COST_ANNOTATION } from '../../src-main/controllers/util/activePods.js';
import { ControllerExpectations } from '../../src-main/controllers/util/expectations.js';
import { slowStartBatch } from '../../src-main/controllers/util/slowStart.js';
import { podFromTemplate } from '../../src-main/controllers/util/podTemplate.js';
import { calculateReplicaSetStatus, replicaSetStatusChanged } from '../../src-main/controllers/replicaset/replicasetStatus.js';
import { replicaSetOwnerRef } from '../../src-main/controllers/replicaset/replicasetController.js';
import { adoptPatch, ControllerRefManager, releasePatch } from '../../src-main/controllers/util/controllerRefManager.js';
import { RecentWrites, rvNewer } from '../../src-main/controllers/util/recentWrites.js';
import { isNamespaceTerminating } from '../../src-main/controllers/util/apiErrors.js';
import { ApiRequestError } from '../../src-main/client/apiClient.js';
import { FakeApiClient } from '../helpers/fakeApiClient.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(name: string, o: { node?: string; phase?: PodStatus['phase']; ready?: boolean; readySince?: number; created?: number; restarts?: number; labels?: Record<string, string>; cost?: number; owner?: string } = {}): Pod {
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web' },
      creationTimestamp: iso(o.created ?? T0),
      ...(o.cost !== undefined ? { annotations: { [POD_DELETION_COST_ANNOTATION]: String(o.cost) } } : {}),
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: `uid-${o.owner}`, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'x' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: iso(o.readySince ?? T0) }],
      containerStatuses: [{ name: 'c', ready: o.ready !== false, restartCount: o.restarts ?? 0, image: 'x', imageID: '' }],
    },
  };
}

describe('which pods a ReplicaSet deletes first', () => {
  const order = (pods: Pod[]) => [...pods].sort((a, b) => compareForDeletion(a, b)).map((p) => p.metadata.name);

  it('prefers unscheduled, then pending, then unready pods', () => {
    const pods = [pod('running', { node: 'n1' }), pod('unready', { node: 'n1', ready: false }), pod('pending', { node: 'n1', phase: 'Pending', ready: false }), pod('unscheduled', { phase: 'Pending', ready: false })];
    expect(order(pods)).toEqual(['unscheduled', 'pending', 'unready', 'running']);
  });

  it('then lower deletion cost, shorter readiness, more restarts, newer pods', () => {
    expect(order([pod('cheap', { node: 'n', cost: -1 }), pod('dear', { node: 'n', cost: 5 }), pod('plain', { node: 'n' })])).toEqual(['cheap', 'plain', 'dear']);
    expect(order([pod('long', { node: 'n', readySince: T0 }), pod('short', { node: 'n', readySince: T0 + 60_000 })])).toEqual(['short', 'long']);
    expect(order([pod('calm', { node: 'n' }), pod('crashy', { node: 'n', restarts: 4 })])).toEqual(['crashy', 'calm']);
    expect(order([pod('old', { node: 'n', created: T0 }), pod('new', { node: 'n', created: T0 + 1000 })])).toEqual(['new', 'old']);
  });

  it('spreads what stays: doubled-up nodes lose pods first', () => {
    const pods = [pod('a1', { node: 'a' }), pod('b1', { node: 'b' }), pod('b2', { node: 'b' }), pod('c1', { node: 'c' })];
    expect(podsToDelete(pods, 1).map((p) => p.metadata.name)).toEqual(['b1']);
    expect(podsToDelete(pods, 0)).toEqual([]);
    expect(podsToDelete(pods, 9)).toHaveLength(4);
  });
});

describe('expectations', () => {
  it('holds a ReplicaSet until its creations and deletions are observed, or expire', () => {
    const clock = new ManualClock(0);
    const e = new ControllerExpectations(1000, clock);
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expectCreations('ns/rs', 2);
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(true);

    e.expectDeletions('ns/rs', ['ns/p1', 'ns/p2']);
    e.deletionObserved('ns/rs', 'ns/p1');
    e.deletionObserved('ns/rs', 'ns/p1'); // the DELETED event after the deletionTimestamp update
    expect(e.satisfied('ns/rs')).toBe(false);
    clock.set(1001);
    expect(e.satisfied('ns/rs')).toBe(true); // expired
    clock.set(0);
    e.deletionObserved('ns/rs', 'ns/p2');
    expect(e.satisfied('ns/rs')).toBe(true);
    e.forget('ns/rs');
    expect(e.describe('ns/rs')).toBeUndefined();
  });
});

describe('slow start', () => {
  it('creates in batches of 1, 2, 4, ... and stops at the first failing batch', async () => {
    const batches: number[] = [];
    let inFlight = 0;
    let calls = 0;
    const ok = await slowStartBatch(10, 1, async () => {
      calls++;
      inFlight++;
      batches.push(inFlight);
      await new Promise((r) => setImmediate(r)); // let the rest of the batch start
      inFlight--;
    });
    expect(ok).toEqual({ successes: 10 });
    expect(calls).toBe(10);
    expect(Math.max(...batches)).toBe(4); // 1 + 2 + 4 + 3

    let n = 0;
    const failing = await slowStartBatch(10, 1, async () => {
      if (++n >= 3) throw new Error('quota exceeded');
    });
    expect(failing.successes).toBe(2); // batch 1 ok, batch 2 half failed, nothing more attempted
    expect(String(failing.error)).toMatch(/quota/);
    expect(n).toBe(3);
  });
});

describe('ReplicaSet status', () => {
  const rs = (o: Partial<ReplicaSet['spec']> = {}, status?: ReplicaSet['status']): ReplicaSet => ({
    metadata: { name: 'web-abc', namespace: 'default', uid: 'uid-web-abc', generation: 2 },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c' }] } }, ...o },
    status,
  });

  it('counts fully labeled, ready and available pods (minReadySeconds)', () => {
    const now = T0 + 10_000;
    const pods = [
      pod('a', { labels: { app: 'web', tier: 'fe' }, readySince: T0 }),
      pod('b', { labels: { app: 'web' }, readySince: now - 2000 }),
      pod('c', { labels: { app: 'web', tier: 'fe', extra: '1' }, ready: false }),
    ];
    const out = calculateReplicaSetStatus(rs({ minReadySeconds: 5 }, { replicas: 0 }), pods, undefined, now);
    expect(out.status).toEqual({ replicas: 3, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1 });
    expect(out.recheckInMs).toBe(3000);
    expect(calculateReplicaSetStatus(rs({}, { replicas: 0 }), pods, undefined, now).status.availableReplicas).toBe(2);
  });

  it('reports and clears ReplicaFailure', () => {
    const failed = calculateReplicaSetStatus(rs({}, { replicas: 0 }), [], new Error('pods "x" is forbidden: exceeded quota'), T0);
    expect(failed.status.conditions).toEqual([{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "x" is forbidden: exceeded quota', lastTransitionTime: iso(T0) }]);
    const cleared = calculateReplicaSetStatus(rs({}, failed.status), [pod('a')], undefined, T0);
    expect(cleared.status.conditions).toBeUndefined();
  });

  it('only writes when something changed or the generation is new', () => {
    const r = rs({}, { replicas: 3, readyReplicas: 3, availableReplicas: 3, fullyLabeledReplicas: 3, observedGeneration: 2 });
    expect(replicaSetStatusChanged(r, { replicas: 3, readyReplicas: 3, availableReplicas: 3, fullyLabeledReplicas: 3, observedGeneration: 2 })).toBe(false);
    expect(replicaSetStatusChanged(r, { replicas: 2, readyReplicas: 3, availableReplicas: 3, fullyLabeledReplicas: 3 })).toBe(true);
    expect(replicaSetStatusChanged({ ...r, metadata: { ...r.metadata, generation: 3 } }, r.status!)).toBe(true);
  });
});

describe('pods from templates', () => {
  it('copies labels, annotations, finalizers and spec and adds the controller reference', () => {
    const rs: ReplicaSet = { metadata: { name: 'web-abc', namespace: 'default', uid: 'u1' }, spec: { selector: {}, template: { metadata: { labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['x/y'] }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };
    const p = podFromTemplate(rs.spec.template!, 'default', 'web-abc-', replicaSetOwnerRef(rs));
    expect(p.metadata).toEqual({
      generateName: 'web-abc-',
      namespace: 'default',
      labels: { app: 'web' },
      annotations: { a: 'b' },
      finalizers: ['x/y'],
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u1', controller: true, blockOwnerDeletion: true }],
    });
    p.spec.containers[0]!.image = 'changed';
    expect(rs.spec.template!.spec.containers[0]!.image).toBe('nginx'); // a copy
  });
});

describe('adoption and release', () => {
  const owner: ReplicaSet = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'default', uid: 'uid-web-abc' }, spec: { selector: { matchLabels: { app: 'web' } } } };

  /** The API holds the owner as it is now (`fresh`) and the pods; a pod that is not there answers 404. */
  function fakeClient(fresh: { uid: string; deletionTimestamp?: string }, pods: Pod[]) {
    const client = new FakeApiClient().seed('replicasets.apps', { ...owner, metadata: { ...owner.metadata, ...fresh } }).seed('pods', ...pods);
    const patches = () => client.actionsOf('patch', 'pods').map((a) => ({ name: a.name!, patch: a.body }));
    return { client, patches };
  }

  it('adopts matching orphans, releases non-matching pods it owns, ignores others', async () => {
    const mine = pod('mine', { owner: 'web-abc' });
    const orphan = pod('orphan');
    const strayed = pod('strayed', { owner: 'web-abc', labels: { app: 'other' } });
    const theirs = pod('theirs', { owner: 'other-rs' });
    const unmatched = pod('unmatched', { labels: { app: 'db' } });
    const gone = pod('gone');
    const { client, patches } = fakeClient({ uid: 'uid-web-abc' }, [mine, orphan, strayed, theirs, unmatched]);
    const m = new ControllerRefManager<Pod>({ client, ownerResource: 'replicasets.apps', resource: 'pods', owner, ownerRef: replicaSetOwnerRef(owner), matches: (p) => p.metadata.labels?.app === 'web' });
    const { claimed, errors } = await m.claim([mine, orphan, strayed, theirs, unmatched, gone]);
    expect(errors).toEqual([]);
    expect(claimed.map((p) => p.metadata.name)).toEqual(['mine', 'orphan']);
    // `gone` was tried and answered 404: not claimed, and not an error.
    expect(patches().sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'gone', patch: adoptPatch(replicaSetOwnerRef(owner), 'uid-gone') },
      { name: 'orphan', patch: adoptPatch(replicaSetOwnerRef(owner), 'uid-orphan') },
      { name: 'strayed', patch: releasePatch('uid-web-abc', 'uid-strayed') },
    ]);
    expect(adoptPatch(replicaSetOwnerRef(owner), 'u')).toEqual({ metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'uid-web-abc', controller: true, blockOwnerDeletion: true }], uid: 'u' } });
    expect(releasePatch('o', 'u')).toEqual({ metadata: { ownerReferences: [{ $patch: 'delete', uid: 'o' }], uid: 'u' } });
  });

  it('does not adopt for an owner that was just deleted or replaced', async () => {
    for (const fresh of [{ uid: 'uid-web-abc', deletionTimestamp: '2025-01-01T00:00:00Z' }, { uid: 'another' }]) {
      const pods = [pod('orphan'), pod('mine', { owner: 'web-abc' })];
      const { client, patches } = fakeClient(fresh, pods);
      const m = new ControllerRefManager<Pod>({ client, ownerResource: 'replicasets.apps', resource: 'pods', owner, ownerRef: replicaSetOwnerRef(owner), matches: () => true });
      const { claimed, errors } = await m.claim(pods);
      expect(claimed.map((p) => p.metadata.name)).toEqual(['mine']);
      expect(errors).toHaveLength(1);
      // It did look: the owner was re-read from the API server, and nothing was patched.
      expect(client.actionsOf('get', 'replicasets.apps').map((a) => a.name)).toEqual(['web-abc']);
      expect(patches()).toEqual([]);
    }
  });
});

describe('namespace termination', () => {
  it('is recognised by cause or by message', () => {
    expect(isNamespaceTerminating(new ApiRequestError(403, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 403, details: { causes: [{ reason: 'NamespaceTerminating' }] } }, 'x'))).toBe(true);
    expect(isNamespaceTerminating(new ApiRequestError(403, undefined, 'pods "p" is forbidden: unable to create new content in namespace a because it is being terminated'))).toBe(true);
    expect(isNamespaceTerminating(new ApiRequestError(403, undefined, 'forbidden'))).toBe(false);
    expect(isNamespaceTerminating(new Error('because it is being terminated'))).toBe(false);
  });
});

describe('recent writes', () => {
  it('prefers our newer copy until the informer catches up', () => {
    const clock = new ManualClock(0);
    const w = new RecentWrites<ReplicaSet>(1000, clock);
    const cached: ReplicaSet = { metadata: { uid: 'u', resourceVersion: '10', name: 'a' }, spec: { replicas: 3, selector: {} } };
    const mine: ReplicaSet = { metadata: { uid: 'u', resourceVersion: '12', name: 'a' }, spec: { replicas: 2, selector: {} } };
    const created: ReplicaSet = { metadata: { uid: 'n', resourceVersion: '13', name: 'b' }, spec: { replicas: 1, selector: {} } };
    w.remember(mine);
    w.remember(created);
    expect(w.view(cached).spec.replicas).toBe(2);
    expect(w.merge([cached], () => true).map((r) => r.metadata.name)).toEqual(['a', 'b']);
    expect(w.merge([cached], () => false).map((r) => r.metadata.name)).toEqual(['a']);
    expect(w.view({ ...cached, metadata: { ...cached.metadata, resourceVersion: '12' } }).metadata.resourceVersion).toBe('12');
    expect(w.view(cached).spec.replicas).toBe(3); // caught up: dropped
    clock.set(2000);
    expect(w.merge([], () => true)).toEqual([]); // expired
    expect(rvNewer('100', '99')).toBe(true);
    expect(rvNewer('99', '100')).toBe(false);
  });
});
