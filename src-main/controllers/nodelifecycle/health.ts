import type { Lease, Node, NodeCondition, Taint } from '../../api/types.js';
import { nodeCondition } from '../util/nodes.js';
import {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
} from '../../api/taints.js';

// The node lifecycle controller's judgements as pure functions (kube's
// node_lifecycle_controller.go tryUpdateNodeHealth, ComputeZoneState and the condition -> taint
// tables), so they can be tested with plain objects and explicit clocks.

/**
 * What the controller remembers of a node between passes. Times are this process's clock at the
 * moment a change was *observed*, as in kube: a node's own timestamps are only compared with
 * each other, never with our clock, so clock skew between a node and the control plane cannot
 * make it look dead or alive.
 */
export interface NodeHealth {
  /** When we last saw a sign of life: a new Ready heartbeat or a renewed Lease. */
  probeTimestamp: number;
  /** When we last saw the Ready condition change. */
  readyTransitionTimestamp: number;
  /** Ready condition as last seen (absent until the kubelet first posts it). */
  readyHeartbeat?: string;
  readyTransition?: string;
  hasReady: boolean;
  /** Lease spec.renewTime as last seen. */
  leaseRenewTime?: string;
}

export function creationTime(node: Node, fallback: number): number {
  const t = node.metadata.creationTimestamp ? Date.parse(node.metadata.creationTimestamp) : NaN;
  return Number.isNaN(t) ? fallback : t;
}

/** Folds the node's current Ready condition and Lease into what we knew of it. */
export function observeNodeHealth(prev: NodeHealth | undefined, node: Node, lease: Lease | undefined, now: number): NodeHealth {
  const ready = nodeCondition(node, 'Ready');
  let h: NodeHealth;
  if (!ready) {
    // Never posted: the startup grace period counts from the node's creation.
    if (!prev) {
      const created = creationTime(node, now);
      h = { probeTimestamp: created, readyTransitionTimestamp: created, hasReady: false };
    } else if (prev.hasReady) {
      h = { probeTimestamp: now, readyTransitionTimestamp: now, hasReady: false }; // the condition vanished
    } else {
      h = { ...prev };
    }
  } else if (!prev || !prev.hasReady) {
    h = { probeTimestamp: now, readyTransitionTimestamp: now, hasReady: true, readyHeartbeat: ready.lastHeartbeatTime, readyTransition: ready.lastTransitionTime };
  } else if (prev.readyHeartbeat !== ready.lastHeartbeatTime) {
    h = {
      probeTimestamp: now,
      readyTransitionTimestamp: prev.readyTransition !== ready.lastTransitionTime ? now : prev.readyTransitionTimestamp,
      hasReady: true,
      readyHeartbeat: ready.lastHeartbeatTime,
      readyTransition: ready.lastTransitionTime,
      leaseRenewTime: prev.leaseRenewTime,
    };
  } else {
    h = { ...prev };
  }
  const renew = lease?.spec?.renewTime;
  if (renew && renew !== h.leaseRenewTime) {
    h.leaseRenewTime = renew;
    h.probeTimestamp = now;
  }
  return h;
}

/** How long a node may stay silent: longer for one that never reported at all. */
export function gracePeriodFor(node: Node, monitorGraceMs: number, startupGraceMs: number): number {
  return nodeCondition(node, 'Ready') ? monitorGraceMs : startupGraceMs;
}

export function isSilent(h: NodeHealth, graceMs: number, now: number): boolean {
  return now > h.probeTimestamp + graceMs;
}

/** The conditions the kubelet owns; the controller turns them Unknown when it falls silent. */
export const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/**
 * The node's conditions with every kubelet condition Unknown (NetworkUnavailable is left alone,
 * as in kube). `readyChanged` says whether Ready itself changes, the only case worth a write.
 */
export function unknownConditions(node: Node, nowISO: string): { conditions: NodeCondition[]; readyChanged: boolean } {
  const conditions = (node.status?.conditions ?? []).map((c) => ({ ...c }));
  let readyChanged = false;
  for (const type of KUBELET_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata.creationTimestamp,
        lastTransitionTime: nowISO,
      });
      if (type === 'Ready') readyChanged = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = nowISO;
      if (type === 'Ready') readyChanged = true;
    }
  }
  return { conditions, readyChanged };
}

// ---- zones ----

export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

/**
 * A zone with no Ready node is fully disrupted (more likely our network than every node at once:
 * kube stops evicting); one with more than two NotReady nodes making up at least `threshold` of it
 * is partially disrupted (evictions slow down, or stop in a small cluster).
 */
export function computeZoneState(readyStatuses: readonly (string | undefined)[], threshold = 0.55): { notReady: number; state: ZoneState } {
  let ready = 0;
  let notReady = 0;
  for (const s of readyStatuses) {
    if (s === 'True') ready++;
    else notReady++;
  }
  if (ready === 0 && notReady > 0) return { notReady, state: 'FullDisruption' };
  if (notReady > 2 && notReady / (notReady + ready) >= threshold) return { notReady, state: 'PartialDisruption' };
  return { notReady, state: 'Normal' };
}

export interface EvictionRates {
  /** Nodes tainted NoExecute per second per zone in normal operation (kube: 0.1). */
  evictionQPS: number;
  /** Same, in a partially disrupted zone of a large cluster (kube: 0.01). */
  secondaryEvictionQPS: number;
  /** Zones with more nodes than this count as large (kube: 50). */
  largeClusterThreshold: number;
}

export function taintRateFor(state: ZoneState, zoneSize: number, rates: EvictionRates): number {
  if (state === 'PartialDisruption') return zoneSize > rates.largeClusterThreshold ? rates.secondaryEvictionQPS : 0;
  return rates.evictionQPS; // Initial, Normal, and a zone down on its own while others are fine
}

// ---- taints ----

/** The NoExecute taint the Ready status calls for (the other one must go), or none when Ready. */
export function noExecuteTaintFor(readyStatus: string | undefined): { add?: string; remove: string[] } {
  if (readyStatus === 'False') return { add: TAINT_NOT_READY, remove: [TAINT_UNREACHABLE] };
  if (readyStatus === 'True') return { remove: [TAINT_NOT_READY, TAINT_UNREACHABLE] };
  return { add: TAINT_UNREACHABLE, remove: [TAINT_NOT_READY] }; // Unknown
}

const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
};

const NO_SCHEDULE_MANAGED = new Set([...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)), TAINT_UNSCHEDULABLE]);

/** NoSchedule taints this controller owns (kube's TaintNodesByCondition). */
export function isManagedNoScheduleTaint(t: Taint): boolean {
  return t.effect === 'NoSchedule' && NO_SCHEDULE_MANAGED.has(t.key);
}

/** The NoSchedule taint keys the node's conditions and spec.unschedulable call for. */
export function desiredNoScheduleTaintKeys(node: Node): string[] {
  const keys: string[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key && !keys.includes(key)) keys.push(key);
  }
  if (node.spec?.unschedulable) keys.push(TAINT_UNSCHEDULABLE);
  return keys;
}

/**
 * The node's taints with the controller-owned NoSchedule ones brought in line with its
 * conditions; taints kept keep their timeAdded. Undefined when nothing changes.
 */
export function reconcileNoScheduleTaints(node: Node, nowISO: string): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const want = desiredNoScheduleTaintKeys(node);
  const kept = current.filter((t) => !isManagedNoScheduleTaint(t) || want.includes(t.key));
  const added = want.filter((k) => !current.some((t) => t.effect === 'NoSchedule' && t.key === k)).map((key): Taint => ({ key, effect: 'NoSchedule', timeAdded: nowISO }));
  if (!added.length && kept.length === current.length) return undefined;
  return [...kept, ...added];
}

/**
 * The node's taints with `add` present (NoExecute, timeAdded now unless already there) and every
 * `remove` key's NoExecute taint gone. Undefined when nothing changes.
 */
export function swapNoExecuteTaints(taints: readonly Taint[] | undefined, add: string | undefined, remove: readonly string[], nowISO: string): Taint[] | undefined {
  const current = taints ?? [];
  const next = current.filter((t) => !(t.effect === 'NoExecute' && remove.includes(t.key)));
  if (add && !next.some((t) => t.effect === 'NoExecute' && t.key === add)) next.push({ key: add, effect: 'NoExecute', timeAdded: nowISO });
  if (next.length === current.length && next.every((t, i) => t === current[i])) return undefined;
  return next;
}
