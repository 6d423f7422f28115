import type { Node, NodeCondition } from '../../api/types.js';

// Node state as the controllers judge it (kube's pkg/controller/util/node and
// component-helpers/node/topology).

export function nodeCondition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}

export function isNodeReady(node: Node): boolean {
  return nodeCondition(node, 'Ready')?.status === 'True';
}

const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'];
const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'];

/** One key per failure zone ("" when the node has no zone labels, as on a desktop). */
export function nodeZoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const pick = (keys: string[]) => keys.map((k) => labels[k]).find((v) => v !== undefined) ?? '';
  const region = pick(REGION_LABELS);
  const zone = pick(ZONE_LABELS);
  if (!region && !zone) return '';
  return `${region}:\u0000:${zone}`;
}
