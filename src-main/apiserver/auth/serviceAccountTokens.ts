import { randomUUID } from 'node:crypto';
import { SignJWT, decodeJwt, jwtVerify } from 'jose';
import type { KubeObject } from '../../api/types.js';
import type { Store } from '../../store/store.js';
import type { ServiceAccountKey } from './serviceAccountKey.js';
import type { UserInfo } from './tokens.js';

// Bound service account tokens (kube's pkg/serviceaccount jwt.go and claims.go): JWTs signed with
// the cluster's service account key, in kube's claim shape, and their authentication.
//
// A token is accepted when its issuer is ours, its signature and times check out (with go-jose's
// one-minute leeway), one of its audiences is one of the API server's, and what it is bound to
// still exists with the same uid: the service account, and the pod or secret it names. Something
// being deleted stays valid until a minute after its deletionTimestamp, as in kube (a pod's
// token works through its graceful termination).

/** kubeadm's --service-account-issuer, and so the API server's default audience. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** go-jose's jwt.DefaultLeeway. */
const LEEWAY_SECONDS = 60;

export interface ObjectRefClaim {
  name: string;
  uid: string;
}

export interface TokenClaimsInput {
  namespace: string;
  serviceAccount: ObjectRefClaim;
  audiences: string[];
  /** Seconds from `now` until `exp`. */
  expirationSeconds: number;
  /** kube's warnafter: set when the lifetime was extended for a projected token (token.go). */
  warnAfterSeconds?: number;
  pod?: ObjectRefClaim;
  secret?: ObjectRefClaim;
  node?: ObjectRefClaim;
  now?: Date;
}

interface KubernetesClaims {
  namespace?: string;
  serviceaccount?: Partial<ObjectRefClaim>;
  pod?: Partial<ObjectRefClaim>;
  secret?: Partial<ObjectRefClaim>;
  node?: Partial<ObjectRefClaim>;
  warnafter?: number;
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export function serviceAccountGroups(namespace: string): string[] {
  return ['system:serviceaccounts', `system:serviceaccounts:${namespace}`];
}

export class ServiceAccountTokens {
  readonly issuer: string;
  /** The API server's own audiences (--api-audiences): the default of a TokenRequest and what authentication accepts. */
  readonly audiences: string[];

  constructor(
    private readonly key: ServiceAccountKey,
    private readonly store: Store,
    opts: { issuer?: string; audiences?: string[]; now?: () => Date } = {},
  ) {
    this.issuer = opts.issuer ?? SERVICE_ACCOUNT_ISSUER;
    this.audiences = opts.audiences ?? [this.issuer];
    this.now = opts.now ?? (() => new Date());
  }

  private readonly now: () => Date;

  /** Signs a token (kube's Claims + GenerateToken). */
  async issue(c: TokenClaimsInput): Promise<string> {
    const now = Math.floor((c.now ?? this.now()).getTime() / 1000);
    const k8s: KubernetesClaims = { namespace: c.namespace, serviceaccount: { name: c.serviceAccount.name, uid: c.serviceAccount.uid } };
    if (c.pod) {
      k8s.pod = { ...c.pod };
      // ServiceAccountTokenPodNodeInfo (on in 1.32): a pod-bound token also names the pod's node.
      if (c.node) k8s.node = { ...c.node };
    } else if (c.secret) k8s.secret = { ...c.secret };
    else if (c.node) k8s.node = { ...c.node };
    if (c.warnAfterSeconds) k8s.warnafter = now + c.warnAfterSeconds;
    return new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: 'ES256', kid: this.key.keyId })
      .setIssuer(this.issuer)
      .setSubject(serviceAccountUsername(c.namespace, c.serviceAccount.name))
      .setAudience(c.audiences)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + c.expirationSeconds)
      .setJti(randomUUID()) // ServiceAccountTokenJTI (on in 1.32)
      .sign(this.key.privateKey);
  }

  /** The user of a token; null when it is not one of ours, or no longer valid. */
  async authenticate(token: string): Promise<UserInfo | null> {
    // Only tokens this issuer made are ours to judge (kube's jwtTokenAuthenticator.hasCorrectIssuer).
    let unverified: ReturnType<typeof decodeJwt>;
    try {
      unverified = decodeJwt(token);
    } catch {
      return null;
    }
    if (unverified.iss !== this.issuer) return null;
    const now = this.now();
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, this.key.publicKey, {
        issuer: this.issuer,
        algorithms: ['ES256'],
        clockTolerance: LEEWAY_SECONDS,
        currentDate: now,
      }));
    } catch {
      // Any failure (jose's errors, or a malformed token it trips over) is a refusal, never a 500.
      return null;
    }
    const auds = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    if (!auds.some((a) => this.audiences.includes(a))) return null;
    const k8s = (payload['kubernetes.io'] ?? {}) as KubernetesClaims;
    return this.validateBinding(k8s, now, payload.jti);
  }

  /** kube's validator.Validate: what the token is bound to must still be there. */
  private validateBinding(k8s: KubernetesClaims, now: Date, jti: string | undefined): UserInfo | null {
    const ns = k8s.namespace;
    const sa = k8s.serviceaccount;
    if (typeof ns !== 'string' || !ns || typeof sa?.name !== 'string' || !sa.name) return null;
    const deletedBefore = now.getTime() - LEEWAY_SECONDS * 1000;
    const stillThere = (o: KubeObject | undefined, uid: unknown): boolean => {
      if (!o) return false;
      const dt = o.metadata.deletionTimestamp;
      if (dt && Date.parse(dt) < deletedBefore) return false;
      return o.metadata.uid === uid;
    };
    if (!stillThere(this.store.get('serviceaccounts', `${ns}/${sa.name}`), sa.uid)) return null;
    const extra: Record<string, string[]> = {};
    if (k8s.secret) {
      if (typeof k8s.secret.name !== 'string' || !stillThere(this.store.get('secrets', `${ns}/${k8s.secret.name}`), k8s.secret.uid)) return null;
    }
    if (k8s.pod) {
      if (typeof k8s.pod.name !== 'string' || !stillThere(this.store.get('pods', `${ns}/${k8s.pod.name}`), k8s.pod.uid)) return null;
      extra['authentication.kubernetes.io/pod-name'] = [k8s.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [String(k8s.pod.uid)];
    }
    if (k8s.node && typeof k8s.node.name === 'string') {
      // A node-bound token (no pod) needs its node (ServiceAccountTokenNodeBindingValidation);
      // a pod-bound one only carries the node's name for information.
      if (!k8s.pod && !stillThere(this.store.get('nodes', k8s.node.name), k8s.node.uid)) return null;
      extra['authentication.kubernetes.io/node-name'] = [k8s.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [String(k8s.node.uid)];
    }
    if (jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${jti}`];
    return {
      name: serviceAccountUsername(ns, sa.name),
      uid: String(sa.uid),
      groups: [...serviceAccountGroups(ns), 'system:authenticated'],
      extra,
    };
  }
}
