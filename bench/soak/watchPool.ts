import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Credentials } from '../lib/client.js';

// The soak's watchers: a pool of list+watch clients on one collection, each reconnecting as
// client-go's reflector does (from the last resourceVersion it saw; a relist after 410 Expired),
// with server-side timeouts drawn at random so reconnects happen all the time, and a share of
// clients that simply go away mid-stream (the server must forget them). Records the time to the
// watch's response head, the delivery latency of each event (writers stamp `data.sent` with
// performance.now() of this same process), and every status and error.

export interface WatchStats {
  watchers: number;
  connects: number;
  clientAborts: number;
  expired410: number;
  relists: number;
  events: number;
  bookmarks: number;
  errors: number;
  errorSamples: string[];
  statuses: Record<string, number>;
  /** Request to response head, ms, per (re)connect. */
  connectMs: number[];
  /** Writer's send to the event's arrival, ms. */
  deliveryMs: number[];
}

export class WatchPool {
  readonly stats: WatchStats;
  private running = false;
  private readonly agent: https.Agent;
  private readonly url: URL;
  private readonly live = new Set<ReturnType<typeof https.request>>();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly creds: Credentials,
    private readonly path: string,
    count: number,
    private readonly o = { minTimeoutSec: 5, maxTimeoutSec: 30, abortShare: 0.2 },
  ) {
    this.url = new URL(creds.server);
    this.agent = new https.Agent({ keepAlive: false, maxSockets: count + 8, ca: creds.ca });
    this.stats = { watchers: count, connects: 0, clientAborts: 0, expired410: 0, relists: 0, events: 0, bookmarks: 0, errors: 0, errorSamples: [], statuses: {}, connectMs: [], deliveryMs: [] };
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.stats.watchers }, (_, i) => this.loop(i));
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const r of this.live) r.destroy();
    await Promise.all(this.loops);
    this.agent.destroy();
  }

  private error(what: string): void {
    this.stats.errors++;
    if (this.stats.errorSamples.length < 5) this.stats.errorSamples.push(what.slice(0, 300));
  }

  private get(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: this.url.hostname, port: this.url.port, path, method: 'GET', agent: this.agent, ca: this.creds.ca, headers: { Authorization: `Bearer ${this.creds.token}`, Accept: 'application/json' } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  private async relist(): Promise<string | undefined> {
    this.stats.relists++;
    const r = await this.get(`${this.path}?limit=1`);
    if (r.status !== 200) {
      this.error(`relist: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      return undefined;
    }
    return (JSON.parse(r.body) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
  }

  private async loop(i: number): Promise<void> {
    let rv: string | undefined;
    while (this.running) {
      try {
        if (!rv) rv = await this.relist();
        if (!rv) {
          await pause(500);
          continue;
        }
        rv = await this.watchOnce(i, rv);
      } catch (e) {
        if (this.running) this.error(`watcher ${i}: ${(e as Error).message}`);
        await pause(500);
      }
    }
  }

  /** One watch request; resolves with the resourceVersion to resume from (undefined: relist). */
  private watchOnce(i: number, rv: string): Promise<string | undefined> {
    const timeout = this.o.minTimeoutSec + Math.floor(Math.random() * (this.o.maxTimeoutSec - this.o.minTimeoutSec + 1));
    const abortAfterMs = Math.random() < this.o.abortShare ? 1000 + Math.random() * timeout * 1000 : undefined;
    const path = `${this.path}?watch=1&allowWatchBookmarks=true&timeoutSeconds=${timeout}&resourceVersion=${rv}`;
    return new Promise((resolve) => {
      const t0 = performance.now();
      let last: string | undefined = rv;
      let buf = '';
      let done = false;
      let abortTimer: NodeJS.Timeout | undefined;
      const finish = (next: string | undefined) => {
        if (done) return;
        done = true;
        if (abortTimer) clearTimeout(abortTimer);
        this.live.delete(req);
        resolve(next);
      };
      const req = https.request(
        { host: this.url.hostname, port: this.url.port, path, method: 'GET', agent: this.agent, ca: this.creds.ca, headers: { Authorization: `Bearer ${this.creds.token}`, Accept: 'application/json' } },
        (res) => {
          this.stats.connects++;
          this.stats.connectMs.push(performance.now() - t0);
          const code = String(res.statusCode ?? 0);
          this.stats.statuses[code] = (this.stats.statuses[code] ?? 0) + 1;
          if (res.statusCode !== 200) {
            res.resume();
            if (res.statusCode === 410) this.stats.expired410++;
            else this.error(`watcher ${i}: HTTP ${res.statusCode}`);
            res.on('end', () => finish(undefined));
            return;
          }
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const at = performance.now();
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (!line.trim()) continue;
              let ev: { type: string; object?: { code?: number; metadata?: { resourceVersion?: string }; data?: Record<string, string> } };
              try {
                ev = JSON.parse(line) as typeof ev;
              } catch {
                this.error(`watcher ${i}: unparsable event ${line.slice(0, 200)}`);
                continue;
              }
              if (ev.type === 'ERROR') {
                if (ev.object?.code === 410) this.stats.expired410++;
                else this.error(`watcher ${i}: ERROR event ${line.slice(0, 200)}`);
                last = undefined;
                continue;
              }
              if (ev.object?.metadata?.resourceVersion) last = ev.object.metadata.resourceVersion;
              if (ev.type === 'BOOKMARK') {
                this.stats.bookmarks++;
                continue;
              }
              this.stats.events++;
              const sent = ev.type !== 'DELETED' ? Number(ev.object?.data?.sent) : NaN;
              if (Number.isFinite(sent)) this.stats.deliveryMs.push(at - sent);
            }
          });
          res.on('end', () => finish(last));
          res.on('error', () => finish(last));
          res.on('close', () => finish(last));
        },
      );
      this.live.add(req);
      req.on('error', (e) => {
        if (!done && this.running && !abortTimer) this.error(`watcher ${i}: ${e.message}`);
        finish(last);
      });
      if (abortAfterMs !== undefined) {
        abortTimer = setTimeout(() => {
          this.stats.clientAborts++;
          req.destroy();
          finish(last);
        }, abortAfterMs);
      }
      req.end();
    });
  }
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
