import type { Pod, PodStatus } from '../api/types.js';
import type { BackoffView } from './backoff.js';
import { MIN_GRACE_SECONDS, deletionGraceSeconds, terminationGraceSeconds } from './grace.js';
import { containerSpecHash, type ContainerKind } from './labels.js';
import type { RuntimeContainer } from './runtime.js';
import { isRunning, isTerminated, type Waiting } from './status.js';
import type { PlannedVolume } from './volumes.js';

// What one pass of the pod worker must do, decided without doing it (kube's computePodActions in
// kuberuntime_manager.go; podWorker.ts is the SyncPod that carries a plan out). A pure function
// of the pod, the containers the runtime shows, probe results, back-off state, the volume plan
// and the time: no I/O and no clock, so every decision is unit tested without Docker.
//
//   pod gone or bound elsewhere  -> cleanup: stop and remove everything (short grace)
//   deletionTimestamp            -> terminate with deletionGracePeriodSeconds
//   phase Succeeded/Failed       -> stop what still runs, start nothing
//   otherwise                    -> sync: deadline, volumes, sandbox, then init containers one
//                                   at a time, then app containers per restartPolicy with
//                                   CrashLoopBackOff; kills for changed specs and failed probes
//
// A restarted kubelet plans from what it finds: a running container whose spec hash matches is
// kept, and attempt numbers continue from the newest instance's attempt label.

export type PodFailure = { reason: string; message: string };

export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  fieldPath?: string;
}

/** A failed liveness or startup probe of a running container, and the probe's own grace period. */
export interface ProbeFailure {
  kind: 'liveness' | 'startup';
  graceSeconds?: number;
}

export interface PodActionsInput {
  uid: string;
  /** The pod as the API shows it; undefined once it is gone from the API. */
  pod?: Pod;
  /** The last pod object seen (its grace period still applies after it is gone). */
  lastPod?: Pod;
  /** The kubelet's own last status write; newer than `pod` when its resourceVersion is higher. */
  sent?: { status: PodStatus; rv: bigint };
  /** This node's name and the network pod IPs live on. */
  node: string;
  network: string;
  /** The pod's containers as the runtime shows them (sandboxes included), newest first. */
  containers: RuntimeContainer[];
  /** Failed liveness/startup probes by container id. */
  probeFailures: ReadonlyMap<string, ProbeFailure>;
  /** CrashLoopBackOff state (read only: the executor records restarts). */
  backoff: BackoffView;
  /** The pod's volumes, or the first one that cannot be provided. */
  volumes: { volumes: PlannedVolume[]; error?: string };
  /** When file-backed volume contents were last compared (ms), and how often they are. */
  volumesCheckedAt: number;
  volumeRefreshMs: number;
  /** Why containers wait, as the previous passes recorded it. */
  waiting: ReadonlyMap<string, Waiting>;
  now: number;
}

export interface ContainerToStart {
  name: string;
  kind: 'init' | 'app';
  /** The attempt label of the new instance (restart count). */
  attempt: number;
  /** A restart after a failure: the executor records it in the crash back-off under this key. */
  backoffKey?: string;
}

export interface ContainerToKill {
  id: string;
  name: string;
  kind: ContainerKind;
  graceSeconds: number;
}

/** A running container that stays; its probe workers must exist. */
export interface KeptContainer {
  name: string;
  id: string;
  /** Start time (ms) the probe delays count from. */
  startedAt: number;
  /** The previous kubelet saw this very instance ready: it stays ready until a probe says otherwise. */
  initialReady: boolean;
}

export interface PodActions {
  /** Stop every running container of the pod (not the sandbox) first. */
  killPod?: { graceSeconds: number };
  /** Write this final status and stop the pass: the pod failed, or will never run again. */
  finish?: { podFailure?: PodFailure; terminal: boolean };
  /** A volume cannot be provided: every container waits in ContainerCreating with this message. */
  volumeError?: string;
  /** (Re)create the sandbox; the containers below then start in it. */
  createSandbox?: { attempt: number };
  /** Compare file-backed volume contents with their sources and rewrite changed ones. */
  refreshVolumes: boolean;
  containersToKill: ContainerToKill[];
  /** Containers created but never started (a kubelet stopped half-way): removed, then replaced. */
  containersToRemove: string[];
  /** At most one init container, or the app containers to (re)start, in order. */
  containersToStart: ContainerToStart[];
  keep: KeptContainer[];
  /** Waiting reasons to set (null: clear), applied once the sandbox is in place. */
  waiting: Map<string, Waiting | null>;
  /** Events to record before acting. */
  events: PodEvent[];
  requeueAfterMs?: number;
}

export type PodPlan =
  /** Nothing of the pod may remain; `forget` when it is gone from the API. */
  | { kind: 'cleanup'; graceSeconds: number; forget: boolean }
  /** Graceful deletion: preStop, stop within the grace period, final status, remove, delete the object. */
  | { kind: 'terminate'; graceSeconds: number }
  /** Succeeded or Failed: stop what still runs, keep the containers for logs. */
  | { kind: 'stopFinished'; graceSeconds: number }
  | { kind: 'sync'; actions: PodActions };

/** The resourceVersion as a number for ordering (0 when missing or unparsable). */
export function podResourceVersion(pod: Pod | undefined): bigint {
  try {
    return BigInt(pod?.metadata.resourceVersion ?? '0');
  } catch {
    return 0n;
  }
}

export function fieldPath(kind: ContainerKind, name: string): string {
  return kind === 'init' ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

/** Go's time.Duration rounding to seconds, as kube prints back-off delays ("10s", "2m40s", "5m0s"). */
export function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m}m${s % 60}s` : `${m}m0s`;
}

/** Every crash back-off key of a pod starts with this (dropped when the pod goes away). */
export function crashBackoffPrefix(uid: string): string {
  return `${uid}/`;
}

export function crashBackoffKey(uid: string, kind: 'init' | 'app', name: string): string {
  return `${crashBackoffPrefix(uid)}${kind}/${name}`;
}

export function computePodActions(input: PodActionsInput): PodPlan {
  const { pod } = input;
  if (!pod || pod.spec.nodeName !== input.node) {
    const last = input.lastPod;
    return { kind: 'cleanup', graceSeconds: last ? Math.min(MIN_GRACE_SECONDS, terminationGraceSeconds(last)) : MIN_GRACE_SECONDS, forget: !pod };
  }
  if (pod.metadata.deletionTimestamp) return { kind: 'terminate', graceSeconds: deletionGraceSeconds(pod) };
  // Our own last write may be newer than the informer's copy: a finished pod must never start again.
  const phase = input.sent && input.sent.rv > podResourceVersion(pod) ? input.sent.status.phase : pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { kind: 'stopFinished', graceSeconds: terminationGraceSeconds(pod) };
  return { kind: 'sync', actions: syncActions(pod, input) };
}

type Outcome = { restartKey: string } | { waitMs: number; waiting: Waiting; event: PodEvent };

/**
 * kube's CrashLoopBackOff, for init and app containers alike: a container whose last run ended
 * at `since` restarts now (recording the restart under its key), or waits out its back-off.
 */
function crashLoop(pod: Pod, input: PodActionsInput, kind: 'init' | 'app', name: string, since: number): Outcome {
  const key = crashBackoffKey(input.uid, kind, name);
  const waitMs = input.backoff.remaining(key, since, input.now);
  if (waitMs <= 0) return { restartKey: key };
  const who = `${pod.metadata.name}_${pod.metadata.namespace ?? 'default'}(${input.uid})`;
  return {
    waitMs,
    waiting: { reason: 'CrashLoopBackOff', message: `back-off ${fmtDuration(input.backoff.get(key))} restarting failed container=${name} pod=${who}` },
    event: { type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${name} in pod ${who}`, fieldPath: fieldPath(kind, name) },
  };
}

function syncActions(pod: Pod, input: PodActionsInput): PodActions {
  const { now } = input;
  const a: PodActions = { refreshVolumes: false, containersToKill: [], containersToRemove: [], containersToStart: [], keep: [], waiting: new Map(), events: [] };
  let requeue = Infinity;
  const wake = (ms: number) => (requeue = Math.min(requeue, Math.max(0, ms)));
  const done = (): PodActions => ({ ...a, ...(Number.isFinite(requeue) ? { requeueAfterMs: requeue } : {}) });
  const policy = pod.spec.restartPolicy ?? 'Always';
  const grace = terminationGraceSeconds(pod);
  const all = input.containers;

  // ---- activeDeadlineSeconds ----
  const startTime = pod.status?.startTime ? Date.parse(pod.status.startTime) : now;
  const deadline = pod.spec.activeDeadlineSeconds;
  if (deadline && now - startTime >= deadline * 1000) {
    const podFailure = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };
    a.events.push({ type: 'Normal', reason: 'DeadlineExceeded', message: podFailure.message });
    return { ...a, killPod: { graceSeconds: grace }, finish: { podFailure, terminal: false } };
  } else if (deadline) wake(startTime + deadline * 1000 - now);

  // ---- volumes ----
  if (input.volumes.error !== undefined) {
    a.events.push({ type: 'Warning', reason: 'FailedMount', message: `Unable to attach or mount volumes: ${input.volumes.error}` });
    return { ...a, volumeError: input.volumes.error, requeueAfterMs: 10_000 };
  }
  const refreshable = input.volumes.volumes.some((v) => v.kind !== 'emptyDir' && v.kind !== 'hostPath');

  // ---- sandbox ----
  const sandbox = all.find((r) => r.kind === 'sandbox');
  /** The sandbox containers run in after this pass; undefined: a new one, which nothing ran in yet. */
  let sandboxId: string | undefined;
  if (!sandbox || !isRunning(sandbox) || !sandbox.ips[input.network]) {
    if (sandbox && policy === 'Never' && all.some((r) => r.kind === 'app')) {
      // kube: a Never pod whose containers already ran is not restarted in a new sandbox; it
      // finishes with what it has.
      return { ...a, killPod: { graceSeconds: grace }, finish: { terminal: true } };
    }
    if (sandbox) {
      a.events.push({ type: 'Normal', reason: 'SandboxChanged', message: 'Pod sandbox changed, it will be killed and re-created.' });
      a.killPod = { graceSeconds: grace };
    }
    a.createSandbox = { attempt: sandbox ? sandbox.attempt + 1 : 0 };
    // A new sandbox gets fresh volume contents.
    if (refreshable) wake(input.volumeRefreshMs);
  } else {
    sandboxId = sandbox.id;
    if (now - input.volumesCheckedAt >= input.volumeRefreshMs) {
      a.refreshVolumes = true;
      if (refreshable) wake(input.volumeRefreshMs);
    } else if (refreshable) wake(input.volumesCheckedAt + input.volumeRefreshMs - now);
  }
  // The sandbox is (about to be) in place: volume waits are over.
  for (const [name, w] of input.waiting) if (w.reason === 'ContainerCreating') a.waiting.set(name, null);

  // ---- init containers: one at a time, in order, each must exit 0 ----
  let initPending = false;
  for (const ic of pod.spec.initContainers ?? []) {
    const insts = all.filter((r) => r.kind === 'init' && r.name === ic.name);
    // A new sandbox runs the init containers again: runs in earlier sandboxes no longer count.
    let latest: RuntimeContainer | undefined = insts.find((r) => sandboxId !== undefined && r.sandboxId === sandboxId);
    if (latest && isTerminated(latest) && latest.exitCode === 0) continue;
    initPending = true;
    if (latest && isRunning(latest)) break;
    if (latest && latest.state === 'created' && !latest.error) {
      a.containersToRemove.push(latest.id);
      latest = undefined;
    }
    const attempt = insts[0] ? insts[0].attempt + 1 : 0;
    let backoffKey: string | undefined;
    if (latest && isTerminated(latest)) {
      // A failed init container of a Never pod fails the pod (the status says so).
      if (policy === 'Never') break;
      const o = crashLoop(pod, input, 'init', ic.name, latest.finishedMs || latest.created);
      if ('waitMs' in o) {
        a.waiting.set(ic.name, o.waiting);
        a.events.push(o.event);
        wake(o.waitMs);
        break;
      }
      backoffKey = o.restartKey;
    }
    a.containersToStart.push({ name: ic.name, kind: 'init', attempt, ...(backoffKey ? { backoffKey } : {}) });
    break;
  }
  if (initPending) return done();

  // ---- app containers ----
  for (const c of pod.spec.containers) {
    const insts = all.filter((r) => r.kind === 'app' && r.name === c.name);
    let latest: RuntimeContainer | undefined = insts[0];
    const attempt = latest ? latest.attempt + 1 : 0;
    /** When and how the last run in this sandbox ended, if it did. */
    let ended: { at: number; failed: boolean } | undefined;
    if (latest && isRunning(latest) && sandboxId !== undefined && latest.sandboxId === sandboxId) {
      const failure = input.probeFailures.get(latest.id);
      if (latest.specHash && latest.specHash !== containerSpecHash(c)) {
        // A changed spec restarts at once whatever the policy, and costs no back-off.
        a.events.push({ type: 'Normal', reason: 'Killing', message: `Container ${c.name} definition changed, will be restarted`, fieldPath: fieldPath('app', c.name) });
        a.containersToKill.push({ id: latest.id, name: c.name, kind: 'app', graceSeconds: grace });
        a.containersToStart.push({ name: c.name, kind: 'app', attempt });
        continue;
      }
      if (!failure) {
        const prev = pod.status?.containerStatuses?.find((s) => s.name === c.name);
        a.keep.push({ name: c.name, id: latest.id, startedAt: latest.startedMs || now, initialReady: !!prev && prev.ready && prev.containerID === `docker://${latest.id}` });
        a.waiting.set(c.name, null);
        continue;
      }
      // A failed liveness/startup probe kills with the probe's grace period; the run ends now
      // and counts as a failure, so the restart policy and back-off below decide what follows.
      // kube says "will be restarted" only when the policy restarts it (shouldRestartOnFailure).
      const note = policy === 'Never' ? '' : ', will be restarted';
      a.events.push({ type: 'Normal', reason: 'Killing', message: `Container ${c.name} failed ${failure.kind} probe${note}`, fieldPath: fieldPath('app', c.name) });
      a.containersToKill.push({ id: latest.id, name: c.name, kind: 'app', graceSeconds: failure.graceSeconds ?? grace });
      ended = { at: now, failed: true };
    } else {
      if (latest && latest.state === 'created' && !latest.error) {
        // Created but never started (a kubelet stopped half-way): start over with a new container.
        a.containersToRemove.push(latest.id);
        latest = insts[1];
      }
      if (latest && isTerminated(latest) && sandboxId !== undefined && latest.sandboxId === sandboxId) {
        ended = { at: latest.finishedMs || latest.created, failed: latest.exitCode !== 0 || latest.oomKilled || !!latest.error };
      }
    }
    let backoffKey: string | undefined;
    if (ended) {
      const restart = policy === 'Always' || (policy === 'OnFailure' && ended.failed);
      if (!restart) {
        a.waiting.set(c.name, null);
        continue;
      }
      const o = crashLoop(pod, input, 'app', c.name, ended.at);
      if ('waitMs' in o) {
        a.waiting.set(c.name, o.waiting);
        a.events.push(o.event);
        wake(o.waitMs);
        continue;
      }
      backoffKey = o.restartKey;
    }
    a.containersToStart.push({ name: c.name, kind: 'app', attempt, ...(backoffKey ? { backoffKey } : {}) });
  }
  return done();
}

/**
 * Instances to remove after a pass: each container keeps its two newest instances (current and
 * previous, for `logs --previous`), a pod one sandbox; running instances always stay.
 */
export function containersToCollect(all: RuntimeContainer[]): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  for (const r of all) {
    const k = `${r.kind}/${r.name}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (n > (r.kind === 'sandbox' ? 1 : 2) && !isRunning(r)) out.push(r.id);
  }
  return out;
}
