import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { Client, type Credentials } from '../lib/client.js';
import { sleep, summarize, type LatencySummary } from '../lib/stats.js';
import { NS, cmPath, configMap, must, rvOf } from './objects.js';

// Watch streams for the delivery-latency benchmark: each watcher holds its own HTTPS connection
// with `?watch=true&resourceVersion=<rv>`, splits the chunked body into lines and records, per
// event, the arrival time (taken once per received chunk, before parsing) and the `seq` value the
// writer put in the object's data.

export interface WatchEvent {
  seq: number;
  at: number;
}

export interface Watcher {
  events: WatchEvent[];
  /** Lines that were not MODIFIED events carrying a seq (e.g. ERROR). */
  other: string[];
  close(): void;
}

export async function openWatchers(opts: { creds: Credentials; path: string; count: number; timeoutMs: number }): Promise<{ watchers: Watcher[]; agent: https.Agent }> {
  const url = new URL(opts.creds.server);
  const agent = new https.Agent({ keepAlive: false, maxSockets: opts.count + 8, ca: opts.creds.ca });
  const open = (): Promise<Watcher> =>
    new Promise((resolve, reject) => {
      const w: Watcher = { events: [], other: [], close: () => req.destroy() };
      let buf = '';
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`watch did not answer within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      const req = https.request(
        {
          host: url.hostname,
          port: url.port,
          path: opts.path,
          method: 'GET',
          agent,
          ca: opts.creds.ca,
          headers: { Accept: 'application/json', Authorization: `Bearer ${opts.creds.token}`, 'User-Agent': 'flotilla-bench/1' },
        },
        (res) => {
          clearTimeout(timer);
          if (res.statusCode !== 200) {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => reject(new Error(`watch answered HTTP ${res.statusCode}: ${body.slice(0, 300)}`)));
            return;
          }
          res.socket.setNoDelay(true);
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const at = performance.now();
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (!line.trim()) continue;
              try {
                const ev = JSON.parse(line) as { type: string; object?: { data?: Record<string, string> } };
                const seq = ev.object?.data?.seq;
                if (ev.type === 'MODIFIED' && seq !== undefined) w.events.push({ seq: Number(seq), at });
                else if (w.other.length < 10) w.other.push(line.slice(0, 300));
              } catch {
                if (w.other.length < 10) w.other.push(`unparsable: ${line.slice(0, 300)}`);
              }
            }
          });
          res.on('error', () => {});
          resolve(w);
        },
      );
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end();
    });
  const watchers = await Promise.all(Array.from({ length: opts.count }, open));
  return { watchers, agent };
}

export interface WatchResult {
  watchers: number;
  updates: number;
  spacingMs: number;
  expectedEvents: number;
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  updateErrors: number;
  otherLines: string[];
  latencyMs: LatencySummary;
  writeLatencyMs: LatencySummary;
  serverCpuSec?: number;
}

/**
 * Watch delivery latency: `watchers` streams on one namespace, then `updates` PUTs of one
 * ConfigMap `spacingMs` apart; each event's latency runs from its PUT being sent to its arrival.
 */
export async function watchPhase(creds: Credentials, o: { watchers: number; updates: number; spacingMs: number }): Promise<WatchResult> {
  const writer = new Client(creds, 1);
  const name = 'watched';
  const created = await must(writer.request('POST', cmPath(NS.watch), JSON.stringify(configMap(NS.watch, name, 0))), 'create watched ConfigMap');
  let rv = rvOf(created.body);
  const { watchers, agent } = await openWatchers({ creds, path: `${cmPath(NS.watch)}?watch=true&resourceVersion=${rv}`, count: o.watchers, timeoutMs: 20_000 });
  const sentAt: number[] = [];
  const writeLat: number[] = [];
  let updateErrors = 0;
  const expected = o.watchers * o.updates;
  try {
    await sleep(200); // let every stream settle
    const t0 = performance.now();
    for (let k = 0; k < o.updates; k++) {
      const wait = t0 + k * o.spacingMs - performance.now();
      if (wait > 0) await sleep(wait);
      const body = configMap(NS.watch, name, 0, { seq: String(k) });
      sentAt[k] = performance.now();
      const r = await writer.request('PUT', cmPath(NS.watch, name), JSON.stringify({ ...body, metadata: { ...body.metadata, resourceVersion: rv } }));
      if (r.status === 200) {
        rv = rvOf(r.body);
        writeLat.push(r.ms);
      } else updateErrors++;
    }
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline && watchers.reduce((n, w) => n + w.events.length, 0) < expected) await sleep(20);
    await sleep(100); // catch duplicates that would arrive late
  } finally {
    for (const w of watchers) w.close();
    agent.destroy();
    writer.close();
  }
  const lat: number[] = [];
  let delivered = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  const otherLines: string[] = [];
  for (const w of watchers) {
    const seen = new Set<number>();
    let last = -1;
    for (const e of w.events) {
      if (seen.has(e.seq)) {
        duplicates++;
        continue;
      }
      seen.add(e.seq);
      if (e.seq < last) outOfOrder++;
      last = e.seq;
      const s = sentAt[e.seq];
      if (s === undefined) continue;
      delivered++;
      lat.push(e.at - s);
    }
    for (const l of w.other) if (otherLines.length < 5) otherLines.push(l);
  }
  return { watchers: o.watchers, updates: o.updates, spacingMs: o.spacingMs, expectedEvents: expected, delivered, duplicates, outOfOrder, updateErrors, otherLines, latencyMs: summarize(lat), writeLatencyMs: summarize(writeLat) };
}
