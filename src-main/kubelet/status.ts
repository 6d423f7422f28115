import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from '../api/types.js';
import type { RuntimeContainer } from './runtime.js';
import { nowISO as isoSeconds } from '../api/time.js';

// Pod status from what Docker shows plus what only the kubelet knows (why a container is waiting,
// probe results), as kube's kubelet computes it (kubelet_pods.go generateAPIPodStatus, getPhase,
// status/generate.go). Pure: everything arrives in StatusInput, so it is unit tested without
// Docker.

export interface Waiting {
  reason: string;
  message?: string;
}

export interface StatusInput {
  pod: Pod;
  hostIP?: string;
  podIP?: string;
  /** The sandbox runs and has its IP. */
  sandboxReady: boolean;
  /** Instances of one container of the pod, newest first (init or app). */
  instances(name: string): RuntimeContainer[];
  /** Instances of the current sandbox only (init containers run again in a new sandbox). */
  currentSandboxId?: string;
  /** Kubelet-side reasons a container is waiting (image pulls, config errors, back-off). */
  waiting: Map<string, Waiting>;
  ready(containerId: string, c: Container): boolean;
  started(containerId: string, c: Container): boolean;
  /** Termination messages by container id. */
  messages?: Map<string, string>;
  /** A pod-level failure (e.g. DeadlineExceeded) that ends the pod. */
  podFailure?: { reason: string; message: string };
  /**
   * Nothing of the pod will run again (it is being deleted, or its sandbox died under
   * restartPolicy Never): once every container stopped, the phase is Succeeded when all exited
   * 0 and Failed otherwise, whatever the restart policy (kube 1.27+ does the same for deleted pods).
   */
  terminal?: boolean;
  now: Date;
}


export function dockerContainerID(id: string): string {
  return `docker://${id}`;
}

export function dockerImageID(imageId: string): string {
  return imageId ? `docker://${imageId}` : '';
}

export function terminatedReason(r: RuntimeContainer): string {
  if (r.oomKilled) return 'OOMKilled';
  if (r.state === 'created' && r.error) return 'StartError';
  if (r.exitCode === 0) return 'Completed';
  return 'Error';
}

export function isTerminated(r: RuntimeContainer | undefined): boolean {
  return !!r && (r.state === 'exited' || r.state === 'dead' || (r.state === 'created' && !!r.error));
}

export function isRunning(r: RuntimeContainer | undefined): boolean {
  return !!r && (r.state === 'running' || r.state === 'restarting' || r.state === 'paused');
}

export function terminatedState(r: RuntimeContainer, message?: string): ContainerState {
  return {
    terminated: {
      exitCode: r.exitCode ?? (r.error ? 128 : 0),
      reason: terminatedReason(r),
      ...(message || r.error ? { message: message || r.error } : {}),
      startedAt: r.startedAt ?? r.finishedAt ?? isoSeconds(new Date(r.created)),
      finishedAt: r.finishedAt ?? r.startedAt ?? isoSeconds(new Date(r.created)),
      containerID: dockerContainerID(r.id),
    },
  };
}

function containerStatus(c: Container, insts: RuntimeContainer[], w: Waiting | undefined, input: StatusInput, defaultWaiting: string): ContainerStatus {
  const latest = insts[0];
  const prev = insts[1];
  const msg = (r: RuntimeContainer) => input.messages?.get(r.id);
  const base = { name: c.name, image: c.image ?? '', imageID: latest ? dockerImageID(latest.imageId) : '', restartCount: latest?.attempt ?? 0 };
  if (!latest) {
    return { ...base, state: { waiting: { reason: w?.reason ?? defaultWaiting, ...(w?.message ? { message: w.message } : {}) } }, ready: false, started: false };
  }
  const lastState = (r: RuntimeContainer | undefined): ContainerState => (r && isTerminated(r) ? terminatedState(r, msg(r)) : {});
  if (isRunning(latest)) {
    return {
      ...base,
      state: { running: { startedAt: latest.startedAt ?? isoSeconds(new Date(latest.created)) } },
      lastState: lastState(prev),
      ready: input.ready(latest.id, c),
      started: input.started(latest.id, c),
      containerID: dockerContainerID(latest.id),
    };
  }
  if (isTerminated(latest)) {
    if (w) {
      // Waiting to run again (back-off, image problems): the last run becomes lastState.
      return { ...base, state: { waiting: { reason: w.reason, ...(w.message ? { message: w.message } : {}) } }, lastState: lastState(latest), ready: false, started: false, containerID: dockerContainerID(latest.id) };
    }
    return { ...base, state: terminatedState(latest, msg(latest)), lastState: lastState(prev), ready: false, started: false, containerID: dockerContainerID(latest.id) };
  }
  // created but not started yet
  return { ...base, state: { waiting: { reason: w?.reason ?? 'ContainerCreating', ...(w?.message ? { message: w.message } : {}) } }, lastState: lastState(prev), ready: false, started: false, containerID: dockerContainerID(latest.id) };
}

/** Init container instances that count for the current sandbox. */
function initInstances(input: StatusInput, name: string): RuntimeContainer[] {
  const all = input.instances(name);
  if (!input.currentSandboxId) return all;
  // A new sandbox runs the init containers again: runs in earlier sandboxes no longer count.
  return all.filter((r) => r.sandboxId === input.currentSandboxId);
}

/** kube's getPhase over init and app container statuses. */
export function podPhase(pod: Pod, init: ContainerStatus[], app: ContainerStatus[]): PodStatus['phase'] {
  const policy = pod.spec.restartPolicy ?? 'Always';
  let pendingInit = false;
  let initFailed = false;
  for (const s of init) {
    const t = s.state?.terminated;
    if (t && t.exitCode === 0) continue;
    if (t && t.exitCode !== 0 && policy === 'Never') initFailed = true;
    if (s.state?.waiting && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0 && policy === 'Never') initFailed = true;
    pendingInit = true;
  }
  if (initFailed) return 'Failed';
  if (pendingInit) return 'Pending';
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of app) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function cond(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return { type, status: ok ? 'True' : 'False', lastProbeTime: null, ...(reason && !ok ? { reason } : {}), ...(message && !ok ? { message } : {}) };
}

const KUBELET_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);

/** The full status the kubelet wants the pod to have now. */
export function computePodStatus(input: StatusInput): PodStatus {
  const { pod } = input;
  const old = pod.status ?? {};
  const inits = pod.spec.initContainers ?? [];
  const initStatuses = inits.map((c) => containerStatus(c, initInstances(input, c.name), input.waiting.get(c.name), input, 'PodInitializing'));
  const initDone = initStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const appStatuses = pod.spec.containers.map((c) => containerStatus(c, input.instances(c.name), input.waiting.get(c.name), input, initDone ? 'ContainerCreating' : 'PodInitializing'));
  let phase = podPhase(pod, initStatuses, appStatuses);
  if (input.terminal && !appStatuses.some((s) => s.state?.running) && !initStatuses.some((s) => s.state?.running)) {
    const ran = [...initStatuses, ...appStatuses].filter((s) => s.state?.terminated);
    phase = ran.length && appStatuses.every((s) => s.state?.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  let reason: string | undefined;
  let message: string | undefined;
  if (input.podFailure) {
    phase = 'Failed';
    reason = input.podFailure.reason;
    message = input.podFailure.message;
  }
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  const unreadyInit = initStatuses.filter((s) => s.state?.terminated?.exitCode !== 0).map((s) => s.name);
  const unready = appStatuses.filter((s) => !s.ready).map((s) => s.name);
  const gates = (pod.spec.readinessGates ?? []).map((g) => g.conditionType);
  const gatesFalse = gates.filter((g) => old.conditions?.find((c) => c.type === g)?.status !== 'True');
  const containersReady = !terminal && unready.length === 0;
  const conditions: PodCondition[] = [
    cond('PodReadyToStartContainers', input.sandboxReady),
    terminal && initDone
      ? cond('Initialized', true)
      : cond('Initialized', unreadyInit.length === 0, 'ContainersNotInitialized', `containers with incomplete status: [${unreadyInit.join(' ')}]`),
    terminal ? cond('Ready', false, 'PodCompleted') : !containersReady ? cond('Ready', false, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`) : gatesFalse.length ? cond('Ready', false, 'ReadinessGatesNotReady', `the status of pod readiness gate "${gatesFalse[0]}" is not "True", but False`) : cond('Ready', true),
    terminal ? cond('ContainersReady', false, 'PodCompleted') : cond('ContainersReady', containersReady, 'ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`),
  ];
  // Keep everything the kubelet does not own (PodScheduled, readiness gates, DisruptionTarget).
  for (const c of old.conditions ?? []) if (!KUBELET_CONDITIONS.has(c.type)) conditions.push(c);
  if (!conditions.some((c) => c.type === 'PodScheduled')) conditions.push(cond('PodScheduled', true));
  const nowIso = isoSeconds(input.now);
  for (const c of conditions) {
    if (!KUBELET_CONDITIONS.has(c.type)) continue;
    const prev = old.conditions?.find((o) => o.type === c.type);
    c.lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : nowIso;
  }
  const podIP = input.podIP ?? old.podIP;
  const status: PodStatus = {
    phase,
    conditions,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    ...(input.hostIP ? { hostIP: input.hostIP, hostIPs: [{ ip: input.hostIP }] } : {}),
    ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    startTime: old.startTime ?? nowIso,
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: appStatuses,
    ...(old.qosClass ? { qosClass: old.qosClass } : {}),
  } as PodStatus;
  return status;
}

const STATUS_FIELDS = ['phase', 'conditions', 'reason', 'message', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses', 'qosClass'] as const;

/**
 * The merge patch that turns `old` into `next` for the fields the kubelet owns (null removes a
 * field), or undefined when nothing changed.
 */
export function statusPatch(old: PodStatus | undefined, next: PodStatus, stable: (v: unknown) => string): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  const o = (old ?? {}) as Record<string, unknown>;
  const n = next as Record<string, unknown>;
  for (const f of STATUS_FIELDS) {
    if (n[f] === undefined) {
      if (o[f] !== undefined && f !== 'qosClass' && f !== 'podIP' && f !== 'podIPs' && f !== 'hostIP' && f !== 'hostIPs') patch[f] = null;
    } else if (stable(n[f]) !== stable(o[f])) patch[f] = n[f];
  }
  return Object.keys(patch).length ? patch : undefined;
}
