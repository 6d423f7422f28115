import https from 'node:https';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import yaml from 'js-yaml';

// A minimal HTTPS client for the benchmarks: node:https with a keep-alive Agent (one socket per
// concurrent client), the cluster CA and a bearer token. Bodies are returned as strings and not
// parsed, so the client's own cost stays small and comparable between the API server and the
// bare-server floor.

export interface Credentials {
  server: string;
  ca: string;
  token?: string;
}

export interface Response {
  status: number;
  body: string;
  /** Request start to last body byte, ms. */
  ms: number;
}

/** Reads server URL, CA and admin token from a Flotilla kubeconfig. */
export function readKubeconfig(file: string): Credentials {
  const kc = yaml.load(fs.readFileSync(file, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const cluster = kc.clusters[0]!.cluster;
  return {
    server: cluster.server,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8'),
    token: kc.users[0]!.user.token,
  };
}

export class Client {
  readonly agent: https.Agent;
  private readonly url: URL;

  constructor(
    private readonly creds: Credentials,
    maxSockets: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.url = new URL(creds.server);
    this.agent = new https.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, ca: creds.ca, scheduling: 'lifo' });
  }

  request(method: string, path: string, body?: string, contentType = 'application/json'): Promise<Response> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { Accept: 'application/json', 'User-Agent': 'flotilla-bench/1' };
      if (this.creds.token) headers.Authorization = `Bearer ${this.creds.token}`;
      if (body !== undefined) {
        headers['Content-Type'] = contentType;
        headers['Content-Length'] = Buffer.byteLength(body);
      }
      const t0 = performance.now();
      const req = https.request(
        { host: this.url.hostname, port: this.url.port, path, method, headers, agent: this.agent, ca: this.creds.ca, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no response within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface ClosedLoopResult {
  /** Operations that completed (2xx). */
  ok: number;
  /** Operations answered with a non-2xx status or that failed (connection error, timeout). */
  errors: number;
  /** Operations never sent because the time limit came first (count as failures). */
  unsent: number;
  /** First few error descriptions. */
  errorSamples: string[];
  elapsedMs: number;
  latencies: number[];
  /** True when the time limit stopped the loop before `total` operations. */
  truncated: boolean;
}

/**
 * Runs `total` operations with `concurrency` workers, each issuing its next operation as soon as
 * the previous one finished; stops early at `maxMs`. `op(i)` returns the response of operation i.
 */
export async function closedLoop(opts: { concurrency: number; total: number; maxMs: number; op: (i: number) => Promise<Response> }): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let next = 0;
  let ok = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.maxMs;
  let truncated = false;
  const worker = async () => {
    while (next < opts.total) {
      if (performance.now() > deadline) {
        truncated = true;
        return;
      }
      const i = next++;
      try {
        const r = await opts.op(i);
        if (r.status >= 200 && r.status < 300) {
          ok++;
          latencies.push(r.ms);
        } else {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(`#${i}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
        }
      } catch (e) {
        errors++;
        if (errorSamples.length < 5) errorSamples.push(`#${i}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { ok, errors, unsent: Math.max(0, opts.total - next), errorSamples, elapsedMs: performance.now() - t0, latencies, truncated };
}

export interface OpenLoopResult {
  sent: number;
  /** Operations never sent because the time limit came first (count as failures). */
  unsent: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  elapsedMs: number;
  /** From the moment the request was due (schedule) to its last byte: includes any client-side lag. */
  fromSchedule: number[];
  /** From the moment the request was handed to node:https to its last byte. */
  fromSend: number[];
  /** How late requests were handed over relative to their schedule (client lag), ms. */
  sendLag: number[];
  /** For each entry of fromSchedule: when that request was due, epoch ms (to line up with a server's probe). */
  dueEpoch: number[];
}

/** Issues `total` operations at a fixed rate regardless of completions (open loop). */
export async function openLoop(opts: { ratePerSec: number; total: number; maxMs: number; op: (i: number) => Promise<Response> }): Promise<OpenLoopResult> {
  const interval = 1000 / opts.ratePerSec;
  const res: OpenLoopResult = { sent: 0, unsent: 0, ok: 0, errors: 0, errorSamples: [], elapsedMs: 0, fromSchedule: [], fromSend: [], sendLag: [], dueEpoch: [] };
  const inflight: Promise<void>[] = [];
  const start = performance.now() + 20;
  const deadline = start + opts.maxMs;
  await new Promise<void>((done) => {
    let next = 0;
    const fire = (i: number, due: number) => {
      const sentAt = performance.now();
      res.sent++;
      res.sendLag.push(sentAt - due);
      inflight.push(
        opts.op(i).then(
          (r) => {
            if (r.status >= 200 && r.status < 300) {
              res.ok++;
              res.fromSend.push(r.ms);
              res.fromSchedule.push(sentAt - due + r.ms);
              res.dueEpoch.push(performance.timeOrigin + due);
            } else {
              res.errors++;
              if (res.errorSamples.length < 5) res.errorSamples.push(`#${i}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
            }
          },
          (e: Error) => {
            res.errors++;
            if (res.errorSamples.length < 5) res.errorSamples.push(`#${i}: ${e.message}`);
          },
        ),
      );
    };
    const tick = () => {
      const now = performance.now();
      while (next < opts.total && start + next * interval <= now) {
        fire(next, start + next * interval);
        next++;
      }
      if (next >= opts.total || now > deadline) return done();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  await Promise.all(inflight);
  res.elapsedMs = performance.now() - start;
  res.unsent = opts.total - res.sent;
  return res;
}
