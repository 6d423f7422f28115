// The kubelet's pod decisions without Docker: computePodActions (podActions.ts) as a table of
// situations and the plans kube's computePodActions makes for them, then the pod worker that
// carries plans out, run against the in-memory runtime (test/helpers/fakeRuntime.ts) with a
// clock that moves only when a test moves it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src-main/api/clock.js';
import { silentLogger } from '../../src-main/api/log.js';
import type { Container, Pod, PodStatus } from '../../src-main/api/types.js';
import { Backoff } from '../../src-main/kubelet/backoff.js';
import { ImageManager } from '../../src-main/kubelet/images.js';
import { containerSpecHash } from '../../src-main/kubelet/labels.js';
import { computePodActions, containersToCollect, crashBackoffKey, type PodActions, type PodActionsInput, type PodPlan, type ProbeFailure } from '../../src-main/kubelet/podActions.js';
import { PodWorker, newPodRecord, type PodRecord, type PodWorkerDeps } from '../../src-main/kubelet/podWorker.js';
import { ProbeManager, runProbe } from '../../src-main/kubelet/probes.js';
import type { RuntimeContainer } from '../../src-main/kubelet/runtime.js';
import { computePodStatus } from '../../src-main/kubelet/status.js';
import { planVolumes } from '../../src-main/kubelet/volumes.js';
import { FakeRuntime } from '../helpers/fakeRuntime.js';
import { POD_UID, runtimeContainer, statusInput, testPod } from '../helpers/kubeletObjects.js';

const NET = 'podnet';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const UID = POD_UID;
const BASE = 10_000;
const MAX = 300_000;

function mkPod(spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}, status?: PodStatus): Pod {
  return testPod(spec, { resourceVersion: '1', ...meta }, status ?? { phase: 'Pending', startTime: new Date(T0).toISOString() });
}

// ---- computePodActions ----

let seq = 0;
/** An app container of pod p in sandbox `sb`, running for a minute, with an id of its own. */
function ctr(over: Partial<RuntimeContainer>): RuntimeContainer {
  return runtimeContainer({ id: over.id ?? `id${++seq}`, sandboxId: 'sb', created: T0 - 60_000, startedMs: T0 - 60_000, imageId: 'sha256:1', ...over });
}

const sandbox = (over: Partial<RuntimeContainer> = {}) => ctr({ id: 'sb', name: 'POD', kind: 'sandbox', sandboxId: undefined, ips: { [NET]: '10.88.0.2' }, ...over });
/** An app container that ended at `at`. */
const exited = (exitCode: number, over: Partial<RuntimeContainer> = {}) => ctr({ state: 'exited', exitCode, finishedMs: T0 - 1000, ...over });

function input(pod: Pod | undefined, containers: RuntimeContainer[], extra: Partial<PodActionsInput> = {}): PodActionsInput {
  return {
    uid: UID,
    pod,
    lastPod: pod,
    node: 'n1',
    network: NET,
    containers,
    probeFailures: new Map(),
    backoff: new Backoff({ baseMs: BASE, maxMs: MAX }, new ManualClock(T0)),
    volumes: { volumes: [] },
    volumesCheckedAt: T0,
    volumeRefreshMs: 60_000,
    waiting: new Map(),
    now: T0,
    ...extra,
  };
}

function plan(pod: Pod | undefined, containers: RuntimeContainer[], extra: Partial<PodActionsInput> = {}): PodPlan {
  return computePodActions(input(pod, containers, extra));
}

function actions(pod: Pod, containers: RuntimeContainer[], extra: Partial<PodActionsInput> = {}): PodActions {
  const p = plan(pod, containers, extra);
  if (p.kind !== 'sync') throw new Error(`expected a sync plan, got ${p.kind}`);
  return p.actions;
}

/** A back-off whose key already recorded `restarts` restarts by T0 (the next wait is base * 2^(restarts-1)). */
function backoffAfter(restarts: number, key = crashBackoffKey(UID, 'app', 'c')): Backoff {
  const b = new Backoff({ baseMs: BASE, maxMs: MAX }, new ManualClock(T0 - 1000));
  for (let i = 0; i < restarts; i++) b.next(key);
  return b;
}

const starts = (a: PodActions) => a.containersToStart.map((s) => `${s.kind}:${s.name}#${s.attempt}${s.backoffKey ? '+backoff' : ''}`);

describe('computePodActions: restart policies', () => {
  const table: [policy: 'Always' | 'OnFailure' | 'Never', exit: number, oom: boolean, restart: boolean][] = [
    ['Always', 0, false, true],
    ['Always', 1, false, true],
    ['Always', 137, true, true],
    ['OnFailure', 0, false, false],
    ['OnFailure', 1, false, true],
    ['OnFailure', 137, true, true],
    ['Never', 0, false, false],
    ['Never', 1, false, false],
    ['Never', 137, true, false],
  ];
  it.each(table)('%s, exit %i (OOM %s): restart=%s', (policy, exitCode, oomKilled, restart) => {
    const a = actions(mkPod({ restartPolicy: policy }), [sandbox(), exited(exitCode, { oomKilled, attempt: 2 })]);
    if (restart) {
      // The first restart after a quiet period is immediate; the executor records it in the back-off.
      expect(starts(a)).toEqual(['app:c#3+backoff']);
      expect(a.containersToStart[0]!.backoffKey).toBe(crashBackoffKey(UID, 'app', 'c'));
    } else {
      expect(a.containersToStart).toEqual([]);
      expect(a.waiting.get('c')).toBeNull();
    }
    expect(a.containersToKill).toEqual([]);
    expect(a.createSandbox).toBeUndefined();
  });

  it('starts a container that never ran, at attempt 0 and without back-off', () => {
    const a = actions(mkPod({ restartPolicy: 'Never' }), [sandbox()]);
    expect(starts(a)).toEqual(['app:c#0']);
  });

  it('a StartError (created with an error) counts as a failed run', () => {
    const a = actions(mkPod({ restartPolicy: 'OnFailure' }), [sandbox(), ctr({ state: 'created', error: 'exec: "x": not found', exitCode: 128, finishedMs: 0 })]);
    expect(starts(a)).toEqual(['app:c#1+backoff']);
  });
});

describe('computePodActions: init containers', () => {
  const spec = (policy: 'Always' | 'OnFailure' | 'Never') =>
    mkPod({
      restartPolicy: policy,
      initContainers: [
        { name: 'i1', image: 'img:1' },
        { name: 'i2', image: 'img:1' },
      ],
    });
  const init = (name: string, over: Partial<RuntimeContainer>) => ctr({ name, kind: 'init', ...over });

  const table: [what: string, policy: 'Always' | 'OnFailure' | 'Never', inits: Partial<RuntimeContainer>[], expected: string[]][] = [
    ['none ran: the first one starts', 'Always', [], ['init:i1#0']],
    ['the first one runs: wait for it', 'Always', [{ name: 'i1', state: 'running' }], []],
    ['the first one succeeded: the second starts', 'Always', [{ name: 'i1', state: 'exited', exitCode: 0 }], ['init:i2#0']],
    [
      'both succeeded: the app containers start',
      'Always',
      [
        { name: 'i1', state: 'exited', exitCode: 0 },
        { name: 'i2', state: 'exited', exitCode: 0 },
      ],
      ['app:c#0'],
    ],
    ['the first one failed (Always): it restarts, nothing else', 'Always', [{ name: 'i1', state: 'exited', exitCode: 1, attempt: 0 }], ['init:i1#1+backoff']],
    ['the first one failed (OnFailure): it restarts', 'OnFailure', [{ name: 'i1', state: 'exited', exitCode: 1 }], ['init:i1#1+backoff']],
    ['the first one failed (Never): nothing starts', 'Never', [{ name: 'i1', state: 'exited', exitCode: 1 }], []],
    ['a success in an earlier sandbox does not count', 'Always', [{ name: 'i1', state: 'exited', exitCode: 0, sandboxId: 'old-sb', attempt: 0 }], ['init:i1#1']],
  ];
  it.each(table)('%s', (_what, policy, inits, expected) => {
    const a = actions(
      spec(policy),
      [sandbox(), ...inits.map((o) => init(o.name!, { finishedMs: T0 - 1000, ...o }))],
    );
    expect(starts(a)).toEqual(expected);
  });

  it('a Never pod whose init container failed is Failed, and nothing runs again', () => {
    const p = spec('Never');
    const insts = [init('i1', { state: 'exited', exitCode: 1, finishedMs: T0 - 1000 })];
    expect(starts(actions(p, [sandbox(), ...insts]))).toEqual([]);
    const status = computePodStatus(statusInput(p, insts, { ready: () => false, started: () => false, now: new Date(T0) }));
    expect(status.phase).toBe('Failed');
  });

  it('replaces an init container that was created but never started', () => {
    const a = actions(spec('Always'), [sandbox(), init('i1', { id: 'half', state: 'created', attempt: 0 })]);
    expect(a.containersToRemove).toEqual(['half']);
    expect(starts(a)).toEqual(['init:i1#1']);
  });
});

describe('computePodActions: back-off and CrashLoopBackOff', () => {
  it('waits out the back-off with kube reason, message, event and requeue time', () => {
    const a = actions(mkPod(), [sandbox(), exited(1, { attempt: 1, finishedMs: T0 - 4000 })], { backoff: backoffAfter(1) });
    expect(a.containersToStart).toEqual([]);
    expect(a.waiting.get('c')).toEqual({ reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=c pod=p_ns(${UID})` });
    expect(a.events).toEqual([{ type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container c in pod p_ns(${UID})`, fieldPath: 'spec.containers{c}' }]);
    // 10 s counted from the end of the last run, 4 s ago.
    expect(a.requeueAfterMs).toBe(6000);
  });

  it('uses the same logic for init containers', () => {
    const p = mkPod({ initContainers: [{ name: 'i1', image: 'img:1' }] });
    const a = actions(p, [sandbox(), ctr({ name: 'i1', kind: 'init', state: 'exited', exitCode: 1, finishedMs: T0 })], { backoff: backoffAfter(2, crashBackoffKey(UID, 'init', 'i1')) });
    expect(a.waiting.get('i1')).toEqual({ reason: 'CrashLoopBackOff', message: `back-off 20s restarting failed container=i1 pod=p_ns(${UID})` });
    expect(a.events[0]).toMatchObject({ reason: 'BackOff', fieldPath: 'spec.initContainers{i1}' });
    expect(a.requeueAfterMs).toBe(20_000);
  });

  it('doubles the back-off per restart up to five minutes, on a clock the test moves', () => {
    const clock = new ManualClock(T0);
    const backoff = new Backoff({ baseMs: BASE, maxMs: MAX }, clock);
    const p = mkPod();
    const seen: string[] = [];
    let attempt = 0;
    for (let round = 0; round < 7; round++) {
      // The container crashed one second after it started.
      clock.advance(1000);
      const crashed = exited(1, { attempt, finishedMs: clock.now() });
      let a = actions(p, [sandbox(), crashed], { backoff, now: clock.now() });
      if (a.containersToStart.length === 0) {
        seen.push(a.waiting.get('c')!.message!.split(' ')[1]!);
        clock.advance(a.requeueAfterMs!);
        a = actions(p, [sandbox(), crashed], { backoff, now: clock.now() });
      }
      expect(starts(a)).toEqual([`app:c#${attempt + 1}+backoff`]);
      backoff.next(a.containersToStart[0]!.backoffKey!); // what the executor does when it restarts
      attempt++;
    }
    expect(seen).toEqual(['10s', '20s', '40s', '1m20s', '2m40s', '5m0s']);
  });

  it('forgets the back-off of a container that stayed quiet for twice the cap', () => {
    const b = backoffAfter(5);
    const late = T0 + 2 * MAX + 1;
    const a = actions(mkPod(), [sandbox(), exited(1, { attempt: 5, finishedMs: late - 1000 })], { backoff: b, now: late });
    expect(starts(a)).toEqual(['app:c#6+backoff']);
  });
});

describe('computePodActions: probes', () => {
  const running = (over: Partial<RuntimeContainer> = {}) => ctr({ id: 'run1', attempt: 0, ...over });
  const failing = (f: ProbeFailure) => new Map([['run1', f]]);

  it('kills on a failed liveness probe with the probe grace period, and restarts', () => {
    const a = actions(mkPod({ terminationGracePeriodSeconds: 60 }), [sandbox(), running()], { probeFailures: failing({ kind: 'liveness', graceSeconds: 5 }) });
    expect(a.containersToKill).toEqual([{ id: 'run1', name: 'c', kind: 'app', graceSeconds: 5 }]);
    expect(a.events).toEqual([{ type: 'Normal', reason: 'Killing', message: 'Container c failed liveness probe, will be restarted', fieldPath: 'spec.containers{c}' }]);
    expect(starts(a)).toEqual(['app:c#1+backoff']);
  });

  it('uses the pod grace period when the probe has none (30 s by default)', () => {
    const withSpec = actions(mkPod({ terminationGracePeriodSeconds: 45 }), [sandbox(), running()], { probeFailures: failing({ kind: 'liveness' }) });
    expect(withSpec.containersToKill[0]!.graceSeconds).toBe(45);
    const byDefault = actions(mkPod(), [sandbox(), running()], { probeFailures: failing({ kind: 'liveness' }) });
    expect(byDefault.containersToKill[0]!.graceSeconds).toBe(30);
  });

  it('kills on a failed startup probe', () => {
    const a = actions(mkPod(), [sandbox(), running()], { probeFailures: failing({ kind: 'startup', graceSeconds: 1 }) });
    expect(a.events[0]!.message).toBe('Container c failed startup probe, will be restarted');
    expect(a.containersToKill[0]!.graceSeconds).toBe(1);
  });

  it('kills but does not restart under restartPolicy Never', () => {
    const a = actions(mkPod({ restartPolicy: 'Never' }), [sandbox(), running()], { probeFailures: failing({ kind: 'liveness' }) });
    expect(a.containersToKill.map((k) => k.id)).toEqual(['run1']);
    expect(a.containersToStart).toEqual([]);
    expect(a.events[0]!.message).toBe('Container c failed liveness probe');
  });

  it('kills and then waits out the back-off of a container that keeps failing its probe', () => {
    const a = actions(mkPod(), [sandbox(), running({ attempt: 3 })], { probeFailures: failing({ kind: 'liveness' }), backoff: backoffAfter(3) });
    expect(a.containersToKill.map((k) => k.id)).toEqual(['run1']);
    expect(a.containersToStart).toEqual([]);
    expect(a.waiting.get('c')?.reason).toBe('CrashLoopBackOff');
    expect(a.requeueAfterMs).toBe(40_000);
  });

  it('keeps a running container whose readiness fails (readiness never kills)', () => {
    // Only liveness and startup failures reach the plan; readiness only gates the Ready condition.
    const a = actions(mkPod(), [sandbox(), running()]);
    expect(a.containersToKill).toEqual([]);
    expect(a.keep).toEqual([{ name: 'c', id: 'run1', startedAt: T0 - 60_000, initialReady: false }]);
  });
});

describe('computePodActions: spec changes, adoption, leftovers', () => {
  const c: Container = { name: 'c', image: 'img:2' };

  it('kills a container whose spec changed and restarts it at once, without back-off', () => {
    const a = actions(mkPod({ containers: [c], restartPolicy: 'Never' }), [sandbox(), ctr({ id: 'old', specHash: containerSpecHash({ name: 'c', image: 'img:1' }), attempt: 2 })], { backoff: backoffAfter(4) });
    expect(a.containersToKill).toEqual([{ id: 'old', name: 'c', kind: 'app', graceSeconds: 30 }]);
    expect(a.events[0]!.message).toBe('Container c definition changed, will be restarted');
    expect(starts(a)).toEqual(['app:c#3']);
    expect(a.waiting.has('c')).toBe(false);
  });

  it('adopts a running container with a matching hash: nothing is killed or started, readiness carries over', () => {
    const status: PodStatus = { phase: 'Running', startTime: new Date(T0).toISOString(), containerStatuses: [{ name: 'c', ready: true, restartCount: 4, image: 'img:2', imageID: '', containerID: 'docker://adopted' }] };
    const a = actions(mkPod({ containers: [c] }, {}, status), [sandbox(), ctr({ id: 'adopted', specHash: containerSpecHash(c), attempt: 4, startedMs: T0 - 5000 })]);
    expect(a.containersToKill).toEqual([]);
    expect(a.containersToStart).toEqual([]);
    expect(a.keep).toEqual([{ name: 'c', id: 'adopted', startedAt: T0 - 5000, initialReady: true }]);
  });

  it('continues attempt numbers from the labels of the newest instance', () => {
    const a = actions(mkPod(), [sandbox(), exited(1, { attempt: 7 }), exited(1, { attempt: 6, finishedMs: T0 - 90_000 })]);
    expect(starts(a)).toEqual(['app:c#8+backoff']);
  });

  it('replaces a container that was created but never started, judging the run before it', () => {
    const a = actions(mkPod(), [sandbox(), ctr({ id: 'half', state: 'created', attempt: 3, startedMs: 0 }), exited(1, { attempt: 2 })], { backoff: backoffAfter(2) });
    expect(a.containersToRemove).toEqual(['half']);
    // The previous run failed 1 s ago with a 20 s back-off running.
    expect(a.waiting.get('c')?.reason).toBe('CrashLoopBackOff');
    expect(a.requeueAfterMs).toBe(19_000);
    const free = actions(mkPod(), [sandbox(), ctr({ id: 'half', state: 'created', attempt: 3, startedMs: 0 })]);
    expect(free.containersToRemove).toEqual(['half']);
    expect(starts(free)).toEqual(['app:c#4']);
  });
});

describe('computePodActions: sandbox', () => {
  it('creates the first sandbox, then the containers start in it', () => {
    const a = actions(mkPod(), []);
    expect(a.createSandbox).toEqual({ attempt: 0 });
    expect(a.killPod).toBeUndefined();
    expect(starts(a)).toEqual(['app:c#0']);
  });

  it('re-creates a dead sandbox: kills the pod, starts every container afresh, no back-off', () => {
    const a = actions(mkPod(), [sandbox({ state: 'exited', exitCode: 0, attempt: 1 }), exited(1, { attempt: 3 })], { backoff: backoffAfter(3) });
    expect(a.events.map((e) => e.reason)).toEqual(['SandboxChanged']);
    expect(a.killPod).toEqual({ graceSeconds: 30 });
    expect(a.createSandbox).toEqual({ attempt: 2 });
    expect(starts(a)).toEqual(['app:c#4']);
  });

  it('re-creates a sandbox that lost its address', () => {
    const a = actions(mkPod(), [sandbox({ ips: {} }), ctr({})]);
    expect(a.createSandbox).toEqual({ attempt: 1 });
  });

  it('finishes a Never pod whose containers already ran instead of re-creating its sandbox', () => {
    const a = actions(mkPod({ restartPolicy: 'Never', terminationGracePeriodSeconds: 12 }), [sandbox({ state: 'exited' }), exited(0)]);
    expect(a.createSandbox).toBeUndefined();
    expect(a.killPod).toEqual({ graceSeconds: 12 });
    expect(a.finish).toEqual({ terminal: true });
  });

  it('runs init containers again in a new sandbox', () => {
    const p = mkPod({ initContainers: [{ name: 'i1', image: 'img:1' }] });
    const a = actions(p, [sandbox({ state: 'exited', attempt: 0 }), ctr({ name: 'i1', kind: 'init', state: 'exited', exitCode: 0 }), ctr({})]);
    expect(a.createSandbox).toEqual({ attempt: 1 });
    expect(starts(a)).toEqual(['init:i1#1']);
  });

  it('waits in ContainerCreating when a volume cannot be provided', () => {
    const p = mkPod({ volumes: [{ name: 'v', nfs: { server: 'x', path: '/' } } as never] });
    const vplan = planVolumes(p, { cluster: 'c1', node: 'n1', namespace: 'ns', pod: 'p', uid: UID });
    const a = actions(p, [], { volumes: vplan });
    expect(a.volumeError).toMatch(/nfs volumes are not supported/);
    expect(a.events[0]).toMatchObject({ type: 'Warning', reason: 'FailedMount' });
    expect(a.requeueAfterMs).toBe(10_000);
    expect(a.createSandbox).toBeUndefined();
  });

  it('clears ContainerCreating waits once the sandbox is up, and refreshes file volumes on schedule', () => {
    const p = mkPod({ volumes: [{ name: 'cfg', configMap: { name: 'cm' } }] });
    const vplan = planVolumes(p, { cluster: 'c1', node: 'n1', namespace: 'ns', pod: 'p', uid: UID });
    const waiting = new Map([['c', { reason: 'ContainerCreating', message: 'configmap "cm" not found' }]]);
    const due = actions(p, [sandbox(), ctr({})], { volumes: vplan, waiting, volumesCheckedAt: T0 - 60_000 });
    expect(due.refreshVolumes).toBe(true);
    expect(due.waiting.get('c')).toBeNull();
    expect(due.requeueAfterMs).toBe(60_000);
    const early = actions(p, [sandbox(), ctr({})], { volumes: vplan, volumesCheckedAt: T0 - 45_000 });
    expect(early.refreshVolumes).toBe(false);
    expect(early.requeueAfterMs).toBe(15_000);
  });
});

describe('computePodActions: deadlines, deletion, finished and gone pods', () => {
  it('fails a pod past activeDeadlineSeconds, and wakes up at the deadline otherwise', () => {
    const started = { phase: 'Running' as const, startTime: new Date(T0 - 100_000).toISOString() };
    const over = actions(mkPod({ activeDeadlineSeconds: 60, terminationGracePeriodSeconds: 9 }, {}, started), [sandbox(), ctr({})]);
    expect(over.killPod).toEqual({ graceSeconds: 9 });
    expect(over.finish).toEqual({ podFailure: { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' }, terminal: false });
    expect(over.events.map((e) => e.reason)).toEqual(['DeadlineExceeded']);
    const within = actions(mkPod({ activeDeadlineSeconds: 600 }, {}, started), [sandbox(), ctr({})]);
    expect(within.killPod).toBeUndefined();
    expect(within.requeueAfterMs).toBe(500_000);
  });

  const deleting = (meta: Partial<Pod['metadata']>, spec: Partial<Pod['spec']> = {}) => plan(mkPod(spec, { deletionTimestamp: new Date(T0).toISOString(), ...meta }), [sandbox(), ctr({})]);
  it.each([
    ['deletionGracePeriodSeconds', deleting({ deletionGracePeriodSeconds: 7 }, { terminationGracePeriodSeconds: 60 }), 7],
    ['a forced delete (0)', deleting({ deletionGracePeriodSeconds: 0 }), 0],
    ['the spec when the delete named none', deleting({}, { terminationGracePeriodSeconds: 45 }), 45],
    ['30 s by default', deleting({}), 30],
  ])('terminates a deleted pod with the grace period from %s', (_what, p, grace) => {
    expect(p).toEqual({ kind: 'terminate', graceSeconds: grace });
  });

  it('only stops what still runs of a finished pod, trusting its own newer status write', () => {
    expect(plan(mkPod({}, {}, { phase: 'Succeeded' }), [sandbox(), ctr({})])).toEqual({ kind: 'stopFinished', graceSeconds: 30 });
    const sent = { status: { phase: 'Failed' as const }, rv: 5n };
    expect(plan(mkPod({}, { resourceVersion: '3' }, { phase: 'Running' }), [], { sent }).kind).toBe('stopFinished');
    expect(plan(mkPod({}, { resourceVersion: '9' }, { phase: 'Running' }), [], { sent }).kind).toBe('sync');
  });

  it('cleans up pods gone from the API or bound elsewhere, with a short grace period', () => {
    const p = mkPod({ terminationGracePeriodSeconds: 60 });
    expect(plan(undefined, [], { lastPod: p })).toEqual({ kind: 'cleanup', graceSeconds: 2, forget: true });
    expect(plan(undefined, [], { lastPod: mkPod({ terminationGracePeriodSeconds: 1 }) })).toEqual({ kind: 'cleanup', graceSeconds: 1, forget: true });
    expect(plan(mkPod({ nodeName: 'other' }), [])).toEqual({ kind: 'cleanup', graceSeconds: 2, forget: false });
  });
});

describe('containersToCollect', () => {
  it('keeps the two newest instances of each container and the newest sandbox, never a running one', () => {
    const all = [ctr({ id: 'a3', attempt: 3, state: 'exited' }), ctr({ id: 'a2', attempt: 2, state: 'exited' }), ctr({ id: 'a1', attempt: 1, state: 'exited' }), ctr({ id: 'a0', attempt: 0, state: 'running' }), sandbox({ id: 'sb2' }), sandbox({ id: 'sb1', state: 'exited' })];
    expect(containersToCollect(all)).toEqual(['a1', 'sb1']);
  });
});

// ---- the executor (PodWorker) on the in-memory runtime ----

/** The API side of the pod worker: status patches applied to a copy of the pod, deletes recorded. */
class StatusSink {
  pod: Pod;
  readonly deletes: { name: string; opts: unknown }[] = [];
  patches = 0;
  constructor(p: Pod) {
    this.pod = structuredClone(p);
  }
  readonly client: PodWorkerDeps['client'] = {
    patch: async <T,>(_r: string, _ns: string | undefined, _name: string, body: unknown) => {
      this.patches++;
      const st: Record<string, unknown> = { ...(this.pod.status ?? {}) };
      for (const [k, v] of Object.entries((body as { status: Record<string, unknown> }).status)) {
        if (v === null) delete st[k];
        else st[k] = v;
      }
      this.pod = { ...this.pod, metadata: { ...this.pod.metadata, resourceVersion: String(Number(this.pod.metadata.resourceVersion) + 1) }, status: st as PodStatus };
      return structuredClone(this.pod) as T;
    },
    delete: async <T,>(_r: string, _ns: string | undefined, name: string, opts?: unknown) => {
      this.deletes.push({ name, opts });
      return {} as T;
    },
  } as PodWorkerDeps['client'];
  get status(): PodStatus {
    return this.pod.status!;
  }
  container(name: string) {
    return [...(this.status.initContainerStatuses ?? []), ...(this.status.containerStatuses ?? [])].find((s) => s.name === name)!;
  }
}

interface Harness {
  clock: ManualClock;
  rt: FakeRuntime;
  sink: StatusSink;
  events: { type: string; reason: string; message: string }[];
  rec: PodRecord;
  crashBackoff: Backoff;
  deps: PodWorkerDeps;
  worker: PodWorker;
  sync(): Promise<{ requeueAfterMs?: number; forget?: boolean }>;
}

const probeManagers: ProbeManager[] = [];
afterEach(() => {
  for (const m of probeManagers.splice(0)) m.stopAll();
  vi.useRealTimers();
});

function harness(p: Pod, over: Partial<PodWorkerDeps> = {}): Harness {
  const clock = new ManualClock(T0);
  const rt = new FakeRuntime(clock, NET);
  rt.addImage('pause:1');
  rt.addImage('img:1');
  const sink = new StatusSink(p);
  const events: Harness['events'] = [];
  const crashBackoff = new Backoff({ baseMs: BASE, maxMs: MAX }, clock);
  const probes = new ProbeManager((probe, t) => runProbe(rt, probe, t), { onChange: () => {}, onFailure: () => {} }, clock);
  probeManagers.push(probes);
  const deps: PodWorkerDeps = {
    client: sink.client,
    runtime: rt,
    images: new ImageManager(rt, { pulls: false, backoff: new Backoff({ baseMs: BASE, maxMs: MAX }, clock), clock }),
    probes,
    recorder: { event: (_o, type, reason, message) => void events.push({ type, reason, message }) },
    crashBackoff,
    clock,
    sources: { getConfigMap: async () => undefined, getSecret: async () => undefined },
    services: () => [],
    cluster: 'c1',
    node: 'n1',
    network: NET,
    pauseImage: 'pause:1',
    hostIP: () => '172.18.0.2',
    allocatable: { cpu: '2', memory: '2Gi', pods: '110' },
    dns: { clusterDomain: 'cluster.local' },
    volumeRefreshMs: 60_000,
    log: silentLogger,
    ...over,
  };
  const worker = new PodWorker(deps);
  const rec = newPodRecord(UID);
  rec.pod = p;
  rec.lastPod = p;
  return { clock, rt, sink, events, rec, crashBackoff, deps, worker, sync: () => worker.sync(rec) };
}

describe('PodWorker on the fake runtime', () => {
  it('creates the sandbox on the pod network, runs init containers to completion, then the app', async () => {
    const h = harness(mkPod({ initContainers: [{ name: 'init', image: 'img:1' }], volumes: [{ name: 'scratch', emptyDir: {} }] }));
    await h.sync();
    const sb = h.rt.latest('POD', 'sandbox')!;
    expect(h.rt.createOptions(sb.id)?.HostConfig?.NetworkMode).toBe(NET);
    expect(sb.ips[NET]).toBeTruthy();
    expect(h.rt.volumes.size).toBe(1);
    const init = h.rt.latest('init', 'init')!;
    expect(init.state).toBe('running');
    expect(h.rt.createOptions(init.id)?.HostConfig?.NetworkMode).toBe(`container:${sb.id}`);
    expect(h.rt.latest('c')).toBeUndefined();
    expect(h.sink.status.phase).toBe('Pending');

    h.rt.exit(init.id, 0);
    await h.sync();
    expect(h.rt.latest('c')?.state).toBe('running');
    expect(h.sink.status.phase).toBe('Running');
    expect(h.sink.status.podIP).toBe(sb.ips[NET]);
    expect(h.rt.ops('create').map((c) => c.args)).toEqual([`k8s_POD_p_ns_${UID}_0`, `k8s_init_p_ns_${UID}_0`, `k8s_c_p_ns_${UID}_0`]);
    expect(h.events.map((e) => e.reason)).toEqual(['Pulled', 'Created', 'Started', 'Pulled', 'Created', 'Started']);
  });

  it('restarts a crashing container with growing back-off and reports CrashLoopBackOff', async () => {
    const h = harness(mkPod());
    await h.sync();
    const seen: { restartCount: number; reason?: string; message?: string; requeue?: number }[] = [];
    for (let i = 0; i < 4; i++) {
      h.clock.advance(1000);
      h.rt.exit(h.rt.latest('c')!.id, 1);
      let res = await h.sync();
      if (h.rt.latest('c')!.state !== 'running') {
        const s = h.sink.container('c');
        seen.push({ restartCount: s.restartCount, reason: s.state?.waiting?.reason, message: s.state?.waiting?.message, requeue: res.requeueAfterMs });
        expect(s.lastState?.terminated?.exitCode).toBe(1);
        h.clock.advance(res.requeueAfterMs!);
        res = await h.sync();
      }
      expect(h.rt.latest('c')!.attempt).toBe(i + 1);
      expect(h.rt.latest('c')!.state).toBe('running');
    }
    const msg = (d: string) => `back-off ${d} restarting failed container=c pod=p_ns(${UID})`;
    expect(seen).toEqual([
      { restartCount: 1, reason: 'CrashLoopBackOff', message: msg('10s'), requeue: 10_000 },
      { restartCount: 2, reason: 'CrashLoopBackOff', message: msg('20s'), requeue: 20_000 },
      { restartCount: 3, reason: 'CrashLoopBackOff', message: msg('40s'), requeue: 40_000 },
    ]);
    expect(h.sink.status.phase).toBe('Running');
  });

  it('runs preStop, then stops with the probe grace period when liveness fails, and restarts', async () => {
    const failing = new Set<string>();
    const h = harness(mkPod({ terminationGracePeriodSeconds: 60, containers: [{ name: 'c', image: 'img:1', lifecycle: { preStop: { exec: { command: ['/bin/bye'] } } } }] }), {
      probes: {
        ensure: () => {},
        retain: () => {},
        failure: (id) => (failing.has(id) ? { kind: 'liveness', message: 'HTTP probe failed with statuscode: 500' } : undefined),
        probeGrace: () => 5,
        ready: () => true,
        started: () => true,
      },
    });
    await h.sync();
    const first = h.rt.latest('c')!;
    failing.add(first.id);
    const mark = h.rt.calls.length;
    await h.sync();
    const after = h.rt.calls.slice(mark).filter((c) => c.op !== 'listContainers');
    expect(after.slice(0, 2)).toEqual([
      { op: 'exec', id: first.id, args: ['/bin/bye'] },
      { op: 'stop', id: first.id, args: 5 },
    ]);
    expect(h.rt.latest('c')).toMatchObject({ attempt: 1, state: 'running' });
    expect(h.events.find((e) => e.reason === 'Killing')?.message).toBe('Container c failed liveness probe, will be restarted');
  });

  it('keeps a container whose readiness probe fails and kills one whose liveness probe fails (real probe workers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const probe = (cmd: string, extra: object = {}) => ({ exec: { command: [cmd] }, periodSeconds: 1, failureThreshold: 2, ...extra });
    const h = harness(mkPod({ containers: [{ name: 'c', image: 'img:1', readinessProbe: probe('ready'), livenessProbe: probe('live', { terminationGracePeriodSeconds: 3 }) }] }));
    let liveExit = 0;
    h.rt.execHandler = (_id, cmd) => ({ exitCode: cmd[0] === 'ready' ? 1 : liveExit, output: '', timedOut: false });
    await h.sync();
    const first = h.rt.latest('c')!;
    await vi.advanceTimersByTimeAsync(5000);
    await h.sync();
    expect(h.rt.ops('stop')).toEqual([]);
    expect(h.sink.container('c').ready).toBe(false);
    expect(h.sink.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');

    liveExit = 1;
    await vi.advanceTimersByTimeAsync(5000);
    await h.sync();
    expect(h.rt.ops('stop')).toEqual([{ op: 'stop', id: first.id, args: 3 }]);
    expect(h.rt.latest('c')).toMatchObject({ attempt: 1, state: 'running' });
  });

  it('deletes gracefully: preStop, stop within deletionGracePeriodSeconds, final status, remove, DELETE', async () => {
    const p = mkPod({ terminationGracePeriodSeconds: 60, volumes: [{ name: 'scratch', emptyDir: {} }], containers: [{ name: 'c', image: 'img:1', lifecycle: { preStop: { exec: { command: ['/bin/drain'] } } } }] });
    const h = harness(p);
    await h.sync();
    const app = h.rt.latest('c')!;
    const sb = h.rt.latest('POD', 'sandbox')!;
    h.rec.pod = { ...p, metadata: { ...p.metadata, deletionTimestamp: new Date(T0).toISOString(), deletionGracePeriodSeconds: 7 } };
    const mark = h.rt.calls.length;
    await h.sync();
    const ops = h.rt.calls.slice(mark).filter((c) => c.op !== 'listContainers');
    expect(ops).toEqual([
      { op: 'exec', id: app.id, args: ['/bin/drain'] },
      { op: 'stop', id: app.id, args: 7 },
      { op: 'stop', id: sb.id, args: 0 },
      { op: 'remove', id: app.id },
      { op: 'remove', id: sb.id },
      { op: 'removeVolume', args: expect.stringContaining('scratch') },
    ]);
    expect(h.sink.container('c').state?.terminated).toMatchObject({ exitCode: 143, reason: 'Error' });
    expect(h.sink.status.phase).toBe('Failed');
    expect(h.sink.deletes).toEqual([{ name: 'p', opts: { gracePeriodSeconds: 0, preconditions: { uid: UID } } }]);
    expect(h.rec.terminating).toBe(true);
  });

  it("reads a failed container's termination message from its logs through the runtime", async () => {
    const h = harness(mkPod({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'img:1', terminationMessagePolicy: 'FallbackToLogsOnError' }] }));
    await h.sync();
    const app = h.rt.latest('c')!;
    h.rt.output.set(app.id, 'starting\npanic: boom');
    h.rt.exit(app.id, 2);
    await h.sync();
    expect(h.rt.ops('tailLogs')).toEqual([{ op: 'tailLogs', id: app.id, args: 80 }]);
    expect(h.sink.container('c').state?.terminated).toMatchObject({ exitCode: 2, reason: 'Error', message: 'starting\npanic: boom' });
    expect(h.sink.status.phase).toBe('Failed');
    // A finished pod keeps its containers for logs, but its sandbox stops.
    expect(h.rt.latest('POD', 'sandbox')!.state).toBe('exited');
  });

  it('adopts what a previous kubelet left running, and continues its attempt numbers', async () => {
    const h = harness(mkPod());
    await h.sync();
    h.clock.advance(1000);
    h.rt.exit(h.rt.latest('c')!.id, 1);
    await h.sync(); // restart 1
    const running = h.rt.latest('c')!;
    expect(running.attempt).toBe(1);

    // A new kubelet: a new worker with empty memory (records, back-off), the pod as the API shows it.
    const worker = new PodWorker({ ...h.deps, crashBackoff: new Backoff({ baseMs: BASE, maxMs: MAX }, h.clock) });
    const rec = newPodRecord(UID);
    rec.pod = structuredClone(h.sink.pod);
    const patches = h.sink.patches;
    const mark = h.rt.calls.length;
    await worker.sync(rec);
    expect(h.rt.calls.slice(mark).filter((c) => c.op !== 'listContainers')).toEqual([]);
    expect(h.sink.patches).toBe(patches);

    h.rt.exit(running.id, 1);
    await worker.sync(rec);
    expect(h.rt.latest('c')!.attempt).toBe(2);
  });

  it('replaces a container that was created but never started', async () => {
    const h = harness(mkPod());
    await h.sync();
    const app = h.rt.latest('c')!;
    h.rt.exit(app.id, 0);
    // A kubelet created attempt 1 and stopped before starting it.
    const half = await h.rt.create({ ...h.rt.createOptions(app.id), name: `k8s_c_p_ns_${UID}_1`, Labels: { ...app.labels, 'flotilla.dev/attempt': '1' } });
    await h.sync();
    expect(h.rt.ops('remove').map((c) => c.id)).toContain(half);
    expect(h.rt.latest('c')).toMatchObject({ attempt: 2, state: 'running' });
  });

  it('reports ErrImagePull, then ImagePullBackOff while the pull back-off runs, and ErrImageNeverPull', async () => {
    const h = harness(mkPod({ containers: [{ name: 'c', image: 'missing:1' }] }));
    const first = await h.sync();
    expect(h.sink.container('c').state?.waiting?.reason).toBe('ErrImagePull');
    expect(first.requeueAfterMs).toBe(1000);
    h.clock.advance(1000);
    const second = await h.sync();
    expect(h.sink.container('c').state?.waiting).toEqual({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "missing:1"' });
    expect(second.requeueAfterMs).toBe(9000);
    expect(h.sink.status.phase).toBe('Pending');

    const never = harness(mkPod({ containers: [{ name: 'c', image: 'missing:1', imagePullPolicy: 'Never' }] }));
    await never.sync();
    expect(never.sink.container('c').state?.waiting?.reason).toBe('ErrImageNeverPull');
  });

  it('removes everything of a pod gone from the API and forgets its back-off', async () => {
    const h = harness(mkPod({ volumes: [{ name: 'scratch', emptyDir: {} }] }));
    await h.sync();
    h.crashBackoff.next(crashBackoffKey(UID, 'app', 'c'));
    h.rec.pod = undefined;
    expect(await h.sync()).toEqual({ forget: true });
    expect(await h.rt.listContainers()).toEqual([]);
    expect(h.rt.volumes.size).toBe(0);
    expect(h.crashBackoff.get(crashBackoffKey(UID, 'app', 'c'))).toBe(0);
  });
});
