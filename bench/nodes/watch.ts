import https from 'node:https';
import type { Credentials } from '../lib/client.js';
import { sleep } from '../lib/stats.js';

// List-then-watch of nodes or pods (one collection path) recording, per object name, when this
// process first saw it at all, bound (pods: spec.nodeName), Running (pods: status.phase) and Ready
// (the Ready condition True). Times are epoch milliseconds with sub-millisecond precision
// (performance.timeOrigin + performance.now() at the arrival of the chunk), so they compare with
// Docker's event times (timeNano) and with the control plane child's marks.
// Objects present at list time get the list's arrival time. Reconnects from the last
// resourceVersion when the stream ends (bounded).

export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface Seen {
  addedAt: number;
  boundAt?: number;
  runningAt?: number;
  readyAt?: number;
  node?: string;
  deleted?: number;
}

interface Obj {
  metadata?: { name?: string; resourceVersion?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export class ReadyWatch {
  readonly objects = new Map<string, Seen>();
  ready = 0;
  events = 0;
  reconnects = 0;
  errors: string[] = [];
  private req: ReturnType<typeof https.request> | undefined;
  private stopped = false;
  private rv = '';
  private readonly agent: https.Agent;
  private readonly url: URL;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly creds: Credentials,
    private readonly path: string,
    private readonly maxReconnects = 10,
  ) {
    this.agent = new https.Agent({ keepAlive: false, ca: creds.ca });
    this.url = new URL(creds.server);
  }

  private get(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: this.url.hostname, port: this.url.port, path, method: 'GET', agent: this.agent, ca: this.creds.ca, timeout: 30_000, headers: this.headers() },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`)));
      req.on('error', reject);
      req.end();
    });
  }

  private headers() {
    return { Accept: 'application/json', Authorization: `Bearer ${this.creds.token}`, 'User-Agent': 'flotilla-bench/1' };
  }

  /** Lists (recording what exists), then opens the watch from the list's resourceVersion. */
  async start(): Promise<void> {
    const r = await this.get(this.path);
    const at = nowMs();
    if (r.status !== 200) throw new Error(`list ${this.path}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    const list = JSON.parse(r.body) as { metadata: { resourceVersion: string }; items: Obj[] };
    for (const o of list.items) this.observe('ADDED', o, at);
    this.rv = list.metadata.resourceVersion;
    await this.open();
  }

  private open(): Promise<void> {
    const sep = this.path.includes('?') ? '&' : '?';
    const path = `${this.path}${sep}watch=true&allowWatchBookmarks=true&timeoutSeconds=1800&resourceVersion=${encodeURIComponent(this.rv)}`;
    return new Promise((resolve, reject) => {
      let ended = false;
      const end = (why: string) => {
        if (ended) return;
        ended = true;
        void this.reconnect(why);
      };
      const req = https.request({ host: this.url.hostname, port: this.url.port, path, method: 'GET', agent: this.agent, ca: this.creds.ca, headers: this.headers() }, (res) => {
        if (res.statusCode !== 200) {
          ended = true;
          res.resume();
          const e = new Error(`watch ${this.path}: HTTP ${res.statusCode}`);
          if (this.errors.length < 10) this.errors.push(e.message);
          reject(e);
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          const at = nowMs();
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
      });
      req.on('error', (e) => {
        reject(e);
        end(e.message);
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
    let ev: { type: string; object: Obj & { message?: string } };
    try {
      ev = JSON.parse(line);
    } catch {
      if (this.errors.length < 10) this.errors.push(`unparsable line: ${line.slice(0, 200)}`);
      return;
    }
    if (ev.object?.metadata?.resourceVersion) this.rv = ev.object.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return;
    if (ev.type === 'ERROR') {
      if (this.errors.length < 10) this.errors.push(`ERROR event: ${ev.object?.message ?? line.slice(0, 200)}`);
      return;
    }
    this.events++;
    this.observe(ev.type, ev.object, at);
  }

  private observe(type: string, o: Obj, at: number): void {
    const name = o.metadata?.name;
    if (!name) return;
    let s = this.objects.get(name);
    if (!s) this.objects.set(name, (s = { addedAt: at }));
    if (type === 'DELETED') {
      s.deleted ??= at;
      return;
    }
    if (o.spec?.nodeName && s.boundAt === undefined) {
      s.boundAt = at;
      s.node = o.spec.nodeName;
    }
    if (o.status?.phase === 'Running' && s.runningAt === undefined) s.runningAt = at;
    if (s.readyAt === undefined && o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      s.readyAt = at;
      this.ready++;
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    }
  }

  /** Resolves true once check() holds (re-checked whenever something became Ready, and every 50 ms), false at the deadline (epoch ms). */
  async until(check: (w: ReadyWatch) => boolean, deadline: number): Promise<boolean> {
    while (!check(this)) {
      const left = deadline - nowMs();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(50, left));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.req?.destroy();
    this.agent.destroy();
  }
}
