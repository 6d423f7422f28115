import type { Node } from '../api/types.js';

// The parts of a Node that filters read. Heartbeats and image lists change nodes all the time;
// only a change in these can let a waiting pod fit, so only these wake the queue.

export function nodeSchedulingFingerprint(node: Node): string {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '';
  return JSON.stringify([
    node.spec?.unschedulable === true,
    node.spec?.taints ?? [],
    node.metadata.labels ?? {},
    node.status?.allocatable ?? node.status?.capacity ?? {},
    ready,
  ]);
}
