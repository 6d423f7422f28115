import { createHash } from 'node:crypto';
import type { Container, Pod, Volume, VolumeMount } from '../api/types.js';
import { fieldRefValue, resourceFieldValue, type EnvSources } from './env.js';
import { LABEL_CLUSTER, LABEL_NODE, LABEL_ROLE, LABEL_VOLUME, dockerVolumeName, podLabels, type PodIdentity } from './labels.js';
import { quantityValue } from './resources.js';
import type { ContainerRuntime } from './runtime.js';
import { makeTar, type TarEntry } from './tar.js';

// Pod volumes as Docker named volumes, one per pod volume, labelled with cluster, node,
// namespace, pod and uid so that any component can find and remove them:
//
// - emptyDir: an empty volume (tmpfs-backed for medium: Memory), shared by the pod's containers.
// - configMap, secret, downwardAPI, projected: the kubelet writes the files through Docker's
//   archive API into the volume while it is mounted in the pod's sandbox (at
//   /.flotilla/volumes/<name>), in kube's atomic-writer layout: the payload in a timestamped
//   directory, `..data` a symlink to it, and every top-level name a symlink through `..data`.
//   A change of the ConfigMap or Secret writes a new payload directory and swaps `..data`, so
//   containers see the update the way they would in Kubernetes. Containers mount them read-only.
// - hostPath: a node-local named volume per path (persists across pods on the same node, like a
//   directory of a real node's disk); the Docker host's own filesystem is never exposed.
//
// subPath mounts of configMap/secret/downwardAPI/projected volumes are copied into the
// container before it starts (kube never updates subPath mounts either). Docker 20.10 cannot
// mount a sub-directory of a volume, so subPath on emptyDir/hostPath is refused with a clear
// message (CreateContainerConfigError).

export const SANDBOX_VOLUME_ROOT = '/.flotilla/volumes';
export const ROLE_HOSTPATH = 'hostpath';

export type VolumeKind = 'emptyDir' | 'configMap' | 'secret' | 'downwardAPI' | 'projected' | 'hostPath';

export interface PlannedVolume {
  name: string;
  kind: VolumeKind;
  dockerName: string;
  tmpfsBytes?: number;
  memory?: boolean;
  labels: Record<string, string>;
}

export interface ProjectedFile {
  path: string;
  content: Buffer;
  mode: number;
}

export interface MountPlan {
  mounts: { Type: 'volume'; Source: string; Target: string; ReadOnly: boolean }[];
  /** subPath files to copy into the container before it starts. */
  copies: { target: string; files: ProjectedFile[] }[];
}

const FILE_KINDS = new Set<VolumeKind>(['configMap', 'secret', 'downwardAPI', 'projected']);

export function volumeKind(v: Volume): VolumeKind | undefined {
  for (const k of ['emptyDir', 'configMap', 'secret', 'downwardAPI', 'projected', 'hostPath'] as const) if (v[k] !== undefined && v[k] !== null) return k;
  return undefined;
}

function sourceName(v: Volume): string {
  return Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
}

export function hostPathVolumeName(cluster: string, node: string, path: string): string {
  const h = createHash('sha256').update(path).digest('hex').slice(0, 16);
  return `flotilla_${cluster}_${node}_hostpath_${h}`.replace(/[^a-zA-Z0-9_.-]/g, '_');
}

/** Docker volumes of a pod; `error` names the first volume Flotilla cannot provide. */
export function planVolumes(pod: Pod, id: PodIdentity): { volumes: PlannedVolume[]; error?: string } {
  const volumes: PlannedVolume[] = [];
  for (const v of pod.spec.volumes ?? []) {
    const kind = volumeKind(v);
    if (!kind) return { volumes, error: `volume "${v.name}": ${sourceName(v)} volumes are not supported by Flotilla nodes (supported: emptyDir, configMap, secret, downwardAPI, projected, hostPath)` };
    if (kind === 'hostPath') {
      const path = v.hostPath!.path;
      volumes.push({ name: v.name, kind, dockerName: hostPathVolumeName(id.cluster, id.node, path), labels: { [LABEL_CLUSTER]: id.cluster, [LABEL_NODE]: id.node, [LABEL_ROLE]: ROLE_HOSTPATH, 'flotilla.dev/host-path': path.slice(0, 200) } });
      continue;
    }
    const memory = kind === 'emptyDir' && v.emptyDir?.medium === 'Memory';
    volumes.push({
      name: v.name,
      kind,
      dockerName: dockerVolumeName(id, v.name),
      memory,
      tmpfsBytes: memory ? quantityValue(v.emptyDir?.sizeLimit) : undefined,
      labels: { ...podLabels(id), [LABEL_VOLUME]: v.name },
    });
  }
  return { volumes };
}

function decode(b64: string): Buffer {
  return Buffer.from(b64, 'base64');
}

type KeyItems = { key: string; path: string; mode?: number }[] | undefined;

/** kube's volume projection of a key/value source: every key, or only `items` at their paths. */
export function projectKeys(data: Record<string, Buffer>, items: KeyItems, defaultMode: number, what: string, optional?: boolean): ProjectedFile[] | { error: string } {
  if (!items?.length) return Object.entries(data).map(([k, v]) => ({ path: k, content: v, mode: defaultMode }));
  const out: ProjectedFile[] = [];
  for (const it of items) {
    const v = data[it.key];
    if (v === undefined) {
      if (optional) continue;
      return { error: `configmap references non-existent config key: ${it.key}`.replace('configmap', what) };
    }
    out.push({ path: it.path, content: v, mode: it.mode ?? defaultMode });
  }
  return out;
}

function downwardFiles(pod: Pod, items: { path: string; fieldRef?: { fieldPath: string }; resourceFieldRef?: { containerName?: string; resource: string; divisor?: string }; mode?: number }[] | undefined, defaultMode: number, podIP?: string, hostIP?: string, allocatable?: Record<string, string>): ProjectedFile[] | { error: string } {
  const out: ProjectedFile[] = [];
  for (const it of items ?? []) {
    let v: string | { error: string } = '';
    if (it.fieldRef) v = fieldRefValue(it.fieldRef.fieldPath, { pod, podIP, hostIP });
    else if (it.resourceFieldRef) {
      const c = pod.spec.containers.find((x) => x.name === it.resourceFieldRef!.containerName) ?? pod.spec.containers[0]!;
      v = resourceFieldValue(it.resourceFieldRef, c, allocatable);
    }
    if (typeof v !== 'string') return v;
    out.push({ path: it.path, content: Buffer.from(v), mode: it.mode ?? defaultMode });
  }
  return out;
}

export interface ProjectionContext {
  sources: EnvSources;
  podIP?: string;
  hostIP?: string;
  allocatable?: Record<string, string>;
}

/** The files a file-backed volume must hold right now; `{ error }` when a source is missing. */
export async function volumeFiles(pod: Pod, v: Volume, ctx: ProjectionContext): Promise<ProjectedFile[] | { error: string }> {
  const ns = pod.metadata.namespace ?? 'default';
  const cmFiles = async (src: { name: string; items?: KeyItems; optional?: boolean }, mode: number) => {
    const cm = await ctx.sources.getConfigMap(ns, src.name);
    if (!cm) return src.optional ? [] : { error: `configmap "${src.name}" not found` };
    const data: Record<string, Buffer> = {};
    for (const [k, val] of Object.entries(cm.data ?? {})) data[k] = Buffer.from(val, 'utf8');
    for (const [k, val] of Object.entries(cm.binaryData ?? {})) data[k] = decode(val);
    return projectKeys(data, src.items, mode, 'configmap', src.optional);
  };
  const secretFiles = async (src: { name: string; items?: KeyItems; optional?: boolean }, mode: number) => {
    const s = await ctx.sources.getSecret(ns, src.name);
    if (!s) return src.optional ? [] : { error: `secret "${src.name}" not found` };
    const data: Record<string, Buffer> = {};
    for (const [k, val] of Object.entries(s.data ?? {})) data[k] = decode(val);
    return projectKeys(data, src.items, mode, 'secret', src.optional);
  };
  if (v.configMap) return cmFiles(v.configMap, v.configMap.defaultMode ?? 0o644);
  if (v.secret) return secretFiles({ name: v.secret.secretName, items: v.secret.items, optional: v.secret.optional }, v.secret.defaultMode ?? 0o644);
  const dapi = v.downwardAPI as { items?: Parameters<typeof downwardFiles>[1]; defaultMode?: number } | undefined;
  if (dapi) return downwardFiles(pod, dapi.items, dapi.defaultMode ?? 0o644, ctx.podIP, ctx.hostIP, ctx.allocatable);
  const proj = v.projected as
    | {
        defaultMode?: number;
        sources?: {
          configMap?: { name: string; items?: KeyItems; optional?: boolean };
          secret?: { name: string; items?: KeyItems; optional?: boolean };
          downwardAPI?: { items?: Parameters<typeof downwardFiles>[1] };
          serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
        }[];
      }
    | undefined;
  if (proj) {
    const mode = proj.defaultMode ?? 0o644;
    const out: ProjectedFile[] = [];
    for (const s of proj.sources ?? []) {
      const r = s.configMap
        ? await cmFiles(s.configMap, mode)
        : s.secret
          ? await secretFiles(s.secret, mode)
          : s.downwardAPI
            ? downwardFiles(pod, s.downwardAPI.items, mode, ctx.podIP, ctx.hostIP, ctx.allocatable)
            : s.serviceAccountToken
              ? await tokenFiles(pod, s.serviceAccountToken, mode, ctx)
              : [];
      if (!Array.isArray(r)) return r;
      out.push(...r);
    }
    return out;
  }
  return [];
}

/** A serviceAccountToken projection: a token bound to this pod, for its audience and lifetime (kube's projected volume). */
async function tokenFiles(pod: Pod, tp: { audience?: string; expirationSeconds?: number; path: string }, mode: number, ctx: ProjectionContext): Promise<ProjectedFile[] | { error: string }> {
  if (!ctx.sources.getServiceAccountToken) return { error: 'service account tokens are not available on this node' };
  try {
    const token = await ctx.sources.getServiceAccountToken(pod.metadata.namespace ?? 'default', pod.spec.serviceAccountName || 'default', {
      audiences: tp.audience ? [tp.audience] : undefined,
      expirationSeconds: tp.expirationSeconds ?? 3600,
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid! },
    });
    return [{ path: tp.path, content: Buffer.from(token), mode }];
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export function filesHash(files: ProjectedFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) h.update(`${f.path}\0${f.mode}\0`).update(f.content).update('\0');
  return h.digest('hex');
}

function payloadDirName(now = new Date()): string {
  // kube: ..2006_01_02_15_04_05.<nanos>
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.${p(now.getUTCMilliseconds(), 3)}${String(process.hrtime()[1]).padStart(9, '0').slice(3)}`;
}

/** Tar entries of kube's atomic-writer layout for one payload. */
export function atomicWriterEntries(files: ProjectedFile[], now = new Date()): { payload: TarEntry[]; links: TarEntry[] } {
  const dir = payloadDirName(now);
  const payload: TarEntry[] = [{ path: dir, type: 'dir', mode: 0o755 }];
  const dirs = new Set<string>();
  const tops = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        payload.push({ path: `${dir}/${d}`, type: 'dir', mode: 0o755 });
      }
    }
    payload.push({ path: `${dir}/${parts.join('/')}`, type: 'file', content: f.content, mode: f.mode });
    tops.add(parts[0]!);
  }
  const links: TarEntry[] = [{ path: '..data', type: 'symlink', target: dir }];
  for (const t of tops) links.push({ path: t, type: 'symlink', target: `..data/${t}` });
  return { payload, links };
}

/** Writes a payload into a file volume mounted in the (created or running) sandbox. */
export async function writeVolumeFiles(runtime: Pick<ContainerRuntime, 'putArchive'>, sandboxId: string, volume: string, files: ProjectedFile[]): Promise<void> {
  const { payload, links } = atomicWriterEntries(files);
  const root = `${SANDBOX_VOLUME_ROOT}/${volume}`;
  await runtime.putArchive(sandboxId, root, makeTar(payload));
  // The second archive swaps `..data` once the whole payload is in place.
  await runtime.putArchive(sandboxId, root, makeTar(links));
}

/** Files of `files` selected by a subPath: the file itself, or everything below a directory. */
export function subPathFiles(files: ProjectedFile[], subPath: string): ProjectedFile[] {
  const sp = subPath.replace(/^\/+|\/+$/g, '');
  const exact = files.find((f) => f.path === sp);
  if (exact) return [{ ...exact, path: '' }];
  return files.filter((f) => f.path.startsWith(`${sp}/`)).map((f) => ({ ...f, path: f.path.slice(sp.length + 1) }));
}

/** Mounts of one container; `{ error }` for a mount Flotilla cannot provide. */
export async function planMounts(pod: Pod, c: Container, planned: PlannedVolume[], ctx: ProjectionContext): Promise<MountPlan | { error: string }> {
  const plan: MountPlan = { mounts: [], copies: [] };
  for (const m of (c.volumeMounts ?? []) as VolumeMount[]) {
    const pv = planned.find((p) => p.name === m.name);
    const spec = pod.spec.volumes?.find((v) => v.name === m.name);
    if (!pv || !spec) return { error: `volume "${m.name}" not found in the pod's volumes` };
    if (m.subPath) {
      if (!FILE_KINDS.has(pv.kind)) return { error: `subPath "${m.subPath}" of ${pv.kind} volume "${m.name}" is not supported by Flotilla nodes (Docker 20.10 cannot mount part of a volume)` };
      const all = await volumeFiles(pod, spec, ctx);
      if (!Array.isArray(all)) return all;
      plan.copies.push({ target: m.mountPath, files: subPathFiles(all, m.subPath) });
      continue;
    }
    plan.mounts.push({ Type: 'volume', Source: pv.dockerName, Target: m.mountPath, ReadOnly: !!m.readOnly || FILE_KINDS.has(pv.kind) });
  }
  return plan;
}

/**
 * Tar entries, relative to `root` (the mount path's parent, or `/` when that parent does not
 * exist yet), that place subPath copies at their mount path. Directories are only written
 * below root, so existing directories of the image keep their modes.
 */
export function copyEntries(target: string, files: ProjectedFile[], root: string): TarEntry[] {
  const strip = (p: string) => p.replace(/^\/+|\/+$/g, '');
  const r = strip(root);
  const full = strip(target);
  const base = r ? full.slice(r.length + 1) : full;
  const entries: TarEntry[] = [];
  const dirs = new Set<string>();
  const addDirs = (p: string) => {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        entries.push({ path: d, type: 'dir', mode: 0o755 });
      }
    }
  };
  for (const f of files) {
    const p = f.path ? `${base}/${f.path}` : base;
    addDirs(p);
    entries.push({ path: p, type: 'file', content: f.content, mode: f.mode });
  }
  return entries;
}
