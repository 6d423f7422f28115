import { createHash } from 'node:crypto';
import type { Container, Pod } from '../api/types.js';

// What the kubelet writes on every Docker object it creates. Docker has no annotations, so
// everything the kubelet must know after a restart lives in labels: which cluster, node, pod
// (namespace, name, uid) and container a Docker container belongs to, which restart attempt it
// is, which sandbox it joined and a hash of the container spec it was created from. That is
// enough to rebuild the whole pod state (restart counts, last states, which containers to keep)
// from `docker ps -a` alone.

export const LABEL_CLUSTER = 'flotilla.dev/cluster';
export const LABEL_NODE = 'flotilla.dev/node';
export const LABEL_ROLE = 'flotilla.dev/role';
export const LABEL_NAMESPACE = 'flotilla.dev/namespace';
export const LABEL_POD = 'flotilla.dev/pod';
export const LABEL_POD_UID = 'flotilla.dev/pod-uid';
export const LABEL_CONTAINER = 'flotilla.dev/container';
/** sandbox | init | app */
export const LABEL_KIND = 'flotilla.dev/container-kind';
/** Restart attempt of this container name within the pod: 0 for the first run. */
export const LABEL_ATTEMPT = 'flotilla.dev/attempt';
export const LABEL_SPEC_HASH = 'flotilla.dev/spec-hash';
/** The Docker id of the sandbox a container joined (absent on sandboxes). */
export const LABEL_SANDBOX = 'flotilla.dev/sandbox-id';
/** The pod volume a Docker volume holds. */
export const LABEL_VOLUME = 'flotilla.dev/volume';
/** terminationMessagePath, so a re-adopted container's message can still be read. */
export const LABEL_TERMINATION_MESSAGE_PATH = 'flotilla.dev/termination-message-path';

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
