import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { closeServer, trackConnections } from '../api/serverConnections.js';
import type { Registry } from './registry/registry.js';
import type { TokenAuthenticator, UserInfo } from './auth/tokens.js';
import type { ServiceAccountTokens } from './auth/serviceAccountTokens.js';
import { RequestAuthenticator } from './auth/authenticator.js';
import type { Pki } from './auth/pki.js';
import { errors } from './status.js';
import { sendError, sendJSON, sendRaw } from './http.js';
import { handleResource, parseResourcePath } from './handlers/rest.js';
import {
  AGGREGATED_V2,
  SERVER_VERSION,
  aggregatedDiscovery,
  legacyApiVersions,
  legacyGroup,
  legacyGroupList,
  resourceList,
  wantsAggregated,
} from './handlers/discovery.js';
import { openapiFor, openapiRoot, openapiV2 } from './handlers/openapi.js';
import { proxyUpgrade, writeUpgradeStatus, type KubeletResolver } from './handlers/nodeProxy.js';
import { parseRequestTarget } from '../api/requestTarget.js';
import { silentLogger, type Logger } from '../api/log.js';
import { authorizeNode, nodeCreateAdmission, nodeTokenRequestAdmission, nodeUpdateAdmission } from './auth/nodeAuthorizer.js';
import { authorizeProxier } from './auth/proxierAuthorizer.js';
import { requestAttributes, type RequestAttributes } from './auth/requestAttributes.js';
import { applyHeapPolicy } from './heapPolicy.js';

// The kube-apiserver role: HTTPS only, bearer-token authentication, node authorization, then
// discovery, OpenAPI, health and the REST resources, and exec/attach/portforward upgrades relayed to kubelets.

export interface ApiServerOptions {
  registry: Registry;
  tokens: TokenAuthenticator;
  /** Issues and authenticates service account tokens; without it serviceaccounts/token is not served. */
  serviceAccounts?: ServiceAccountTokens;
  pki: Pki;
  host?: string;
  port?: number;
  /** The process's logger (the server names itself "apiserver" on it); default: none. */
  log?: Logger;
  watchBookmarkIntervalMs?: number;
}

export interface ApiServer {
  url: string;
  port: number;
  /** Installs how pods/log, pods/exec, pods/attach and pods/portforward reach a node's kubelet. */
  setKubeletResolver(resolve: KubeletResolver | undefined): void;
  /** Serves a new certificate (e.g. once the address pods reach the server at is known) to new connections. */
  setServingCert(pki: Pick<Pki, 'serverCert' | 'serverKey'>): void;
  close(): Promise<void>;
}

/** Paths Kubernetes serves to anyone (system:public-info-viewer). */
const PUBLIC = new Set(['/healthz', '/livez', '/readyz', '/version']);

/** Whether the request presents a bearer token at all (kube's bearertoken authenticator). */
function hasBearerToken(authorization: string | undefined): boolean {
  const parts = (authorization ?? '').trim().split(/\s+/);
  return parts.length >= 2 && parts[0]!.toLowerCase() === 'bearer';
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  applyHeapPolicy();
  const { registry } = opts;
  const authenticator = new RequestAuthenticator(opts.tokens, opts.serviceAccounts);
  let kubelet: KubeletResolver | undefined;
  const log = (opts.log ?? silentLogger).with('apiserver');
  const server = https.createServer({ cert: opts.pki.serverCert, key: opts.pki.serverKey, keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch((e) => {
      if (!(e instanceof Error && 'status' in e)) log.error('request failed unexpectedly', { method: req.method, url: req.url, err: e, stack: (e as Error)?.stack });
      sendError(res, e);
    });
  });
  const connections = trackConnections(server);
  server.headersTimeout = 60_000;
  server.requestTimeout = 0; // watches and log follows are long-lived

  /** The authorizers of the restricted identities (nodes, kube-proxy); everyone else is allowed. */
  const authorize = (user: UserInfo, a: RequestAttributes) => authorizeProxier(user, a) ?? authorizeNode(user, a, registry.store);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, segments: segs, query: q } = parseRequestTarget(req.url);
    // Authentication first; authorization (the Node authorizer for node tokens) once the resource
    // is known, below. A presented bearer token must be valid even on the public paths: kube's authenticator fails
    // on a bad token before anonymous access is considered, so only a request without one is
    // anonymous.
    const user = await authenticator.authenticate(req.headers.authorization);
    if (!user && (!PUBLIC.has(path) || hasBearerToken(req.headers.authorization))) throw errors.unauthorized();
    if (path === '/version') return sendJSON(res, 200, SERVER_VERSION);
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return sendRaw(res, 200, 'ok', 'text/plain; charset=utf-8');
    if (path === '/api') {
      if (wantsAggregated(req.headers.accept)) return sendRaw(res, 200, JSON.stringify(aggregatedDiscovery(true)), AGGREGATED_V2);
      return sendJSON(res, 200, legacyApiVersions(`${req.socket.localAddress}:${(server.address() as AddressInfo).port}`));
    }
    if (path === '/apis') {
      if (wantsAggregated(req.headers.accept)) return sendRaw(res, 200, JSON.stringify(aggregatedDiscovery(false)), AGGREGATED_V2);
      return sendJSON(res, 200, legacyGroupList());
    }
    if (path === '/openapi/v3') return sendJSON(res, 200, openapiRoot());
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiFor(path.slice('/openapi/v3/'.length));
      if (!doc) throw errors.notFoundPath();
      return sendRaw(res, 200, doc);
    }
    if (path === '/openapi/v2') {
      const v2 = openapiV2(req.headers.accept);
      return sendRaw(res, v2.status, v2.body, v2.contentType);
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api' && segs[1]) {
      group = '';
      version = segs[1];
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs[1] && segs[2]) {
      group = segs[1];
      version = segs[2];
      rest = segs.slice(3);
    } else if (segs[0] === 'apis' && segs[1]) {
      const g = legacyGroup(segs[1]);
      if (!g) throw errors.notFoundPath();
      return sendJSON(res, 200, g);
    } else {
      throw errors.notFoundPath();
    }
    if (!rest.length) {
      const list = resourceList(group, version);
      if (!list) throw errors.notFoundPath();
      return sendJSON(res, 200, list);
    }
    const rr = parseResourcePath(group, version, rest);
    if (!rr) throw errors.notFoundPath();
    const denied = user ? authorize(user, requestAttributes(req.method ?? 'GET', rr, q)) : null;
    if (denied) throw denied;
    await handleResource(req, res, registry, rr, q, {
      bookmarkIntervalMs: opts.watchBookmarkIntervalMs,
      kubelet: () => kubelet,
      admitCreate: (r, body) => {
        const refused = user ? nodeCreateAdmission(user, r, body) : null;
        if (refused) throw refused;
      },
      admitUpdate: (r, old, updated, sub) => {
        const refused = user ? nodeUpdateAdmission(user, r, old, updated, sub) : null;
        if (refused) throw refused;
      },
      serviceAccountTokens: opts.serviceAccounts,
      admitTokenRequest: (ns, sa, tr) => {
        const refused = user ? nodeTokenRequestAdmission(user, ns, sa, tr, registry.store) : null;
        if (refused) throw refused;
      },
    });
  }

  // exec, attach and portforward arrive as upgrades; they are relayed to the pod's kubelet. Everything
  // here runs on bytes any client (any pod, through the relay) can send before authenticating, so
  // no failure may escape: every refusal is a Status written on the socket.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets the connection mid-handshake must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    void upgrade(req, socket, head).catch((e) => writeUpgradeStatus(socket, e));
  });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { segments, query } = parseRequestTarget(req.url);
    const user = await authenticator.authenticate(req.headers.authorization);
    if (!user) throw errors.unauthorized();
    const rr = segments[0] === 'api' && segments[1] === 'v1' ? parseResourcePath('', 'v1', segments.slice(2)) : undefined;
    if (!rr || rr.resource.key !== 'pods' || !rr.name || (rr.subresource !== 'exec' && rr.subresource !== 'attach' && rr.subresource !== 'portforward') || rr.watchPrefix) throw errors.notFoundPath();
    const denied = authorize(user, requestAttributes(req.method ?? 'GET', rr, query));
    if (denied) throw denied;
    await proxyUpgrade(req, socket, head, registry, kubelet, rr.namespace!, rr.name, rr.subresource, query);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';
  return {
    url: `https://${host}:${port}`,
    port,
    setKubeletResolver(r) {
      kubelet = r;
    },
    setServingCert(p) {
      server.setSecureContext({ cert: p.serverCert, key: p.serverKey });
    },
    close: () => closeServer(server, connections),
  };
}
