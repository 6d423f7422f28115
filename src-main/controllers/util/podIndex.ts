import type { Pod } from '../../api/types.js';
import type { Informer } from '../../client/informer.js';

// One `spec.nodeName` index on the shared pod informer (client-go's indexer of the same name),
// added once however many controllers ask for it.

export const POD_NODE_INDEX = 'spec.nodeName';

const indexed = new WeakSet<object>();

export function ensurePodNodeIndex(pods: Informer<Pod>): void {
  if (indexed.has(pods)) return;
  indexed.add(pods);
  pods.addIndex(POD_NODE_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
}

/** Pods bound to the node, from the cache (ensurePodNodeIndex must have run). */
export function podsOnNode(pods: Informer<Pod>, nodeName: string): Pod[] {
  return pods.byIndex(POD_NODE_INDEX, nodeName);
}
