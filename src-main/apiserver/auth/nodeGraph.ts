import type { KubeObject } from '../../api/types.js';
import type { Store } from '../../store/store.js';

// Which objects a node is related to, as kube's Node authorizer graph records them
// (plugin/pkg/auth/authorizer/node/graph.go): a pod bound to the node (spec.nodeName) relates it
// to the node, and through the pod the secrets, configmaps and service account the pod
// references. A mirror pod relates only itself: a node creates those, so they must not grant it
// anything. (kube's graph also holds PVCs, PVs, VolumeAttachments and ResourceClaims; Flotilla
// serves none of those, so their edges come with them.)
//
// kube keeps that graph up to date from informers; Flotilla asks the store when a request comes:
// the store is in memory and keyed by namespace, so this is a scan of one namespace's pods,
// reading each pod's parsed spec only when it is bound to the asking node.

export type RelatedKind = 'pods' | 'secrets' | 'configmaps' | 'serviceaccounts';

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** Init, regular and ephemeral containers (kube's podutil.AllContainers). */
function allContainers(spec: Obj): Obj[] {
  return [...arr(spec.initContainers), ...arr(spec.containers), ...arr(spec.ephemeralContainers)].map(obj).filter((c): c is Obj => !!c);
}

/** Volume sources that name a secret by `secretRef.name` (kube's VisitPodSecretNames). */
const SECRET_REF_VOLUMES = ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos'];

/** Every secret a pod references: image pull secrets, env, envFrom and volumes (kube's VisitPodSecretNames). */
export function podSecretNames(pod: KubeObject): string[] {
  const spec = obj(pod.spec) ?? {};
  const out: (string | undefined)[] = arr(spec.imagePullSecrets).map((r) => str(obj(r)?.name));
  for (const c of allContainers(spec)) {
    for (const e of arr(c.envFrom)) out.push(str(obj(obj(e)?.secretRef)?.name));
    for (const e of arr(c.env)) out.push(str(obj(obj(obj(e)?.valueFrom)?.secretKeyRef)?.name));
  }
  for (const v of arr(spec.volumes).map(obj)) {
    if (!v) continue;
    out.push(str(obj(v.secret)?.secretName), str(obj(v.azureFile)?.secretName), str(obj(obj(v.csi)?.nodePublishSecretRef)?.name));
    for (const k of SECRET_REF_VOLUMES) out.push(str(obj(obj(v[k])?.secretRef)?.name));
    for (const s of arr(obj(v.projected)?.sources)) out.push(str(obj(obj(s)?.secret)?.name));
  }
  return out.filter((n): n is string => !!n);
}

/** Every configmap a pod references: env, envFrom and volumes (kube's VisitPodConfigmapNames). */
export function podConfigMapNames(pod: KubeObject): string[] {
  const spec = obj(pod.spec) ?? {};
  const out: (string | undefined)[] = [];
  for (const c of allContainers(spec)) {
    for (const e of arr(c.envFrom)) out.push(str(obj(obj(e)?.configMapRef)?.name));
    for (const e of arr(c.env)) out.push(str(obj(obj(obj(e)?.valueFrom)?.configMapKeyRef)?.name));
  }
  for (const v of arr(spec.volumes).map(obj)) {
    if (!v) continue;
    out.push(str(obj(v.configMap)?.name));
    for (const s of arr(obj(v.projected)?.sources)) out.push(str(obj(obj(s)?.configMap)?.name));
  }
  return out.filter((n): n is string => !!n);
}

function references(pod: KubeObject, kind: Exclude<RelatedKind, 'pods'>, name: string): boolean {
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return false;
  switch (kind) {
    case 'secrets':
      return podSecretNames(pod).includes(name);
    case 'configmaps':
      return podConfigMapNames(pod).includes(name);
    case 'serviceaccounts':
      return pod.spec?.serviceAccountName === name;
  }
}

/** Whether namespace/name of `kind` is related to `node` through a pod bound to it (kube's hasPathFrom). */
export function relatedToNode(store: Store, node: string, kind: RelatedKind, namespace: string, name: string): boolean {
  if (kind === 'pods') return store.get('pods', `${namespace}/${name}`)?.spec?.nodeName === node;
  for (const item of store.scan('pods', `${namespace}/`)) {
    // The selectable view carries spec.nodeName: only pods bound here are parsed.
    if (item.sel.spec?.nodeName !== node) continue;
    if (references(item.obj, kind, name)) return true;
  }
  return false;
}
