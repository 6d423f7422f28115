import type { KubeObject } from '../../api/types.js';
import { resourceByKey, type ResourceDef } from '../../api/resources.js';
import { fieldErr, type FieldError } from '../../api/validation/fieldErrors.js';
import { nowISO } from '../../api/time.js';
import type { Registry } from '../registry/registry.js';
import type { ServiceAccountTokens, TokenClaimsInput } from '../auth/serviceAccountTokens.js';
import { errors } from '../status.js';

// The serviceaccounts/token subresource (kube's pkg/registry/core/serviceaccount/storage/token.go,
// 1.32): a TokenRequest in, the same TokenRequest with status.token out. Nothing is stored.

export interface TokenRequest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string | null; [k: string]: unknown };
  spec?: {
    audiences?: string[] | null;
    expirationSeconds?: number | null;
    boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } | null;
  };
  status?: { token?: string; expirationTimestamp?: string };
}

/** What Invalid errors name (kube: gvk.GroupKind() of authentication.k8s.io/v1 TokenRequest). */
const TOKEN_REQUEST_KIND = { group: 'authentication.k8s.io', kind: 'TokenRequest', plural: 'tokenrequests' } as ResourceDef;
/** SetDefaults_TokenRequestSpec. */
const DEFAULT_EXPIRATION_SECONDS = 3600;
/** serviceaccount.WarnOnlyBoundTokenExpirationSeconds: what the kube-api-access volume asks for. */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
/** serviceaccount.ExpirationExtensionSeconds: the real lifetime of such a token (--service-account-extend-token-expiration). */
const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 3600;

/** authentication/validation ValidateTokenRequest. */
function validateTokenRequest(tr: TokenRequest): FieldError[] {
  const errs: FieldError[] = [];
  const exp = tr.spec!.expirationSeconds!;
  if (exp < 600) errs.push(fieldErr.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes'));
  if (exp > 2 ** 32) errs.push(fieldErr.invalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds'));
  return errs;
}

/** schema.FromAPIVersionAndKind(...).String(): "<group>/<version>, Kind=<kind>". */
function gvkString(apiVersion: string, kind: string): string {
  const i = apiVersion.indexOf('/');
  const [group, version] = i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
  return `${group}/${version}, Kind=${kind}`;
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** TokenREST.Create. `body` is the decoded TokenRequest; `admit` is admission (NodeRestriction). */
export async function createToken(registry: Registry, tokens: ServiceAccountTokens, namespace: string, name: string, body: TokenRequest, admit?: (tr: TokenRequest) => void): Promise<TokenRequest> {
  const req: TokenRequest = structuredClone(body);
  req.metadata = { ...(req.metadata ?? {}) };
  req.spec = { ...(req.spec ?? {}) };
  req.spec.expirationSeconds ??= DEFAULT_EXPIRATION_SECONDS;
  // Mutating admission (NodeRestriction) sees the defaulted request before the registry does.
  admit?.(req);
  if (req.metadata.name && req.metadata.name !== name) {
    throw errors.invalid(TOKEN_REQUEST_KIND, name, [fieldErr.invalid('metadata.name', req.metadata.name, 'must match the service account name if specified')]);
  }
  if (req.metadata.namespace && req.metadata.namespace !== namespace) {
    throw errors.invalid(TOKEN_REQUEST_KIND, name, [fieldErr.invalid('metadata.namespace', req.metadata.namespace, 'must match the service account namespace if specified')]);
  }
  const sa = registry.get(resourceByKey('serviceaccounts')!, namespace, name);
  if (!req.spec.audiences?.length) req.spec.audiences = [...tokens.audiences];
  req.metadata.name ||= sa.metadata.name;
  req.metadata.namespace ||= sa.metadata.namespace;
  // Taken before the token is made, so that the expiration returned is never after the token's exp.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  req.metadata.creationTimestamp = nowISO(now);
  delete req.status;
  const errs = validateTokenRequest(req);
  if (errs.length) throw errors.invalid(TOKEN_REQUEST_KIND, '', errs);

  const claims: TokenClaimsInput = {
    namespace,
    serviceAccount: { name: sa.metadata.name!, uid: sa.metadata.uid! },
    audiences: req.spec.audiences,
    expirationSeconds: req.spec.expirationSeconds,
    now,
  };
  const ref = req.spec.boundObjectRef;
  if (ref) {
    const apiVersion = ref.apiVersion ?? '';
    const kind = ref.kind ?? '';
    let bound: KubeObject;
    if (groupOf(apiVersion) === '' && kind === 'Pod') {
      bound = registry.get(resourceByKey('pods')!, namespace, ref.name ?? '');
      if (bound.spec?.serviceAccountName !== name) {
        throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
      }
      claims.pod = { name: bound.metadata.name!, uid: bound.metadata.uid! };
      // ServiceAccountTokenPodNodeInfo: the pod's node, if it can be read, goes into the token too.
      const nodeName = bound.spec?.nodeName as string | undefined;
      const node = nodeName ? registry.store.get('nodes', nodeName) : undefined;
      if (node) claims.node = { name: node.metadata.name!, uid: node.metadata.uid! };
    } else if (groupOf(apiVersion) === '' && kind === 'Node') {
      bound = registry.get(resourceByKey('nodes')!, undefined, ref.name ?? '');
      claims.node = { name: bound.metadata.name!, uid: bound.metadata.uid! };
    } else if (groupOf(apiVersion) === '' && kind === 'Secret') {
      bound = registry.get(resourceByKey('secrets')!, namespace, ref.name ?? '');
      claims.secret = { name: bound.metadata.name!, uid: bound.metadata.uid! };
    } else {
      throw errors.badRequest(`cannot bind token to object of type ${gvkString(apiVersion, kind)}`);
    }
    if (ref.uid && ref.uid !== bound.metadata.uid) {
      throw errors.conflict({ group: groupOf(apiVersion), plural: kind } as ResourceDef, ref.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
  }
  // A projected token that asks for kube's marker lifetime really lives a year and only warns
  // after the requested time, so that clients that do not reload tokens keep working.
  if (claims.pod && req.spec.expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && req.spec.audiences.some((a) => tokens.audiences.includes(a))) {
    claims.warnAfterSeconds = claims.expirationSeconds;
    claims.expirationSeconds = EXPIRATION_EXTENSION_SECONDS;
  }
  const token = await tokens.issue(claims);
  return {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: req.metadata,
    spec: req.spec,
    status: { token, expirationTimestamp: nowISO(now.getTime() + req.spec.expirationSeconds * 1000) },
  };
}
