import type { ContainerCreateOptions } from 'dockerode';
import type { Clock } from '../../src-main/api/clock.js';
import { LABEL_ATTEMPT, LABEL_CONTAINER, LABEL_KIND, LABEL_NAMESPACE, LABEL_POD, LABEL_POD_UID, LABEL_SANDBOX, LABEL_SPEC_HASH, type ContainerKind } from '../../src-main/kubelet/labels.js';
import type { ContainerRuntime, ExecResult, RuntimeContainer } from '../../src-main/kubelet/runtime.js';

// An in-memory ContainerRuntime: a test double for the runtime seam only, so the pod worker's
// real plan and executor run without Docker. It keeps containers, images and volumes in maps,
// records every call, and simulates what Docker would do with them: `create` reads the labels
// the kubelet writes (so adoption and attempt numbers work from them), `start` runs a container
// (a sandbox on the pod network gets an IP), `stop` ends it with the exit code a SIGTERM gives,
// and tests end containers themselves with exit() (a crash, an OOM kill, a clean exit).

export interface FakeCall {
  op: string;
  id?: string;
  args?: unknown;
}

class NotFound extends Error {
  readonly statusCode = 404;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class FakeRuntime implements ContainerRuntime {
  readonly calls: FakeCall[] = [];
  private readonly containers = new Map<string, RuntimeContainer>();
  private readonly created = new Map<string, ContainerCreateOptions>();
  private readonly imageIds = new Map<string, string>();
  /** Images a pull succeeds for (anything else fails like an unreachable registry). */
  readonly pullable = new Set<string>();
  /** Start errors by image (e.g. an executable that does not exist). */
  readonly startErrors = new Map<string, string>();
  readonly volumes = new Map<string, Record<string, string>>();
  /** Output of containers by id, for tailLogs. */
  readonly output = new Map<string, string>();
  /** Answers exec (hooks, exec probes); default: exit 0, no output. */
  execHandler: (id: string, cmd: string[]) => ExecResult = () => ({ exitCode: 0, output: '', timedOut: false });
  /** What `stop` leaves as exit code (a shell killed by SIGTERM: 143). */
  stopExitCode = 143;
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly network: string,
  ) {}

  // ---- test controls ----

  addImage(ref: string): void {
    this.imageIds.set(ref, `sha256:${Buffer.from(ref).toString('hex').padEnd(64, '0').slice(0, 64)}`);
  }

  /** Ends a running container as its process would: exit code, optionally OOM-killed. */
  exit(id: string, exitCode: number, opts: { oomKilled?: boolean } = {}): void {
    const c = this.get(id);
    if (c.state !== 'running') throw new Error(`container ${c.dockerName} is ${c.state}, not running`);
    this.finish(c, exitCode, !!opts.oomKilled);
  }

  /** The newest instance of a pod container by spec name (and kind). */
  latest(name: string, kind: ContainerKind = 'app'): RuntimeContainer | undefined {
    return this.sorted().find((c) => c.name === name && c.kind === kind);
  }

  /** The create options a container was made with (what would reach Docker). */
  createOptions(id: string): ContainerCreateOptions | undefined {
    return this.created.get(id);
  }

  /** Calls of one operation, in order. */
  ops(op: string): FakeCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  // ---- ContainerRuntime ----

  async listContainers(podUid?: string): Promise<RuntimeContainer[]> {
    this.calls.push({ op: 'listContainers', args: podUid });
    return this.sorted()
      .filter((c) => !podUid || c.podUid === podUid)
      .map((c) => structuredClone(c));
  }

  async inspect(id: string): Promise<RuntimeContainer | undefined> {
    this.calls.push({ op: 'inspect', id });
    const c = this.find(id);
    return c && structuredClone(c);
  }

  async create(opts: ContainerCreateOptions): Promise<string> {
    this.calls.push({ op: 'create', args: opts.name });
    const clash = opts.name ? this.find(opts.name) : undefined;
    if (clash) this.containers.delete(clash.id); // the leftover of the same name is replaced
    const l = opts.Labels ?? {};
    const id = `c${String(++this.seq).padStart(4, '0')}`;
    const image = opts.Image ?? '';
    this.containers.set(id, {
      id,
      dockerName: opts.name ?? id,
      podUid: l[LABEL_POD_UID] ?? '',
      namespace: l[LABEL_NAMESPACE] ?? '',
      podName: l[LABEL_POD] ?? '',
      name: l[LABEL_CONTAINER] ?? '',
      kind: (l[LABEL_KIND] as ContainerKind) ?? 'app',
      attempt: Number(l[LABEL_ATTEMPT] ?? 0),
      specHash: l[LABEL_SPEC_HASH] ?? '',
      sandboxId: l[LABEL_SANDBOX],
      state: 'created',
      created: this.clock.now(),
      startedMs: 0,
      finishedMs: 0,
      oomKilled: false,
      image,
      imageId: this.imageIds.get(image) ?? '',
      ips: {},
      labels: { ...l },
      tty: !!opts.Tty,
    });
    this.created.set(id, opts);
    return id;
  }

  async start(id: string): Promise<void> {
    this.calls.push({ op: 'start', id });
    const c = this.get(id);
    const err = this.startErrors.get(c.image);
    if (err) {
      // Docker leaves the container "created", with the error and exit code 128.
      c.error = err;
      c.exitCode = 128;
      throw new Error(err);
    }
    const now = this.clock.now();
    c.state = 'running';
    c.startedMs = now;
    c.startedAt = iso(now);
    if (this.created.get(id)?.HostConfig?.NetworkMode === this.network) c.ips[this.network] = `10.88.0.${this.seq}`;
  }

  async stop(id: string, timeoutSeconds: number): Promise<void> {
    this.calls.push({ op: 'stop', id, args: timeoutSeconds });
    const c = this.find(id);
    if (c?.state === 'running') this.finish(c, this.stopExitCode, false);
  }

  async remove(id: string): Promise<void> {
    this.calls.push({ op: 'remove', id });
    const c = this.find(id);
    if (c) this.containers.delete(c.id);
  }

  async putArchive(id: string, path: string, tar: Buffer): Promise<void> {
    this.calls.push({ op: 'putArchive', id, args: { path, bytes: tar.length } });
    this.get(id);
  }

  async exec(id: string, cmd: string[]): Promise<ExecResult> {
    this.calls.push({ op: 'exec', id, args: cmd });
    return this.execHandler(id, cmd);
  }

  async tailLogs(id: string, lines: number): Promise<string> {
    this.calls.push({ op: 'tailLogs', id, args: lines });
    return (this.output.get(id) ?? '').split('\n').slice(-lines).join('\n');
  }

  async imageId(image: string): Promise<string | undefined> {
    return this.imageIds.get(image);
  }

  async pull(image: string): Promise<void> {
    this.calls.push({ op: 'pull', args: image });
    if (!this.pullable.has(image)) throw new Error(`pull access denied for ${image}`);
    this.addImage(image);
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    this.calls.push({ op: 'createVolume', args: name });
    this.volumes.set(name, { ...labels });
  }

  async listVolumes(podUid?: string): Promise<{ name: string; labels: Record<string, string> }[]> {
    return [...this.volumes].filter(([, l]) => !podUid || l[LABEL_POD_UID] === podUid).map(([name, labels]) => ({ name, labels: { ...labels } }));
  }

  async removeVolume(name: string): Promise<void> {
    this.calls.push({ op: 'removeVolume', args: name });
    this.volumes.delete(name);
  }

  // ---- internals ----

  /** Newest first, as DockerRuntime lists them; creation order breaks ties of the same millisecond. */
  private sorted(): RuntimeContainer[] {
    return [...this.containers.values()].sort((a, b) => b.created - a.created || b.attempt - a.attempt || b.id.localeCompare(a.id));
  }

  private find(idOrName: string): RuntimeContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.dockerName === idOrName);
  }

  private get(id: string): RuntimeContainer {
    const c = this.find(id);
    if (!c) throw new NotFound(`No such container: ${id}`);
    return c;
  }

  private finish(c: RuntimeContainer, exitCode: number, oomKilled: boolean): void {
    const now = this.clock.now();
    c.state = 'exited';
    c.exitCode = exitCode;
    c.oomKilled = oomKilled;
    c.finishedMs = now;
    c.finishedAt = iso(now);
  }
}
