// The pods printer: the columns of `kubectl get pods` and the Status/Ready/Restarts summary that kubectl
// users read every day. The summary follows printPod in kubernetes pkg/printers/internalversion/printers.go
// (v1.32) step by step, since any divergence (e.g. which container's reason wins) shows up as a visibly
// different STATUS column than on a real cluster.
import type { Container, ContainerStatus, KubeObject, Pod, PodCondition } from '../../api/types.js';
import { ageColumn, column, DOC, nameColumn } from './columns.js';
import { humanDuration, parseTime, translateTimestampSince } from './duration.js';
import type { Printer } from './types.js';

/** node.NodeUnreachablePodReason: set by the node lifecycle controller when a pod's node stops reporting. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';
const SCHEDULING_GATED = 'SchedulingGated';

export interface PodSummary {
  /** "ready/total"; total counts app containers plus restartable (sidecar) init containers. */
  ready: string;
  /** The STATUS column. */
  reason: string;
  restarts: number;
  /** Latest lastState.terminated.finishedAt (ms) among the counted containers, or null. */
  lastRestart: number | null;
}

/** podutil.IsRestartableInitContainer: a sidecar is an init container with restartPolicy Always. */
function isRestartableInitContainer(c: Container | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function hasCondition(conditions: PodCondition[] | undefined, type: string): boolean {
  return (conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** isPodInitializedConditionTrue: only the first Initialized condition counts. */
function isInitialized(conditions: PodCondition[] | undefined): boolean {
  const c = (conditions ?? []).find((x) => x.type === 'Initialized');
  return c?.status === 'True';
}

/** Keeps the later of two restart times; unset finishedAt (Go zero time) never wins. */
function later(current: number | null, status: ContainerStatus): number | null {
  const finished = parseTime(status.lastState?.terminated?.finishedAt);
  if (finished === null) return current;
  return current === null || current < finished ? finished : current;
}

/** Computes READY, STATUS and RESTARTS exactly like printPod. */
export function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const conditions = status.conditions;
  const initSpecs = spec.initContainers ?? [];
  const initByName = new Map<string, Container>(initSpecs.map((c) => [c.name, c]));

  let restarts = 0;
  let restartableInitRestarts = 0;
  const totalContainers = (spec.containers ?? []).length + initSpecs.filter(isRestartableInitContainer).length;
  let readyContainers = 0;
  let lastRestart: number | null = null;
  let lastRestartableInitRestart: number | null = null;

  const phase = status.phase ?? '';
  let reason: string = status.reason ? status.reason : phase;

  // A pod held back by scheduling gates says so instead of plain "Pending".
  for (const c of conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === SCHEDULING_GATED) reason = SCHEDULING_GATED;
  }

  // Init containers run in order: the first one that has not finished decides the status ("Init:1/3",
  // "Init:CrashLoopBackOff", "Init:Error", ...). Started sidecars count as done.
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const restartable = isRestartableInitContainer(initByName.get(cs.name));
    restarts += cs.restartCount ?? 0;
    lastRestart = later(lastRestart, cs);
    if (restartable) {
      restartableInitRestarts += cs.restartCount ?? 0;
      lastRestartableInitRestart = later(lastRestartableInitRestart, cs);
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || isInitialized(conditions)) {
    // Once initialised, only sidecar restarts carry over from the init phase.
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Walk backwards so that the first container with a waiting/terminated reason wins.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += cs.restartCount ?? 0;
      lastRestart = later(lastRestart, cs);
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting && waiting.reason) {
        reason = waiting.reason;
      } else if (terminated && terminated.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      } else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose first container completed while another still runs is not "Completed".
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deleting = !!pod.metadata.deletionTimestamp;
  if (deleting && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = 'Unknown';
  } else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  return { ready: `${readyContainers}/${totalContainers}`, reason, restarts, lastRestart };
}

/** "2" or "2 (5m ago)": the age of the most recent restart is shown only when it is known. */
export function formatRestarts(summary: PodSummary, now: Date): string {
  if (summary.restarts !== 0 && summary.lastRestart !== null) {
    return `${summary.restarts} (${humanDuration(now.getTime() - summary.lastRestart)} ago)`;
  }
  return String(summary.restarts);
}

/** The wide "Readiness Gates" cell: how many gate conditions are True, or "<none>" without gates. */
function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  let trueConditions = 0;
  for (const gate of gates) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (c?.status === 'True') trueConditions++;
  }
  return `${trueConditions}/${gates.length}`;
}

/**
 * The pod IP as the internal API sees it: the v1->internal conversion makes status.podIP authoritative
 * over status.podIPs when both are set.
 */
function podIP(pod: Pod): string {
  return pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || '<none>';
}

export const podPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageColumn(),
    column('IP', 'string', DOC['PodStatus.podIP'], { priority: 1 }),
    column('Node', 'string', DOC['PodSpec.nodeName'], { priority: 1 }),
    column('Nominated Node', 'string', DOC['PodStatus.nominatedNodeName'], { priority: 1 }),
    column('Readiness Gates', 'string', DOC['PodSpec.readinessGates'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const pod = obj as Pod;
    const summary = summarizePod(pod);
    return [
      pod.metadata.name ?? '',
      summary.ready,
      summary.reason,
      formatRestarts(summary, now),
      translateTimestampSince(pod.metadata.creationTimestamp, now),
      podIP(pod),
      pod.spec?.nodeName || '<none>',
      pod.status?.nominatedNodeName || '<none>',
      readinessGates(pod),
    ];
  },
  rowConditions(obj: KubeObject) {
    // TableRow.conditions marks finished pods as Completed, like podSuccessConditions/podFailedConditions.
    const phase = (obj as Pod).status?.phase;
    if (phase === 'Succeeded') {
      return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    }
    if (phase === 'Failed') {
      return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    }
    return undefined;
  },
};
