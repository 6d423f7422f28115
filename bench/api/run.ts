import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { execFileSync } from 'node:child_process';
import { Client, closedLoop, openLoop, readKubeconfig, type ClosedLoopResult, type Credentials, type Response } from '../lib/client.js';
import { setUpRun, startChild, type Child } from '../lib/children.js';
import { summarize, rate, round, sleep, type LatencySummary } from '../lib/stats.js';
import { nedbFloor, type NedbFloorResult } from './nedbFloor.js';
import { openWatchers } from './watchers.js';
import { renderTable, fmtNum, fmtMs, fmtP, type Row } from './report.js';

// `npm run bench:api`: throughput and latency of the API server over real HTTPS against a
// persisted store, each next to a floor measured in the same run (a bare Node HTTPS server with
// the same TLS setup; raw nedb-promises appends). The API server and the bare server run in child
// processes; this process is the client. Prints one JSON document on stdout (also saved to
// bench/results/api-<timestamp>.json) and a table on stderr.
//
// The server is the shipped CLI: `node scripts/build-cli.mjs` (re)builds dist/cli.cjs, then
// `node dist/cli.cjs up --data <tmp> --port 0 --no-ui` runs in a child process (through
// bench/api/cliChild.cjs, which stops it if this process dies) and the URL it prints is parsed.
// Environment: BENCH_SERVER=tsx runs bench/api/controlPlaneChild.ts (tsx, calls
// startControlPlane) instead, without building; BENCH_QUICK=1 shrinks every phase (smoke test;
// its numbers are not comparable).
//
// Writes are durable as the store defines it (appended to the datafile before they are
// acknowledged, no fsync), in a temp folder on the local disk. Every phase is bounded in count
// and in time; a watchdog ends the run after CFG.watchdogMs.

const ROOT = path.resolve(typeof __dirname === 'string' ? path.join(__dirname, '..', '..') : process.cwd());
const QUICK = process.env.BENCH_QUICK === '1';
const SERVER_MODE = process.env.BENCH_SERVER === 'tsx' ? 'tsx' : 'cli';
const q = (full: number, quick: number) => (QUICK ? quick : full);

const CFG = {
  concurrency: 64,
  creates: q(20_000, 2_000),
  updates: q(20_000, 2_000),
  closedLoopMaxMs: 35_000,
  openLoopRate: 1_000,
  openLoopSeconds: q(5, 2),
  gets: q(2_000, 500),
  listObjects: q(10_000, 1_000),
  lists: q(20, 5),
  watchers: q(100, 20),
  watchUpdates: q(200, 50),
  watchSpacingMs: 20,
  nedbSequential: q(5_000, 1_000),
  nedbBatches: q(300, 50),
  nedbBatchSize: 64,
  nedbMaxMs: 8_000,
  bareRequests: q(20_000, 2_000),
  bareMaxMs: 15_000,
  /** Hard stop for the whole run (children are killed, the temp folder removed). */
  watchdogMs: 300_000,
};

const TARGETS = { persistedWritesPerSec: 5_000, writeP99AtRateMs: 10 };

const NS = { list: 'bench-a', other: 'bench-b', rate: 'bench-rate', watch: 'bench-watch', warm: 'bench-warm' };

const log = (s: string) => process.stderr.write(`[bench:api ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ---------------------------------------------------------------------------------------------

const PAYLOAD = 'x'.repeat(200);

function configMap(ns: string, name: string, i: number, extra: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, labels: { app: 'flotilla-bench', shard: String(i % 16) } },
    data: { index: String(i), payload: PAYLOAD, ...extra },
  };
}

const cmPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

function rvOf(body: string): string {
  const rv = (JSON.parse(body) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
  if (!rv) throw new Error(`no resourceVersion in ${body.slice(0, 200)}`);
  return rv;
}

async function must(p: Promise<Response>, what: string): Promise<Response> {
  const r = await p;
  if (r.status < 200 || r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 500)}`);
  return r;
}

interface PhaseStats {
  ok: number;
  errors: number;
  errorSamples: string[];
  elapsedMs: number;
  perSec: number;
  truncated: boolean;
  latencyMs: LatencySummary;
  serverCpuSec?: number;
}

function phaseStats(r: ClosedLoopResult): PhaseStats {
  return {
    ok: r.ok,
    errors: r.errors,
    errorSamples: r.errorSamples,
    elapsedMs: round(r.elapsedMs, 1),
    perSec: rate(r.ok, r.elapsedMs),
    truncated: r.truncated,
    latencyMs: summarize(r.latencies),
  };
}

/** user+system CPU seconds of a process so far (Linux /proc), or undefined. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3); utime/stime are fields 14/15 -> indexes 11/12.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function rssMB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return m ? round(Number(m[1]) / 1024, 1) : undefined;
  } catch {
    return undefined;
  }
}

async function withServerCpu<T extends { serverCpuSec?: number }>(pid: number | undefined, fn: () => Promise<T>): Promise<T> {
  const c0 = cpuSeconds(pid);
  const r = await fn();
  const c1 = cpuSeconds(pid);
  if (c0 !== undefined && c1 !== undefined) r.serverCpuSec = round(c1 - c0, 2);
  return r;
}

// ---------------------------------------------------------------------------------------------

async function startControlPlaneChild(dataDir: string): Promise<{ child: Child; url: string; kubeconfig: string }> {
  if (SERVER_MODE === 'cli') {
    log('building the CLI (node scripts/build-cli.mjs)');
    execFileSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
    const child = await startChild({
      name: 'flotilla up',
      cmd: process.execPath,
      // bench/api/cliChild.cjs loads dist/cli.cjs as is and stops it when this process goes away.
      args: [path.join('bench', 'api', 'cliChild.cjs'), 'up', '--data', dataDir, '--port', '0', '--no-ui'],
      cwd: ROOT,
      ready: /API server: (https:\/\/\S+)/,
      timeoutMs: 60_000,
    });
    return { child, url: child.match[1]!, kubeconfig: path.join(dataDir, 'kubeconfig') };
  }
  const child = await startChild({
    name: 'control plane child',
    cmd: process.execPath,
    args: ['--import', 'tsx', path.join('bench', 'api', 'controlPlaneChild.ts'), dataDir],
    cwd: ROOT,
    ready: /READY (https:\/\/\S+) (\S+)/,
    timeoutMs: 60_000,
  });
  return { child, url: child.match[1]!, kubeconfig: child.match[2]! };
}

async function createNamespaces(c: Client): Promise<void> {
  for (const ns of Object.values(NS)) {
    await must(c.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })), `create namespace ${ns}`);
  }
}

interface ApiResults {
  warmup: { ok: number; errors: number; elapsedMs: number };
  creates: PhaseStats & { concurrency: number; requested: number };
  listNamespaceTopUp: { created: number; errors: number };
  updates: PhaseStats & { concurrency: number; requested: number };
  writesAtFixedRate: {
    ratePerSec: number;
    seconds: number;
    sent: number;
    ok: number;
    errors: number;
    errorSamples: string[];
    achievedPerSec: number;
    latencyFromScheduleMs: LatencySummary;
    latencyFromSendMs: LatencySummary;
    clientSendLagMs: LatencySummary;
    serverCpuSec?: number;
  };
  gets: { ok: number; errors: number; errorSamples: string[]; latencyMs: LatencySummary; perSec: number; serverCpuSec?: number };
  lists: { objectsInNamespace: number; itemsReturned: number[]; bytes: number; ok: number; errors: number; errorSamples: string[]; latencyMs: LatencySummary; serverCpuSec?: number };
  watch: {
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
  };
  serverRssMB?: number;
}

async function runApi(creds: Credentials, pid: number | undefined): Promise<ApiResults> {
  const c = new Client(creds, CFG.concurrency);
  try {
    await createNamespaces(c);

    log('warm-up: 640 creates (opens the 64 keep-alive connections)');
    const warm = await closedLoop({
      concurrency: CFG.concurrency,
      total: 640,
      maxMs: 20_000,
      op: (i) => c.request('POST', cmPath(NS.warm), JSON.stringify(configMap(NS.warm, `warm-${i}`, i))),
    });
    if (warm.errors) throw new Error(`warm-up failed: ${warm.errorSamples.join('\n')}`);

    // (1) creates, split evenly over two namespaces so that NS.list ends up with exactly listObjects.
    log(`(1) ${CFG.creates} creates with ${CFG.concurrency} clients`);
    const rv = new Map<number, string>();
    const nsOf = (i: number) => (i % 2 === 0 ? NS.list : NS.other);
    const createRun = await withServerCpu(pid, async () => {
      const r = await closedLoop({
        concurrency: CFG.concurrency,
        total: CFG.creates,
        maxMs: CFG.closedLoopMaxMs,
        op: async (i) => {
          const res = await c.request('POST', cmPath(nsOf(i)), JSON.stringify(configMap(nsOf(i), `cm-${i}`, i)));
          if (res.status === 201) rv.set(i, rvOf(res.body));
          return res;
        },
      });
      return { ...phaseStats(r), concurrency: CFG.concurrency, requested: CFG.creates } as ApiResults['creates'];
    });
    log(`    ${createRun.ok} ok, ${createRun.errors} errors, ${createRun.perSec}/s, ${fmtP(createRun.latencyMs.p50, createRun.latencyMs.p99)}`);

    // Make NS.list hold exactly listObjects ConfigMaps even if the create phase was cut short.
    const topUp = { created: 0, errors: 0 };
    const listIdx: number[] = [];
    for (let i = 0; listIdx.length < CFG.listObjects && i < CFG.listObjects * 2 + 10; i += 2) listIdx.push(i);
    const missing = listIdx.filter((i) => !rv.has(i));
    if (missing.length) {
      log(`    topping ${NS.list} up with ${missing.length} ConfigMaps`);
      const r = await closedLoop({
        concurrency: CFG.concurrency,
        total: missing.length,
        maxMs: 30_000,
        op: async (k) => {
          const i = missing[k]!;
          const res = await c.request('POST', cmPath(NS.list), JSON.stringify(configMap(NS.list, `cm-${i}`, i)));
          if (res.status === 201) rv.set(i, rvOf(res.body));
          return res;
        },
      });
      topUp.created = r.ok;
      topUp.errors = r.errors;
    }

    // (2) updates: PUT with the resourceVersion of the last write, each object once (cycling if
    // fewer objects exist than updates requested).
    const objects = [...rv.keys()];
    log(`(2) ${CFG.updates} updates (PUT with resourceVersion) with ${CFG.concurrency} clients`);
    const updateRun = await withServerCpu(pid, async () => {
      const r = await closedLoop({
        concurrency: CFG.concurrency,
        total: CFG.updates,
        maxMs: CFG.closedLoopMaxMs,
        op: async (k) => {
          const i = objects[k % objects.length]!;
          const body = configMap(nsOf(i), `cm-${i}`, i, { updated: String(k) });
          const res = await c.request('PUT', cmPath(nsOf(i), `cm-${i}`), JSON.stringify({ ...body, metadata: { ...body.metadata, resourceVersion: rv.get(i) } }));
          if (res.status === 200) rv.set(i, rvOf(res.body));
          return res;
        },
      });
      return { ...phaseStats(r), concurrency: CFG.concurrency, requested: CFG.updates } as ApiResults['updates'];
    });
    log(`    ${updateRun.ok} ok, ${updateRun.errors} errors, ${updateRun.perSec}/s, ${fmtP(updateRun.latencyMs.p50, updateRun.latencyMs.p99)}`);

    // (3) writes (creates) at a fixed open-loop rate.
    const total = CFG.openLoopRate * CFG.openLoopSeconds;
    log(`(3) ${total} creates at a fixed ${CFG.openLoopRate}/s`);
    const fixed = await withServerCpu(pid, async () => {
      const r = await openLoop({
        ratePerSec: CFG.openLoopRate,
        total,
        maxMs: CFG.openLoopSeconds * 1000 + 5_000,
        op: (i) => c.request('POST', cmPath(NS.rate), JSON.stringify(configMap(NS.rate, `rate-${i}`, i))),
      });
      return {
        ratePerSec: CFG.openLoopRate,
        seconds: CFG.openLoopSeconds,
        sent: r.sent,
        ok: r.ok,
        errors: r.errors,
        errorSamples: r.errorSamples,
        achievedPerSec: rate(r.ok, r.elapsedMs),
        latencyFromScheduleMs: summarize(r.fromSchedule),
        latencyFromSendMs: summarize(r.fromSend),
        clientSendLagMs: summarize(r.sendLag),
      } as ApiResults['writesAtFixedRate'];
    });
    log(`    ${fixed.ok} ok, ${fixed.errors} errors, ${fmtP(fixed.latencyFromScheduleMs.p50, fixed.latencyFromScheduleMs.p99)} (from schedule)`);

    // (4) sequential GETs.
    log(`(4) ${CFG.gets} sequential GETs`);
    const gets = await withServerCpu(pid, async () => {
      const r = await closedLoop({
        concurrency: 1,
        total: CFG.gets,
        maxMs: 20_000,
        op: async (k) => {
          const i = listIdx[k % listIdx.length]!;
          const res = await c.request('GET', cmPath(NS.list, `cm-${i}`));
          // Spot-check that the answer is the object asked for.
          if (k % 500 === 0 && res.status === 200 && (JSON.parse(res.body) as { metadata: { name: string } }).metadata.name !== `cm-${i}`) {
            return { ...res, status: 0, body: `GET cm-${i} answered another object: ${res.body.slice(0, 200)}` };
          }
          return res;
        },
      });
      return { ok: r.ok, errors: r.errors, errorSamples: r.errorSamples, latencyMs: summarize(r.latencies), perSec: rate(r.ok, r.elapsedMs) } as ApiResults['gets'];
    });
    log(`    ${fmtP(gets.latencyMs.p50, gets.latencyMs.p99)}`);

    // (5) LIST of the namespace holding exactly listObjects ConfigMaps.
    log(`(5) ${CFG.lists} LISTs of ${CFG.listObjects} ConfigMaps`);
    const lists = await withServerCpu(pid, async () => {
      const lat: number[] = [];
      const bodies: string[] = [];
      let errors = 0;
      const errorSamples: string[] = [];
      const deadline = performance.now() + 30_000;
      for (let k = 0; k < CFG.lists && performance.now() < deadline; k++) {
        const r = await c.request('GET', cmPath(NS.list));
        if (r.status !== 200) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(`HTTP ${r.status} ${r.body.slice(0, 300)}`);
          continue;
        }
        lat.push(r.ms);
        if (k === 0 || k === CFG.lists - 1) bodies.push(r.body);
      }
      const itemsReturned = bodies.map((b) => (JSON.parse(b) as { items: unknown[] }).items.length);
      return {
        objectsInNamespace: CFG.listObjects,
        itemsReturned,
        bytes: bodies[0] ? Buffer.byteLength(bodies[0]) : 0,
        ok: lat.length,
        errors,
        errorSamples,
        latencyMs: summarize(lat),
      } as ApiResults['lists'];
    });
    log(`    items ${lists.itemsReturned.join(', ')}; ${fmtNum(lists.bytes)} bytes; ${fmtP(lists.latencyMs.p50, lists.latencyMs.p99)}`);
    if (lists.itemsReturned.some((n) => n !== CFG.listObjects)) log(`    WARNING: expected ${CFG.listObjects} items`);

    // (6) watch delivery latency.
    log(`(6) ${CFG.watchers} watchers, ${CFG.watchUpdates} updates ${CFG.watchSpacingMs} ms apart`);
    const watch = await withServerCpu(pid, () => runWatch(creds));
    log(`    delivered ${watch.delivered}/${watch.expectedEvents}, ${fmtP(watch.latencyMs.p50, watch.latencyMs.p99)}`);

    return {
      warmup: { ok: warm.ok, errors: warm.errors, elapsedMs: round(warm.elapsedMs, 1) },
      creates: createRun,
      listNamespaceTopUp: topUp,
      updates: updateRun,
      writesAtFixedRate: fixed,
      gets,
      lists,
      watch,
      serverRssMB: rssMB(pid),
    };
  } finally {
    c.close();
  }
}

async function runWatch(creds: Credentials): Promise<ApiResults['watch']> {
  const writer = new Client(creds, 1);
  const name = 'watched';
  const created = await must(writer.request('POST', cmPath(NS.watch), JSON.stringify(configMap(NS.watch, name, 0))), 'create watched ConfigMap');
  let rv = rvOf(created.body);
  const { watchers, agent } = await openWatchers({ creds, path: `${cmPath(NS.watch)}?watch=true&resourceVersion=${rv}`, count: CFG.watchers, timeoutMs: 20_000 });
  const sentAt: number[] = [];
  const writeLat: number[] = [];
  let updateErrors = 0;
  try {
    await sleep(200); // let every stream settle
    const t0 = performance.now();
    for (let k = 0; k < CFG.watchUpdates; k++) {
      const due = t0 + k * CFG.watchSpacingMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const body = configMap(NS.watch, name, 0, { seq: String(k) });
      sentAt[k] = performance.now();
      const r = await writer.request('PUT', cmPath(NS.watch, name), JSON.stringify({ ...body, metadata: { ...body.metadata, resourceVersion: rv } }));
      if (r.status === 200) {
        rv = rvOf(r.body);
        writeLat.push(r.ms);
      } else updateErrors++;
    }
    const expected = CFG.watchers * CFG.watchUpdates;
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
    for (const o of w.other) if (otherLines.length < 5) otherLines.push(o);
  }
  return {
    watchers: CFG.watchers,
    updates: CFG.watchUpdates,
    spacingMs: CFG.watchSpacingMs,
    expectedEvents: CFG.watchers * CFG.watchUpdates,
    delivered,
    duplicates,
    outOfOrder,
    updateErrors,
    otherLines,
    latencyMs: summarize(lat),
    writeLatencyMs: summarize(writeLat),
  };
}

// ---------------------------------------------------------------------------------------------

interface BareFloor {
  concurrentPost: PhaseStats & { concurrency: number; requested: number };
  fixedRatePost: { ratePerSec: number; ok: number; errors: number; latencyFromScheduleMs: LatencySummary; latencyFromSendMs: LatencySummary };
  sequentialGet: { ok: number; latencyMs: LatencySummary };
  bigGet: { bytes: number; ok: number; latencyMs: LatencySummary };
  serverCpuSec?: number;
}

async function runBareFloor(pkiDir: string, ca: string, listBytes: number): Promise<BareFloor> {
  const child = await startChild({
    name: 'bare HTTPS server',
    cmd: process.execPath,
    args: ['--import', 'tsx', path.join('bench', 'api', 'bareServerChild.ts'), pkiDir],
    cwd: ROOT,
    ready: /READY (https:\/\/\S+)/,
    timeoutMs: 30_000,
  });
  const pid = child.proc.pid;
  const c = new Client({ server: child.match[1]!, ca }, CFG.concurrency);
  try {
    const bodies = (i: number) => JSON.stringify(configMap(NS.other, `cm-${i}`, i));
    await closedLoop({ concurrency: CFG.concurrency, total: 640, maxMs: 10_000, op: (i) => c.request('POST', '/warm', bodies(i)) });
    log(`floor (a): bare HTTPS server, ${CFG.bareRequests} POSTs with ${CFG.concurrency} clients, ${CFG.openLoopRate}/s for ${CFG.openLoopSeconds} s, GETs, ${CFG.lists} large bodies`);
    const c0 = cpuSeconds(pid);
    const post = await closedLoop({ concurrency: CFG.concurrency, total: CFG.bareRequests, maxMs: CFG.bareMaxMs, op: (i) => c.request('POST', '/api/v1/namespaces/x/configmaps', bodies(i)) });
    const c1 = cpuSeconds(pid);
    const fixed = await openLoop({
      ratePerSec: CFG.openLoopRate,
      total: CFG.openLoopRate * CFG.openLoopSeconds,
      maxMs: CFG.openLoopSeconds * 1000 + 5_000,
      op: (i) => c.request('POST', '/api/v1/namespaces/x/configmaps', bodies(i)),
    });
    const get = await closedLoop({ concurrency: 1, total: CFG.gets, maxMs: 15_000, op: () => c.request('GET', '/api/v1/namespaces/x/configmaps/y') });
    const big = await closedLoop({ concurrency: 1, total: CFG.lists, maxMs: 20_000, op: () => c.request('GET', `/big?bytes=${listBytes}`) });
    const concurrentPost = { ...phaseStats(post), concurrency: CFG.concurrency, requested: CFG.bareRequests };
    log(`    ${concurrentPost.perSec} req/s, ${fmtP(concurrentPost.latencyMs.p50, concurrentPost.latencyMs.p99)}`);
    return {
      concurrentPost,
      fixedRatePost: { ratePerSec: CFG.openLoopRate, ok: fixed.ok, errors: fixed.errors, latencyFromScheduleMs: summarize(fixed.fromSchedule), latencyFromSendMs: summarize(fixed.fromSend) },
      sequentialGet: { ok: get.ok, latencyMs: summarize(get.latencies) },
      bigGet: { bytes: listBytes, ok: big.ok, latencyMs: summarize(big.latencies) },
      serverCpuSec: c0 !== undefined && c1 !== undefined ? round(c1 - c0, 2) : undefined,
    };
  } finally {
    c.close();
    await child.stop();
  }
}

// ---------------------------------------------------------------------------------------------

function buildRows(api: ApiResults, bare: BareFloor, nedb: NedbFloorResult): Row[] {
  const perSec = (n: number) => `${fmtNum(n)}/s`;
  const bareRate = `bare HTTPS: ${perSec(bare.concurrentPost.perSec)}; nedb: ${perSec(nedb.batched.insertsPerSec)} batched x${nedb.batched.batchSize}, ${perSec(nedb.sequential.insertsPerSec)} sequential`;
  const bareLat = `bare HTTPS, 64 clients: ${fmtP(bare.concurrentPost.latencyMs.p50, bare.concurrentPost.latencyMs.p99)}`;
  const err = (n: number) => (n ? ` (${n} errors)` : '');
  const w = api.watch;
  const fr = api.writesAtFixedRate;
  return [
    {
      metric: `persisted creates/s (${api.creates.concurrency} clients, ${fmtNum(api.creates.ok)} ConfigMaps)`,
      measured: perSec(api.creates.perSec) + err(api.creates.errors) + (api.creates.truncated ? ' (time limit hit)' : ''),
      target: `>= ${fmtNum(TARGETS.persistedWritesPerSec)}/s`,
      met: api.creates.perSec >= TARGETS.persistedWritesPerSec && !api.creates.errors,
      floor: bareRate,
    },
    { metric: 'create latency', measured: fmtP(api.creates.latencyMs.p50, api.creates.latencyMs.p99), floor: bareLat },
    {
      metric: `persisted updates/s (PUT with resourceVersion, ${api.updates.concurrency} clients)`,
      measured: perSec(api.updates.perSec) + err(api.updates.errors) + (api.updates.truncated ? ' (time limit hit)' : ''),
      target: `>= ${fmtNum(TARGETS.persistedWritesPerSec)}/s`,
      met: api.updates.perSec >= TARGETS.persistedWritesPerSec && !api.updates.errors,
      floor: bareRate,
    },
    { metric: 'update latency', measured: fmtP(api.updates.latencyMs.p50, api.updates.latencyMs.p99), floor: bareLat },
    {
      metric: `write latency at fixed ${fmtNum(fr.ratePerSec)} writes/s for ${fr.seconds} s (from scheduled send)`,
      measured: `${fmtP(fr.latencyFromScheduleMs.p50, fr.latencyFromScheduleMs.p99)}; ${fmtNum(fr.achievedPerSec)}/s achieved${err(fr.errors)}`,
      target: `p99 < ${TARGETS.writeP99AtRateMs} ms`,
      met: fr.latencyFromScheduleMs.p99 < TARGETS.writeP99AtRateMs && !fr.errors,
      floor: `bare HTTPS at the same rate: ${fmtP(bare.fixedRatePost.latencyFromScheduleMs.p50, bare.fixedRatePost.latencyFromScheduleMs.p99)}`,
    },
    {
      metric: '  same, from actual send',
      measured: `${fmtP(fr.latencyFromSendMs.p50, fr.latencyFromSendMs.p99)} (client send lag p99 ${fmtMs(fr.clientSendLagMs.p99)} ms)`,
      floor: `bare HTTPS at the same rate: ${fmtP(bare.fixedRatePost.latencyFromSendMs.p50, bare.fixedRatePost.latencyFromSendMs.p99)}`,
    },
    {
      metric: `GET latency (${fmtNum(api.gets.ok)} sequential)`,
      measured: fmtP(api.gets.latencyMs.p50, api.gets.latencyMs.p99) + err(api.gets.errors),
      floor: `bare HTTPS sequential GET: ${fmtP(bare.sequentialGet.latencyMs.p50, bare.sequentialGet.latencyMs.p99)}`,
    },
    {
      metric: `LIST latency (${fmtNum(api.lists.objectsInNamespace)} ConfigMaps, ${api.lists.ok} lists, ${(api.lists.bytes / 1048576).toFixed(1)} MiB)`,
      measured: fmtP(api.lists.latencyMs.p50, api.lists.latencyMs.p99) + (api.lists.itemsReturned.every((n) => n === api.lists.objectsInNamespace) ? '' : ` (items: ${api.lists.itemsReturned.join(',')})`),
      floor: `bare HTTPS ${(bare.bigGet.bytes / 1048576).toFixed(1)} MiB body: ${fmtP(bare.bigGet.latencyMs.p50, bare.bigGet.latencyMs.p99)}`,
    },
    {
      metric: `watch delivery latency (${w.watchers} watchers, ${w.updates} updates ${w.spacingMs} ms apart)`,
      measured: fmtP(w.latencyMs.p50, w.latencyMs.p99),
      floor: `the update's own PUT: ${fmtP(w.writeLatencyMs.p50, w.writeLatencyMs.p99)}`,
    },
    {
      metric: 'watch events delivered',
      measured: `${fmtNum(w.delivered)} / ${fmtNum(w.expectedEvents)}${w.duplicates ? `, ${w.duplicates} duplicates` : ''}${w.outOfOrder ? `, ${w.outOfOrder} out of order` : ''}`,
      target: `= ${fmtNum(w.expectedEvents)}`,
      met: w.delivered === w.expectedEvents && !w.duplicates && !w.outOfOrder,
    },
  ];
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const { tmp, cleanup } = setUpRun('api', CFG.watchdogMs, log);

  log(`temp folder ${tmp}; server: ${SERVER_MODE}${QUICK ? '; QUICK mode (numbers not comparable)' : ''}`);

  // Floor (b) first, while nothing else runs.
  log(`floor (b): nedb-promises, ${CFG.nedbSequential} sequential inserts, ${CFG.nedbBatches} x ${CFG.nedbBatchSize} batched`);
  const nedbDir = path.join(tmp, 'nedb');
  fs.mkdirSync(nedbDir);
  const sampleJSON = (i: number) =>
    JSON.stringify({ ...configMap(NS.list, `cm-${i}`, i), metadata: { ...configMap(NS.list, `cm-${i}`, i).metadata, uid: '00000000-0000-0000-0000-000000000000', resourceVersion: String(i + 1), creationTimestamp: started.toISOString() } });
  const nedb = await nedbFloor({ dir: nedbDir, objectJSON: sampleJSON, sequentialDocs: CFG.nedbSequential, batches: CFG.nedbBatches, batchSize: CFG.nedbBatchSize, maxMs: CFG.nedbMaxMs });
  log(`    sequential ${nedb.sequential.insertsPerSec}/s, batched ${nedb.batched.insertsPerSec} docs/s`);
  fs.rmSync(nedbDir, { recursive: true, force: true });

  const dataDir = path.join(tmp, 'data');
  log('starting the control plane in a child process');
  const cp = await startControlPlaneChild(dataDir);
  const creds = readKubeconfig(cp.kubeconfig);
  if (creds.server !== cp.url) throw new Error(`the kubeconfig server ${creds.server} differs from the printed URL ${cp.url}`);
  log(`    ${cp.url} (pid ${cp.child.proc.pid})`);
  let api: ApiResults;
  let storeBytes = 0;
  try {
    api = await runApi(creds, cp.child.proc.pid);
  } catch (e) {
    process.stderr.write(cp.child.stderr().slice(-4000));
    throw e;
  } finally {
    const code = await cp.child.stop();
    if (code !== 0) log(`control plane exited with code ${code}: ${cp.child.stderr().slice(-2000)}`);
  }
  try {
    storeBytes = fs.statSync(path.join(dataDir, 'store.db')).size;
  } catch {
    /* no datafile */
  }

  const bare = await runBareFloor(path.join(dataDir, 'pki'), creds.ca, api.lists.bytes || 1);
  cleanup();

  const rows = buildRows(api, bare, nedb);
  const finished = new Date();
  const doc = {
    benchmark: 'flotilla api',
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSec: round((performance.now() - t0) / 1000, 1),
    quick: QUICK,
    environment: {
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGB: round(os.totalmem() / 2 ** 30, 1),
      serverMode: SERVER_MODE === 'cli' ? 'node dist/cli.cjs up --data <tmp> --port 0 --no-ui (child process, via bench/api/cliChild.cjs)' : 'node --import tsx bench/api/controlPlaneChild.ts (child process)',
      store: 'persisted (nedb datafile in a temp folder on the local disk)',
      storeFileBytesAtEnd: storeBytes,
    },
    config: CFG,
    targets: {
      persistedWritesPerSec: { target: `>= ${TARGETS.persistedWritesPerSec}`, creates: api.creates.perSec, updates: api.updates.perSec, met: rows[0]!.met && rows[2]!.met },
      writeP99AtFixedRateMs: { target: `< ${TARGETS.writeP99AtRateMs} at ${CFG.openLoopRate}/s`, measured: api.writesAtFixedRate.latencyFromScheduleMs.p99, met: rows[4]!.met },
      watchEventsDelivered: { target: api.watch.expectedEvents, measured: api.watch.delivered, met: rows[9]!.met },
    },
    api,
    floors: { bareHttps: bare, nedb },
  };
  const json = JSON.stringify(doc, null, 2);
  const resultsDir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = path.join(resultsDir, `api-${stamp}.json`);
  fs.writeFileSync(file, `${json}\n`);
  const table = renderTable(rows);
  fs.writeFileSync(path.join(resultsDir, `api-${stamp}.txt`), `${table}\n`);
  process.stdout.write(`${json}\n`);
  process.stderr.write(`\n${table}\n\nrun took ${doc.durationSec} s; results saved to ${path.relative(ROOT, file)}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench:api failed: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
