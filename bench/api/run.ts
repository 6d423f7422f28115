import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, closedLoop, type ClosedLoopResult } from '../lib/client.js';
import { setUpRun } from '../lib/children.js';
import { benchArgs, uniqueClusterName } from '../lib/args.js';
import { CpuMeter } from '../lib/proc.js';
import type { ProcMemory } from '../lib/probe.cjs';
import { summarizeProfile, renderProfile, writeRemapped, type ProfileSummary } from '../lib/profile.js';
import { summarize, rate, round, type LatencySummary } from '../lib/stats.js';
import { nedbFloor, type NedbFloorResult } from './nedbFloor.js';
import { watchPhase, type WatchResult } from './watchers.js';
import { fixedRate, type FixedRateResult } from './fixedRate.js';
import { NS, cmPath, configMap, must, rvOf } from './objects.js';
import { buildCli, startApiServer, startBareServer, ROOT, type ApiServer, type BareServer } from './servers.js';
import { renderTable, fmtNum, fmtP, type Row } from './report.js';
import { environment, runHeader } from '../cluster/util.js';

// `npm run bench:api [-- --quick] [-- --profile] [-- --rounds N]`: throughput and latency of the
// API server over real HTTPS against a persisted store, every verdict a ratio to a floor measured
// in the same run: a bare Node HTTPS server with the same TLS setup (bench/api/servers.ts), and
// raw nedb-promises appends. Only the component measured runs: the shipped CLI's `up --nodes 0
// --no-controllers` (no Docker nodes, scheduler or controllers), under a cluster name unique to
// the run; it is stopped and `flotilla down` run on its data folder on every way out (normal
// end, failure, SIGINT/SIGTERM, watchdog). Prints one JSON document on stdout (also saved to
// bench/results/api-<timestamp>.json) and a table on stderr.
//
// Phases: closed-loop creates and updates (64 clients) between two runs of the floor; writes at a
// fixed 1,000/s in interleaved rounds with the floor, with the API server's event loop and GC
// probed (bench/lib/probe.cjs) so that the table says where its slow requests spent their time;
// GETs, LISTs, watch delivery. Every request of every phase must be sent and answered 2xx:
// unsent or failed requests make the phase NOT MET. --profile adds V8 CPU profiles of the API
// server during the fixed-rate rounds (bench/results/profiles). --quick shrinks every phase (a
// smoke test for CI; its numbers are not comparable).
//
// Writes are durable as the store defines it (appended to the datafile before they are
// acknowledged, no fsync), in a temp folder on the local disk.

const ARGS = benchArgs();
const QUICK = ARGS.quick;
const q = (full: number, quick: number) => (QUICK ? quick : full);

const CFG = {
  concurrency: 64,
  warmup: q(640, 320),
  creates: q(20_000, 1_000),
  updates: q(20_000, 1_000),
  closedLoopMaxMs: 60_000,
  floorRequests: q(20_000, 1_000),
  openLoopRate: 1_000,
  openLoopSeconds: q(5, 1),
  openLoopRounds: ARGS.rounds ?? q(5, 1),
  gets: q(2_000, 200),
  listObjects: q(10_000, 500),
  /** 101 or more: a nearest-rank p99 that is not the maximum. */
  lists: q(101, 3),
  watchers: q(100, 10),
  watchUpdates: q(200, 20),
  watchSpacingMs: 20,
  nedbSequential: q(5_000, 300),
  nedbBatches: q(300, 20),
  nedbBatchSize: 64,
  nedbMaxMs: 8_000,
  /** Hard stop for the whole run (the teardown runs, the temp folder is removed). */
  watchdogMs: q(420_000, 120_000),
};

/**
 * Verdicts, each a ratio to the bare HTTPS server measured in the same run (issue 8, items 10
 * and 12). Persisted writes at half the rate of a server that does nothing but TLS and HTTP; the
 * p99 of writes at a fixed rate within twice the floor's.
 */
const TARGETS = { writesOfFloor: 0.5, rateP99OfFloor: 2 };

const log = (s: string) => process.stderr.write(`[bench:api ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ---------------------------------------------------------------------------------------------

interface PhaseStats {
  requested: number;
  ok: number;
  errors: number;
  unsent: number;
  errorSamples: string[];
  elapsedMs: number;
  perSec: number;
  latencyMs: LatencySummary;
  cpuSec?: Record<string, number | undefined>;
}

function phaseStats(requested: number, r: ClosedLoopResult, cpu?: CpuMeter): PhaseStats {
  return {
    requested,
    ok: r.ok,
    errors: r.errors,
    unsent: r.unsent,
    errorSamples: r.errorSamples,
    elapsedMs: round(r.elapsedMs, 1),
    perSec: rate(r.ok, r.elapsedMs),
    latencyMs: summarize(r.latencies),
    cpuSec: cpu?.read(),
  };
}

const failures = (p: { errors: number; unsent: number }) => p.errors + p.unsent;

interface ListStats {
  objectsInNamespace: number;
  itemsReturned: number[];
  bytes: number;
  requested: number;
  ok: number;
  errors: number;
  unsent: number;
  errorSamples: string[];
  latencyMs: LatencySummary;
}

interface Results {
  floorBefore: PhaseStats;
  creates: PhaseStats;
  updates: PhaseStats;
  floorAfter: PhaseStats;
  fixedRate: FixedRateResult;
  gets: PhaseStats;
  floorGets: PhaseStats;
  lists: ListStats;
  floorBigGets: PhaseStats & { bytes: number };
  watch: WatchResult;
  memory?: ProcMemory & { heapUsedMB: number };
  profiles: ProfileSummary[];
}

async function createNamespaces(c: Client): Promise<void> {
  for (const ns of Object.values(NS)) {
    await must(c.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })), `create namespace ${ns}`);
  }
}

/** The floor's closed loop: the same POST bodies, 64 clients. */
async function floorPosts(bare: BareServer, c: Client, total: number): Promise<PhaseStats> {
  const cpu = new CpuMeter({ server: bare.pid, bench: process.pid });
  const r = await closedLoop({ concurrency: CFG.concurrency, total, maxMs: CFG.closedLoopMaxMs, op: (i) => c.request('POST', cmPath(NS.other), JSON.stringify(configMap(NS.other, `cm-${i}`, i))) });
  return phaseStats(total, r, cpu);
}

async function runPhases(api: ApiServer, bare: BareServer, profileDir: string | undefined): Promise<Results> {
  const c = new Client(api.creds, CFG.concurrency);
  const f = new Client(bare.creds, CFG.concurrency);
  try {
    await createNamespaces(c);
    log(`warm-up: ${CFG.warmup} creates on each server (opens the ${CFG.concurrency} keep-alive connections)`);
    const warm = await closedLoop({ concurrency: CFG.concurrency, total: CFG.warmup, maxMs: 30_000, op: (i) => c.request('POST', cmPath(NS.warm), JSON.stringify(configMap(NS.warm, `warm-${i}`, i))) });
    if (failures(warm)) throw new Error(`warm-up failed: ${warm.errorSamples.join('\n')}`);
    await floorPosts(bare, f, CFG.warmup);

    // (1) the floor, creates, updates, the floor again: the floor's mean is the same-run reference.
    log(`(1) floor: ${CFG.floorRequests} POSTs to the bare server with ${CFG.concurrency} clients`);
    const floorBefore = await floorPosts(bare, f, CFG.floorRequests);
    log(`    ${floorBefore.perSec}/s, ${fmtP(floorBefore.latencyMs.p50, floorBefore.latencyMs.p99)}`);

    log(`(2) ${CFG.creates} creates with ${CFG.concurrency} clients`);
    const rv = new Map<number, string>();
    // Even indexes go to NS.list, which then holds exactly listObjects ConfigMaps (checked below).
    const nsOf = (i: number) => (i % 2 === 0 && i / 2 < CFG.listObjects ? NS.list : NS.other);
    let cpu = new CpuMeter({ server: api.pid, bench: process.pid });
    const createRun = await closedLoop({
      concurrency: CFG.concurrency,
      total: CFG.creates,
      maxMs: CFG.closedLoopMaxMs,
      op: async (i) => {
        const res = await c.request('POST', cmPath(nsOf(i)), JSON.stringify(configMap(nsOf(i), `cm-${i}`, i)));
        if (res.status === 201) rv.set(i, rvOf(res.body));
        return res;
      },
    });
    const creates = phaseStats(CFG.creates, createRun, cpu);
    log(`    ${creates.ok} ok, ${failures(creates)} failed or unsent, ${creates.perSec}/s, ${fmtP(creates.latencyMs.p50, creates.latencyMs.p99)}`);

    log(`(3) ${CFG.updates} updates (PUT with resourceVersion) with ${CFG.concurrency} clients`);
    const objects = [...rv.keys()];
    if (!objects.length) throw new Error('no object was created');
    cpu = new CpuMeter({ server: api.pid, bench: process.pid });
    const updateRun = await closedLoop({
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
    const updates = phaseStats(CFG.updates, updateRun, cpu);
    log(`    ${updates.ok} ok, ${failures(updates)} failed or unsent, ${updates.perSec}/s, ${fmtP(updates.latencyMs.p50, updates.latencyMs.p99)}`);

    log(`(4) floor again: ${CFG.floorRequests} POSTs to the bare server`);
    const floorAfter = await floorPosts(bare, f, CFG.floorRequests);
    log(`    ${floorAfter.perSec}/s, ${fmtP(floorAfter.latencyMs.p50, floorAfter.latencyMs.p99)}`);

    // (5) fixed rate, interleaved with the floor.
    log(`(5) ${CFG.openLoopRounds} rounds of ${CFG.openLoopRate} writes/s for ${CFG.openLoopSeconds} s on each server, interleaved; server probes on`);
    if (profileDir) await api.command('profile-start', 10_000);
    const fr = await fixedRate({
      api: { label: 'API server', pid: api.pid, client: c, command: api.command, op: (i) => c.request('POST', cmPath(NS.rate), JSON.stringify(configMap(NS.rate, `rate-${i}`, i))) },
      floor: { label: 'bare HTTPS', pid: bare.pid, client: f, command: bare.command, op: (i) => f.request('POST', cmPath(NS.rate), JSON.stringify(configMap(NS.rate, `rate-${i}`, i))) },
      ratePerSec: CFG.openLoopRate,
      seconds: CFG.openLoopSeconds,
      rounds: CFG.openLoopRounds,
      log,
    });
    const profiles: ProfileSummary[] = [];
    if (profileDir) {
      fs.mkdirSync(profileDir, { recursive: true });
      const raw = path.join(profileDir, 'fixed-rate-apiserver.bundle.cpuprofile');
      await api.command(`profile-stop ${raw}`, 60_000);
      // Positions in dist/cli.cjs mapped back to src-main/... with the bundle's source map.
      const file = path.join(profileDir, 'fixed-rate-apiserver.cpuprofile');
      writeRemapped(file, fs.readFileSync(raw, 'utf8'), JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'cli.cjs.map'), 'utf8')), 'cli.cjs', ROOT);
      fs.rmSync(raw);
      profiles.push(summarizeProfile(file));
      log(`    CPU profile (all rounds, including the floor's, when the API server idles): ${path.relative(ROOT, file)}`);
    }
    log(`    p99 ratio: median of rounds ${fr.medianRoundP99Ratio}x (per round ${fr.perRoundP99Ratio.join(', ')}); pooled: API ${fr.api.pooled.p99} ms, floor ${fr.floor.pooled.p99} ms, ${fr.p99Ratio}x`);
    log(`    server CPU per request: API ${fr.cpuUsPerRequest.api} us, floor ${fr.cpuUsPerRequest.floor} us`);
    log(`    API requests past ${fr.api.tail.thresholdMs} ms (2x the floor's p99): ${fr.api.tail.slow}; by cause ${JSON.stringify(fr.api.tail.byCause)}`);

    // (6) sequential GETs, each server.
    const listIdx = Array.from({ length: CFG.listObjects }, (_, k) => 2 * k);
    log(`(6) ${CFG.gets} sequential GETs on each server`);
    const getRun = await closedLoop({
      concurrency: 1,
      total: CFG.gets,
      maxMs: 30_000,
      op: async (k) => {
        const i = listIdx[k % listIdx.length]!;
        const res = await c.request('GET', cmPath(NS.list, `cm-${i}`));
        // Spot-check that the answer is the object asked for.
        if (k % 50 === 0 && res.status === 200 && (JSON.parse(res.body) as { metadata: { name: string } }).metadata.name !== `cm-${i}`) {
          return { ...res, status: 0, body: `GET cm-${i} answered another object: ${res.body.slice(0, 200)}` };
        }
        return res;
      },
    });
    const gets = phaseStats(CFG.gets, getRun);
    const floorGets = phaseStats(CFG.gets, await closedLoop({ concurrency: 1, total: CFG.gets, maxMs: 30_000, op: () => f.request('GET', cmPath(NS.list, 'cm-0')) }));
    log(`    API ${fmtP(gets.latencyMs.p50, gets.latencyMs.p99)}; floor ${fmtP(floorGets.latencyMs.p50, floorGets.latencyMs.p99)}`);

    // (7) LISTs of the namespace holding exactly listObjects ConfigMaps; the floor sends as many bytes.
    log(`(7) ${CFG.lists} LISTs of ${CFG.listObjects} ConfigMaps; the floor answers a body of the same size`);
    const lat: number[] = [];
    const items: number[] = [];
    let bytes = 0;
    let listErrors = 0;
    const listErrorSamples: string[] = [];
    const deadline = performance.now() + 60_000;
    let sentLists = 0;
    for (; sentLists < CFG.lists && performance.now() < deadline; sentLists++) {
      const r = await c.request('GET', cmPath(NS.list)).catch((e: Error) => ({ status: 0, body: e.message, ms: 0 }));
      if (r.status !== 200) {
        listErrors++;
        if (listErrorSamples.length < 5) listErrorSamples.push(`HTTP ${r.status} ${r.body.slice(0, 300)}`);
        continue;
      }
      lat.push(r.ms);
      items.push((JSON.parse(r.body) as { items: unknown[] }).items.length);
      bytes = Buffer.byteLength(r.body);
    }
    const lists: ListStats = { objectsInNamespace: CFG.listObjects, itemsReturned: items, bytes, requested: CFG.lists, ok: lat.length, errors: listErrors, unsent: CFG.lists - sentLists, errorSamples: listErrorSamples, latencyMs: summarize(lat) };
    const big = await closedLoop({ concurrency: 1, total: CFG.lists, maxMs: 60_000, op: () => f.request('GET', `/big?bytes=${bytes || 1}`) });
    const floorBigGets = { ...phaseStats(CFG.lists, big), bytes };
    log(`    API ${fmtP(lists.latencyMs.p50, lists.latencyMs.p99)} (${fmtNum(bytes)} bytes); floor ${fmtP(floorBigGets.latencyMs.p50, floorBigGets.latencyMs.p99)}`);

    // (8) watch delivery latency.
    log(`(8) ${CFG.watchers} watchers, ${CFG.watchUpdates} updates ${CFG.watchSpacingMs} ms apart`);
    const watch = await watchPhase(api.creds, { watchers: CFG.watchers, updates: CFG.watchUpdates, spacingMs: CFG.watchSpacingMs });
    log(`    delivered ${watch.delivered}/${watch.expectedEvents}, ${fmtP(watch.latencyMs.p50, watch.latencyMs.p99)}`);

    const mem = await api.command<{ memory: NodeJS.MemoryUsage; proc?: ProcMemory }>('memory').catch(() => undefined);
    const memory = mem?.proc ? { ...mem.proc, heapUsedMB: round(mem.memory.heapUsed / 1048576, 1) } : undefined;
    return { floorBefore, creates, updates, floorAfter, fixedRate: fr, gets, floorGets, lists, floorBigGets, watch, memory, profiles };
  } finally {
    c.close();
    f.close();
  }
}

// ---------------------------------------------------------------------------------------------

function buildRows(r: Results, nedb: NedbFloorResult): Row[] {
  const perSec = (n: number) => `${fmtNum(n)}/s`;
  const floorRate = (r.floorBefore.perSec + r.floorAfter.perSec) / 2;
  const fail = (p: { errors: number; unsent: number }) => (failures(p) ? ` (${p.errors} failed, ${p.unsent} unsent)` : '');
  const p99note = (l: LatencySummary) => (l.p99IsMax ? ' (p99 = max: too few samples)' : '');
  const writes = (p: PhaseStats, what: string): Row => {
    const ratio = round(p.perSec / floorRate, 2);
    return {
      metric: `persisted ${what}/s (${CFG.concurrency} clients, ${fmtNum(p.requested)} ConfigMaps)`,
      measured: `${perSec(p.perSec)} = ${ratio}x the floor${fail(p)}`,
      target: `>= ${TARGETS.writesOfFloor}x the floor, all answered`,
      met: ratio >= TARGETS.writesOfFloor && !failures(p),
      floor: `bare HTTPS, same bodies: ${perSec(r.floorBefore.perSec)} before, ${perSec(r.floorAfter.perSec)} after${fail({ errors: r.floorBefore.errors + r.floorAfter.errors, unsent: r.floorBefore.unsent + r.floorAfter.unsent })}; nedb alone: ${perSec(nedb.batched.insertsPerSec)} batched x${nedb.batched.batchSize}, ${perSec(nedb.sequential.insertsPerSec)} sequential`,
    };
  };
  const fr = r.fixedRate;
  const frFailures = [...fr.api.rounds, ...fr.floor.rounds].reduce((n, x) => n + x.errors + x.unsent, 0);
  const w = r.watch;
  const causes = Object.entries(fr.api.tail.byCause)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
  const gcText = (rounds: FixedRateResult['api']['rounds']) => {
    const by: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
    for (const x of rounds)
      for (const [k, g] of Object.entries(x.probe.gc)) {
        const e = (by[k] ??= { count: 0, totalMs: 0, maxMs: 0 });
        e.count += g.count;
        e.totalMs = round(e.totalMs + g.totalMs, 1);
        e.maxMs = Math.max(e.maxMs, g.maxMs);
      }
    return Object.entries(by).map(([k, g]) => `${k} ${g.count}x, ${g.totalMs} ms, max ${round(g.maxMs, 1)} ms`).join('; ') || 'none';
  };
  const loopP99 = (rounds: FixedRateResult['api']['rounds']) => rounds.map((x) => x.probe.eventLoopDelayMs.p99).join('/');
  return [
    writes(r.creates, 'creates'),
    { metric: 'create latency', measured: fmtP(r.creates.latencyMs.p50, r.creates.latencyMs.p99), floor: `bare HTTPS, 64 clients: ${fmtP(r.floorBefore.latencyMs.p50, r.floorBefore.latencyMs.p99)}` },
    writes(r.updates, 'updates (PUT with resourceVersion)'),
    { metric: 'update latency', measured: fmtP(r.updates.latencyMs.p50, r.updates.latencyMs.p99), floor: `bare HTTPS, 64 clients: ${fmtP(r.floorAfter.latencyMs.p50, r.floorAfter.latencyMs.p99)}` },
    {
      metric: `write latency at a fixed ${fmtNum(fr.ratePerSec)} creates/s (from scheduled send), ${fr.rounds} x ${fr.secondsPerRound} s interleaved with the floor`,
      measured: `p99 ${fr.medianRoundP99Ratio}x the floor's in the median round (rounds: ${fr.perRoundP99Ratio.join(', ')}x); all rounds pooled: ${fmtP(fr.api.pooled.p50, fr.api.pooled.p99)}${p99note(fr.api.pooled)}, ${fr.p99Ratio}x${frFailures ? ` (${frFailures} failed or unsent)` : ''}`,
      target: `p99 <= ${TARGETS.rateP99OfFloor}x the floor's (median round), every request answered`,
      met: fr.medianRoundP99Ratio <= TARGETS.rateP99OfFloor && fr.complete,
      floor: `bare HTTPS at the same rate, pooled: ${fmtP(fr.floor.pooled.p50, fr.floor.pooled.p99)}`,
    },
    {
      metric: `  where the API's requests slower than ${fr.api.tail.thresholdMs} ms (2x the floor's p99) spent their time`,
      measured: `${fr.api.tail.slow} of ${fmtNum(fr.api.tail.requests)}: ${causes || 'none'}`,
      floor: `the floor's own: ${fr.floor.tail.slow} of ${fmtNum(fr.floor.tail.requests)}: ${JSON.stringify(fr.floor.tail.byCause)}`,
    },
    {
      metric: '  server CPU time per request in those rounds (all threads, median round)',
      measured: `${fmtNum(fr.cpuUsPerRequest.api)} us = ${round(fr.cpuUsPerRequest.api / fr.cpuUsPerRequest.floor, 2)}x the floor's`,
      floor: `bare HTTPS: ${fmtNum(fr.cpuUsPerRequest.floor)} us`,
    },
    {
      metric: '  server during those rounds: GC pauses; event loop delay p99 per round',
      measured: `${gcText(fr.api.rounds)}; loop delay p99 ${loopP99(fr.api.rounds)} ms; loop ${fr.api.rounds.map((x) => Math.round(x.probe.eventLoopUtilization * 100)).join('/')}% busy`,
      floor: `${gcText(fr.floor.rounds)}; loop delay p99 ${loopP99(fr.floor.rounds)} ms; ${fr.floor.rounds.map((x) => Math.round(x.probe.eventLoopUtilization * 100)).join('/')}% busy`,
    },
    {
      metric: `GET latency (${fmtNum(r.gets.requested)} sequential)`,
      measured: fmtP(r.gets.latencyMs.p50, r.gets.latencyMs.p99) + fail(r.gets),
      floor: `bare HTTPS sequential GET: ${fmtP(r.floorGets.latencyMs.p50, r.floorGets.latencyMs.p99)}`,
    },
    {
      metric: `LIST latency (${fmtNum(r.lists.objectsInNamespace)} ConfigMaps, ${r.lists.ok} lists, ${(r.lists.bytes / 1048576).toFixed(1)} MiB)`,
      measured: fmtP(r.lists.latencyMs.p50, r.lists.latencyMs.p99) + p99note(r.lists.latencyMs) + fail(r.lists),
      target: `${fmtNum(r.lists.objectsInNamespace)} items in each`,
      met: r.lists.itemsReturned.length === r.lists.requested && r.lists.itemsReturned.every((n) => n === r.lists.objectsInNamespace),
      floor: `bare HTTPS, a body of the same size: ${fmtP(r.floorBigGets.latencyMs.p50, r.floorBigGets.latencyMs.p99)}`,
    },
    {
      metric: `watch delivery latency (${w.watchers} watchers, ${w.updates} updates ${w.spacingMs} ms apart)`,
      measured: fmtP(w.latencyMs.p50, w.latencyMs.p99),
      floor: `the update's own PUT: ${fmtP(w.writeLatencyMs.p50, w.writeLatencyMs.p99)}`,
    },
    {
      metric: 'watch events delivered',
      measured: `${fmtNum(w.delivered)} / ${fmtNum(w.expectedEvents)}${w.duplicates ? `, ${w.duplicates} duplicates` : ''}${w.outOfOrder ? `, ${w.outOfOrder} out of order` : ''}${w.updateErrors ? `, ${w.updateErrors} updates failed` : ''}`,
      target: `= ${fmtNum(w.expectedEvents)}`,
      met: w.delivered === w.expectedEvents && !w.duplicates && !w.outOfOrder && !w.updateErrors,
    },
    {
      metric: 'API server memory at the end (RSS; anonymous; peak RSS; V8 heap used)',
      measured: r.memory ? `${r.memory.rssMB} MB; ${r.memory.anonMB} MB; ${r.memory.peakRssMB} MB; ${r.memory.heapUsedMB} MB` : 'n/a',
    },
  ];
}

/** Phases where a request failed or was never sent, or that did not run to the end. */
function incompletePhases(r: Results): string[] {
  const out: string[] = [];
  const phases: [string, { errors: number; unsent: number }][] = [
    ['floor before', r.floorBefore],
    ['creates', r.creates],
    ['updates', r.updates],
    ['floor after', r.floorAfter],
    ['GETs', r.gets],
    ['floor GETs', r.floorGets],
    ['LISTs', r.lists],
    ['floor large bodies', r.floorBigGets],
  ];
  for (const [what, p] of phases) if (failures(p)) out.push(`${what}: ${p.errors} failed, ${p.unsent} unsent`);
  if (!r.fixedRate.complete) out.push('fixed rate: a round was not sent or answered in full');
  const w = r.watch;
  if (w.delivered !== w.expectedEvents || w.updateErrors) out.push(`watch: ${w.delivered} of ${w.expectedEvents} events, ${w.updateErrors} updates failed`);
  return out;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const load0 = os.loadavg().map((x) => round(x, 2));
  const run = setUpRun('api', CFG.watchdogMs, log);
  const clusterName = uniqueClusterName('api');
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const profileDir = ARGS.profile ? path.join(ROOT, 'bench', 'results', 'profiles', `api-${stamp}`) : undefined;
  log(`temp folder ${run.tmp}; cluster name ${clusterName}; load average ${load0.join(' ')}${QUICK ? '; QUICK mode (a smoke test: numbers not comparable)' : ''}${profileDir ? '; CPU profile of the fixed-rate rounds' : ''}`);

  log(`floor: nedb-promises, ${CFG.nedbSequential} sequential inserts, ${CFG.nedbBatches} x ${CFG.nedbBatchSize} batched`);
  const nedbDir = path.join(run.tmp, 'nedb');
  fs.mkdirSync(nedbDir);
  const sampleJSON = (i: number) => {
    const cm = configMap(NS.list, `cm-${i}`, i);
    return JSON.stringify({ ...cm, metadata: { ...cm.metadata, uid: '00000000-0000-0000-0000-000000000000', resourceVersion: String(i + 1), creationTimestamp: started.toISOString() } });
  };
  const nedb = await nedbFloor({ dir: nedbDir, objectJSON: sampleJSON, sequentialDocs: CFG.nedbSequential, batches: CFG.nedbBatches, batchSize: CFG.nedbBatchSize, maxMs: CFG.nedbMaxMs });
  fs.rmSync(nedbDir, { recursive: true, force: true });
  log(`    sequential ${nedb.sequential.insertsPerSec}/s, batched ${nedb.batched.insertsPerSec} docs/s`);

  buildCli(log);
  const dataDir = path.join(run.tmp, 'data');
  log(`starting the API server: flotilla up --nodes 0 --no-controllers --cluster ${clusterName}`);
  const api = await startApiServer(run, dataDir, clusterName, log);
  log(`    ${api.creds.server} (pid ${api.pid})`);
  const bare = await startBareServer(run, path.join(dataDir, 'pki'), api.creds.ca);
  log(`    floor: bare HTTPS server ${bare.creds.server} (pid ${bare.pid}), the API server's certificate`);

  let results: Results;
  let storeBytes = 0;
  try {
    results = await runPhases(api, bare, profileDir);
    storeBytes = fs.statSync(path.join(dataDir, 'store.db')).size;
  } catch (e) {
    process.stderr.write(api.child.stderr().slice(-4000));
    throw e;
  } finally {
    await run.finish();
  }
  const rows = buildRows(results, nedb);
  const incomplete = incompletePhases(results);
  const load1 = os.loadavg().map((x) => round(x, 2));
  const doc = {
    ...runHeader('flotilla api', started, t0, QUICK),
    environment: {
      ...environment(),
      loadAverageAtStart: load0,
      loadAverageAtEnd: load1,
      server: `node dist/cli.cjs up --data <tmp> --port 0 --nodes 0 --no-controllers --cluster ${clusterName} --no-ui (child process, via bench/api/cliChild.cjs); flotilla down at the end`,
      store: 'persisted (nedb datafile in a temp folder on the local disk)',
      storeFileBytesAtEnd: storeBytes,
    },
    config: CFG,
    targets: {
      createsOfFloor: { target: `>= ${TARGETS.writesOfFloor}`, measured: rows[0]!.measured, met: rows[0]!.met },
      updatesOfFloor: { target: `>= ${TARGETS.writesOfFloor}`, measured: rows[2]!.measured, met: rows[2]!.met },
      fixedRateP99OfFloor: { target: `<= ${TARGETS.rateP99OfFloor} (median round)`, medianRound: results.fixedRate.medianRoundP99Ratio, perRound: results.fixedRate.perRoundP99Ratio, pooled: results.fixedRate.p99Ratio, complete: results.fixedRate.complete, met: rows[4]!.met },
      listItems: { met: rows[9]!.met },
      watchEventsDelivered: { target: results.watch.expectedEvents, measured: results.watch.delivered, met: rows[11]!.met },
    },
    results,
    floors: { nedb },
  };
  const json = JSON.stringify(doc, null, 2);
  const resultsDir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `api-${stamp}${QUICK ? '-quick' : ''}.json`);
  fs.writeFileSync(file, `${json}\n`);
  const table = renderTable(rows);
  const profText = results.profiles.map((p) => renderProfile(p)).join('\n\n');
  const loadLine = `load average (1, 5, 15 min): ${load0.join(' ')} at the start, ${load1.join(' ')} at the end`;
  fs.writeFileSync(file.replace(/\.json$/, '.txt'), `${table}\n${loadLine}\n${profText ? `\n${profText}\n` : ''}`);
  process.stdout.write(`${json}\n`);
  process.stderr.write(`\n${table}\n${loadLine}\n${profText ? `\n${profText}\n` : ''}\nrun took ${doc.durationSec} s; results saved to ${path.relative(ROOT, file)}\n`);
  if (incomplete.length) {
    process.stderr.write(`bench:api INCOMPLETE: ${incomplete.join('; ')}\n`);
    process.exitCode = 3;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    process.stderr.write(`bench:api failed: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
