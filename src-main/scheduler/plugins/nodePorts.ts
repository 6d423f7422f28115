import type { NodeInfo } from '../nodeInfo.js';
import type { FilterPlugin, FilterResult, PodInfo } from '../types.js';

// NodePorts: a host port (protocol, port) is taken on a node when a pod there uses it on the same
// address, or when either side listens on every address (0.0.0.0).

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
const ANY_IP = '0.0.0.0';

export function filterNodePorts(pod: PodInfo, node: NodeInfo): FilterResult {
  if (!pod.hostPorts.length || !node.usedPorts.size) return null;
  for (const hp of pod.hostPorts) {
    const ips = node.usedPorts.get(`${hp.protocol}/${hp.port}`);
    if (!ips) continue;
    if (hp.ip === ANY_IP || ips.has(hp.ip) || ips.has(ANY_IP)) return ERR_REASON_PORTS;
  }
  return null;
}

export const NodePorts: FilterPlugin = { name: 'NodePorts', filter: filterNodePorts };
