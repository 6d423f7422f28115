import type { NodeInfo } from '../nodeInfo.js';
import type { FilterPlugin, FilterResult, PodInfo } from '../types.js';
import { TAINT_NOT_READY as NOT_READY_TAINT_KEY, TAINT_UNREACHABLE as UNREACHABLE_TAINT_KEY, tolerationsTolerateTaint } from '../../api/taints.js';

// NodeReady: a node whose Ready condition is False or Unknown takes no new pods. Kubernetes gets
// the same effect from the not-ready/unreachable NoSchedule taints the node lifecycle controller
// adds (TaintNodesByCondition); checking the condition too closes the seconds before the taint
// lands. A pod that tolerates the matching NoSchedule taint (DaemonSet pods) is let through, as
// it would be by the taint alone. A node that reports no Ready condition at all is not judged.

export const ERR_REASON_NOT_READY = 'node(s) were not ready';

const NOT_READY = { key: NOT_READY_TAINT_KEY, effect: 'NoSchedule' as const };
const UNREACHABLE = { key: UNREACHABLE_TAINT_KEY, effect: 'NoSchedule' as const };

export function filterNodeReady(pod: PodInfo, node: NodeInfo): FilterResult {
  const ready = node.ready;
  if (ready === undefined || ready === 'True') return null;
  const taint = ready === 'False' ? NOT_READY : UNREACHABLE;
  return tolerationsTolerateTaint(pod.tolerations, taint) ? null : ERR_REASON_NOT_READY;
}

export const NodeReady: FilterPlugin = { name: 'NodeReady', filter: filterNodeReady };
