import type { Node, Taint } from '../../api/types.js';
import { isConflict, isNotFound, type ApiClient } from '../../client/apiClient.js';

// Writing a node's taints: the whole list in a merge patch guarded by resourceVersion, re-read
// and recomputed on conflict (kube's AddOrUpdateTaintOnNode / RemoveTaintOffNode retry loop), so
// taints written concurrently by kubectl, the kubelet or another pass are never lost.

const ATTEMPTS = 5;

/**
 * Applies `change` to the node's taints. `change` returns the new list, or undefined when the
 * node already is as wanted. Resolves to the node as written (or as found), undefined if it is gone.
 */
export async function updateNodeTaints(client: ApiClient, node: Node, change: (current: Node) => Taint[] | undefined): Promise<Node | undefined> {
  let cur = node;
  for (let attempt = 0; ; attempt++) {
    const next = change(cur);
    if (!next) return cur;
    try {
      return await client.patch<Node>('nodes', undefined, cur.metadata.name!, { metadata: { resourceVersion: cur.metadata.resourceVersion }, spec: { taints: next.length ? next : null } }, 'merge');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (!isConflict(e) || attempt >= ATTEMPTS - 1) throw e;
    }
    try {
      cur = await client.get<Node>('nodes', undefined, cur.metadata.name!);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}
