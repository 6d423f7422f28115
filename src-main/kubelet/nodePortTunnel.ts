import net from 'node:net';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_NODE_PORT_RANGE, NODE_PORT_TUNNEL_PROTOCOL, NODE_PORT_TUNNEL_ROUTE } from '../api/nodePortTunnel.js';
import { splice } from '../api/socketSplice.js';
import { KubeletError } from './httpStatus.js';

// The kubelet's end of the NodePort tunnel (the wire: api/nodePortTunnel.ts). The control plane's
// service load balancer answers a LoadBalancer Service on the user's loopback and forwards each
// connection here, through the kubelet port Docker publishes on the host, because the host may
// have no route to container addresses (Docker Desktop on macOS and Windows). The kubelet dials
// its own node address at the node port, from the node's network namespace, where kube-proxy's
// NodePort rules pick an endpoint on any node, exactly as for a client outside the cluster.
//
// The server has checked the token before this runs. Everything else any pod could send is read
// here without anything that throws, and a tunnel only ever reaches a port of the NodePort range
// on the node's own address: it is no general-purpose proxy into the cluster network.

export interface NodePortTunnelOptions {
  /** This node's address (the kubelet learns it at start). */
  nodeIP(): string | undefined;
  /** The API server's NodePort range (default kube's 30000-32767). */
  nodePortRange?: readonly [number, number];
}

/** How long the dial to the node port may take before the tunnel is refused. */
const DIAL_TIMEOUT_MS = 5_000;

/** The node port a tunnel request names, or undefined when the path is not the tunnel's. */
export function tunnelRoute(segments: string[]): string | undefined {
  return segments[0] === NODE_PORT_TUNNEL_ROUTE && segments.length === 2 ? segments[1] : undefined;
}

/** The node port to dial; a KubeletError for a request that may not open a tunnel. */
export function tunnelPort(req: http.IncomingMessage, portText: string, range: readonly [number, number]): number {
  if (req.method !== 'GET') throw new KubeletError(405, `${req.method} is not allowed`);
  const upgrade = (req.headers.upgrade ?? '').trim().toLowerCase();
  if (upgrade !== NODE_PORT_TUNNEL_PROTOCOL) throw new KubeletError(400, `a tunnel needs Connection: Upgrade and Upgrade: ${NODE_PORT_TUNNEL_PROTOCOL}`);
  if (!/^[0-9]{1,5}$/.test(portText)) throw new KubeletError(400, `invalid node port ${JSON.stringify(portText.slice(0, 64))}: must be a number`);
  const port = Number(portText);
  const [min, max] = range;
  if (port < min || port > max) throw new KubeletError(403, `port ${port} is outside the NodePort range ${min}-${max}: a tunnel reaches node ports only`);
  return port;
}

/**
 * Opens the tunnel: dials the node port, and only once that connection stands answers 101 and
 * joins the two, so a caller learns of a refused port (no endpoints) before it commits to this
 * node and can try another. Resolves when the tunnel is up; throws a KubeletError otherwise.
 */
export function openNodePortTunnel(req: http.IncomingMessage, socket: Duplex, head: Buffer, portText: string, o: NodePortTunnelOptions): Promise<void> {
  const port = tunnelPort(req, portText, o.nodePortRange ?? DEFAULT_NODE_PORT_RANGE);
  const ip = o.nodeIP();
  if (!ip) throw new KubeletError(503, 'the node has no address yet');
  return new Promise<void>((resolve, reject) => {
    const upstream = net.connect({ host: ip, port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    const fail = (why: string) => {
      upstream.destroy();
      reject(new KubeletError(503, `dialing node port ${ip}:${port}: ${why}`));
    };
    upstream.setTimeout(DIAL_TIMEOUT_MS, () => fail('timed out'));
    upstream.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    // The caller gave up while the dial ran.
    const callerGone = () => upstream.destroy();
    socket.once('close', callerGone);
    upstream.once('connect', () => {
      socket.off('close', callerGone);
      upstream.removeAllListeners('error');
      upstream.removeAllListeners('timeout');
      upstream.setTimeout(0);
      if (socket.destroyed) {
        upstream.destroy();
        return resolve();
      }
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${NODE_PORT_TUNNEL_PROTOCOL}\r\n\r\n`);
      // Bytes the caller sent right behind its request belong to the stream.
      if (head.length) upstream.write(head);
      splice(socket, upstream);
      resolve();
    });
  });
}
