import { describe, it, expect } from 'vitest';
import {
  copyDeploymentAnnotations,
  DESIRED_REPLICAS_ANNOTATION,
  lastRevision,
  MAX_REPLICAS_ANNOTATION,
  maxRevision,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  revisionOf,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
} from '../../src-main/controllers/deployment/util/annotations.js';
import { planRollback, revisionHistory, RollbackError } from '../../src-main/controllers/deployment/rollback.js';
import type { Deployment, ReplicaSet } from '../../src-main/api/types.js';

function rs(name: string, revision?: string, image = 'nginx:1', annotations: Record<string, string> = {}): ReplicaSet {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations: { ...(revision !== undefined ? { [REVISION_ANNOTATION]: revision } : {}), ...annotations }, creationTimestamp: '2025-01-01T00:00:00Z' },
    spec: { replicas: 0, selector: { matchLabels: { app: 'web', 'pod-template-hash': name } }, template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

function deployment(image = 'nginx:1', annotations: Record<string, string> = {}): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', annotations },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

describe('revisions', () => {
  it('reads revision annotations', () => {
    expect(revisionOf(rs('a', '3'))).toBe(3);
    expect(revisionOf(rs('a'))).toBe(0);
    expect(revisionOf(rs('a', 'x'))).toBeNaN();
    expect(maxRevision([rs('a', '1'), rs('b', '5'), rs('c', 'junk'), rs('d', '2')])).toBe(5);
    expect(maxRevision([])).toBe(0);
    expect(lastRevision([rs('a', '1'), rs('b', '5'), rs('d', '2')])).toBe(2);
    expect(lastRevision([rs('a', '4')])).toBe(0);
  });

  it('gives a new ReplicaSet the next revision and the replicas annotations', () => {
    const d = deployment('nginx:2', { 'kubernetes.io/change-cause': 'upgrade', 'kubectl.kubernetes.io/last-applied-configuration': '{}', [REVISION_ANNOTATION]: '1' });
    const r = rs('b');
    expect(setNewReplicaSetAnnotations(d, r, 2, false, 4)).toBe(true);
    expect(r.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'upgrade',
      [REVISION_ANNOTATION]: '2',
      [DESIRED_REPLICAS_ANNOTATION]: '3',
      [MAX_REPLICAS_ANNOTATION]: '4',
    });
    // A second pass changes nothing.
    expect(setNewReplicaSetAnnotations(d, r, 2, true, 4)).toBe(false);
  });

  it('keeps the revisions a reused ReplicaSet served (rollback)', () => {
    const d = deployment();
    const r = rs('a', '1');
    expect(setNewReplicaSetAnnotations(d, r, 3, true, 4)).toBe(true);
    expect(r.metadata.annotations![REVISION_ANNOTATION]).toBe('3');
    expect(r.metadata.annotations![REVISION_HISTORY_ANNOTATION]).toBe('1');
    setNewReplicaSetAnnotations(d, r, 5, true, 4);
    expect(r.metadata.annotations![REVISION_ANNOTATION]).toBe('5');
    expect(r.metadata.annotations![REVISION_HISTORY_ANNOTATION]).toBe('1,3');
    // Never lowered.
    expect(setNewReplicaSetAnnotations(d, r, 2, true, 4)).toBe(false);
    expect(r.metadata.annotations![REVISION_ANNOTATION]).toBe('5');
  });

  it('bounds revision-history', () => {
    const r = rs('a', '9', 'x', { [REVISION_HISTORY_ANNOTATION]: '1,3,5,7' });
    setNewReplicaSetAnnotations(deployment(), r, 10, true, 4, 6);
    expect(r.metadata.annotations![REVISION_HISTORY_ANNOTATION]).toBe('5,7,9');
  });

  it('copies deployment annotations except its own bookkeeping', () => {
    const r = rs('a', '1');
    const d = deployment('x', { a: '1', [DESIRED_REPLICAS_ANNOTATION]: '9', [REVISION_HISTORY_ANNOTATION]: '1' });
    expect(copyDeploymentAnnotations(d, r)).toBe(true);
    expect(r.metadata.annotations).toEqual({ [REVISION_ANNOTATION]: '1', a: '1' });
    expect(copyDeploymentAnnotations(d, r)).toBe(false);
    expect(setReplicasAnnotations(r, 3, 4)).toBe(true);
    expect(setReplicasAnnotations(r, 3, 4)).toBe(false);
  });
});

describe('client-side rollback (kubectl rollout undo)', () => {
  const history = [rs('a', '1', 'nginx:1', { 'kubernetes.io/change-cause': 'first' }), rs('b', '2', 'nginx:2'), rs('c', '3', 'nginx:3')];

  it('goes back to the previous revision by default', () => {
    const plan = planRollback(deployment('nginx:3', { [REVISION_ANNOTATION]: '3', keep: 'me' }), history);
    expect(plan.kind).toBe('patch');
    if (plan.kind !== 'patch') return;
    expect(plan.revision).toBe(2);
    expect(plan.patch[0]).toEqual({ op: 'replace', path: '/spec/template', value: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } });
    // The Deployment keeps its bookkeeping annotations and takes the RS's others.
    expect(plan.patch[1]).toEqual({ op: 'replace', path: '/metadata/annotations', value: { [REVISION_ANNOTATION]: '3' } });
  });

  it('goes to a given revision and carries its change-cause', () => {
    const plan = planRollback(deployment('nginx:3'), history, 1);
    expect(plan.kind === 'patch' && plan.patch[1]!.value).toEqual({ 'kubernetes.io/change-cause': 'first' });
  });

  it('skips when the template already matches, refuses paused deployments and unknown revisions', () => {
    expect(planRollback(deployment('nginx:2'), history, 2)).toEqual({ kind: 'skipped', revision: 2, message: 'skipped rollback (current template already matches revision 2)' });
    const paused = deployment('nginx:3');
    paused.spec.paused = true;
    expect(() => planRollback(paused, history)).toThrow(/resume it first/);
    expect(() => planRollback(deployment(), history, 7)).toThrow('unable to find specified revision 7 in history');
    expect(() => planRollback(deployment(), [rs('a', '1')])).toThrow(RollbackError);
  });

  it('lists history oldest first', () => {
    expect(revisionHistory([history[2]!, history[0]!, history[1]!]).map((e) => [e.revision, e.replicaSet, e.changeCause ?? ''])).toEqual([
      [1, 'a', 'first'],
      [2, 'b', ''],
      [3, 'c', ''],
    ]);
  });
});
