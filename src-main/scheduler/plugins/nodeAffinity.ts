import type { NodeSelectorRequirement, NodeSelectorTerm } from '../../api/types.js';
import type { NodeInfo } from '../nodeInfo.js';
import type { FilterPlugin, FilterResult, PodInfo, ScorePlugin } from '../types.js';
import { defaultNormalize } from './taintToleration.js';

// NodeAffinity: spec.nodeSelector (every label must match) and the required node affinity terms
// (any term may match; within a term every expression and field must) decide where a pod may
// go; the preferred terms add their weights to a node's score.

export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

function parseIntStrict(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  return Number(s);
}

export function matchRequirement(req: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const v = has ? labels[req.key] : undefined;
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && values.includes(v!);
    case 'NotIn':
      return !has || !values.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1) return false;
      const a = parseIntStrict(v);
      const b = parseIntStrict(values[0]);
      if (a === undefined || b === undefined) return false;
      return req.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** matchFields supports metadata.name only, as in Kubernetes. */
function matchField(req: NodeSelectorRequirement, nodeName: string): boolean {
  if (req.key !== 'metadata.name') return false;
  return matchRequirement(req, { 'metadata.name': nodeName });
}

/** An empty term matches nothing (v1.NodeSelectorTerm semantics). */
export function matchTerm(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  for (const r of exprs) if (!matchRequirement(r, node.labels)) return false;
  for (const r of fields) if (!matchField(r, node.name)) return false;
  return true;
}

export function filterNodeAffinity(pod: PodInfo, node: NodeInfo): FilterResult {
  const sel = pod.nodeSelector;
  if (sel) {
    const labels = node.labels;
    for (const k in sel) if (labels[k] !== sel[k]) return ERR_REASON_NODE_AFFINITY;
  }
  const terms = pod.requiredNodeAffinity;
  if (terms) {
    let ok = false;
    for (const t of terms) {
      if (matchTerm(t, node)) {
        ok = true;
        break;
      }
    }
    if (!ok) return ERR_REASON_NODE_AFFINITY;
  }
  return null;
}

export const NodeAffinityFilter: FilterPlugin = { name: 'NodeAffinity', filter: filterNodeAffinity };

/** Raw score: the sum of the weights of the preferred terms the node matches. */
export function preferredAffinityWeight(pod: PodInfo, node: NodeInfo): number {
  let sum = 0;
  for (const p of pod.preferredNodeAffinity ?? []) if (p.weight && matchTerm(p.preference, node)) sum += p.weight;
  return sum;
}

export const NodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  applies: (pod) => pod.preferredNodeAffinity !== undefined,
  score: preferredAffinityWeight,
  normalize: (scores, count) => defaultNormalize(scores, count, false),
};
