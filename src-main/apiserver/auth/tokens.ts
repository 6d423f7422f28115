import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROXIER_USER } from './proxierAuthorizer.js';

// Bearer tokens. The admin token goes into the kubeconfig; every node gets its own token so a
// node can be limited to its own objects. Stored in DATA/tokens.json (0600).
//
// Node tokens are derived (`flotilla-node:<name>:<HMAC of the name>` with a secret from the token
// file) rather than listed, so that any process holding the data folder — `flotilla node add`
// next to a running `flotilla up` — can mint one the running server accepts.

export interface UserInfo {
  name: string;
  groups: string[];
  uid?: string;
  /** kube's user.Info extra (a service account token's pod, node and credential id). */
  extra?: Record<string, string[]>;
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
}

interface TokenFile {
  admin: string;
  nodeSecret: string;
  components: Record<string, string>;
  /** kube-proxy's token, shared by every node (system:kube-proxy; proxierAuthorizer.ts limits it). */
  proxy: string;
}

const NODE_PREFIX = 'flotilla-node:';

export class TokenAuthenticator {
  private file: TokenFile;
  private readonly byToken = new Map<string, UserInfo>();

  constructor(private readonly filePath: string | null) {
    let loaded: TokenFile | undefined;
    if (filePath) {
      try {
        loaded = JSON.parse(fs.readFileSync(filePath, 'utf8')) as TokenFile;
      } catch {
        loaded = undefined;
      }
    }
    this.file = loaded ?? { admin: newToken(), nodeSecret: newToken(), components: {}, proxy: newToken() };
    this.file.nodeSecret ??= newToken();
    this.file.components ??= {};
    this.file.proxy ??= newToken();
    this.reindex();
    this.save();
  }

  get adminToken(): string {
    return this.file.admin;
  }

  /** The token of a node: its kubelet authenticates as system:node:<name>. */
  nodeToken(node: string): string {
    return `${NODE_PREFIX}${node}:${this.nodeMac(node)}`;
  }

  private nodeMac(node: string): string {
    return createHmac('sha256', this.file.nodeSecret).update(node).digest('hex');
  }

  /** kube-proxy's token (user system:kube-proxy, no group beyond system:authenticated). */
  get proxyToken(): string {
    return this.file.proxy;
  }

  /** Token for an in-process control-plane component (scheduler, controller-manager). */
  componentToken(component: string): string {
    if (!this.file.components[component]) {
      this.file.components[component] = newToken();
      this.reindex();
      this.save();
    }
    return this.file.components[component]!;
  }

  authenticate(authorization: string | undefined): UserInfo | null {
    const token = bearerToken(authorization);
    if (!token) return null;
    if (token.startsWith(NODE_PREFIX)) {
      const i = token.lastIndexOf(':');
      const node = token.slice(NODE_PREFIX.length, i);
      const mac = Buffer.from(token.slice(i + 1));
      const want = Buffer.from(this.nodeMac(node));
      if (node && mac.length === want.length && timingSafeEqual(mac, want)) return { name: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] };
      return null;
    }
    // A hash-map lookup does not compare the token byte by byte, so it leaks no prefix timing.
    return this.byToken.get(token) ?? null;
  }

  private reindex(): void {
    this.byToken.clear();
    this.byToken.set(this.file.admin, { name: 'flotilla-admin', groups: ['system:masters', 'system:authenticated'] });
    this.byToken.set(this.file.proxy, { name: PROXIER_USER, groups: ['system:authenticated'] });
    for (const [c, t] of Object.entries(this.file.components)) {
      this.byToken.set(t, { name: `system:${c}`, groups: ['system:masters', 'system:authenticated'] });
    }
  }

  private save(): void {
    if (!this.filePath) return;
    fs.mkdirSync(path.dirname(this.filePath), { recursive: true, mode: 0o700 });
    fs.writeFileSync(`${this.filePath}.tmp`, JSON.stringify(this.file, null, 2), { mode: 0o600 });
    fs.chmodSync(`${this.filePath}.tmp`, 0o600); // a leftover .tmp keeps its old mode through writeFileSync
    fs.renameSync(`${this.filePath}.tmp`, this.filePath);
  }
}

function newToken(): string {
  return randomBytes(24).toString('hex');
}
