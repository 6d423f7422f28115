import https from 'node:https';
import type { TestCluster } from './controlPlane.js';

// Opens a raw `?watch=true` stream and collects its newline-delimited events.

export interface WatchStream {
  status: Promise<number>;
  events: { type: string; object: any }[];
  /** Resolves once `n` events have arrived (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  ended: Promise<void>;
  close(): void;
}

export function openWatch(c: TestCluster, path: string, headers: Record<string, string> = {}): WatchStream {
  const events: { type: string; object: any }[] = [];
  let buf = '';
  let notify = () => {};
  let resolveStatus!: (n: number) => void;
  let resolveEnded!: () => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const req = https.request(new URL(path, c.cp.url), { ca: c.cp.caCert, headers: { Authorization: `Bearer ${c.cp.adminToken}`, ...headers } }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) events.push(JSON.parse(line));
      }
      notify();
    });
    res.on('end', () => {
      if (buf.trim()) {
        try {
          events.push(JSON.parse(buf));
        } catch {
          /* a non-JSON tail */
        }
      }
      resolveEnded();
    });
    res.on('close', () => resolveEnded());
  });
  req.on('error', () => resolveEnded());
  req.end();
  return {
    status,
    events,
    ended,
    waitFor(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out with ${events.length}/${n} events: ${JSON.stringify(events.map((e) => e.type))}`)), timeoutMs);
        notify = () => {
          if (events.length >= n) {
            clearTimeout(timer);
            resolve();
          }
        };
        notify();
      });
    },
    close: () => req.destroy(),
  };
}
