import type { PassiveClock } from '../api/clock.js';

// Service account tokens for projected volumes (kube's pkg/kubelet/token/token_manager.go): one
// TokenRequest per (service account, audiences, lifetime, bound pod), cached and asked for again
// once 80% of its lifetime has passed, or 24 hours after it was issued, whichever is first (with
// up to 10 s of jitter so that many pods do not refresh at once). If a refresh fails, the cached
// token is used while it is still valid. Tokens of a pod that is gone are dropped.

const MAX_TTL_MS = 24 * 3600 * 1000;
const MAX_JITTER_MS = 10_000;

export interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds: number;
  boundObjectRef: { apiVersion: 'v1'; kind: 'Pod'; name: string; uid: string };
}

export interface IssuedToken {
  token: string;
  /** status.expirationTimestamp, in ms. */
  expiresAt: number;
  expirationSeconds: number;
}

/** POSTs a TokenRequest to serviceaccounts/<name>/token and returns its status. */
export type RequestToken = (namespace: string, serviceAccount: string, spec: TokenRequestSpec) => Promise<{ token: string; expirationTimestamp: string; expirationSeconds?: number }>;

export class TokenManager {
  private readonly cache = new Map<string, IssuedToken & { podUid: string }>();

  constructor(
    private readonly request: RequestToken,
    private readonly clock: PassiveClock,
    private readonly random: () => number = Math.random,
  ) {}

  /** The token to project now; throws when there is none and none can be had. */
  async get(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<string> {
    const key = JSON.stringify([serviceAccount, namespace, spec.audiences ?? [], spec.expirationSeconds, spec.boundObjectRef.uid]);
    const cached = this.cache.get(key);
    if (cached && !this.requiresRefresh(cached)) return cached.token;
    let issued: IssuedToken;
    try {
      const s = await this.request(namespace, serviceAccount, spec);
      const expiresAt = Date.parse(s.expirationTimestamp);
      if (!s.token || Number.isNaN(expiresAt)) throw new Error('the API server answered a TokenRequest without a token or expiration');
      issued = { token: s.token, expiresAt, expirationSeconds: s.expirationSeconds ?? spec.expirationSeconds };
    } catch (e) {
      if (!cached) throw new Error(`failed to fetch token: ${(e as Error).message}`);
      if (this.clock.now() >= cached.expiresAt) throw new Error(`token expired and refresh failed: ${(e as Error).message}`);
      return cached.token; // kube logs and keeps serving the still-valid token
    }
    this.cache.set(key, { ...issued, podUid: spec.boundObjectRef.uid });
    return issued.token;
  }

  /** kube's requiresRefresh. */
  private requiresRefresh(t: IssuedToken): boolean {
    const now = this.clock.now();
    const issuedAt = t.expiresAt - t.expirationSeconds * 1000;
    const jitter = Math.floor(this.random() * (MAX_JITTER_MS / 1000)) * 1000;
    if (now > issuedAt + MAX_TTL_MS - jitter) return true;
    return now > t.expiresAt - Math.floor((t.expirationSeconds * 20) / 100) * 1000 - jitter;
  }

  /** Drops the tokens bound to a pod (DeleteServiceAccountToken) and any that have expired. */
  forgetPod(podUid: string): void {
    const now = this.clock.now();
    for (const [k, t] of this.cache) if (t.podUid === podUid || now >= t.expiresAt) this.cache.delete(k);
  }
}
