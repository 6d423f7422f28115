import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Client, closedLoop, openLoop, readKubeconfig, type Credentials, type Response } from '../lib/client.js';
import { setUpRun, startChild, type Child, type Run } from '../lib/children.js';
import { startBareServer } from '../api/servers.js';
import { CpuMeter } from '../lib/proc.js';
import { summarize, rate, round, type LatencySummary } from '../lib/stats.js';
import { renderTable, fmtMs, fmtNum, type Row } from '../api/report.js';
import { MemorySampler, type MemorySummary } from './memory.js';
import { Mix, type Klass, type OpResult } from './mix.js';
import { WatchPool, type WatchStats } from './watchPool.js';
import { environment, runHeader } from '../cluster/util.js';

// `npm run bench:soak [-- --quick] [-- --duration SEC --rate N --watchers N]`: the control plane
// under a steady mix of reads, writes, reconnecting watches and hostile requests at a fixed rate
// for minutes (issue 7, "How to keep it true"). Reports latency percentiles per class, the server
// process's RSS and V8 heap over time (levels after warm-up, in the middle and at the end; slope per
// minute), statuses per class, every 5xx, and the same mix against a bare HTTPS server with the same
// TLS setup (bench/api/bareServerChild.ts) as the floor. Verdict: memory flat (end RSS within
// MEM_RATIO of the level after warm-up) and no 5xx.
//
// The server is the shipped CLI, as in bench/api: `node scripts/build-cli.mjs`, then
// `node dist/cli.cjs up --data <tmp> --port 0 --no-ui --nodes 0 --cluster <unique>` in a child
// process (through bench/api/cliChild.cjs, which stops it when this process dies), with
// bench/soak/memProbe.cjs preloaded to report its heap. --nodes 0 and a cluster name of its own:
// no Docker object is touched or adopted. The temp folder goes on every exit path, and a watchdog
// ends a run that overstays. Prints one JSON document on stdout (also saved to
// bench/results/soak-<timestamp>.json) and a table on stderr.
//
// Warm-up fills half the keyspace and then writes enough updates to fill the watch history
// (10,000 events per resource), so that memory measured afterwards is the steady state, not the
// history filling up. --quick (or BENCH_QUICK=1): a ~20 s smoke run; its numbers are not comparable.

const ROOT = path.resolve(typeof __dirname === 'string' ? path.join(__dirname, '..', '..') : process.cwd());

const { values: argv } = parseArgs({
  options: { quick: { type: 'boolean' }, duration: { type: 'string' }, rate: { type: 'string' }, watchers: { type: 'string' } },
  allowPositionals: false,
});
const QUICK = argv.quick === true || process.env.BENCH_QUICK === '1';
const q = (full: number, quick: number) => (QUICK ? quick : full);
const numArg = (v: string | undefined, dflt: number) => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${v}`);
  return n;
};

const CFG = {
  durationSec: numArg(argv.duration, q(180, 20)),
  ratePerSec: numArg(argv.rate, 200),
  watchers: numArg(argv.watchers, q(30, 10)),
  keyspace: 600,
  historyFillUpdates: q(11_000, 3_000),
  floorSec: q(20, 5),
  /** The verdict: the RSS at the end within this ratio of the level right after warm-up. */
  memRatio: 1.25,
  watchdogMs: 0,
};
CFG.watchdogMs = (CFG.durationSec + CFG.floorSec) * 1000 + 300_000;

const NS = 'soak';
const log = (s: string) => process.stderr.write(`[bench:soak ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

// ---------------------------------------------------------------------------------------------

interface ClassStats {
  sent: number;
  statuses: Record<string, number>;
  byOp: Record<string, Record<string, number>>;
  opLatencies: Record<string, number[]>;
  transportErrors: number;
  serverErrors: string[];
  errorSamples: string[];
  latencies: number[];
}

function newClass(): ClassStats {
  return { sent: 0, statuses: {}, byOp: {}, opLatencies: {}, transportErrors: 0, serverErrors: [], errorSamples: [], latencies: [] };
}

class Tally {
  readonly classes: Record<Klass, ClassStats> = { read: newClass(), write: newClass(), hostile: newClass() };

  record(r: OpResult): void {
    const c = this.classes[r.klass];
    c.sent++;
    const code = String(r.status);
    c.statuses[code] = (c.statuses[code] ?? 0) + 1;
    const op = (c.byOp[r.op] ??= {});
    op[code] = (op[code] ?? 0) + 1;
    if (r.status === 0) {
      c.transportErrors++;
      if (c.errorSamples.length < 5) c.errorSamples.push(`${r.op}: ${r.body.slice(0, 200)}`);
      return;
    }
    c.latencies.push(r.ms);
    (c.opLatencies[r.op] ??= []).push(r.ms);
    if (r.status >= 500 && c.serverErrors.length < 20) c.serverErrors.push(`${r.op}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  }

  fiveHundreds(): number {
    return Object.values(this.classes).reduce((n, c) => n + Object.entries(c.statuses).reduce((m, [s, k]) => m + (Number(s) >= 500 ? k : 0), 0), 0);
  }
}

/** Runs the mix at the configured rate for `seconds`; transport errors become status 0. */
async function drive(mix: Mix, seconds: number, tally: Tally): Promise<{ sent: number; achievedPerSec: number; fromScheduleMs: LatencySummary; clientLagMs: LatencySummary }> {
  const r = await openLoop({
    ratePerSec: CFG.ratePerSec,
    total: Math.round(CFG.ratePerSec * seconds),
    maxMs: seconds * 1000 + 10_000,
    op: async (): Promise<Response> => {
      const res = await mix.run(Math.random());
      tally.record(res);
      // openLoop counts non-2xx as errors; the tally is what this benchmark reports.
      return { ...res, status: 200 };
    },
  });
  return { sent: r.sent, achievedPerSec: rate(r.sent, r.elapsedMs), fromScheduleMs: summarize(r.fromSchedule), clientLagMs: summarize(r.sendLag) };
}

async function must(p: Promise<Response>, what: string): Promise<Response> {
  const r = await p;
  if (r.status < 200 || r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r;
}

// ---------------------------------------------------------------------------------------------

async function startControlPlane(dataDir: string, cluster: string): Promise<Child> {
  log('building the CLI (node scripts/build-cli.mjs)');
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
  return startChild({
    name: 'flotilla up',
    cmd: process.execPath,
    args: ['--require', path.join(ROOT, 'bench', 'soak', 'memProbe.cjs'), path.join('bench', 'api', 'cliChild.cjs'), 'up', '--data', dataDir, '--port', '0', '--no-ui', '--nodes', '0', '--cluster', cluster],
    cwd: ROOT,
    ready: /API server: (https:\/\/\S+)/,
    timeoutMs: 60_000,
  });
}

interface SoakResults {
  phase: Awaited<ReturnType<typeof drive>>;
  classes: Record<Klass, Omit<ClassStats, 'latencies' | 'opLatencies'> & { latencyMs: LatencySummary; opLatencyMs: Record<string, LatencySummary> }>;
  fiveHundreds: number;
  watch: Omit<WatchStats, 'connectMs' | 'deliveryMs'> & { connectMs: LatencySummary; deliveryMs: LatencySummary };
  memory: MemorySummary;
  memorySamples: { t: number; rssMB: number; heapUsedMB?: number }[];
  liveObjectsAtEnd: number;
  cpuSec: Record<string, number | undefined>;
  loadAverage1m: { start: number; end: number };
  warmup: { fillObjects: number; historyUpdates: number; historyErrors: number; seconds: number };
}

function classesOut(t: Tally): SoakResults['classes'] {
  const out = {} as SoakResults['classes'];
  for (const [k, c] of Object.entries(t.classes) as [Klass, ClassStats][]) {
    const { latencies, opLatencies, ...rest } = c;
    out[k] = { ...rest, latencyMs: summarize(latencies), opLatencyMs: Object.fromEntries(Object.entries(opLatencies).map(([op, l]) => [op, summarize(l)])) };
  }
  return out;
}

async function soak(creds: Credentials, child: Child): Promise<SoakResults> {
  const pid = child.proc.pid;
  const mem = new MemorySampler(child);
  const main = new Client(creds, 64);
  const hostile = new Client(creds, 8);
  try {
    const w0 = performance.now();
    await must(main.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })), 'create namespace');
    const mix = new Mix(main, hostile, NS, CFG.keyspace);
    log(`warm-up: ${CFG.keyspace / 2} objects, then ${CFG.historyFillUpdates} updates to fill the watch history`);
    await mix.fill();
    const fill = await closedLoop({ concurrency: 32, total: CFG.historyFillUpdates, maxMs: 120_000, op: () => mix.touch() });
    const warmupEnd = mem.now();
    log(`    ${fill.ok} updates (${fill.errors} errors) in ${round((performance.now() - w0) / 1000, 1)} s`);

    const pool = new WatchPool(creds, `/api/v1/namespaces/${NS}/configmaps`, CFG.watchers);
    pool.start();
    const tally = new Tally();
    log(`soak: ${CFG.ratePerSec}/s for ${CFG.durationSec} s (reads, writes, hostile) with ${CFG.watchers} reconnecting watchers`);
    // CPU of the server, of this client, and of everything else on the machine (other work competing
    // for the cores during the measurement: read the latencies with it).
    const cpu = new CpuMeter({ server: pid, client: process.pid });
    const load0 = os.loadavg()[0]!;
    const progress = setInterval(() => {
      const m = mem.samples[mem.samples.length - 1];
      log(`    ${Math.round(mem.now() - warmupEnd)} s: ${Object.values(tally.classes).reduce((n, c) => n + c.sent, 0)} requests, ${tally.fiveHundreds()} 5xx, RSS ${m?.rssMB} MB, heap ${m?.heapUsedMB ?? '?'} MB, ${mix.liveObjects} objects`);
    }, 15_000);
    const phase = await drive(mix, CFG.durationSec, tally);
    clearInterval(progress);
    const cpuSec = cpu.read();
    const load1 = os.loadavg()[0]!;
    await pool.stop();
    mem.stop();
    const ws = pool.stats;
    const { connectMs, deliveryMs, ...wrest } = ws;
    return {
      phase,
      classes: classesOut(tally),
      fiveHundreds: tally.fiveHundreds(),
      watch: { ...wrest, connectMs: summarize(connectMs), deliveryMs: summarize(deliveryMs) },
      memory: mem.summary(warmupEnd),
      memorySamples: mem.samples.filter((_, i) => i % 5 === 0),
      liveObjectsAtEnd: mix.liveObjects,
      cpuSec,
      loadAverage1m: { start: round(load0, 2), end: round(load1, 2) },
      warmup: { fillObjects: CFG.keyspace / 2, historyUpdates: fill.ok, historyErrors: fill.errors, seconds: round(warmupEnd, 1) },
    };
  } finally {
    main.close();
    hostile.close();
    mem.stop();
  }
}

/** The same mix, at the same rate, against a bare HTTPS server with the same TLS setup. */
async function floor(run: Run, pkiDir: string, ca: string): Promise<{ seconds: number; classes: SoakResults['classes'] }> {
  const { child, creds } = await startBareServer(run, pkiDir, ca);
  const main = new Client(creds, 64);
  const hostile = new Client(creds, 8);
  try {
    const mix = new Mix(main, hostile, NS, CFG.keyspace);
    await mix.fill();
    const tally = new Tally();
    log(`floor: the same mix at ${CFG.ratePerSec}/s for ${CFG.floorSec} s against a bare HTTPS server`);
    await drive(mix, CFG.floorSec, tally);
    return { seconds: CFG.floorSec, classes: classesOut(tally) };
  } finally {
    main.close();
    hostile.close();
    await child.stop();
  }
}

// ---------------------------------------------------------------------------------------------

function statusText(s: Record<string, number>): string {
  return Object.entries(s)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([k, n]) => `${k === '0' ? 'transport' : k}:${fmtNum(n)}`)
    .join(' ');
}

function lat(l: LatencySummary): string {
  return `p50 ${fmtMs(l.p50)} / p90 ${fmtMs(l.p90)} / p99 ${fmtMs(l.p99)} / max ${fmtMs(l.max)} ms`;
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}x` : '-';
}

function buildRows(s: SoakResults, f: Awaited<ReturnType<typeof floor>>): Row[] {
  const rows: Row[] = [
    { metric: `requests (${CFG.ratePerSec}/s for ${CFG.durationSec} s)`, measured: `${fmtNum(s.phase.sent)} sent, ${fmtNum(s.phase.achievedPerSec)}/s; client lag p99 ${fmtMs(s.phase.clientLagMs.p99)} ms` },
    {
      metric: 'CPU seconds during the soak',
      measured: `server ${s.cpuSec.server ?? '?'}, client ${s.cpuSec.client ?? '?'}, other processes ${s.cpuSec.otherProcesses ?? '?'}; load average ${s.loadAverage1m.start} -> ${s.loadAverage1m.end}`,
    },
  ];
  for (const k of ['read', 'write', 'hostile'] as Klass[]) {
    const c = s.classes[k];
    const fl = f.classes[k].latencyMs;
    rows.push({
      metric: `${k} latency (${fmtNum(c.latencyMs.count)})`,
      measured: lat(c.latencyMs),
      floor: `bare HTTPS: p50 ${fmtMs(fl.p50)} / p99 ${fmtMs(fl.p99)} ms; ratio p50 ${ratio(c.latencyMs.p50, fl.p50)}, p99 ${ratio(c.latencyMs.p99, fl.p99)}`,
    });
    rows.push({ metric: `${k} statuses`, measured: statusText(c.statuses) });
  }
  const w = s.watch;
  rows.push({ metric: `watch (re)connect to head (${w.watchers} watchers)`, measured: `${lat(w.connectMs)}; ${fmtNum(w.connects)} connects, ${w.clientAborts} client aborts, ${w.expired410} x 410, ${w.relists} relists, ${w.errors} errors` });
  rows.push({ metric: `watch delivery (${fmtNum(w.deliveryMs.count)} events)`, measured: lat(w.deliveryMs), floor: `the write itself: p50 ${fmtMs(s.classes.write.latencyMs.p50)} ms` });
  rows.push({ metric: '5xx answers', measured: String(s.fiveHundreds), target: '0', met: s.fiveHundreds === 0 });
  const m = s.memory;
  rows.push({
    metric: 'server RSS (MB): start / after warm-up / middle / end (max)',
    measured: `${m.start.rssMB} / ${m.afterWarmup.rssMB} / ${m.middle.rssMB} / ${m.end.rssMB} (${m.maxRssMB}); slope ${m.rssSlopeMBPerMin} MB/min`,
    target: `end <= ${CFG.memRatio}x after warm-up`,
    met: m.endToWarmRatio <= CFG.memRatio,
    floor: `end/after warm-up = ${m.endToWarmRatio}`,
  });
  rows.push({
    metric: 'server V8 heap used (MB): start / after warm-up / middle / end',
    measured: `${m.start.heapUsedMB ?? '?'} / ${m.afterWarmup.heapUsedMB ?? '?'} / ${m.middle.heapUsedMB ?? '?'} / ${m.end.heapUsedMB ?? '?'}; slope ${m.heapUsedSlopeMBPerMin ?? '?'} MB/min`,
  });
  return rows;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const run = setUpRun('soak', CFG.watchdogMs, log);
  const { tmp, cleanup } = run;
  const cluster = `soak-${process.pid}-${Date.now().toString(36)}`;
  log(`temp folder ${tmp}; cluster ${cluster}${QUICK ? '; QUICK mode (numbers not comparable)' : ''}`);
  const dataDir = path.join(tmp, 'data');
  const child = await startControlPlane(dataDir, cluster);
  const creds = readKubeconfig(path.join(dataDir, 'kubeconfig'));
  log(`    ${creds.server} (pid ${child.proc.pid})`);
  let s: SoakResults;
  try {
    s = await soak(creds, child);
  } catch (e) {
    process.stderr.write(child.stderr().slice(-4000));
    throw e;
  } finally {
    const code = await child.stop();
    if (code !== 0) log(`control plane exited with code ${code}: ${child.stderr().slice(-2000)}`);
  }
  const f = await floor(run, path.join(dataDir, 'pki'), creds.ca);
  cleanup();

  const rows = buildRows(s, f);
  const verdict = { memoryFlat: s.memory.endToWarmRatio <= CFG.memRatio, no5xx: s.fiveHundreds === 0 };
  const doc = {
    ...runHeader('flotilla soak', started, t0, QUICK),
    environment: {
      ...environment(),
      server: 'node dist/cli.cjs up --data <tmp> --port 0 --no-ui --nodes 0 --cluster <unique> (child process, via bench/api/cliChild.cjs, bench/soak/memProbe.cjs preloaded)',
    },
    config: CFG,
    verdict: { ...verdict, met: verdict.memoryFlat && verdict.no5xx, memoryRule: `end RSS <= ${CFG.memRatio} x RSS after warm-up (medians over 10 s windows)` },
    soak: s,
    floor: f,
  };
  const json = JSON.stringify(doc, null, 2);
  const resultsDir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = path.join(resultsDir, `soak-${stamp}.json`);
  fs.writeFileSync(file, `${json}\n`);
  const table = renderTable(rows);
  fs.writeFileSync(path.join(resultsDir, `soak-${stamp}.txt`), `${table}\n`);
  process.stdout.write(`${json}\n`);
  process.stderr.write(`\n${table}\n\nverdict: ${doc.verdict.met ? 'MET' : 'NOT MET'} (memory flat: ${verdict.memoryFlat}, no 5xx: ${verdict.no5xx}); run took ${doc.durationSec} s; results saved to ${path.relative(ROOT, file)}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench:soak failed: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
