import http from 'node:http';
import net from 'node:net';
import { NODE_PORT_TUNNEL_PROTOCOL, nodePortTunnelPath } from '../api/nodePortTunnel.js';

// The control plane's end of the kubelet's NodePort tunnel (the wire: api/nodePortTunnel.ts):
// an HTTP Upgrade to the kubelet at the host and port it is published on, with the token the API
// server uses for logs and exec. Resolves with the raw socket once the kubelet has connected to
// the node port; rejects with the kubelet's refusal (its Status message) otherwise.

/** Where a node's kubelet answers the control plane, and the token it wants (what exec uses). */
export interface KubeletEndpoint {
  host: string;
  port: number;
  token: string;
}

export class TunnelRefused extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The most of a refusal's body read for its message. */
const MAX_REFUSAL_BYTES = 16 << 10;

export function openKubeletTunnel(kubelet: KubeletEndpoint, nodePort: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise<net.Socket>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = http.request({
      host: kubelet.host,
      port: kubelet.port,
      method: 'GET',
      path: nodePortTunnelPath(nodePort),
      headers: { Connection: 'Upgrade', Upgrade: NODE_PORT_TUNNEL_PROTOCOL, Authorization: `Bearer ${kubelet.token}` },
      agent: false,
      // Half-open, so that a client's FIN reaches the app while its answer still flows back.
      createConnection: () => net.connect({ host: kubelet.host, port: kubelet.port, allowHalfOpen: true }),
    });
    const timer = setTimeout(() => {
      req.destroy();
      settle(() => reject(new TunnelRefused(504, `the kubelet at ${kubelet.host}:${kubelet.port} did not open the tunnel within ${timeoutMs} ms`)));
    }, timeoutMs);
    req.on('upgrade', (_res, socket: net.Socket, head: Buffer) => {
      // An error before the caller has joined the socket to its client must not go uncaught.
      socket.on('error', () => socket.destroy());
      if (settled) return socket.destroy(); // too late: the caller has moved on
      if (head.length) socket.unshift(head);
      socket.setNoDelay(true);
      settle(() => resolve(socket));
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < MAX_REFUSAL_BYTES) body += d;
      });
      const done = () => {
        let message = body.trim();
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? message;
        } catch {
          /* not a Status: the text as it came */
        }
        settle(() => reject(new TunnelRefused(res.statusCode ?? 502, message || `HTTP ${res.statusCode}`)));
      };
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    req.on('error', (e: NodeJS.ErrnoException) => settle(() => reject(new TunnelRefused(502, `dialing the kubelet at ${kubelet.host}:${kubelet.port}: ${e.code ?? e.message}`))));
    req.end();
  });
}
