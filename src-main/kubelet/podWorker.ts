import type { ContainerCreateOptions } from 'dockerode';
import type { Clock } from '../api/clock.js';
import type { Logger } from '../api/log.js';
import type { Container, Pod, PodStatus, Service } from '../api/types.js';
import { isConflict, isNotFound, type ApiClient } from '../client/apiClient.js';
import type { EventRecorder } from '../client/eventRecorder.js';
import type { Backoff } from './backoff.js';
import { buildEnv, expandCommand, serviceEnvVars, type EnvSources } from './env.js';
import { MIN_GRACE_SECONDS, terminationGraceSeconds } from './grace.js';
import type { ImageManager } from './images.js';
import { LABEL_TERMINATION_MESSAGE_PATH, SANDBOX_NAME, containerLabels, containerSpecHash, dockerContainerName, podIdentity, stableStringify, type ContainerKind, type PodIdentity } from './labels.js';
import { computePodActions, containersToCollect, crashBackoffPrefix, fieldPath, podResourceVersion, type PodActions, type PodEvent, type PodFailure, type ProbeFailure } from './podActions.js';
import { runHook, type ProbeManager } from './probes.js';
import { dockerResources } from './resources.js';
import { isDockerNotFound, type ContainerRuntime, type RuntimeContainer } from './runtime.js';
import { computePodStatus, isRunning, isTerminated, statusPatch, type Waiting } from './status.js';
import { makeTar } from './tar.js';
import { SANDBOX_VOLUME_ROOT, copyEntries, filesHash, planMounts, planVolumes, volumeFiles, writeVolumeFiles, type PlannedVolume, type ProjectionContext } from './volumes.js';

// One pod's reconciliation (kube's kuberuntime_manager SyncPod + the status manager), run by the
// kubelet's work queue, never twice at once for the same pod uid. Each pass reads the pod's
// containers from the runtime (labels carry everything), asks computePodActions (podActions.ts)
// what to do, carries the plan out through the ContainerRuntime, and writes the status when it
// changed. Decisions live in the plan; what stays here is how: creating sandboxes and
// containers (images, env, mounts, hooks), stopping them within a grace period, volume
// contents, termination messages, the status write and the final DELETE of a terminated pod.

export interface DnsOptions {
  /** Cluster DNS server IPs for dnsPolicy ClusterFirst (none: Docker's embedded DNS only). */
  clusterDNS?: string[];
  clusterDomain: string;
}

/**
 * What must happen to a new sandbox's network namespace before the pod's containers start, beyond
 * what Docker does (kube-proxy's Service rules: an app never runs where a ClusterIP does not work).
 */
export interface PodNetwork {
  sandboxReady(sandboxId: string): Promise<void>;
}

export interface PodWorkerDeps {
  /** Status writes and the final delete of a terminated pod. */
  client: Pick<ApiClient, 'patch' | 'delete'>;
  runtime: ContainerRuntime;
  images: ImageManager;
  /** Probe workers and results (ProbeManager). */
  probes: Pick<ProbeManager, 'ensure' | 'retain' | 'failure' | 'probeGrace' | 'ready' | 'started'>;
  recorder: Pick<EventRecorder, 'event'>;
  crashBackoff: Backoff;
  clock: Clock;
  sources: EnvSources;
  services(): Service[];
  cluster: string;
  node: string;
  network: string;
  pauseImage: string;
  hostIP(): string | undefined;
  allocatable: Record<string, string>;
  dns: DnsOptions;
  podNetwork?: PodNetwork;
  volumeRefreshMs: number;
  /** The kubelet's logger. */
  log: Logger;
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

type SyncResult = { requeueAfterMs?: number; forget?: boolean };

export class PodWorker {
  constructor(private readonly d: PodWorkerDeps) {}

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string, fp?: string): void {
    this.d.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, type, reason, message, fp);
  }

  private record(pod: Pod, e: PodEvent): void {
    this.event(pod, e.type, e.reason, e.message, e.fieldPath);
  }

  async sync(rec: PodRecord): Promise<SyncResult> {
    const all = await this.d.runtime.listContainers(rec.uid);
    const pod = rec.pod;
    const volumes = pod ? planVolumes(pod, podIdentity(this.d.cluster, this.d.node, pod)) : { volumes: [] };
    const plan = computePodActions({
      uid: rec.uid,
      pod,
      lastPod: rec.lastPod,
      sent: rec.sent,
      node: this.d.node,
      network: this.d.network,
      containers: all,
      probeFailures: this.probeFailures(all),
      backoff: this.d.crashBackoff,
      volumes,
      volumesCheckedAt: rec.volumesCheckedAt,
      volumeRefreshMs: this.d.volumeRefreshMs,
      waiting: rec.waiting,
      now: this.d.clock.now(),
    });
    switch (plan.kind) {
      case 'cleanup':
        await this.cleanup(rec, all, plan.graceSeconds);
        return { forget: plan.forget };
      case 'terminate':
        return this.terminate(rec, pod!, all, plan.graceSeconds);
      case 'stopFinished':
        await this.stopFinished(pod!, all, plan.graceSeconds);
        return {};
      case 'sync':
        return this.syncRunning(rec, pod!, all, plan.actions, volumes.volumes);
    }
  }

  /** Failed liveness/startup probes of the pod's running containers. */
  private probeFailures(all: RuntimeContainer[]): Map<string, ProbeFailure> {
    const out = new Map<string, ProbeFailure>();
    for (const r of all) {
      if (r.kind !== 'app' || !isRunning(r)) continue;
      const f = this.d.probes.failure(r.id);
      if (f && f.kind !== 'readiness') out.set(r.id, { kind: f.kind, graceSeconds: this.d.probes.probeGrace(r.id, f.kind) });
    }
    return out;
  }

  // ---- the normal path: carry out the plan ----

  private async syncRunning(rec: PodRecord, pod: Pod, all: RuntimeContainer[], a: PodActions, volumes: PlannedVolume[]): Promise<SyncResult> {
    const id = podIdentity(this.d.cluster, this.d.node, pod);
    let requeue = a.requeueAfterMs ?? Infinity;
    const wake = (ms: number) => (requeue = Math.min(requeue, Math.max(0, ms)));
    const everyContainer = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    for (const e of a.events) this.record(pod, e);

    if (a.killPod) await this.killAll(pod, all, a.killPod.graceSeconds);
    if (a.finish) {
      await this.writeStatus(rec, pod, await this.d.runtime.listContainers(rec.uid), a.finish.podFailure, a.finish.terminal);
      return {};
    }
    if (a.volumeError !== undefined) {
      for (const c of everyContainer) rec.waiting.set(c.name, { reason: 'ContainerCreating', message: a.volumeError });
      await this.writeStatus(rec, pod, all);
      return { requeueAfterMs: a.requeueAfterMs };
    }

    // ---- sandbox ----
    let sandbox = all.find((r) => r.kind === 'sandbox');
    let changed = false;
    if (a.createSandbox) {
      const res = await this.createSandbox(rec, pod, id, volumes, a.createSandbox.attempt);
      if ('error' in res) {
        for (const c of everyContainer) rec.waiting.set(c.name, { reason: 'ContainerCreating', message: res.error });
        await this.writeStatus(rec, pod, await this.d.runtime.listContainers(rec.uid));
        return { requeueAfterMs: res.retryMs };
      }
      sandbox = res.sandbox;
      changed = true;
    } else if (a.refreshVolumes) {
      await this.refreshVolumes(rec, pod, sandbox!, volumes);
    }
    for (const [name, w] of a.waiting) {
      if (w) rec.waiting.set(name, w);
      else rec.waiting.delete(name);
    }
    const sb = sandbox!;
    const podIP = sb.ips[this.d.network];
    const ctx: ProjectionContext = { sources: this.d.sources, podIP, hostIP: this.d.hostIP(), allocatable: this.d.allocatable };

    // ---- containers: kill, remove leftovers, start ----
    await Promise.all(a.containersToKill.map((k) => this.killContainer(pod, this.specOf(pod, k.kind, k.name), k.id, k.kind, k.name, k.graceSeconds, podIP)));
    for (const cid of a.containersToRemove) await this.d.runtime.remove(cid);
    for (const s of a.containersToStart) {
      const c = this.specOf(pod, s.kind, s.name)!;
      if (s.backoffKey) this.d.crashBackoff.next(s.backoffKey);
      const r = await this.startContainer(rec, pod, id, c, s.kind, s.attempt, sb, volumes, ctx);
      if (r.retryMs !== undefined) wake(r.retryMs);
    }
    for (const k of a.keep) {
      const c = this.specOf(pod, 'app', k.name)!;
      this.d.probes.ensure({ podUid: rec.uid, containerId: k.id, container: c, podIP, startedAt: k.startedAt }, k.initialReady);
    }
    changed ||= a.containersToKill.length > 0 || a.containersToRemove.length > 0 || a.containersToStart.length > 0;

    const view = changed ? await this.d.runtime.listContainers(rec.uid) : all;
    // Probe workers live exactly as long as their container instance runs.
    this.d.probes.retain(new Set(view.filter((r) => r.kind === 'app' && isRunning(r)).map((r) => r.id)), rec.uid);
    await this.readTerminationMessages(rec, pod, view);
    const status = await this.writeStatus(rec, pod, view);
    if (status && (status.phase === 'Succeeded' || status.phase === 'Failed')) await this.stopFinished(pod, view, terminationGraceSeconds(pod));
    for (const cid of containersToCollect(view)) await this.d.runtime.remove(cid).catch(() => {});
    return { requeueAfterMs: Number.isFinite(requeue) ? requeue : undefined };
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

  /**
   * Whether the pod's resolv.conf is the kubelet's to write (ClusterFirst with a cluster DNS, or
   * None): Docker puts its embedded resolver (127.0.0.11, forwarding to the servers given) into
   * the resolv.conf of every container on a user-defined network, where a Kubernetes pod shows
   * `nameserver <kube-dns>` and sends its queries there. With `Default` the pod keeps the node's
   * resolver, which is Docker's.
   */
  private writesResolvConf(pod: Pod): boolean {
    const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
    if (policy === 'None') return true;
    return (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') && !!this.d.dns.clusterDNS?.length;
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
    const published = hostPortBindings(pod);
    const dns = this.dnsConfig(pod, id.namespace);
    const resolvConf = this.writesResolvConf(pod) ? resolvConfText(dns) : undefined;
    const opts: ContainerCreateOptions = {
      name: dockerContainerName(id, SANDBOX_NAME, attempt),
      ...(published ? { ExposedPorts: published.exposed } : {}),
      Image: this.d.pauseImage,
      Hostname: hostname,
      ...(subdomain ? { Domainname: `${subdomain}.${id.namespace}.svc.${this.d.dns.clusterDomain}` } : {}),
      Labels: containerLabels(id, SANDBOX_NAME, 'sandbox', attempt, ''),
      // The sandbox (pause) writes it over Docker's /etc/resolv.conf as it starts; the pod's
      // containers share that file (see writesResolvConf).
      ...(resolvConf ? { Env: [`${RESOLV_CONF_ENV}=${resolvConf}`] } : {}),
      HostConfig: {
        NetworkMode: this.d.network,
        RestartPolicy: { Name: 'no' },
        IpcMode: 'shareable',
        CpuShares: 2,
        Mounts: volumes.filter((v) => v.kind !== 'hostPath').map((v) => ({ Type: 'volume' as const, Source: v.dockerName, Target: `${SANDBOX_VOLUME_ROOT}/${v.name}` })),
        ExtraHosts: aliases.flatMap((a) => (a.hostnames ?? []).map((h) => `${h}:${a.ip}`)),
        ...(published ? { PortBindings: published.bindings } : {}),
        ...dns,
      },
      NetworkingConfig: { EndpointsConfig: { [this.d.network]: {} } },
    };
    let sandboxId: string;
    try {
      sandboxId = await this.d.runtime.create(opts);
      for (const [name, files] of payloads) {
        await writeVolumeFiles(this.d.runtime, sandboxId, name, files as Exclude<typeof files, { error: string }>);
        rec.volumeHashes.set(name, filesHash(files as Exclude<typeof files, { error: string }>));
      }
      rec.volumesCheckedAt = this.d.clock.now();
      await this.d.runtime.start(sandboxId);
    } catch (e) {
      const error = (e as Error).message;
      this.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${error}`);
      return { error, retryMs: 5_000 };
    }
    const sb = await this.d.runtime.inspect(sandboxId);
    if (!sb || !sb.ips[this.d.network]) return { error: `sandbox of pod ${id.namespace}/${id.pod} has no address on network ${this.d.network}`, retryMs: 2_000 };
    try {
      await this.d.podNetwork?.sandboxReady(sandboxId);
    } catch (e) {
      // The proxy's periodic resync programs the namespace later; a pod kept from starting
      // because of it would be worse than a short window without Service rules.
      this.event(pod, 'Warning', 'FailedCreatePodSandBox', `Service rules for the pod sandbox were not programmed: ${(e as Error).message}`);
    }
    return { sandbox: sb };
  }

  private async refreshVolumes(rec: PodRecord, pod: Pod, sandbox: RuntimeContainer, volumes: PlannedVolume[]): Promise<void> {
    rec.volumesCheckedAt = this.d.clock.now();
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
        this.d.log.warn('updating volume failed', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, volume: v.name, err: e });
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
      containerId = await this.d.runtime.create(opts);
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
      // The container stays "created" with the runtime's error: the next pass reports StartError
      // and restarts it with back-off, as kube does for RunContainerError.
      this.event(pod, 'Warning', 'Failed', `Error: failed to start container "${c.name}": ${(e as Error).message}`, fp);
      return { retryMs: 0 };
    }
    this.event(pod, 'Normal', 'Started', `Started container ${c.name}`, fp);
    if (c.lifecycle?.postStart) {
      const out = await runHook(this.d.runtime, c.lifecycle.postStart, { containerId, container: c, podIP: ctx.podIP }, terminationGraceSeconds(pod) * 1000);
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

  /** preStop hook, then stop with what is left of the grace period (at least 2 s). */
  private async killContainer(pod: Pod, c: Container | undefined, containerId: string, kind: ContainerKind, name: string, graceSeconds: number, podIP: string | undefined): Promise<void> {
    const t0 = this.d.clock.now();
    if (c?.lifecycle?.preStop && graceSeconds > 0) {
      const out = await runHook(this.d.runtime, c.lifecycle.preStop, { containerId, container: c, podIP }, graceSeconds * 1000);
      if (!out.ok) this.event(pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${out.message}`, fieldPath(kind, name));
    }
    const left = Math.max(MIN_GRACE_SECONDS, graceSeconds - (this.d.clock.now() - t0) / 1000);
    await this.d.runtime.stop(containerId, left);
  }

  private specOf(pod: Pod, kind: ContainerKind, name: string): Container | undefined {
    return kind === 'init' ? pod.spec.initContainers?.find((c) => c.name === name) : pod.spec.containers.find((c) => c.name === name);
  }

  /** Kills every running container of the pod (not the sandbox) in parallel. */
  private async killAll(pod: Pod, all: RuntimeContainer[], graceSeconds: number): Promise<void> {
    const podIP = all.find((r) => r.kind === 'sandbox' && isRunning(r))?.ips[this.d.network];
    await Promise.all(
      all
        .filter((r) => r.kind !== 'sandbox' && isRunning(r))
        .map((r) => {
          this.event(pod, 'Normal', 'Killing', `Stopping container ${r.name}`, fieldPath(r.kind, r.name));
          return this.killContainer(pod, this.specOf(pod, r.kind, r.name), r.id, r.kind, r.name, graceSeconds, podIP).catch((e) => this.d.log.warn('stopping container failed', { container: r.dockerName, err: e }));
        }),
    );
  }

  private async stopSandboxes(all: RuntimeContainer[]): Promise<void> {
    await Promise.all(all.filter((r) => r.kind === 'sandbox' && isRunning(r)).map((r) => this.d.runtime.stop(r.id, 0)));
  }

  /** A finished pod keeps its containers (for logs) but nothing of it runs. */
  private async stopFinished(pod: Pod, all: RuntimeContainer[], graceSeconds: number): Promise<void> {
    if (!all.some((r) => isRunning(r))) return;
    await this.killAll(pod, all, graceSeconds);
    await this.stopSandboxes(all);
    this.d.probes.retain(new Set(), pod.metadata.uid);
  }

  private async readTerminationMessages(rec: PodRecord, pod: Pod, all: RuntimeContainer[]): Promise<void> {
    for (const r of all) {
      if (r.kind === 'sandbox' || !isTerminated(r) || rec.messages.has(r.id)) continue;
      const c = this.specOf(pod, r.kind, r.name);
      let msg = '';
      if (c?.terminationMessagePolicy === 'FallbackToLogsOnError' && r.exitCode !== 0) {
        try {
          msg = (await this.d.runtime.tailLogs(r.id, 80, r.tty)).slice(-2048);
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

  private async writeStatus(rec: PodRecord, pod: Pod, all: RuntimeContainer[], podFailure?: PodFailure, terminal = false): Promise<PodStatus | undefined> {
    const sandbox = all.find((r) => r.kind === 'sandbox');
    const podIP = sandbox?.ips[this.d.network];
    const base = rec.sent && rec.sent.rv > podResourceVersion(pod) ? rec.sent.status : pod.status;
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
      now: new Date(this.d.clock.now()),
    });
    const patch = statusPatch(base, status, stableStringify);
    if (!patch) return status;
    try {
      const res = await this.d.client.patch<Pod>('pods', pod.metadata.namespace, pod.metadata.name!, { status: patch }, 'merge', 'status');
      if (res.metadata.uid === rec.uid) rec.sent = { status: res.status ?? status, rv: podResourceVersion(res) };
    } catch (e) {
      if (isNotFound(e)) return status;
      throw e;
    }
    return status;
  }

  // ---- termination ----

  private async terminate(rec: PodRecord, pod: Pod, all: RuntimeContainer[], graceSeconds: number): Promise<SyncResult> {
    rec.terminating = true;
    await this.killAll(pod, all, graceSeconds);
    await this.stopSandboxes(all);
    this.d.probes.retain(new Set(), rec.uid);
    // The final status shows every container terminated, as kube's status manager writes it.
    const view = await this.d.runtime.listContainers(rec.uid);
    await this.readTerminationMessages(rec, pod, view);
    try {
      rec.waiting.clear();
      await this.writeStatus(rec, pod, view, undefined, true);
    } catch (e) {
      this.d.log.warn('writing final pod status failed', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, err: e });
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
  private async cleanup(rec: PodRecord, all: RuntimeContainer[], graceSeconds: number): Promise<void> {
    const pod = rec.lastPod;
    if (pod) await this.killAll(pod, all, graceSeconds);
    else await Promise.all(all.filter((r) => isRunning(r) && r.kind !== 'sandbox').map((r) => this.d.runtime.stop(r.id, graceSeconds)));
    await this.stopSandboxes(all);
    this.d.probes.retain(new Set(), rec.uid);
    await this.removeAll(rec.uid, await this.d.runtime.listContainers(rec.uid));
    this.d.crashBackoff.resetPrefix(crashBackoffPrefix(rec.uid));
  }

  private async removeAll(uid: string, all: RuntimeContainer[]): Promise<void> {
    // Containers first (sandbox last: the others join its namespaces), then the pod's volumes.
    await Promise.all(all.filter((r) => r.kind !== 'sandbox').map((r) => this.d.runtime.remove(r.id)));
    await Promise.all(all.filter((r) => r.kind === 'sandbox').map((r) => this.d.runtime.remove(r.id)));
    for (const v of await this.d.runtime.listVolumes(uid)) {
      await this.d.runtime.removeVolume(v.name).catch((e) => this.d.log.warn('removing volume failed', { volume: v.name, err: e }));
    }
  }
}

/**
 * A container port's hostPort as a Docker port binding on the sandbox: pods are sibling containers
 * on the user's engine, so the "host" is the user's computer. Without a hostIP the port is bound
 * on loopback only (127.0.0.1), not on every interface as on a server: a desktop cluster should
 * not open ports to the network unless the manifest asks for it with hostIP.
 */
export function hostPortBindings(pod: Pod): { exposed: Record<string, object>; bindings: Record<string, { HostIp: string; HostPort: string }[]> } | undefined {
  if (pod.spec.hostNetwork) return undefined;
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const c of pod.spec.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      const key = `${p.containerPort}/${(p.protocol ?? 'TCP').toLowerCase()}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: p.hostIP || '127.0.0.1', HostPort: String(p.hostPort) });
    }
  }
  return Object.keys(bindings).length ? { exposed, bindings } : undefined;
}

/** The sandbox image's contract: this variable's value becomes the pod's /etc/resolv.conf. */
export const RESOLV_CONF_ENV = 'FLOTILLA_RESOLV_CONF';

/**
 * A pod's resolv.conf in the layout container runtimes write for kubelet's DNS config (search,
 * nameserver, options). Like kubelet, at most 3 nameservers and 32 search domains.
 */
export function resolvConfText(dns: { Dns?: string[]; DnsSearch?: string[]; DnsOptions?: string[] }): string {
  const lines: string[] = [];
  const search = (dns.DnsSearch ?? []).slice(0, 32);
  if (search.length) lines.push(`search ${search.join(' ')}`);
  for (const ns of (dns.Dns ?? []).slice(0, 3)) lines.push(`nameserver ${ns}`);
  if (dns.DnsOptions?.length) lines.push(`options ${dns.DnsOptions.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
