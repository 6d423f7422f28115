import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

// Bearer tokens. The admin token goes into the kubeconfig; every node gets its own token so a
// node can be limited to its own objects and revoked alone. Stored in DATA/tokens.json (0600).

export interface UserInfo {
  name: string;
  groups: string[];
}

interface TokenFile {
  admin: string;
  nodes: Record<string, string>;
  components: Record<string, string>;
}

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
    this.file = loaded ?? { admin: newToken(), nodes: {}, components: {} };
    this.file.nodes ??= {};
    this.file.components ??= {};
    this.reindex();
    this.save();
  }

  get adminToken(): string {
    return this.file.admin;
  }

  /** The token of a node (created on first use): its kubelet authenticates as system:node:<name>. */
  nodeToken(node: string): string {
    if (!this.file.nodes[node]) {
      this.file.nodes[node] = newToken();
      this.reindex();
      this.save();
    }
    return this.file.nodes[node]!;
  }

  removeNode(node: string): void {
    delete this.file.nodes[node];
    this.reindex();
    this.save();
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
    if (!authorization) return null;
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!m) return null;
    // A hash-map lookup does not compare the token byte by byte, so it leaks no prefix timing.
    return this.byToken.get(m[1]!) ?? null;
  }

  private reindex(): void {
    this.byToken.clear();
    this.byToken.set(this.file.admin, { name: 'flotilla-admin', groups: ['system:masters', 'system:authenticated'] });
    for (const [node, t] of Object.entries(this.file.nodes)) {
      this.byToken.set(t, { name: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated'] });
    }
    for (const [c, t] of Object.entries(this.file.components)) {
      this.byToken.set(t, { name: `system:${c}`, groups: ['system:masters', 'system:authenticated'] });
    }
  }

  private save(): void {
    if (!this.filePath) return;
    fs.mkdirSync(path.dirname(this.filePath), { recursive: true });
    fs.writeFileSync(`${this.filePath}.tmp`, JSON.stringify(this.file, null, 2), { mode: 0o600 });
    fs.renameSync(`${this.filePath}.tmp`, this.filePath);
  }
}

function newToken(): string {
  return randomBytes(24).toString('hex');
}
