import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Credentials } from '../lib/client.js';
import { sleep } from '../lib/stats.js';

// Watches pods (one namespace, or all) from a resourceVersion and records, per pod, when this
// process first saw it bound (spec.nodeName set) and Running (status.phase). Times are
// performance.now() of the chunk's arrival. Reconnects from the last resourceVersion if the
// stream ends (bounded number of times).

interface PodSeen {
  addedAt?: number;
  boundAt?: number;
  runningAt?: number;
  node?: string;
}

export class PodWatch {
  readonly pods = new Map<string, PodSeen>();
  bound = 0;
  running = 0;
  events = 0;
  bytes = 0;
  reconnects = 0;
  errors: string[] = [];
  private req: ReturnType<typeof https.request> | undefined;
  private stopped = false;
  private rv: string;
  private readonly agent: https.Agent;

  constructor(
    private readonly creds: Credentials,
    private readonly namespace: string | undefined,
    resourceVersion: string,
    private readonly maxReconnects = 10,
  ) {
    this.rv = resourceVersion;
    this.agent = new https.Agent({ keepAlive: false, ca: creds.ca });
  }

  /** Opens the stream; resolves once the server answered 200. */
  start(): Promise<void> {
    return this.open();
  }

  private open(): Promise<void> {
    const url = new URL(this.creds.server);
    const base = this.namespace ? `/api/v1/namespaces/${this.namespace}/pods` : '/api/v1/pods';
    const path = `${base}?watch=true&allowWatchBookmarks=true&timeoutSeconds=900&resourceVersion=${encodeURIComponent(this.rv)}`;
    return new Promise((resolve, reject) => {
      // One reconnect per stream, whichever of error/close comes first.
      let ended = false;
      const end = (why: string) => {
        if (ended) return;
        ended = true;
        void this.reconnect(why);
      };
      const req = https.request(
        { host: url.hostname, port: url.port, path, method: 'GET', agent: this.agent, ca: this.creds.ca, headers: { Accept: 'application/json', Authorization: `Bearer ${this.creds.token}`, 'User-Agent': 'flotilla-bench/1' } },
        (res) => {
          if (res.statusCode !== 200) {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => {
              ended = true;
              const e = new Error(`pod watch answered HTTP ${res.statusCode}: ${body.slice(0, 300)}`);
              if (this.errors.length < 10) this.errors.push(e.message);
              reject(e);
            });
            return;
          }
          res.setEncoding('utf8');
          let buf = '';
          res.on('data', (chunk: string) => {
            const at = performance.now();
            this.bytes += chunk.length;
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line) this.onLine(line, at);
            }
          });
          res.on('error', () => {});
          res.on('close', () => end('stream closed'));
          resolve();
        },
      );
      req.on('error', (e) => {
        reject(e);
        if (this.reconnects > 0) end(e.message); // only a reconnect retries; a failed start() is the caller's error
      });
      req.end();
      this.req = req;
    });
  }

  private async reconnect(why: string): Promise<void> {
    if (this.stopped) return;
    if (this.reconnects >= this.maxReconnects) {
      if (this.errors.length < 10) this.errors.push(`gave up after ${this.reconnects} reconnects: ${why}`);
      return;
    }
    this.reconnects++;
    if (this.errors.length < 10) this.errors.push(`reconnecting (${why})`);
    await sleep(100);
    this.open().catch(() => {});
  }

  private onLine(line: string, at: number): void {
    let ev: { type: string; object: { metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string }; spec?: { nodeName?: string }; status?: { phase?: string }; message?: string } };
    try {
      ev = JSON.parse(line);
    } catch {
      if (this.errors.length < 10) this.errors.push(`unparsable line: ${line.slice(0, 200)}`);
      return;
    }
    const o = ev.object;
    if (o?.metadata?.resourceVersion) this.rv = o.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return;
    if (ev.type === 'ERROR') {
      if (this.errors.length < 10) this.errors.push(`ERROR event: ${o?.message ?? line.slice(0, 200)}`);
      return;
    }
    this.events++;
    if (ev.type === 'DELETED') return;
    const key = o.metadata?.uid ?? `${o.metadata?.namespace}/${o.metadata?.name}`;
    let s = this.pods.get(key);
    if (!s) this.pods.set(key, (s = { addedAt: at }));
    if (o.spec?.nodeName && s.boundAt === undefined) {
      s.boundAt = at;
      s.node = o.spec.nodeName;
      this.bound++;
    }
    if (o.status?.phase === 'Running' && s.runningAt === undefined) {
      s.runningAt = at;
      this.running++;
    }
  }

  /** Waits (polling every 20 ms) until check() holds or the deadline (performance.now()) passes. */
  async until(check: (w: PodWatch) => boolean, deadline: number, onProgress?: (w: PodWatch) => void, progressEveryMs = 5000): Promise<boolean> {
    let nextProgress = performance.now() + progressEveryMs;
    while (!check(this)) {
      if (performance.now() > deadline) return false;
      if (onProgress && performance.now() >= nextProgress) {
        onProgress(this);
        nextProgress += progressEveryMs;
      }
      await sleep(20);
    }
    return true;
  }

  /** Sorted arrival times of the given milestone. */
  times(which: 'boundAt' | 'runningAt' | 'addedAt'): number[] {
    const out: number[] = [];
    for (const s of this.pods.values()) if (s[which] !== undefined) out.push(s[which]);
    return out.sort((a, b) => a - b);
  }

  /** Pods per node (bound ones). */
  perNode(): Map<string, number> {
    const m = new Map<string, number>();
    for (const s of this.pods.values()) if (s.node) m.set(s.node, (m.get(s.node) ?? 0) + 1);
    return m;
  }

  stop(): void {
    this.stopped = true;
    this.req?.destroy();
    this.agent.destroy();
  }
}

/** The highest count of milestone times falling in any window of windowMs, as a per-second rate. */
export function peakRate(sortedTimes: number[], windowMs = 1000): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < sortedTimes.length; i++) {
    while (sortedTimes[i]! - sortedTimes[j]! > windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return Math.round((best * 1000) / windowMs);
}

/** Counts per second since t0 (performance.now()), for a timeline in the JSON. */
export function perSecond(sortedTimes: number[], t0: number): number[] {
  const out: number[] = [];
  for (const t of sortedTimes) {
    const k = Math.max(0, Math.floor((t - t0) / 1000));
    while (out.length <= k) out.push(0);
    out[k]!++;
  }
  return out;
}
