import { describe, it, expect } from 'vitest';
import type { Pod, Taint, Toleration } from '../../src-main/api/types.js';
import { findToleration, toleratesTaint, tolerationsTolerateTaint } from '../../src-main/api/taints.js';
import { evictionDecision, noExecuteTaints, podBoundAt } from '../../src-main/controllers/nodelifecycle/tainteviction/evictionTime.js';
import { addDefaultTolerations } from '../../src-main/api/defaults/tolerations.js';

const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-05-01T10:00:00Z' };
const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: '2024-05-01T10:00:00Z' };
const T0 = Date.parse('2024-05-01T10:00:00Z');
const clock = { taintStart: (t: Taint) => Date.parse(t.timeAdded!) };

describe('toleration matching (kube ToleratesTaint)', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  it.each<[string, Toleration, boolean]>([
    ['Equal with the same value', { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, true],
    ['Equal is the default operator', { key: 'dedicated', value: 'gpu' }, true],
    ['Equal with another value', { key: 'dedicated', operator: 'Equal', value: 'cpu' }, false],
    ['Exists ignores the value', { key: 'dedicated', operator: 'Exists' }, true],
    ['another key', { key: 'other', operator: 'Exists' }, false],
    ['an empty key with Exists tolerates every taint', { operator: 'Exists' }, true],
    ['another effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
    ['an empty effect matches every effect', { key: 'dedicated', operator: 'Exists', effect: '' }, true],
  ])('%s', (_name, tol, want) => {
    expect(toleratesTaint(tol, taint)).toBe(want);
  });

  it('matches empty values on both sides', () => {
    expect(toleratesTaint({ key: 'k', operator: 'Equal' }, { key: 'k', effect: 'NoExecute' })).toBe(true);
    expect(toleratesTaint({ key: 'k', operator: 'Equal', value: '' }, { key: 'k', value: 'v', effect: 'NoExecute' })).toBe(false);
  });

  it('finds the first toleration that tolerates a taint', () => {
    const tols: Toleration[] = [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      { operator: 'Exists' },
    ];
    expect(findToleration(tols, unreachable)).toBe(tols[0]);
    expect(findToleration(tols, notReady)).toBe(tols[1]);
    expect(findToleration([tols[0]!], notReady)).toBeUndefined();
    expect(findToleration(undefined, notReady)).toBeUndefined();
    expect(tolerationsTolerateTaint([tols[0]!], unreachable)).toBe(true);
    expect(tolerationsTolerateTaint([tols[0]!], notReady)).toBe(false);
  });
});

describe('taint eviction timing', () => {
  it('does nothing without NoExecute taints', () => {
    expect(evictionDecision([], [{ key: 'x', effect: 'NoSchedule' }], T0, clock)).toEqual({ kind: 'none' });
    expect(noExecuteTaints([{ key: 'x', effect: 'NoSchedule' }, unreachable])).toEqual([unreachable]);
  });

  it('evicts at once a pod that does not tolerate a NoExecute taint', () => {
    expect(evictionDecision(undefined, [unreachable], T0, clock)).toEqual({ kind: 'now', taint: unreachable });
    expect(evictionDecision([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }], [unreachable], T0, clock).kind).toBe('now');
  });

  it('keeps forever a pod that tolerates forever', () => {
    expect(evictionDecision([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }], [unreachable], T0 + 3600_000, clock)).toEqual({ kind: 'none' });
    expect(evictionDecision([{ operator: 'Exists' }], [unreachable, notReady], T0, clock)).toEqual({ kind: 'none' });
  });

  it('evicts tolerationSeconds after the taint was added', () => {
    const tols: Toleration[] = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }];
    expect(evictionDecision(tols, [unreachable], T0 + 1000, clock)).toEqual({ kind: 'at', at: T0 + 300_000, taint: unreachable });
    expect(evictionDecision(tols, [unreachable], T0 + 299_999, clock).kind).toBe('at');
    expect(evictionDecision(tols, [unreachable], T0 + 300_000, clock)).toEqual({ kind: 'now', taint: unreachable });
    // Zero or negative seconds: now.
    expect(evictionDecision([{ ...tols[0]!, tolerationSeconds: 0 }], [unreachable], T0, clock).kind).toBe('now');
    expect(evictionDecision([{ ...tols[0]!, tolerationSeconds: -5 }], [unreachable], T0, clock).kind).toBe('now');
  });

  it('counts from the binding when the pod came to an already tainted node', () => {
    const tols: Toleration[] = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }];
    const boundAt = T0 + 600_000;
    expect(evictionDecision(tols, [unreachable], boundAt + 1000, { ...clock, boundAt })).toEqual({ kind: 'at', at: boundAt + 60_000, taint: unreachable });
  });

  it('takes the earliest deadline over several taints; forever on one does not save it from another', () => {
    const later: Taint = { ...notReady, timeAdded: '2024-05-01T10:00:10Z' };
    const tols: Toleration[] = [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 100 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 20 },
    ];
    expect(evictionDecision(tols, [unreachable, later], T0, clock)).toEqual({ kind: 'at', at: T0 + 30_000, taint: later });
    const forever: Toleration[] = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, tols[1]!];
    expect(evictionDecision(forever, [unreachable, later], T0, clock)).toEqual({ kind: 'at', at: T0 + 30_000, taint: later });
  });

  it('gives every pod the admission default tolerations, so it leaves an unreachable node after them', () => {
    const pod: Pod = { metadata: { name: 'web-1', namespace: 'default' }, spec: { containers: [{ name: 'c' }] } };
    addDefaultTolerations(pod, 3);
    expect(evictionDecision(pod.spec.tolerations, [unreachable], T0 + 1000, clock)).toEqual({ kind: 'at', at: T0 + 3000, taint: unreachable });
    expect(evictionDecision(pod.spec.tolerations, [notReady], T0 + 3000, clock).kind).toBe('now');
  });

  it('reads the binding time from PodScheduled, else from creation', () => {
    const pod: Pod = { metadata: { name: 'p', creationTimestamp: '2024-05-01T09:00:00Z' }, spec: { containers: [] }, status: {} };
    expect(podBoundAt(pod)).toBe(Date.parse('2024-05-01T09:00:00Z'));
    pod.status!.conditions = [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-05-01T09:30:00Z' }];
    expect(podBoundAt(pod)).toBe(Date.parse('2024-05-01T09:30:00Z'));
  });
});
