import type { Node } from '../api/types.js';
import type { Informer } from '../client/informer.js';

// The nodes a load-balanced connection may enter the cluster through, in the order to try them:
// Ready nodes not excluded from external load balancers (kube's node.kubernetes.io/
// exclude-from-external-load-balancers label, which kube's service controller honours), starting
// one further along for each connection, so connections spread over the nodes and one that fails
// is followed by the next. A Service with externalTrafficPolicy Local is only answered by nodes
// that run one of its ready endpoints (kube-proxy drops its node port elsewhere): a cloud load
// balancer learns which from the healthCheckNodePort; this one reads the EndpointSlices.

const EXCLUDE_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

function eligible(n: Node): boolean {
  if (n.metadata.deletionTimestamp || n.metadata.labels?.[EXCLUDE_LABEL] !== undefined) return false;
  return !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

export class NodeRotation {
  private turn = 0;

  constructor(private readonly nodes: Informer<Node>) {}

  /**
   * Every eligible node, once, beginning at the next in turn; with `only`, just those of its
   * names (the nodes with a ready local endpoint, for externalTrafficPolicy Local).
   */
  next(only?: Set<string>): Node[] {
    const list = this.nodes
      .list()
      .filter((n) => eligible(n) && (!only || only.has(n.metadata.name!)))
      .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
    if (!list.length) return [];
    const start = this.turn++ % list.length;
    return [...list.slice(start), ...list.slice(0, start)];
  }
}
