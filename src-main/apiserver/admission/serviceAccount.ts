import { randomInt } from 'node:crypto';
import type { Container, KubeObject, Pod, Volume, VolumeMount } from '../../api/types.js';
import { resourceByKey } from '../../api/resources.js';
import type { Store } from '../../store/store.js';
import { errors } from '../status.js';

// kube's ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount/admission.go) for
// pod creation: the pod runs as `default` unless it names another service account, which must
// exist; unless the pod (or else its service account) opts out with automountServiceAccountToken:
// false, every container and init container gets the kube-api-access-<random> projected volume
// (a bound token, the cluster CA, the namespace) at /var/run/secrets/kubernetes.io/serviceaccount;
// and the service account's imagePullSecrets are copied to a pod that has none.

export const DEFAULT_SERVICE_ACCOUNT = 'default';
export const API_ACCESS_VOLUME_PREFIX = 'kube-api-access-';
export const API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** serviceaccount.WarnOnlyBoundTokenExpirationSeconds. */
const TOKEN_EXPIRATION_SECONDS = 3607;
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** names.SimpleNameGenerator's alphabet. */
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** The projected volume source kube adds (TokenVolumeSource). */
export function apiAccessVolumeSource(): NonNullable<Volume['projected']> {
  return {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  } as NonNullable<Volume['projected']>;
}

export interface ServiceAccountAdmissionOptions {
  /** Waits between lookups of a `default` service account that the controller has yet to make (kube: 100-200 ms, 10 tries). */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The service account, looked up as kube's getServiceAccount does: `default` is tried ten times,
 * since the service account controller makes it just after the namespace; any other once.
 */
async function lookUp(store: Store, namespace: string, name: string, sleep: (ms: number) => Promise<void>): Promise<KubeObject | undefined> {
  const attempts = name === DEFAULT_SERVICE_ACCOUNT ? 10 : 1;
  const interval = 100 + randomInt(100);
  for (let i = 0; i < attempts; i++) {
    if (i) await sleep(interval);
    const sa = store.get('serviceaccounts', `${namespace}/${name}`);
    if (sa) return sa;
  }
  return undefined;
}

function generateVolumeName(): string {
  let s = API_ACCESS_VOLUME_PREFIX;
  for (let i = 0; i < 5; i++) s += NAME_CHARS[randomInt(NAME_CHARS.length)];
  return s;
}

/** mountServiceAccountToken: the mount in every container that lacks one at the path, and the volume if any took it. */
function mountApiAccess(pod: Pod): void {
  const spec = pod.spec;
  // Ill-typed fields are left for validation to refuse, as they are.
  const list = <T>(v: T[] | undefined): T[] => (Array.isArray(v) ? v : []);
  if ((spec.volumes !== undefined && !Array.isArray(spec.volumes)) || !Array.isArray(spec.containers)) return;
  const existing = list(spec.volumes).find((v) => typeof v?.name === 'string' && v.name.startsWith(API_ACCESS_VOLUME_PREFIX));
  const volumeName = existing?.name ?? generateVolumeName();
  let needsVolume = false;
  const mountIn = (containers: Container[] | undefined) => {
    for (const c of list(containers)) {
      if (!c || typeof c !== 'object' || (c.volumeMounts !== undefined && !Array.isArray(c.volumeMounts))) continue;
      const mounts = list(c.volumeMounts as VolumeMount[]);
      if (mounts.some((m) => m?.mountPath === API_TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...mounts, { name: volumeName, readOnly: true, mountPath: API_TOKEN_MOUNT_PATH }];
      needsVolume = true;
    }
  };
  mountIn(spec.initContainers);
  mountIn(spec.containers);
  if (!existing && needsVolume) spec.volumes = [...list(spec.volumes), { name: volumeName, projected: apiAccessVolumeSource() } as Volume];
}

/**
 * Admits a pod being created in `namespace` (mutating `pod`), or throws kube's Forbidden. A body
 * that is not a pod object is left for validation to refuse.
 */
export async function admitPodServiceAccount(store: Store, namespace: string, pod: Pod, opts: ServiceAccountAdmissionOptions = {}): Promise<void> {
  const spec = pod.spec as Pod['spec'] | undefined;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return;
  if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
  if (!spec.serviceAccountName) spec.serviceAccountName = typeof spec.serviceAccount === 'string' && spec.serviceAccount ? spec.serviceAccount : DEFAULT_SERVICE_ACCOUNT;
  const name = String(spec.serviceAccountName);
  const sa = await lookUp(store, namespace, name, opts.sleep ?? defaultSleep);
  if (!sa) {
    throw errors.forbidden(resourceByKey('pods')!, pod.metadata?.name ?? '', `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`);
  }
  const automount = typeof spec.automountServiceAccountToken === 'boolean' ? spec.automountServiceAccountToken : (sa as { automountServiceAccountToken?: boolean }).automountServiceAccountToken ?? true;
  if (automount) mountApiAccess(pod);
  const pullSecrets = (sa as { imagePullSecrets?: { name?: string }[] }).imagePullSecrets;
  const podSpec = spec as { imagePullSecrets?: unknown };
  const hasOwn = Array.isArray(podSpec.imagePullSecrets) && podSpec.imagePullSecrets.length > 0;
  if (!hasOwn && Array.isArray(pullSecrets) && pullSecrets.length) podSpec.imagePullSecrets = pullSecrets.map((s) => ({ name: s?.name ?? '' }));
}
