import type { ContainerCreateOptions } from 'dockerode';
import type { Container, Pod, PodStatus, Service } from '../api/types.js';
import { ApiClient, isConflict, isNotFound } from '../client/apiClient.js';
import type { EventRecorder } from '../client/eventRecorder.js';
import type { Backoff } from './backoff.js';
import { buildEnv, expandCommand, serviceEnvVars, type EnvSources } from './env.js';
import type { ImageManager } from './images.js';
import { LABEL_TERMINATION_MESSAGE_PATH, SANDBOX_NAME, containerLabels, containerSpecHash, dockerContainerName, podIdentity, stableStringify, type ContainerKind, type PodIdentity } from './labels.js';
import { runHook, type ProbeManager } from './probes.js';
import { dockerResources } from './resources.js';
import { isDockerNotFound, type DockerRuntime, type RuntimeContainer } from './runtime.js';
import { computePodStatus, isRunning, isTerminated, statusPatch, type Waiting } from './status.js';
import { demuxAll } from './streams.js';
import { makeTar } from './tar.js';
import { SANDBOX_VOLUME_ROOT, copyEntries, filesHash, planMounts, planVolumes, volumeFiles, writeVolumeFiles, type PlannedVolume, type ProjectionContext } from './volumes.js';

// One pod's reconciliation (kube's kuberuntime_manager SyncPod + the status manager), run by the
// kubelet's work queue, never twice at once for the same pod uid. Each pass reads the pod's
// Docker containers (labels carry everything), decides, acts, and writes the status when it
// changed:
//
//   pod gone or bound elsewhere  -> kill and remove containers and volumes
//   deletionTimestamp            -> preStop hooks, docker stop within the grace period, final
//                                   status, remove containers and volumes, DELETE the pod object
//                                   (gracePeriodSeconds 0, uid precondition)
//   no running sandbox           -> (re)create it: volumes, pause container on the cluster network
//   init containers              -> one at a time, in order, each must exit 0
//   app containers               -> start missing ones; restart exited ones per restartPolicy
//                                   with CrashLoopBackOff; kill on liveness/startup failure or a
//                                   changed spec (image)
//   finished (Succeeded/Failed)  -> stop the sandbox, keep containers for logs
//
// A restarted kubelet adopts what it finds: a running container whose spec hash matches is left
// alone, restart counts come from the attempt labels, last states from the previous instance.

export interface DnsOptions {
  /** Cluster DNS server IPs for dnsPolicy ClusterFirst (none: Docker's embedded DNS only). */
  clusterDNS?: string[];
  clusterDomain: string;
}

export interface PodWorkerDeps {
  client: ApiClient;
  runtime: DockerRuntime;
  images: ImageManager;
  probes: ProbeManager;
  recorder: EventRecorder;
  crashBackoff: Backoff;
  sources: EnvSources;
  services(): Service[];
  cluster: string;
  node: string;
  network: string;
  pauseImage: string;
  hostIP(): string | undefined;
  allocatable: Record<string, string>;
  dns: DnsOptions;
  volumeRefreshMs: number;
  log(line: string): void;
}

export interface PodRecord {
  uid: string;
  /** The pod as the API last showed it; undefined once it is gone from the API. */
  pod?: Pod;
  /** The last pod object seen (kept after deletion for names and grace periods). */
  lastPod?: Pod;
  waiting: Map<string, Waiting>;
  volumeHashes: Map<string, string>;
  volumesCheckedAt: number;
  messages: Map<string, string>;
  /** Status last written, with the resourceVersion the server returned. */
  sent?: { status: PodStatus; rv: bigint };
  /** A graceful termination is running. */
  terminating?: boolean;
}

export function newPodRecord(uid: string): PodRecord {
  return { uid, waiting: new Map(), volumeHashes: new Map(), volumesCheckedAt: 0, messages: new Map() };
}

/** Kube's minimum grace period for stopping a container (minimumGracePeriodInSeconds). */
const MIN_GRACE_SECONDS = 2;

function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return s % 60 ? `${m}m${s % 60}s` : `${m}m0s`;
}

function rv(pod: Pod | undefined): bigint {
  try {
    return BigInt(pod?.metadata.resourceVersion ?? '0');
  } catch {
    return 0n;
  }
}

function fieldPath(kind: ContainerKind, name: string): string {
  return kind === 'init' ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

type SyncResult = { requeueAfterMs?: number; forget?: boolean };

export class PodWorker {
  constructor(private readonly d: PodWorkerDeps) {}

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fp?: string): void {
    this.d.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, type, reason, message, fp);
  }

  async sync(rec: PodRecord): Promise<SyncResult> {
    const pod = rec.pod;
    const all = await this.d.runtime.listContainers(rec.uid);
    if (!pod || pod.spec.nodeName !== this.d.node) {
      await this.cleanup(rec, all);
      return { forget: !pod };
    }
    if (pod.metadata.deletionTimestamp) return this.terminate(rec, pod, all);
    // Our own last write may be newer than the informer's copy: a finished pod must never start again.
    const phase = rec.sent && rec.sent.rv > rv(pod) ? rec.sent.status.phase : pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      await this.stopFinished(pod, all);
      return {};
    }
    return this.syncRunning(rec, pod, all);
  }

  // ---- the normal path ----

  private async syncRunning(rec: PodRecord, pod: Pod, all: RuntimeContainer[]): Promise<SyncResult> {
    const id = podIdentity(this.d.cluster, this.d.node, pod);
    const now = Date.now();
    let requeue = Infinity;
    const wake = (ms: number) => (requeue = Math.min(requeue, Math.max(0, ms)));
    let podFailure: { reason: string; message: string } | undefined;

    const startTime = pod.status?.startTime ? Date.parse(pod.status.startTime) : now;
    const deadline = pod.spec.activeDeadlineSeconds;
    if (deadline && now - startTime >= deadline * 1000) {
      podFailure = { reason: 'DeadlineExceeded', message: `Pod was active on the node longer than the specified deadline` };
      this.event(pod, 'Normal', 'DeadlineExceeded', podFailure.message);
      await this.killAll(pod, all, pod.spec.terminationGracePeriodSeconds ?? 30);
      await this.writeStatus(rec, pod, await this.d.runtime.listContainers(rec.uid), podFailure);
      return {};
    } else if (deadline) wake(startTime + deadline * 1000 - now);

    const vplan = planVolumes(pod, id);
    if (vplan.error) {
      this.event(pod, 'Warning', 'FailedMount', `Unable to attach or mount volumes: ${vplan.error}`);
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) rec.waiting.set(c.name, { reason: 'ContainerCreating', message: vplan.error });
      await this.writeStatus(rec, pod, all);
      return { requeueAfterMs: 10_000 };
    }

    // ---- sandbox ----
    const sandboxes = all.filter((r) => r.kind === 'sandbox');
    let sandbox: RuntimeContainer | undefined = sandboxes[0];
    let changed = false;
    if (!sandbox || !isRunning(sandbox) || !sandbox.ips[this.d.network]) {
      const policy = pod.spec.restartPolicy ?? 'Always';
      if (sandbox && policy === 'Never' && all.some((r) => r.kind === 'app')) {
        // kube: a Never pod whose containers already ran is not restarted in a new sandbox;
        // it finishes with what it has.
        await this.killAll(pod, all, pod.spec.terminationGracePeriodSeconds ?? 30);
        const view = await this.d.runtime.listContainers(rec.uid);
        await this.writeStatus(rec, pod, view, undefined, true);
        return {};
      }
      if (sandbox) {
        this.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
        await this.killAll(pod, all, pod.spec.terminationGracePeriodSeconds ?? 30);
      }
      const res = await this.createSandbox(rec, pod, id, vplan.volumes, sandbox ? sandbox.attempt + 1 : 0);
      if ('error' in res) {
        for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) rec.waiting.set(c.name, { reason: 'ContainerCreating', message: res.error });
        await this.writeStatus(rec, pod, await this.d.runtime.listContainers(rec.uid));
        return { requeueAfterMs: res.retryMs };
      }
      sandbox = res.sandbox;
      changed = true;
    } else if (now - rec.volumesCheckedAt >= this.d.volumeRefreshMs) {
      await this.refreshVolumes(rec, pod, sandbox, vplan.volumes);
    }
    for (const [name, w] of rec.waiting) if (w.reason === 'ContainerCreating') rec.waiting.delete(name);
    if (vplan.volumes.some((v) => v.kind !== 'emptyDir' && v.kind !== 'hostPath')) wake(rec.volumesCheckedAt + this.d.volumeRefreshMs - now);
    const podIP = sandbox.ips[this.d.network];
    const ctx: ProjectionContext = { sources: this.d.sources, podIP, hostIP: this.d.hostIP(), allocatable: this.d.allocatable };
    const sb = sandbox;

    // ---- init containers ----
    const policy = pod.spec.restartPolicy ?? 'Always';
    let initPending = false;
    for (const ic of pod.spec.initContainers ?? []) {
      const insts = all.filter((r) => r.kind === 'init' && r.name === ic.name);
      const cur = insts.filter((r) => r.sandboxId === sb.id);
      let latest: RuntimeContainer | undefined = cur[0];
      if (latest && isTerminated(latest) && latest.exitCode === 0) continue;
      initPending = true;
      if (latest && isRunning(latest)) break;
      if (latest && latest.state === 'created' && !latest.error) {
        await this.d.runtime.remove(latest.id);
        latest = undefined;
      }
      const nextAttempt = insts[0] ? insts[0].attempt + 1 : 0;
      if (latest && isTerminated(latest)) {
        if (policy === 'Never') break;
        const key = `${rec.uid}/init/${ic.name}`;
        const wait = this.d.crashBackoff.remaining(key, latest.finishedMs || latest.created);
        if (wait > 0) {
          rec.waiting.set(ic.name, { reason: 'CrashLoopBackOff', message: `back-off ${fmtDuration(this.d.crashBackoff.get(key))} restarting failed container=${ic.name} pod=${pod.metadata.name}_${id.namespace}(${rec.uid})` });
          this.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${ic.name} in pod ${pod.metadata.name}_${id.namespace}(${rec.uid})`, fieldPath('init', ic.name));
          wake(wait);
          break;
        }
        this.d.crashBackoff.next(key);
      }
      const r = await this.startContainer(rec, pod, id, ic, 'init', nextAttempt, sb, vplan.volumes, ctx);
      if (r.retryMs !== undefined) wake(r.retryMs);
      changed = true;
      break;
    }

    // ---- app containers ----
    if (!initPending) {
      for (const c of pod.spec.containers) {
        const insts = all.filter((r) => r.kind === 'app' && r.name === c.name);
        let latest: RuntimeContainer | undefined = insts[0];
        const inSandbox = !!latest && latest.sandboxId === sb.id;
        const key = `${rec.uid}/app/${c.name}`;
        let skipBackoff = false;
        if (latest && isRunning(latest) && inSandbox) {
          const hash = containerSpecHash(c);
          const failure = this.d.probes.failure(latest.id);
          if (latest.specHash && latest.specHash !== hash) {
            this.event(pod, 'Normal', 'Killing', `Container ${c.name} definition changed, will be restarted`, fieldPath('app', c.name));
            await this.killContainer(pod, c, latest, pod.spec.terminationGracePeriodSeconds ?? 30, podIP);
            skipBackoff = true;
            latest = await this.d.runtime.inspect(latest.id);
            changed = true;
          } else if (failure) {
            const what = failure.kind === 'startup' ? 'startup' : 'liveness';
            this.event(pod, 'Normal', 'Killing', `Container ${c.name} failed ${what} probe, will be restarted`, fieldPath('app', c.name));
            const grace = this.d.probes.probeGrace(latest.id, failure.kind) ?? pod.spec.terminationGracePeriodSeconds ?? 30;
            await this.killContainer(pod, c, latest, grace, podIP);
            latest = await this.d.runtime.inspect(latest.id);
            changed = true;
          } else {
            this.ensureProbes(rec, pod, c, latest, podIP);
            rec.waiting.delete(c.name);
            continue;
          }
        }
        if (latest && latest.state === 'created' && !latest.error) {
          // Created but never started (a kubelet stopped half-way): start over with a new container.
          await this.d.runtime.remove(latest.id);
          latest = insts[1];
        }
        const nextAttempt = insts[0] ? insts[0].attempt + 1 : 0;
        if (latest && isTerminated(latest) && latest.sandboxId === sb.id && !skipBackoff) {
          const failed = latest.exitCode !== 0 || latest.oomKilled || !!latest.error;
          const restart = policy === 'Always' || (policy === 'OnFailure' && failed);
          if (!restart) {
            rec.waiting.delete(c.name);
            continue;
          }
          const wait = this.d.crashBackoff.remaining(key, latest.finishedMs || latest.created);
          if (wait > 0) {
            rec.waiting.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off ${fmtDuration(this.d.crashBackoff.get(key))} restarting failed container=${c.name} pod=${pod.metadata.name}_${id.namespace}(${rec.uid})` });
            this.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${pod.metadata.name}_${id.namespace}(${rec.uid})`, fieldPath('app', c.name));
            wake(wait);
            continue;
          }
          this.d.crashBackoff.next(key);
        }
        const r = await this.startContainer(rec, pod, id, c, 'app', nextAttempt, sb, vplan.volumes, ctx);
        if (r.retryMs !== undefined) wake(r.retryMs);
        changed = true;
      }
    }

    const view = changed ? await this.d.runtime.listContainers(rec.uid) : all;
    // Probe workers live exactly as long as their container instance runs.
    this.d.probes.retain(new Set(view.filter((r) => r.kind === 'app' && isRunning(r)).map((r) => r.id)), rec.uid);
    await this.readTerminationMessages(rec, pod, view);
    const status = await this.writeStatus(rec, pod, view, podFailure);
    if (status && (status.phase === 'Succeeded' || status.phase === 'Failed')) await this.stopFinished(pod, view);
    await this.gc(view);
    return { requeueAfterMs: Number.isFinite(requeue) ? requeue : undefined };
  }

  private ensureProbes(rec: PodRecord, pod: Pod, c: Container, r: RuntimeContainer, podIP: string | undefined): void {
    if (!c.livenessProbe && !c.readinessProbe && !c.startupProbe) return;
    // A container the previous kubelet already saw ready stays ready until a probe says otherwise.
    const prev = pod.status?.containerStatuses?.find((s) => s.name === c.name);
    const initialReady = !!prev && prev.ready && prev.containerID === `docker://${r.id}`;
    this.d.probes.ensure({ podUid: rec.uid, containerId: r.id, container: c, podIP, startedAt: r.startedMs || Date.now() }, initialReady);
  }

  // ---- sandbox and volumes ----

  private dnsConfig(pod: Pod, namespace: string): Pick<NonNullable<ContainerCreateOptions['HostConfig']>, 'Dns' | 'DnsSearch' | 'DnsOptions'> {
    const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
    const cfg = pod.spec.dnsConfig as { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] } | undefined;
    const opts = (cfg?.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name));
    if (policy === 'None') return { Dns: cfg?.nameservers ?? [], DnsSearch: cfg?.searches ?? [], DnsOptions: opts };
    if ((policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') && this.d.dns.clusterDNS?.length) {
      const dom = this.d.dns.clusterDomain;
      return {
        Dns: [...this.d.dns.clusterDNS, ...(cfg?.nameservers ?? [])],
        DnsSearch: [`${namespace}.svc.${dom}`, `svc.${dom}`, dom, ...(cfg?.searches ?? [])],
        DnsOptions: ['ndots:5', ...opts],
      };
    }
    return cfg ? { Dns: cfg.nameservers ?? [], DnsSearch: cfg.searches ?? [], DnsOptions: opts } : {};
  }

  private async createSandbox(rec: PodRecord, pod: Pod, id: PodIdentity, volumes: PlannedVolume[], attempt: number): Promise<{ sandbox: RuntimeContainer } | { error: string; retryMs: number }> {
    const pauseId = await this.d.runtime.imageId(this.d.pauseImage);
    if (!pauseId) {
      const error = `pause image "${this.d.pauseImage}" is not present on the node`;
      this.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${error}`);
      return { error, retryMs: 10_000 };
    }
    // Volume contents first: a missing ConfigMap or Secret keeps the pod in ContainerCreating.
    const ctx: ProjectionContext = { sources: this.d.sources, hostIP: this.d.hostIP(), allocatable: this.d.allocatable };
    const payloads = new Map<string, Awaited<ReturnType<typeof volumeFiles>>>();
    for (const v of volumes) {
      if (v.kind === 'emptyDir' || v.kind === 'hostPath') continue;
      const spec = pod.spec.volumes!.find((x) => x.name === v.name)!;
      const files = await volumeFiles(pod, spec, ctx);
      if (!Array.isArray(files)) {
        const error = `MountVolume.SetUp failed for volume "${v.name}" : ${files.error}`;
        this.event(pod, 'Warning', 'FailedMount', error);
        return { error, retryMs: 5_000 };
      }
      payloads.set(v.name, files);
    }
    for (const v of volumes) await this.d.runtime.createVolume(v.dockerName, v.labels, v.memory ? { sizeBytes: v.tmpfsBytes } : undefined);
    const hostname = (pod.spec.hostname ?? pod.metadata.name!).slice(0, 63).replace(/\.+$/, '');
    const subdomain = pod.spec.subdomain as string | undefined;
    const aliases = (pod.spec.hostAliases as { ip: string; hostnames?: string[] }[] | undefined) ?? [];
    const opts: ContainerCreateOptions = {
      name: dockerContainerName(id, SANDBOX_NAME, attempt),
      Image: this.d.pauseImage,
      Hostname: hostname,
      ...(subdomain ? { Domainname: `${subdomain}.${id.namespace}.svc.${this.d.dns.clusterDomain}` } : {}),
      Labels: containerLabels(id, SANDBOX_NAME, 'sandbox', attempt, ''),
      HostConfig: {
        NetworkMode: this.d.network,
        RestartPolicy: { Name: 'no' },
        IpcMode: 'shareable',
        CpuShares: 2,
        Mounts: volumes.filter((v) => v.kind !== 'hostPath').map((v) => ({ Type: 'volume' as const, Source: v.dockerName, Target: `${SANDBOX_VOLUME_ROOT}/${v.name}` })),
        ExtraHosts: aliases.flatMap((a) => (a.hostnames ?? []).map((h) => `${h}:${a.ip}`)),
        ...this.dnsConfig(pod, id.namespace),
      },
      NetworkingConfig: { EndpointsConfig: { [this.d.network]: {} } },
    };
    let sandboxId: string;
    try {
      sandboxId = await this.createNamed(opts);
      for (const [name, files] of payloads) {
        await writeVolumeFiles(this.d.runtime, sandboxId, name, files as Exclude<typeof files, { error: string }>);
        rec.volumeHashes.set(name, filesHash(files as Exclude<typeof files, { error: string }>));
      }
      rec.volumesCheckedAt = Date.now();
      await this.d.runtime.start(sandboxId);
    } catch (e) {
      const error = (e as Error).message;
      this.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${error}`);
      return { error, retryMs: 5_000 };
    }
    const sb = await this.d.runtime.inspect(sandboxId);
    if (!sb || !sb.ips[this.d.network]) return { error: `sandbox of pod ${id.namespace}/${id.pod} has no address on network ${this.d.network}`, retryMs: 2_000 };
    return { sandbox: sb };
  }

  /** Creates a container; a leftover of the same name (a create that raced a crash) is replaced. */
  private async createNamed(opts: ContainerCreateOptions): Promise<string> {
    try {
      return await this.d.runtime.create(opts);
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 409 || !opts.name) throw e;
      await this.d.runtime.remove(opts.name);
      return this.d.runtime.create(opts);
    }
  }

  private async refreshVolumes(rec: PodRecord, pod: Pod, sandbox: RuntimeContainer, volumes: PlannedVolume[]): Promise<void> {
    rec.volumesCheckedAt = Date.now();
    const ctx: ProjectionContext = { sources: this.d.sources, podIP: sandbox.ips[this.d.network], hostIP: this.d.hostIP(), allocatable: this.d.allocatable };
    for (const v of volumes) {
      if (v.kind === 'emptyDir' || v.kind === 'hostPath') continue;
      const spec = pod.spec.volumes!.find((x) => x.name === v.name)!;
      const files = await volumeFiles(pod, spec, ctx);
      if (!Array.isArray(files)) continue; // a source that vanished leaves the last payload, as in kube
      const h = filesHash(files);
      if (rec.volumeHashes.get(v.name) === h) continue;
      try {
        await writeVolumeFiles(this.d.runtime, sandbox.id, v.name, files);
        rec.volumeHashes.set(v.name, h);
      } catch (e) {
        this.d.log(`kubelet: updating volume ${v.name} of pod ${pod.metadata.namespace}/${pod.metadata.name}: ${(e as Error).message}`);
      }
    }
  }

  // ---- containers ----

  private async startContainer(rec: PodRecord, pod: Pod, id: PodIdentity, c: Container, kind: ContainerKind, attempt: number, sandbox: RuntimeContainer, volumes: PlannedVolume[], ctx: ProjectionContext): Promise<{ retryMs?: number }> {
    const fp = fieldPath(kind, c.name);
    const img = await this.d.images.ensure(c, `${rec.uid}/${c.image}`, (type, reason, message) => this.event(pod, type, reason, message, fp));
    if (!img.ok) {
      rec.waiting.set(c.name, { reason: img.reason, message: img.message });
      // Show ErrImagePull briefly, then ImagePullBackOff until the back-off ends.
      return { retryMs: img.reason === 'ErrImagePull' ? Math.min(img.retryAfterMs, 1000) : img.retryAfterMs };
    }
    const configError = (message: string) => {
      rec.waiting.set(c.name, { reason: 'CreateContainerConfigError', message });
      this.event(pod, 'Warning', 'Failed', `Error: ${message}`, fp);
      return { retryMs: 5_000 };
    };
    const env = await buildEnv(c, { pod, podIP: ctx.podIP, hostIP: ctx.hostIP, serviceEnv: serviceEnvVars(this.d.services(), pod), nodeAllocatable: this.d.allocatable }, this.d.sources);
    if ('error' in env) return configError(env.error);
    const mounts = await planMounts(pod, c, volumes, ctx);
    if ('error' in mounts) return configError(mounts.error);
    const { command, args } = expandCommand(c, env.env);
    const sc = { ...((pod.spec.securityContext as Record<string, unknown>) ?? {}), ...((c.securityContext as Record<string, unknown>) ?? {}) } as {
      runAsUser?: number;
      runAsGroup?: number;
      privileged?: boolean;
      readOnlyRootFilesystem?: boolean;
      capabilities?: { add?: string[]; drop?: string[] };
    };
    const user = sc.runAsUser !== undefined ? `${sc.runAsUser}${sc.runAsGroup !== undefined ? `:${sc.runAsGroup}` : ''}` : undefined;
    const opts: ContainerCreateOptions = {
      name: dockerContainerName(id, c.name, attempt),
      Image: c.image,
      ...(command ? { Entrypoint: command } : {}),
      ...(args ? { Cmd: args } : command ? { Cmd: [] } : {}),
      Env: env.env.map((e) => `${e.name}=${e.value}`),
      ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
      ...(user ? { User: user } : {}),
      Tty: !!c.tty,
      OpenStdin: !!c.stdin,
      StdinOnce: !!c.stdinOnce,
      Labels: {
        ...containerLabels(id, c.name, kind, attempt, containerSpecHash(c), sandbox.id),
        [LABEL_TERMINATION_MESSAGE_PATH]: c.terminationMessagePath ?? '/dev/termination-log',
      },
      HostConfig: {
        NetworkMode: `container:${sandbox.id}`,
        IpcMode: `container:${sandbox.id}`,
        ...(pod.spec.shareProcessNamespace ? { PidMode: `container:${sandbox.id}` } : {}),
        RestartPolicy: { Name: 'no' },
        Mounts: mounts.mounts,
        ...dockerResources(c),
        ...(sc.privileged ? { Privileged: true } : {}),
        ...(sc.readOnlyRootFilesystem ? { ReadonlyRootfs: true } : {}),
        ...(sc.capabilities?.add?.length ? { CapAdd: sc.capabilities.add } : {}),
        ...(sc.capabilities?.drop?.length ? { CapDrop: sc.capabilities.drop } : {}),
      },
    };
    let containerId: string;
    try {
      containerId = await this.createNamed(opts);
    } catch (e) {
      const message = (e as Error).message;
      rec.waiting.set(c.name, { reason: 'CreateContainerError', message });
      this.event(pod, 'Warning', 'Failed', `Error: ${message}`, fp);
      return { retryMs: 5_000 };
    }
    for (const copy of mounts.copies) await this.copyInto(containerId, copy.target, copy.files);
    this.event(pod, 'Normal', 'Created', `Created container ${c.name}`, fp);
    rec.waiting.delete(c.name);
    try {
      await this.d.runtime.start(containerId);
    } catch (e) {
      // The container stays "created" with Docker's error: the next pass reports StartError and
      // restarts it with back-off, as kube does for RunContainerError.
      this.event(pod, 'Warning', 'Failed', `Error: failed to start container "${c.name}": ${(e as Error).message}`, fp);
      return { retryMs: 0 };
    }
    this.event(pod, 'Normal', 'Started', `Started container ${c.name}`, fp);
    if (c.lifecycle?.postStart) {
      const out = await runHook(this.d.runtime, c.lifecycle.postStart, { containerId, container: c, podIP: ctx.podIP }, (pod.spec.terminationGracePeriodSeconds ?? 30) * 1000);
      if (!out.ok) {
        this.event(pod, 'Warning', 'FailedPostStartHook', `PostStartHook failed: ${out.message}`, fp);
        await this.d.runtime.stop(containerId, MIN_GRACE_SECONDS);
        return { retryMs: 0 };
      }
    }
    return {};
  }

  private async copyInto(containerId: string, target: string, files: Parameters<typeof copyEntries>[1]): Promise<void> {
    const parent = target.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';
    try {
      await this.d.runtime.putArchive(containerId, parent, makeTar(copyEntries(target, files, parent)));
    } catch (e) {
      if (!isDockerNotFound(e) || parent === '/') throw e;
      await this.d.runtime.putArchive(containerId, '/', makeTar(copyEntries(target, files, '/')));
    }
  }

  /** preStop hook, then docker stop with what is left of the grace period (at least 2 s). */
  private async killContainer(pod: Pod, c: Container | undefined, r: RuntimeContainer, graceSeconds: number, podIP: string | undefined): Promise<void> {
    if (!isRunning(r)) return;
    const t0 = Date.now();
    if (c?.lifecycle?.preStop && graceSeconds > 0) {
      const out = await runHook(this.d.runtime, c.lifecycle.preStop, { containerId: r.id, container: c, podIP }, graceSeconds * 1000);
      if (!out.ok) this.event(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${out.message}`, fieldPath(r.kind, r.name));
    }
    const left = Math.max(MIN_GRACE_SECONDS, graceSeconds - (Date.now() - t0) / 1000);
    await this.d.runtime.stop(r.id, left);
  }

  private specOf(pod: Pod, r: RuntimeContainer): Container | undefined {
    return r.kind === 'init' ? pod.spec.initContainers?.find((c) => c.name === r.name) : pod.spec.containers.find((c) => c.name === r.name);
  }

  /** Kills every running container of the pod (not the sandbox) in parallel. */
  private async killAll(pod: Pod, all: RuntimeContainer[], graceSeconds: number): Promise<void> {
    const podIP = all.find((r) => r.kind === 'sandbox' && isRunning(r))?.ips[this.d.network];
    await Promise.all(
      all
        .filter((r) => r.kind !== 'sandbox' && isRunning(r))
        .map((r) => {
          this.event(pod, 'Normal', 'Killing', `Stopping container ${r.name}`, fieldPath(r.kind, r.name));
          return this.killContainer(pod, this.specOf(pod, r), r, graceSeconds, podIP).catch((e) => this.d.log(`kubelet: stopping ${r.dockerName}: ${(e as Error).message}`));
        }),
    );
  }

  private async stopSandboxes(all: RuntimeContainer[]): Promise<void> {
    await Promise.all(all.filter((r) => r.kind === 'sandbox' && isRunning(r)).map((r) => this.d.runtime.stop(r.id, 0)));
  }

  /** A finished pod keeps its containers (for logs) but nothing of it runs. */
  private async stopFinished(pod: Pod, all: RuntimeContainer[]): Promise<void> {
    if (!all.some((r) => isRunning(r))) return;
    await this.killAll(pod, all, pod.spec.terminationGracePeriodSeconds ?? 30);
    await this.stopSandboxes(all);
    this.d.probes.retain(new Set(), pod.metadata.uid);
  }

  /** Keeps the two newest instances of each container (current + previous, for logs --previous). */
  private async gc(all: RuntimeContainer[]): Promise<void> {
    const seen = new Map<string, number>();
    for (const r of all) {
      const k = `${r.kind}/${r.name}`;
      const n = (seen.get(k) ?? 0) + 1;
      seen.set(k, n);
      const keep = r.kind === 'sandbox' ? 1 : 2;
      if (n > keep && !isRunning(r)) await this.d.runtime.remove(r.id).catch(() => {});
    }
  }

  private async readTerminationMessages(rec: PodRecord, pod: Pod, all: RuntimeContainer[]): Promise<void> {
    for (const r of all) {
      if (r.kind === 'sandbox' || !isTerminated(r) || rec.messages.has(r.id)) continue;
      const c = this.specOf(pod, r);
      let msg = '';
      if (c?.terminationMessagePolicy === 'FallbackToLogsOnError' && r.exitCode !== 0) {
        try {
          const buf = (await this.d.runtime.docker.getContainer(r.id).logs({ stdout: true, stderr: true, tail: 80, follow: false })) as unknown as Buffer;
          const text = r.tty ? buf.toString('utf8') : Buffer.concat(demuxAll(buf).map((f) => f.payload)).toString('utf8');
          msg = text.slice(-2048);
        } catch {
          msg = '';
        }
      }
      rec.messages.set(r.id, msg);
    }
    // Forget messages of removed containers.
    const ids = new Set(all.map((r) => r.id));
    for (const k of [...rec.messages.keys()]) if (!ids.has(k)) rec.messages.delete(k);
  }

  // ---- status ----

  private async writeStatus(rec: PodRecord, pod: Pod, all: RuntimeContainer[], podFailure?: { reason: string; message: string }, terminal = false): Promise<PodStatus | undefined> {
    const sandbox = all.find((r) => r.kind === 'sandbox');
    const podIP = sandbox?.ips[this.d.network];
    const base = rec.sent && rec.sent.rv > rv(pod) ? rec.sent.status : pod.status;
    const podForStatus: Pod = { ...pod, status: base };
    const status = computePodStatus({
      pod: podForStatus,
      hostIP: this.d.hostIP(),
      podIP,
      sandboxReady: !!sandbox && isRunning(sandbox) && !!podIP,
      currentSandboxId: sandbox?.id,
      instances: (name) => all.filter((r) => r.kind !== 'sandbox' && r.name === name),
      waiting: rec.waiting,
      ready: (cid, c) => this.d.probes.ready(cid, c),
      started: (cid, c) => this.d.probes.started(cid, c),
      messages: new Map([...rec.messages].filter(([, m]) => !!m)),
      podFailure,
      terminal,
      now: new Date(),
    });
    const patch = statusPatch(base, status, stableStringify);
    if (!patch) return status;
    try {
      const res = await this.d.client.patch<Pod>('pods', pod.metadata.namespace, pod.metadata.name!, { status: patch }, 'merge', 'status');
      if (res.metadata.uid === rec.uid) rec.sent = { status: res.status ?? status, rv: rv(res) };
    } catch (e) {
      if (isNotFound(e)) return status;
      throw e;
    }
    return status;
  }

  // ---- termination ----

  private async terminate(rec: PodRecord, pod: Pod, all: RuntimeContainer[]): Promise<SyncResult> {
    rec.terminating = true;
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    await this.killAll(pod, all, grace);
    await this.stopSandboxes(all);
    this.d.probes.retain(new Set(), rec.uid);
    // The final status shows every container terminated, as kube's status manager writes it.
    const view = await this.d.runtime.listContainers(rec.uid);
    await this.readTerminationMessages(rec, pod, view);
    try {
      rec.waiting.clear();
      await this.writeStatus(rec, pod, view, undefined, true);
    } catch (e) {
      this.d.log(`kubelet: final status of ${pod.metadata.namespace}/${pod.metadata.name}: ${(e as Error).message}`);
    }
    await this.removeAll(rec.uid, view);
    try {
      await this.d.client.delete('pods', pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: rec.uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
    return {};
  }

  /** Immediately kills a terminating pod's containers (a later delete shortened the grace period). */
  async expedite(uid: string): Promise<void> {
    const all = await this.d.runtime.listContainers(uid);
    await Promise.all(all.filter((r) => r.kind !== 'sandbox' && isRunning(r)).map((r) => this.d.runtime.stop(r.id, 0).catch(() => {})));
  }

  /** The pod is gone from the API (or bound elsewhere): nothing of it may remain. */
  private async cleanup(rec: PodRecord, all: RuntimeContainer[]): Promise<void> {
    const pod = rec.lastPod;
    if (pod) await this.killAll(pod, all, Math.min(MIN_GRACE_SECONDS, pod.spec.terminationGracePeriodSeconds ?? MIN_GRACE_SECONDS));
    else await Promise.all(all.filter((r) => isRunning(r) && r.kind !== 'sandbox').map((r) => this.d.runtime.stop(r.id, MIN_GRACE_SECONDS)));
    await this.stopSandboxes(all);
    this.d.probes.retain(new Set(), rec.uid);
    await this.removeAll(rec.uid, await this.d.runtime.listContainers(rec.uid));
    this.d.crashBackoff.resetPrefix(`${rec.uid}/`);
  }

  private async removeAll(uid: string, all: RuntimeContainer[]): Promise<void> {
    // Containers first (sandbox last: the others join its namespaces), then the pod's volumes.
    await Promise.all(all.filter((r) => r.kind !== 'sandbox').map((r) => this.d.runtime.remove(r.id)));
    await Promise.all(all.filter((r) => r.kind === 'sandbox').map((r) => this.d.runtime.remove(r.id)));
    for (const v of await this.d.runtime.listVolumes(uid)) {
      await this.d.runtime.removeVolume(v.name).catch((e) => this.d.log(`kubelet: removing volume ${v.name}: ${(e as Error).message}`));
    }
  }
}
