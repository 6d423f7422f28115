import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { systemClock, type Clock } from '../api/clock.js';
import type { Container, IntOrString, LifecycleHandler, Probe } from '../api/types.js';
import type { ContainerRuntime } from './runtime.js';

// Probes (kube's pkg/kubelet/prober): one worker per (container instance, probe kind) that waits
// initialDelaySeconds after the container started, then probes every periodSeconds with a
// timeoutSeconds budget and flips its result after successThreshold / failureThreshold
// consecutive outcomes. Liveness and readiness wait for the startup probe to succeed. httpGet
// and tcpSocket go from the kubelet to the pod IP (a project container on a project network);
// exec runs through `docker exec`. The same handlers run lifecycle hooks (postStart, preStop).

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

export function resolvePort(port: IntOrString, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

export interface HandlerTarget {
  containerId: string;
  container: Container;
  podIP?: string;
}

export async function httpGetProbe(action: NonNullable<Probe['httpGet']>, t: HandlerTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(action.port, t.container);
  const host = action.host || t.podIP;
  if (!port || !host) return { ok: false, message: `cannot resolve ${!port ? `port ${action.port}` : 'pod IP'}` };
  const scheme = (action.scheme ?? 'HTTP').toUpperCase();
  const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  const mod = scheme === 'HTTPS' ? https : http;
  return new Promise<ProbeOutcome>((resolve) => {
    const req = mod.request(
      { host, port, path: action.path || '/', method: 'GET', headers, timeout: timeoutMs, agent: false, ...(scheme === 'HTTPS' ? { rejectUnauthorized: false } : {}) },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (body.length < 1024) body += d;
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 400) resolve({ ok: true, message: body.slice(0, 1024) });
          else resolve({ ok: false, message: `HTTP probe failed with statuscode: ${code}` });
        });
        res.on('error', (e) => resolve({ ok: false, message: e.message }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, message: `Get "${scheme.toLowerCase()}://${host}:${port}${action.path || '/'}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    req.on('error', (e) => resolve({ ok: false, message: `Get "${scheme.toLowerCase()}://${host}:${port}${action.path || '/'}": ${e.message}` }));
    req.end();
  });
}

export function tcpProbe(action: NonNullable<Probe['tcpSocket']>, t: HandlerTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const port = resolvePort(action.port, t.container);
  const host = action.host || t.podIP;
  if (!port || !host) return Promise.resolve({ ok: false, message: `cannot resolve ${!port ? `port ${action.port}` : 'pod IP'}` });
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    s.on('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ok: true, message: '' });
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` });
    });
  });
}

export async function execProbe(runtime: Pick<ContainerRuntime, 'exec'>, cmd: string[] | undefined, t: HandlerTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (!cmd?.length) return { ok: false, message: 'exec probe has no command' };
  try {
    const r = await runtime.exec(t.containerId, cmd, timeoutMs);
    if (r.timedOut) return { ok: false, message: `command ${JSON.stringify(cmd.join(' '))} timed out` };
    if (r.exitCode === 0) return { ok: true, message: r.output };
    return { ok: false, message: r.output || `command ${JSON.stringify(cmd.join(' '))} exited with ${r.exitCode}` };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** Runs one probe attempt. */
export async function runProbe(runtime: Pick<ContainerRuntime, 'exec'>, probe: Probe, t: HandlerTarget): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) return execProbe(runtime, probe.exec.command, t, timeoutMs);
  if (probe.httpGet) return httpGetProbe(probe.httpGet, t, timeoutMs);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, t, timeoutMs);
  // grpc probes need a gRPC client; until then they pass rather than kill healthy containers.
  return { ok: true, message: 'probe handler not supported; treated as success' };
}

/** Runs a lifecycle hook (postStart/preStop) within timeoutMs; resolves with its outcome. */
export async function runHook(runtime: Pick<ContainerRuntime, 'exec'>, h: LifecycleHandler, t: HandlerTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (h.exec) return execProbe(runtime, h.exec.command, t, timeoutMs);
  if (h.httpGet) return httpGetProbe(h.httpGet, t, timeoutMs);
  if (h.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(timeoutMs, h.sleep!.seconds * 1000)));
    return { ok: true, message: '' };
  }
  return { ok: true, message: '' }; // tcpSocket hooks are a no-op in kube too
}

export interface ProbeTarget extends HandlerTarget {
  podUid: string;
  /** Container start time (ms). */
  startedAt: number;
}

interface Worker {
  key: string;
  kind: ProbeKind;
  probe: Probe;
  target: ProbeTarget;
  result: ProbeResult;
  successes: number;
  failures: number;
  timer?: NodeJS.Timeout;
  stopped: boolean;
  lastMessage: string;
}

export type ProbeRunner = (probe: Probe, t: ProbeTarget) => Promise<ProbeOutcome>;

export interface ProbeManagerHooks {
  /** A result changed: the pod should be synced. */
  onChange(podUid: string): void;
  /** A failed attempt (kube's Unhealthy event). */
  onFailure(t: ProbeTarget, kind: ProbeKind, message: string): void;
}

/**
 * Holds the probe workers and their results, keyed by container id. Results are what the pod
 * worker reads: readiness gates `ready`, startup gates `started`, liveness/startup failure makes
 * the pod worker kill the container.
 */
export class ProbeManager {
  private readonly workers = new Map<string, Worker>();

  constructor(
    private readonly run: ProbeRunner,
    private readonly hooks: ProbeManagerHooks,
    private readonly clock: Clock = systemClock,
  ) {}

  private key(containerId: string, kind: ProbeKind): string {
    return `${containerId}/${kind}`;
  }

  /**
   * Makes sure the probe workers of one running container exist. `initialReady` carries a
   * readiness result over a kubelet restart so a healthy pod does not flap to unready.
   */
  ensure(t: ProbeTarget, initialReady = false): void {
    const c = t.container;
    const kinds: [ProbeKind, Probe | undefined][] = [
      ['startup', c.startupProbe],
      ['liveness', c.livenessProbe],
      ['readiness', c.readinessProbe],
    ];
    for (const [kind, probe] of kinds) {
      if (!probe) continue;
      const key = this.key(t.containerId, kind);
      if (this.workers.has(key)) continue;
      const w: Worker = {
        key,
        kind,
        probe,
        target: t,
        result: kind === 'liveness' ? 'success' : kind === 'readiness' && initialReady ? 'success' : 'unknown',
        successes: 0,
        failures: 0,
        stopped: false,
        lastMessage: '',
      };
      this.workers.set(key, w);
      const delay = Math.max(0, t.startedAt + (probe.initialDelaySeconds ?? 0) * 1000 - this.clock.now());
      w.timer = setTimeout(() => void this.tick(w), delay);
    }
  }

  private async tick(w: Worker): Promise<void> {
    if (w.stopped) return;
    const period = (w.probe.periodSeconds ?? 10) * 1000;
    // Liveness and readiness wait for the startup probe (kube: probes are skipped until started).
    if (w.kind !== 'startup' && !this.started(w.target.containerId, w.target.container)) {
      w.timer = setTimeout(() => void this.tick(w), Math.min(period, 1000));
      return;
    }
    let out: ProbeOutcome;
    try {
      out = await this.run(w.probe, w.target);
    } catch (e) {
      out = { ok: false, message: (e as Error).message };
    }
    if (w.stopped) return;
    w.lastMessage = out.message;
    const before = w.result;
    if (out.ok) {
      w.failures = 0;
      w.successes++;
      // Liveness and startup need one success (kube validates successThreshold = 1 for them).
      const need = w.kind === 'readiness' ? (w.probe.successThreshold ?? 1) : 1;
      if (w.successes >= need) w.result = 'success';
    } else {
      w.successes = 0;
      w.failures++;
      this.hooks.onFailure(w.target, w.kind, out.message);
      if (w.failures >= (w.probe.failureThreshold ?? 3)) w.result = 'failure';
    }
    if (w.result !== before) this.hooks.onChange(w.target.podUid);
    // A startup probe stops after its success; a failed liveness/startup ends with the container.
    if ((w.kind === 'startup' && w.result === 'success') || (w.kind !== 'readiness' && w.result === 'failure')) return;
    w.timer = setTimeout(() => void this.tick(w), period);
  }

  /** Startup finished: no startup probe, or it succeeded. */
  started(containerId: string, c: Container): boolean {
    if (!c.startupProbe) return true;
    return this.workers.get(this.key(containerId, 'startup'))?.result === 'success';
  }

  ready(containerId: string, c: Container): boolean {
    if (!this.started(containerId, c)) return false;
    if (!c.readinessProbe) return true;
    return this.workers.get(this.key(containerId, 'readiness'))?.result === 'success';
  }

  /** Why a container must be killed (failed liveness or startup probe), or undefined. */
  failure(containerId: string): { kind: ProbeKind; message: string } | undefined {
    for (const kind of ['startup', 'liveness'] as const) {
      const w = this.workers.get(this.key(containerId, kind));
      if (w?.result === 'failure') return { kind, message: w.lastMessage };
    }
    return undefined;
  }

  /** Grace period for killing after a probe failure (probe-level terminationGracePeriodSeconds). */
  probeGrace(containerId: string, kind: ProbeKind): number | undefined {
    return this.workers.get(this.key(containerId, kind))?.probe.terminationGracePeriodSeconds;
  }

  /** Stops every worker whose container id is not in `keep` (for one pod, or for all). */
  retain(keep: Set<string>, podUid?: string): void {
    for (const [k, w] of this.workers) {
      if (podUid && w.target.podUid !== podUid) continue;
      if (!keep.has(w.target.containerId)) this.stopWorker(k, w);
    }
  }

  stopAll(): void {
    for (const [k, w] of this.workers) this.stopWorker(k, w);
  }

  private stopWorker(k: string, w: Worker): void {
    w.stopped = true;
    if (w.timer) clearTimeout(w.timer);
    this.workers.delete(k);
  }
}
