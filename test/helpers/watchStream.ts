import https from 'node:https';
import type { TestCluster } from './controlPlane.js';
import { DEFAULT_WAIT_MS } from './wait.js';

// Opens a raw `?watch=true` stream and collects its newline-delimited events. Waiting on a watch
// is the preferred way for a test to learn that something happened: the events also say in
// which order things happened, which is what a test should assert instead of how long they took.

/** An event as the stream carried it; tests read the object loosely, whatever its kind. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RawEvent = { type: string; object: any };

export interface WatchStream {
  status: Promise<number>;
  events: RawEvent[];
  /** Resolves once `n` events have arrived (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the first event (from the start of the stream) that `pred` accepts; rejects naming `what` after timeoutMs. */
  waitForEvent(pred: (e: RawEvent) => boolean, what: string, timeoutMs?: number): Promise<RawEvent>;
  ended: Promise<void>;
  close(): void;
}

export function openWatch(c: TestCluster, path: string, headers: Record<string, string> = {}): WatchStream {
  const events: RawEvent[] = [];
  let buf = '';
  // Every pending wait re-checks its condition when events arrive.
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  let resolveStatus!: (n: number) => void;
  let resolveEnded!: () => void;
  let isEnded = false;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = new Promise<void>((r) => (resolveEnded = r)).then(() => {
    isEnded = true;
    notify(); // a wait that can no longer be met fails now, not at its deadline
  });
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
      notify();
      resolveEnded();
    });
    res.on('close', () => resolveEnded());
  });
  req.on('error', () => resolveEnded());
  req.end();

  function waitUntil<T>(check: () => T | undefined, fail: () => string, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const listener = () => {
        const v = check();
        if (v === undefined && !isEnded) return;
        clearTimeout(timer);
        listeners.delete(listener);
        if (v === undefined) reject(new Error(`the watch ended first: ${fail()}`));
        else resolve(v);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(fail()));
      }, timeoutMs);
      listeners.add(listener);
      listener();
    });
  }

  const seen = () => JSON.stringify(events.map((e) => `${e.type} ${e.object?.metadata?.name ?? ''}`.trim()));
  return {
    status,
    events,
    ended,
    waitFor: (n, timeoutMs = DEFAULT_WAIT_MS) =>
      waitUntil(
        () => (events.length >= n ? true : undefined),
        () => `timed out with ${events.length}/${n} events: ${seen()}`,
        timeoutMs,
      ).then(() => undefined),
    waitForEvent: (pred, what, timeoutMs = DEFAULT_WAIT_MS) =>
      waitUntil(
        () => events.find(pred),
        () => `timed out after ${timeoutMs} ms waiting for ${what} on ${path}; saw ${seen()}`,
        timeoutMs,
      ),
    close: () => req.destroy(),
  };
}
