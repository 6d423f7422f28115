import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Credentials } from '../lib/client.js';

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
