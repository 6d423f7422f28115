import http from 'node:http';
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from '../../api/types.js';
import { resourceByKey } from '../../api/resources.js';
import type { Registry } from '../registry/registry.js';
import { ApiError, errors, statusJSON } from '../status.js';
import { toApiError } from '../http.js';

// pods/log, pods/exec, pods/attach and pods/portforward, as kube-apiserver serves them: by
// proxying to the kubelet of the pod's node. Logs are a streamed GET; exec and attach are
// WebSocket upgrades that are relayed byte for byte (the kubelet speaks the same
// v5.channel.k8s.io protocol as kubectl). Port-forward is relayed the same way, either of the two
// upgrades kubectl makes: SPDY/3.1, or a WebSocket tunnelling SPDY (SPDY/3.1+portforward.k8s.io),
// which kube-apiserver unwraps itself and Flotilla's kubelet unwraps instead.
//
// Where the kubelet is reached is decided by a resolver the control plane installs: Flotilla
// publishes each node's kubelet port on the host's loopback, which works both on Linux and where
// the host cannot reach container addresses (Docker Desktop on macOS/Windows).

export interface KubeletTarget {
  host: string;
  port: number;
  token: string;
}

export type KubeletResolver = (node: Node) => Promise<KubeletTarget | undefined> | KubeletTarget | undefined;

const podsDef = () => resourceByKey('pods')!;

/** The container a request is about: the one named, the default-container annotation, or the only one. */
function pickContainer(pod: Pod, requested: string | null): string {
  const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
  if (requested) {
    if (!names.includes(requested)) {
      throw errors.badRequest(`container ${requested} is not valid for pod ${pod.metadata.name}`);
    }
    return requested;
  }
  const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return annotated;
  if (pod.spec.containers.length === 1) return pod.spec.containers[0]!.name;
  throw errors.badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${pod.spec.containers.map((c) => c.name).join(' ')}]`);
}

async function targetFor(registry: Registry, resolve: KubeletResolver | undefined, pod: Pod): Promise<KubeletTarget> {
  const nodeName = pod.spec.nodeName;
  if (!nodeName) throw errors.badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  let node: Node;
  try {
    node = registry.get(resourceByKey('nodes')!, undefined, nodeName) as Node;
  } catch {
    throw errors.notFound({ group: '', plural: 'nodes' }, nodeName);
  }
  const t = resolve ? await resolve(node) : undefined;
  if (!t) {
    throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'ServiceUnavailable', code: 503, message: `no kubelet is reachable for node "${nodeName}"` });
  }
  return t;
}

export async function proxyLogs(req: IncomingMessage, res: ServerResponse, registry: Registry, resolve: KubeletResolver | undefined, ns: string, name: string, q: URLSearchParams): Promise<void> {
  const pod = registry.get(podsDef(), ns, name) as Pod;
  const container = pickContainer(pod, q.get('container'));
  const t = await targetFor(registry, resolve, pod);
  const query = new URLSearchParams(q);
  query.delete('container');
  const qs = query.toString();
  await new Promise<void>((resolvePromise, reject) => {
    const up = http.request(
      {
        host: t.host,
        port: t.port,
        method: 'GET',
        path: `/containerLogs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}${qs ? `?${qs}` : ''}`,
        headers: { Authorization: `Bearer ${t.token}` },
      },
      (kres) => {
        const code = kres.statusCode ?? 502;
        res.writeHead(code, { 'Content-Type': kres.headers['content-type'] ?? 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
        // `kubectl logs -f` waits for the headers before it prints anything.
        res.flushHeaders();
        // pipe() honours back-pressure: a `logs -f` client that stops reading pauses the kubelet's
        // stream instead of growing this process's buffers.
        kres.pipe(res);
        kres.on('end', () => resolvePromise());
        kres.on('error', () => {
          res.end();
          resolvePromise();
        });
      },
    );
    up.on('error', (e) => reject(errors.internal(`error dialing the kubelet of node ${pod.spec.nodeName}: ${e.message}`)));
    // The client went away (e.g. Ctrl-C on `logs -f`): stop following.
    res.on('close', () => up.destroy());
    up.end();
  });
}

/** Answers a refused upgrade with a Status and closes the socket. */
export function writeUpgradeStatus(socket: Duplex, err: unknown): void {
  if (socket.destroyed || !socket.writable) return;
  const e = toApiError(err);
  const body = statusJSON(e.status);
  socket.end(`HTTP/1.1 ${e.code} ${http.STATUS_CODES[e.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** The upgrade a subresource needs: exec and attach are WebSockets; port-forward is SPDY/3.1 or a WebSocket tunnelling it. */
function upgradeOf(req: IncomingMessage, sub: UpgradeSubresource): 'websocket' | 'SPDY/3.1' {
  const upgrade = (req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') return 'websocket';
  if (sub === 'portforward' && upgrade.includes('spdy/3.1')) return 'SPDY/3.1';
  throw errors.badRequest(sub === 'portforward' ? 'port-forward needs an upgrade to SPDY/3.1 or websocket (SPDY/3.1+portforward.k8s.io)' : 'exec and attach need a WebSocket upgrade (v5.channel.k8s.io)');
}

export type UpgradeSubresource = 'exec' | 'attach' | 'portforward';

/** Handshake headers passed on to the kubelet, so that its 101 answer is valid for the client as is. */
const HANDSHAKE_HEADERS = ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version'];

/**
 * Relays an exec/attach/portforward upgrade to the kubelet. The client's handshake headers are
 * forwarded unchanged so that the kubelet's 101 answer (Sec-WebSocket-Accept, protocol) is valid
 * for the client as is; after that both sockets are piped.
 */
export async function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, registry: Registry, resolve: KubeletResolver | undefined, ns: string, name: string, sub: UpgradeSubresource, q: URLSearchParams): Promise<void> {
  try {
    const upgrade = upgradeOf(req, sub);
    const pod = registry.get(podsDef(), ns, name) as Pod;
    const query = new URLSearchParams(q);
    let path: string;
    if (sub === 'portforward') {
      path = `/portForward/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
    } else {
      const container = pickContainer(pod, q.get('container'));
      query.delete('container');
      path = `/${sub}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}`;
    }
    const qs = query.toString();
    const t = await targetFor(registry, resolve, pod);
    const upstream = net.connect(t.port, t.host);
    upstream.once('error', (e) => writeUpgradeStatus(socket, errors.internal(`error dialing the kubelet of node ${pod.spec.nodeName}: ${e.message}`)));
    upstream.once('connect', () => {
      if (socket.destroyed) {
        upstream.destroy();
        return;
      }
      const lines = [
        // kubectl's SPDY attempt is a POST, its WebSocket one a GET: the kubelet sees the same.
        `${upgrade === 'websocket' ? 'GET' : req.method === 'POST' ? 'POST' : 'GET'} ${path}${qs ? `?${qs}` : ''} HTTP/1.1`,
        `Host: ${t.host}:${t.port}`,
        'Connection: Upgrade',
        `Upgrade: ${upgrade}`,
        `Authorization: Bearer ${t.token}`,
      ];
      for (const h of HANDSHAKE_HEADERS) {
        const v = req.headers[h];
        if (v) lines.push(`${h}: ${Array.isArray(v) ? v.join(', ') : v}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.removeAllListeners('error');
      // Each side's end is passed on with end(), so bytes still queued (the kubelet's final status
      // frame) reach the other side before its socket closes; errors tear both down at once.
      upstream.pipe(socket);
      socket.pipe(upstream);
      const destroy = () => {
        upstream.destroy();
        socket.destroy();
      };
      const closeAfterFlush = (other: Duplex) => () => {
        if (other.destroyed) return;
        other.end();
        // A peer that never reads would hold the socket open: give up after a while.
        setTimeout(() => other.destroy(), 5_000).unref();
      };
      upstream.on('error', destroy);
      socket.on('error', destroy);
      upstream.on('close', closeAfterFlush(socket));
      socket.on('close', closeAfterFlush(upstream));
    });
  } catch (e) {
    writeUpgradeStatus(socket, e);
  }
}
