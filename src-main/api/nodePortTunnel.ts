// The wire of the kubelet's NodePort tunnel, shared by its two ends: the kubelet's server
// (kubelet/nodePortTunnel.ts) and the control plane's service load balancer (servicelb/), which
// reaches each node only through that node's kubelet port published on the host's loopback.
//
//   GET /tunnel/<nodePort> HTTP/1.1
//   Connection: Upgrade
//   Upgrade: flotilla-tunnel
//   Authorization: Bearer <the kubelet's token>
//
// The kubelet dials <node IP>:<nodePort> from the node's own network namespace (so kube-proxy's
// NodePort rules there pick an endpoint) and, once connected, answers 101 Switching Protocols;
// from then on the connection carries that TCP stream's bytes both ways, unframed. A refusal is
// an HTTP error with a metav1.Status body, as every other answer of the kubelet.

export const NODE_PORT_TUNNEL_PROTOCOL = 'flotilla-tunnel';

/** The first segment of the tunnel's path. */
export const NODE_PORT_TUNNEL_ROUTE = 'tunnel';

export function nodePortTunnelPath(nodePort: number): string {
  return `/${NODE_PORT_TUNNEL_ROUTE}/${nodePort}`;
}

/** kube-apiserver's default --service-node-port-range, which Flotilla's API server allocates from. */
export const DEFAULT_NODE_PORT_RANGE: readonly [number, number] = [30000, 32767];
