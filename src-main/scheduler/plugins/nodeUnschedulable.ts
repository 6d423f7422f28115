import type { NodeInfo } from '../nodeInfo.js';
import type { FilterPlugin, FilterResult, PodInfo } from '../types.js';
import { TAINT_UNSCHEDULABLE as UNSCHEDULABLE_TAINT_KEY, tolerationsTolerateTaint } from '../../api/taints.js';

// NodeUnschedulable: a cordoned node (spec.unschedulable, what `kubectl cordon` sets) takes no new
// pods, unless the pod tolerates the node.kubernetes.io/unschedulable:NoSchedule taint (as
// DaemonSet pods do).

export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const UNSCHEDULABLE_TAINT = { key: UNSCHEDULABLE_TAINT_KEY, effect: 'NoSchedule' as const };

export function filterNodeUnschedulable(pod: PodInfo, node: NodeInfo): FilterResult {
  if (!node.unschedulable) return null;
  return tolerationsTolerateTaint(pod.tolerations, UNSCHEDULABLE_TAINT) ? null : ERR_REASON_UNSCHEDULABLE;
}

export const NodeUnschedulable: FilterPlugin = { name: 'NodeUnschedulable', filter: filterNodeUnschedulable };
