import type Dockerode from 'dockerode';
import type { ContainerCreateOptions, ContainerInspectInfo } from 'dockerode';
import {
  LABEL_ATTEMPT,
  LABEL_CLUSTER,
  LABEL_CONTAINER,
  LABEL_KIND,
  LABEL_NAMESPACE,
  LABEL_NODE,
  LABEL_POD,
  LABEL_POD_UID,
  LABEL_ROLE,
  LABEL_SANDBOX,
  LABEL_SPEC_HASH,
  ROLE_POD,
  type ContainerKind,
} from './labels.js';
import { Demuxer, demuxAll } from './streams.js';
import { nowISO } from '../api/time.js';

// The kubelet's container runtime: the ContainerRuntime seam (everything the pod worker, the
// image manager, volumes and hooks do with containers) and its Docker implementation. Pod
// containers are found by label and described by one inspect each. Inspect results are cached
// per (container id, state): a container's facts only change when its state does, so a sync of
// an unchanged pod costs one `docker ps`. Tests drive the pod worker through an in-memory
// implementation of the same interface (test/helpers/fakeRuntime.ts).

export type DockerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface RuntimeContainer {
  id: string;
  dockerName: string;
  podUid: string;
  namespace: string;
  podName: string;
  /** Spec container name, or SANDBOX_NAME for the sandbox. */
  name: string;
  kind: ContainerKind;
  attempt: number;
  specHash: string;
  sandboxId?: string;
  state: DockerState;
  /** Creation time in ms, for ordering instances. */
  created: number;
  startedAt?: string;
  finishedAt?: string;
  /** The same instants with Docker's precision, in ms (0 when unset), for back-off and probe timing. */
  startedMs: number;
  finishedMs: number;
  exitCode?: number;
  oomKilled: boolean;
  /** Docker's error for a container that could not start (e.g. executable not found). */
  error?: string;
  /** Image reference as the container was created with. */
  image: string;
  /** Image id (sha256:...). */
  imageId: string;
  /** IP address per Docker network (sandboxes). */
  ips: Record<string, string>;
  labels: Record<string, string>;
  tty: boolean;
}

export interface ExecResult {
  exitCode: number | null;
  output: string;
  timedOut: boolean;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's nanosecond timestamps as Kubernetes' RFC 3339 seconds. */
export function k8sTime(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-01-01') || t === ZERO_TIME) return undefined;
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return undefined;
  return nowISO(ms);
}

export function isDockerNotFound(e: unknown): boolean {
  return (e as { statusCode?: number })?.statusCode === 404;
}

function isNotModified(e: unknown): boolean {
  return (e as { statusCode?: number })?.statusCode === 304;
}

/**
 * What the kubelet asks of a container runtime (kube's CRI, in the shape Docker answers it).
 * Every pod-level action goes through it, so the pod worker runs against a fake in tests.
 */
export interface ContainerRuntime {
  /** Every pod container of this node, or of one pod: running and exited, sandboxes included; newest first. */
  listContainers(podUid?: string): Promise<RuntimeContainer[]>;
  /** One container afresh, or undefined when it is gone. */
  inspect(id: string): Promise<RuntimeContainer | undefined>;
  /** Creates a container and returns its id; a leftover of the same name (a create that raced a crash) is replaced. */
  create(opts: ContainerCreateOptions): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM (or the image's StopSignal), then SIGKILL after timeoutSeconds; a stopped or missing container is fine. */
  stop(id: string, timeoutSeconds: number): Promise<void>;
  /** Force-removes a container (by id or name); a missing one is fine. */
  remove(id: string): Promise<void>;
  /** Extracts a tar archive into a container's filesystem at path. */
  putArchive(id: string, path: string, tar: Buffer): Promise<void>;
  /** Runs a command in a running container and collects its output, up to timeoutMs. */
  exec(id: string, cmd: string[], timeoutMs: number, maxOutput?: number): Promise<ExecResult>;
  /** The last `lines` lines of a container's output (stdout and stderr interleaved) as text. */
  tailLogs(id: string, lines: number, tty: boolean): Promise<string>;
  /** The image's id, or undefined when it is not present. */
  imageId(image: string): Promise<string | undefined>;
  /** Pulls an image; rejects with the registry's message. */
  pull(image: string): Promise<void>;
  createVolume(name: string, labels: Record<string, string>, tmpfs?: { sizeBytes?: number }): Promise<void>;
  /** This node's pod volumes (of one pod, or of all pods). */
  listVolumes(podUid?: string): Promise<{ name: string; labels: Record<string, string> }[]>;
  removeVolume(name: string): Promise<void>;
}

export interface RuntimeOptions {
  cluster: string;
  node: string;
}

export class DockerRuntime implements ContainerRuntime {
  private readonly inspectCache = new Map<string, { state: string; c: RuntimeContainer }>();
  /**
   * Containers a Docker event (die, oom, start) was seen for. Docker (20.10 at least) sends "die"
   * before `docker ps` shows the container exited, so the state `docker ps` reports cannot be
   * trusted for them: they are inspected (which waits for the engine to finish the transition).
   */
  private readonly stale = new Set<string>();

  constructor(
    private readonly docker: Dockerode,
    private readonly o: RuntimeOptions,
  ) {}

  /** Filters that select this node's pod containers (optionally one pod's). */
  private filters(extra: string[] = []): { label: string[] } {
    return { label: [`${LABEL_CLUSTER}=${this.o.cluster}`, `${LABEL_NODE}=${this.o.node}`, `${LABEL_ROLE}=${ROLE_POD}`, ...extra] };
  }

  /** Every pod container of this node, or of one pod: running and exited, sandboxes included. */
  async listContainers(podUid?: string): Promise<RuntimeContainer[]> {
    const list = await this.docker.listContainers({ all: true, filters: this.filters(podUid ? [`${LABEL_POD_UID}=${podUid}`] : []) });
    const out: RuntimeContainer[] = [];
    const seen = new Set<string>();
    await Promise.all(
      list.map(async (info) => {
        seen.add(info.Id);
        const cached = this.inspectCache.get(info.Id);
        const stale = this.stale.delete(info.Id);
        if (cached && cached.state === info.State && !stale) {
          out.push(cached.c);
          return;
        }
        try {
          const c = toRuntime(await this.docker.getContainer(info.Id).inspect());
          this.inspectCache.set(info.Id, { state: c.state, c });
          out.push(c);
        } catch (e) {
          if (!isDockerNotFound(e)) throw e;
        }
      }),
    );
    if (!podUid) for (const id of [...this.inspectCache.keys()]) if (!seen.has(id)) this.inspectCache.delete(id);
    return out.sort((a, b) => b.created - a.created || b.attempt - a.attempt);
  }

  async inspect(id: string): Promise<RuntimeContainer | undefined> {
    try {
      const c = toRuntime(await this.docker.getContainer(id).inspect());
      this.inspectCache.set(id, { state: c.state, c });
      return c;
    } catch (e) {
      if (isDockerNotFound(e)) return undefined;
      throw e;
    }
  }

  async create(opts: ContainerCreateOptions): Promise<string> {
    try {
      return (await this.docker.createContainer(opts)).id;
    } catch (e) {
      // 409: the name is taken by a leftover of an earlier pass that stopped half-way.
      if ((e as { statusCode?: number }).statusCode !== 409 || !opts.name) throw e;
      await this.remove(opts.name);
      return (await this.docker.createContainer(opts)).id;
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      if (!isNotModified(e)) throw e;
    }
    this.inspectCache.delete(id);
  }

  /** docker stop: SIGTERM (or the image's StopSignal), then SIGKILL after timeoutSeconds. */
  async stop(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(timeoutSeconds)) });
    } catch (e) {
      if (!isNotModified(e) && !isDockerNotFound(e)) throw e;
    }
    this.inspectCache.delete(id);
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: false });
    } catch (e) {
      // 409: removal already in progress.
      if (!isDockerNotFound(e) && (e as { statusCode?: number })?.statusCode !== 409) throw e;
    }
    this.inspectCache.delete(id);
  }

  async putArchive(id: string, path: string, tar: Buffer): Promise<void> {
    await this.docker.getContainer(id).putArchive(tar, { path });
  }

  /** Runs a command in a running container and collects its output, up to timeoutMs. */
  async exec(id: string, cmd: string[], timeoutMs: number, maxOutput = 10 * 1024): Promise<ExecResult> {
    const ex = await this.docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: false, Tty: false });
    const stream = await ex.start({ hijack: true, stdin: false });
    let output = '';
    const demux = new Demuxer((_s, p) => {
      if (output.length < maxOutput) output += p.toString('utf8').slice(0, maxOutput - output.length);
    });
    const timedOut = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        stream.destroy();
        resolve(true);
      }, timeoutMs);
      stream.on('data', (d: Buffer) => demux.push(d));
      const done = () => {
        clearTimeout(timer);
        resolve(false);
      };
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', done);
    });
    if (timedOut) return { exitCode: null, output, timedOut };
    // The exit code can lag the end of the stream by a moment.
    for (let i = 0; i < 20; i++) {
      const info = await ex.inspect();
      if (!info.Running) return { exitCode: info.ExitCode, output, timedOut: false };
      await new Promise((r) => setTimeout(r, 25));
    }
    return { exitCode: null, output, timedOut: false };
  }

  async tailLogs(id: string, lines: number, tty: boolean): Promise<string> {
    const buf = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return tty ? buf.toString('utf8') : Buffer.concat(demuxAll(buf).map((f) => f.payload)).toString('utf8');
  }

  /** The image's id, or undefined when it is not present. */
  async imageId(image: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (e) {
      if (isDockerNotFound(e)) return undefined;
      throw e;
    }
  }

  /** docker pull, resolved when the pull finished; rejects with the daemon's message. */
  async pull(image: string): Promise<void> {
    const stream = await this.docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null, out: { error?: string; errorDetail?: { message?: string } }[]) => {
        if (err) return reject(err);
        const bad = out?.find((o) => o.error || o.errorDetail);
        if (bad) return reject(new Error(bad.errorDetail?.message ?? bad.error));
        resolve();
      });
    });
  }

  async createVolume(name: string, labels: Record<string, string>, tmpfs?: { sizeBytes?: number }): Promise<void> {
    const opts: Record<string, unknown> = { Name: name, Labels: labels };
    if (tmpfs) opts.DriverOpts = { type: 'tmpfs', device: 'tmpfs', o: tmpfs.sizeBytes ? `size=${tmpfs.sizeBytes}` : '' };
    await this.docker.createVolume(opts);
  }

  /** Names of this node's volumes for a pod (or for all pods). */
  async listVolumes(podUid?: string): Promise<{ name: string; labels: Record<string, string> }[]> {
    const res = await this.docker.listVolumes({ filters: { label: [`${LABEL_CLUSTER}=${this.o.cluster}`, `${LABEL_NODE}=${this.o.node}`, `${LABEL_ROLE}=${ROLE_POD}`, ...(podUid ? [`${LABEL_POD_UID}=${podUid}`] : [])] } });
    return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (e) {
      if (!isDockerNotFound(e)) throw e;
    }
  }

  forget(id: string): void {
    this.inspectCache.delete(id);
  }

  /** A Docker event was seen for the container: the next listing inspects it afresh. */
  invalidate(id: string): void {
    this.inspectCache.delete(id);
    this.stale.add(id);
    // Bounded: ids of containers that are gone never get listed (and cleared) again.
    if (this.stale.size > 1000) this.stale.delete(this.stale.values().next().value!);
  }
}

function toRuntime(i: ContainerInspectInfo): RuntimeContainer {
  const l = i.Config.Labels ?? {};
  const nets = (i.NetworkSettings?.Networks ?? {}) as Record<string, { IPAddress?: string }>;
  const ips: Record<string, string> = {};
  for (const [n, v] of Object.entries(nets)) if (v?.IPAddress) ips[n] = v.IPAddress;
  const st = i.State;
  const state = (st.Status ?? (st.Running ? 'running' : 'exited')) as DockerState;
  return {
    id: i.Id,
    dockerName: i.Name.replace(/^\//, ''),
    podUid: l[LABEL_POD_UID] ?? '',
    namespace: l[LABEL_NAMESPACE] ?? '',
    podName: l[LABEL_POD] ?? '',
    name: l[LABEL_CONTAINER] ?? '',
    kind: (l[LABEL_KIND] as ContainerKind) ?? 'app',
    attempt: Number(l[LABEL_ATTEMPT] ?? 0) || 0,
    specHash: l[LABEL_SPEC_HASH] ?? '',
    sandboxId: l[LABEL_SANDBOX],
    state,
    created: Date.parse(i.Created) || 0,
    startedAt: k8sTime(st.StartedAt),
    finishedAt: k8sTime(st.FinishedAt),
    startedMs: k8sTime(st.StartedAt) ? Date.parse(st.StartedAt) : 0,
    finishedMs: k8sTime(st.FinishedAt) ? Date.parse(st.FinishedAt) : 0,
    exitCode: state === 'exited' || state === 'dead' || (state === 'created' && st.Error) ? st.ExitCode : undefined,
    oomKilled: !!st.OOMKilled,
    error: st.Error || undefined,
    image: i.Config.Image,
    imageId: i.Image,
    ips,
    labels: l,
    tty: !!i.Config.Tty,
  };
}

