import { createHash } from 'node:crypto';
import type { Container, Pod } from '../api/types.js';
import { DOCKER_LABEL } from '../api/dockerLabels.js';

// What the kubelet writes on every Docker object it creates. Docker has no annotations, so
// everything the kubelet must know after a restart lives in labels: which cluster, node, pod
// (namespace, name, uid) and container a Docker container belongs to, which restart attempt it
// is, which sandbox it joined and a hash of the container spec it was created from. That is
// enough to rebuild the whole pod state (restart counts, last states, which containers to keep)
// from `docker ps -a` alone.

export const LABEL_CLUSTER = DOCKER_LABEL.cluster;
export const LABEL_NODE = DOCKER_LABEL.node;
export const LABEL_ROLE = DOCKER_LABEL.role;
export const LABEL_NAMESPACE = DOCKER_LABEL.namespace;
export const LABEL_POD = DOCKER_LABEL.pod;
export const LABEL_POD_UID = DOCKER_LABEL.podUid;
export const LABEL_CONTAINER = DOCKER_LABEL.container;
export const LABEL_KIND = DOCKER_LABEL.containerKind;
export const LABEL_ATTEMPT = DOCKER_LABEL.attempt;
export const LABEL_SPEC_HASH = DOCKER_LABEL.specHash;
export const LABEL_SANDBOX = DOCKER_LABEL.sandboxId;
export const LABEL_VOLUME = DOCKER_LABEL.volume;
export const LABEL_TERMINATION_MESSAGE_PATH = DOCKER_LABEL.terminationMessagePath;

export const ROLE_POD = 'pod';
/** The container name used for sandboxes; real container names are DNS labels, never upper case. */
export const SANDBOX_NAME = 'POD';

export type ContainerKind = 'sandbox' | 'init' | 'app';

export interface PodIdentity {
  cluster: string;
  node: string;
  namespace: string;
  pod: string;
  uid: string;
}

export function podIdentity(cluster: string, node: string, pod: Pod): PodIdentity {
  return { cluster, node, namespace: pod.metadata.namespace ?? 'default', pod: pod.metadata.name!, uid: pod.metadata.uid! };
}

export function podLabels(id: PodIdentity): Record<string, string> {
  return {
    [LABEL_CLUSTER]: id.cluster,
    [LABEL_NODE]: id.node,
    [LABEL_ROLE]: ROLE_POD,
    [LABEL_NAMESPACE]: id.namespace,
    [LABEL_POD]: id.pod,
    [LABEL_POD_UID]: id.uid,
  };
}

export function containerLabels(id: PodIdentity, name: string, kind: ContainerKind, attempt: number, specHash: string, sandboxId?: string): Record<string, string> {
  return {
    ...podLabels(id),
    [LABEL_CONTAINER]: name,
    [LABEL_KIND]: kind,
    [LABEL_ATTEMPT]: String(attempt),
    [LABEL_SPEC_HASH]: specHash,
    ...(sandboxId ? { [LABEL_SANDBOX]: sandboxId } : {}),
  };
}

/**
 * Docker container name, after dockershim's `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`:
 * readable in `docker ps`, unique per attempt, and valid ([a-zA-Z0-9][a-zA-Z0-9_.-]*) because
 * every part is a DNS label or a uid.
 */
export function dockerContainerName(id: PodIdentity, name: string, attempt: number): string {
  return `k8s_${name}_${id.pod}_${id.namespace}_${id.uid}_${attempt}`;
}

/** Docker volume name of one pod volume: unique per pod uid, short enough for any filesystem. */
export function dockerVolumeName(id: PodIdentity, volume: string): string {
  const h = createHash('sha256').update(`${id.uid}/${volume}`).digest('hex').slice(0, 12);
  return `flotilla_${id.namespace}_${id.pod}`.slice(0, 80) + `_${volume}`.slice(0, 64) + `_${h}`;
}

/** JSON with sorted keys, so equal objects hash equally whatever their key order. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`;
}

/**
 * Hash of everything in a container spec that needs a new container when it changes (kube's
 * HashContainer). Probes, resources and lifecycle hooks are included: a pod's containers are
 * immutable except `image`, so in practice a changed hash means a changed image.
 */
export function containerSpecHash(c: Container): string {
  return createHash('sha256').update(stableStringify(c)).digest('hex').slice(0, 16);
}
