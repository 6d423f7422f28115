import https from 'node:https';
import type { TestCluster } from './controlPlane.js';
import { DEFAULT_WAIT_MS } from './wait.js';

// Opens a raw `?watch=true` stream and collects its newline-delimited events. Waiting on a watch
// is the preferred way for a test to learn that something happened: the events also say in
// which order things happened, which is what a test should assert instead of how long they took.

/** An event as the stream carried it; tests read the object loosely unless they name its kind. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RawEvent<T = any> = { type: string; object: T };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface WatchStream<T = any> {
  /** The HTTP status of the watch request; 0 when the request failed without an answer. */
  status: Promise<number>;
  events: RawEvent<T>[];
  /** Resolves once `n` events have arrived (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the first event (from the start of the stream) that `pred` accepts; rejects naming `what` after timeoutMs. */
  waitForEvent(pred: (e: RawEvent<T>) => boolean, what: string, timeoutMs?: number): Promise<RawEvent<T>>;
  ended: Promise<void>;
  close(): void;
}

/** An API server and the credentials to use on it, for a cluster this process does not run (`flotilla up`). */
export interface ApiEndpoint {
  url: string;
  ca: string;
  token: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function openWatch<T = any>(c: TestCluster | ApiEndpoint, path: string, headers: Record<string, string> = {}): WatchStream<T> {
  const api: ApiEndpoint = 'cp' in c ? { url: c.cp.url, ca: c.cp.caCert, token: c.cp.adminToken } : c;
  const events: RawEvent<T>[] = [];
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
  const req = https.request(new URL(path, api.url), { ca: api.ca, headers: { Authorization: `Bearer ${api.token}`, ...headers } }, (res) => {
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
  req.on('error', () => {
    resolveStatus(0); // no answer at all
    resolveEnded();
  });
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

  const seen = () => JSON.stringify(events.map((e) => `${e.type} ${(e.object as { metadata?: { name?: string } } | undefined)?.metadata?.name ?? ''}`.trim()));
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
