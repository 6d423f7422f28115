import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, type Response } from '../lib/client.js';
import { summarize, rate, round, sleep, type LatencySummary } from '../lib/stats.js';
import { CpuMeter } from '../lib/proc.js';
import { summarizeProfile, renderProfile, type ProfileSummary } from '../lib/profile.js';
import { renderTable, fmtNum, fmtP, type Row } from '../api/report.js';
import { startCluster, type Cluster } from '../cluster/cluster.js';
import { PodWatch, peakRate, perSecond } from '../cluster/podWatch.js';
import { bindingBody, createNamespace, environment, runHeader, logger, podManifest, saveResults, setUpRun, ROOT } from '../cluster/util.js';
import { benchArgs } from '../lib/args.js';

// `npm run bench:scheduler [-- --quick] [-- --profile] [-- --rounds N]`: scheduler throughput on
// 1,000 hollow nodes (issue 3, item 6). The verdict is a ratio to the floor of the same run (B):
// pods bound per second by the scheduler over pods bound per second by this client creating and
// binding them itself, in the median round; every round must run to the end (every pod created
// and bound, no scheduler errors), else the run exits with code 3.
//
// Processes: this one is the client (creates pods, watches them); the control plane (API server
// + scheduler, no controllers) runs in one child process (bench/cluster/controlPlaneChild.ts) and
// the 1,000 hollow nodes in another (bench/cluster/hollowPoolChild.ts), so the pool's CPU is not
// charged to the control plane. The nodes are registered, and seen by the scheduler, before
// anything is measured. Each phase watches its namespace's pods from before the first create and
// counts a pod bound when an event shows spec.nodeName.
//
// Phases (each cluster fresh, persisted store in a temp folder):
//   (A) scheduler: N plain pods created as fast as possible (64 concurrent creates) with the
//       scheduler running; from the first create until every pod is seen bound.
//   (B) floor, direct binding: a second cluster without a running scheduler; the same N pods
//       created the same way while 64 binders POST pods/binding for each created pod (round
//       robin over the nodes). The API server's own ceiling for create+bind, with the same hollow
//       nodes reporting the pods Running.
//   (C) scheduler alone: in cluster B, N more pods pre-created (no scheduler: this gives the
//       create-only rate), then the scheduler is started (startScheduler, the call
//       startControlPlane makes); from the start command until every pod is seen bound.
// Three rounds of A then B+C (fresh clusters each), interleaved so that other load on the machine
// hits both alike; the table shows the median round of each phase with the range, the JSON
// every round. A warm-up of 500 pods runs through the same path before each measured phase.
//
// --quick (BENCH_QUICK=1) shrinks everything (a smoke test for CI; numbers not comparable);
// --profile (BENCH_CPU_PROF=1) profiles the control plane child's main thread during each
// measured phase (bench/results/profiles; profiling slows it by ~10%; one round unless --rounds
// says otherwise) and prints a summary; BENCH_PODS / BENCH_NODES override the sizes.

const ARGS = benchArgs();
const QUICK = ARGS.quick;
const PROF = ARGS.profile;
const q = (full: number, quick: number) => (QUICK ? quick : full);

const CFG = {
  nodes: Number(process.env.BENCH_NODES) || q(1000, 100),
  pods: Number(process.env.BENCH_PODS) || q(5000, 500),
  warmupPods: q(500, 100),
  createConcurrency: 64,
  /** Binders in the direct-binding floor: the scheduler's default maxBindingsInFlight. */
  directBindConcurrency: 64,
  podRequests: { cpu: '100m', memory: '128Mi' },
  /** The hollow node defaults (4 CPUs, 8 GiB, 110 pods). */
  nodeCapacity: { cpu: '4', memory: '8Gi', pods: '110' },
  podStartupDelayMs: 200,
  /** Bound on each measured phase (creates + waiting for every pod bound). */
  phaseMaxMs: 90_000,
  /** Rounds of (A) then (B)+(C), each on fresh clusters; the table shows medians. */
  rounds: ARGS.rounds ?? (PROF ? 1 : q(3, 1)),
  /** The idle cluster's background load (Lease renewals) is measured for this long before phase A. */
  idleMeasureMs: 3000,
  watchdogMs: 420_000,
};

/**
 * The verdict, a ratio to the floor measured in the same run: the scheduler binds pods at least
 * 0.9x as fast as this client creating and binding them itself (the API server's own ceiling for
 * create + bind, phase B) in the median round. (Issue 3's absolute 1,000 pods/s depended on the
 * machine; kube-scheduler's CI gate, 680-810 pods/s on 5,000 nodes, is in the JSON for reference.)
 */
const TARGET_OF_FLOOR = 0.9;

const log = logger('scheduler');

interface PodsPhase {
  label: string;
  pods: number;
  created: number;
  createErrors: number;
  errorSamples: string[];
  bound: number;
  complete: boolean;
  /** From the first create sent until the last create acknowledged. */
  createsMs: number;
  createsPerSec: number;
  createLatencyMs: LatencySummary;
  /** From the phase's start (first create, or the scheduler's start command) until the last pod seen bound. */
  allBoundMs: number;
  boundPerSec: number;
  peakBoundPerSec1s: number;
  boundPerSecond: number[];
  /** Per pod: watch ADDED -> watch shows bound. */
  addedToBoundMs: LatencySummary;
  directBindLatencyMs?: LatencySummary;
  directBindErrors?: number;
  nodesUsed: number;
  maxPodsOnANode: number;
  cpuSec: Record<string, number | undefined>;
  controlPlaneEventLoopUtilization?: number;
  scheduler?: Record<string, number>;
  watch: { events: number; bytes: number; reconnects: number; errors: string[] };
}

interface IdleLoad {
  seconds: number;
  cpuSec: Record<string, number | undefined>;
  controlPlaneEventLoopUtilization: number;
}

interface Stats {
  scheduler?: Record<string, number>;
  eventLoopUtilization: number;
  memory: NodeJS.MemoryUsage;
}

function nodeNames(): string[] {
  return Array.from({ length: CFG.nodes }, (_, i) => `hollow-node-${i}`);
}

/**
 * Creates `count` pods in `ns` with `createConcurrency` workers; when `bindTo` is given, binders
 * POST pods/binding for each created pod as soon as it is created. Optionally waits (until
 * `deadline`) for the watch to show every pod bound.
 */
async function createPods(o: {
  cluster: Cluster;
  ns: string;
  prefix: string;
  count: number;
  bindTo?: string[];
  deadline: number;
}): Promise<{ created: number; errors: number; errorSamples: string[]; createsMs: number; createLat: number[]; bindLat: number[]; bindErrors: number; t0: number }> {
  const c = new Client(o.cluster.creds, CFG.createConcurrency);
  const b = o.bindTo ? new Client(o.cluster.creds, CFG.directBindConcurrency) : undefined;
  const errorSamples: string[] = [];
  const createLat: number[] = [];
  const bindLat: number[] = [];
  let errors = 0;
  let bindErrors = 0;
  let next = 0;
  let createsDone = false;
  const createdQ: number[] = [];
  let bindNext = 0;
  let wake: (() => void)[] = [];
  const notify = () => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };
  const note = (what: string, r: Response | Error) => {
    if (errorSamples.length >= 5) return;
    errorSamples.push(r instanceof Error ? `${what}: ${r.message}` : `${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  };
  const t0 = performance.now();
  let lastAck = t0;
  const creator = async () => {
    while (next < o.count && performance.now() < o.deadline) {
      const i = next++;
      const name = `${o.prefix}-${i}`;
      try {
        const r = await c.request('POST', `/api/v1/namespaces/${o.ns}/pods`, JSON.stringify(podManifest(o.ns, name, { app: 'sched-bench', group: `g${i % 10}` }, CFG.podRequests)));
        if (r.status === 201) {
          createLat.push(r.ms);
          lastAck = performance.now();
          createdQ.push(i);
          notify();
        } else {
          errors++;
          note(`create ${name}`, r);
        }
      } catch (e) {
        errors++;
        note(`create ${name}`, e as Error);
      }
    }
  };
  const binder = async () => {
    for (;;) {
      if (performance.now() > o.deadline) return;
      if (bindNext < createdQ.length) {
        const i = createdQ[bindNext++]!;
        const name = `${o.prefix}-${i}`;
        const node = o.bindTo![i % o.bindTo!.length]!;
        try {
          const r = await b!.request('POST', `/api/v1/namespaces/${o.ns}/pods/${name}/binding`, bindingBody(o.ns, name, node));
          if (r.status === 201 || r.status === 200) bindLat.push(r.ms);
          else {
            bindErrors++;
            note(`bind ${name}`, r);
          }
        } catch (e) {
          bindErrors++;
          note(`bind ${name}`, e as Error);
        }
        continue;
      }
      if (createsDone) return;
      await new Promise<void>((r) => wake.push(r));
    }
  };
  const creators = Promise.all(Array.from({ length: CFG.createConcurrency }, creator)).then(() => {
    createsDone = true;
    notify();
  });
  const binders = b ? Promise.all(Array.from({ length: CFG.directBindConcurrency }, binder)) : Promise.resolve();
  await creators;
  await binders;
  c.close();
  b?.close();
  return { created: createLat.length, errors, errorSamples, createsMs: lastAck - t0, createLat, bindLat, bindErrors, t0 };
}

async function stats(cluster: Cluster): Promise<Stats> {
  return cluster.command<Stats>('stats', 10_000);
}

/** Waits until the scheduler's cache holds every node (its node informer lags the registration a little). */
async function waitForSchedulerNodes(cluster: Cluster): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const s = await stats(cluster);
    if ((s.scheduler?.nodes ?? 0) >= CFG.nodes) return;
    if (performance.now() > deadline) throw new Error(`the scheduler sees ${s.scheduler?.nodes} of ${CFG.nodes} nodes after 30 s`);
    await sleep(100);
  }
}

async function waitBound(watch: PodWatch, count: number, deadline: number, what: string): Promise<boolean> {
  return watch.until((w) => w.bound >= count, deadline, (w) => log(`    ${what}: ${fmtNum(w.bound)} / ${fmtNum(count)} bound`));
}

/** Summary of one measured phase from its watch, create results and process meters. */
function phaseResult(label: string, watch: PodWatch, cr: Awaited<ReturnType<typeof createPods>>, start: number, complete: boolean, cpu: CpuMeter, elu: number | undefined, sched: Record<string, number> | undefined): PodsPhase {
  const boundTimes = watch.times('boundAt');
  const last = boundTimes.length ? boundTimes[boundTimes.length - 1]! : performance.now();
  const lat: number[] = [];
  for (const s of watch.pods.values()) if (s.addedAt !== undefined && s.boundAt !== undefined) lat.push(s.boundAt - s.addedAt);
  const perNode = watch.perNode();
  const allBoundMs = last - start;
  return {
    label,
    pods: CFG.pods,
    created: cr.created,
    createErrors: cr.errors,
    errorSamples: cr.errorSamples,
    bound: watch.bound,
    complete,
    createsMs: round(cr.createsMs, 1),
    createsPerSec: rate(cr.created, cr.createsMs),
    createLatencyMs: summarize(cr.createLat),
    allBoundMs: round(allBoundMs, 1),
    boundPerSec: rate(watch.bound, allBoundMs),
    peakBoundPerSec1s: peakRate(boundTimes),
    boundPerSecond: perSecond(boundTimes, start),
    addedToBoundMs: summarize(lat),
    ...(cr.bindLat.length || cr.bindErrors ? { directBindLatencyMs: summarize(cr.bindLat), directBindErrors: cr.bindErrors } : {}),
    nodesUsed: perNode.size,
    maxPodsOnANode: Math.max(0, ...perNode.values()),
    cpuSec: cpu.read(),
    controlPlaneEventLoopUtilization: elu,
    scheduler: sched,
    watch: { events: watch.events, bytes: watch.bytes, reconnects: watch.reconnects, errors: watch.errors },
  };
}

function medianBy<T>(xs: T[], key: (x: T) => number): T {
  const sorted = [...xs].sort((p, q2) => key(p) - key(q2));
  return sorted[(sorted.length - 1) >> 1]!;
}

function range(xs: number[]): { min: number; max: number } {
  return { min: Math.min(...xs), max: Math.max(...xs) };
}

function diffStats(a: Record<string, number> | undefined, b: Record<string, number> | undefined): Record<string, number> | undefined {
  if (!b) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b)) out[k] = ['attempts', 'scheduled', 'unschedulable', 'bindErrors', 'writeErrors', 'eventsDropped'].includes(k) ? v - (a?.[k] ?? 0) : v;
  return out;
}

async function stopCluster(cluster: Cluster): Promise<void> {
  await cluster.stop();
}

async function profileStop(cluster: Cluster, name: string, into: string[]): Promise<void> {
  const f = await cluster.profileStop(name);
  if (f) {
    log(`    CPU profile: ${path.relative(ROOT, f)}`);
    into.push(f);
  }
}

// ---------------------------------------------------------------------------------------------

async function phaseScheduler(tmp: string, profDir: string | undefined, round: number): Promise<{ result: PodsPhase & { idle: IdleLoad; eventsInNamespace: { objects: number; byReason: Record<string, number> } }; registerMs: number; profiles: string[] }> {
  log(`round ${round} (A): API server + scheduler in one child, ${CFG.nodes} hollow nodes in another`);
  const cluster = await startCluster({ label: `scheduler-r${round}`, dataDir: path.join(tmp, `data-a${round}`), scheduler: 'on', controllers: false, nodes: { count: CFG.nodes, capacity: CFG.nodeCapacity, podStartupDelayMs: CFG.podStartupDelayMs }, cpuProfDir: profDir, log });
  try {
    await waitForSchedulerNodes(cluster);
    const admin = new Client(cluster.creds, 4);
    // Warm-up: a few hundred pods through the same path (JIT, connection pools).
    const wrv = await createNamespace(admin, 'warm');
    const ww = new PodWatch(cluster.creds, 'warm', wrv);
    await ww.start();
    log(`    warm-up: ${CFG.warmupPods} pods`);
    await createPods({ cluster, ns: 'warm', prefix: 'w', count: CFG.warmupPods, deadline: performance.now() + 30_000 });
    if (!(await waitBound(ww, CFG.warmupPods, performance.now() + 30_000, 'warm-up'))) throw new Error(`warm-up: only ${ww.bound} of ${CFG.warmupPods} pods bound after 30 s`);
    ww.stop();
    await sleep(1000); // let the pool's Running reports of the warm-up pods drain

    // Background load: the idle cluster (1,000 nodes renewing Leases every 2 s, nothing else).
    await stats(cluster);
    const idleCpu = new CpuMeter({ controlPlane: cluster.cpPid, hollowPool: cluster.poolPid });
    await sleep(CFG.idleMeasureMs);
    const idle = { seconds: CFG.idleMeasureMs / 1000, cpuSec: idleCpu.read(), controlPlaneEventLoopUtilization: (await stats(cluster)).eventLoopUtilization };
    log(`    idle cluster: control plane ${idle.cpuSec.controlPlane} CPU s in ${idle.seconds} s (event loop ${Math.round(idle.controlPlaneEventLoopUtilization * 100)}% busy)`);

    const rv = await createNamespace(admin, 'bench');
    const watch = new PodWatch(cluster.creds, 'bench', rv);
    await watch.start();
    const s0 = await stats(cluster); // also starts the event loop utilisation window
    const profiles: string[] = [];
    await cluster.profileStart();
    const cpu = new CpuMeter({ controlPlane: cluster.cpPid, hollowPool: cluster.poolPid, bench: process.pid });
    log(`    measuring: ${CFG.pods} pods, ${CFG.createConcurrency} concurrent creates`);
    const deadline = performance.now() + CFG.phaseMaxMs;
    const cr = await createPods({ cluster, ns: 'bench', prefix: 'p', count: CFG.pods, deadline });
    log(`    ${cr.created} created in ${Math.round(cr.createsMs)} ms (${rate(cr.created, cr.createsMs)}/s); ${watch.bound} bound so far`);
    const complete = await waitBound(watch, cr.created, deadline, 'scheduler');
    const s1 = await stats(cluster);
    const result = phaseResult('scheduler', watch, cr, cr.t0, complete && cr.created === CFG.pods, cpu, s1.eventLoopUtilization, diffStats(s0.scheduler, s1.scheduler));
    await profileStop(cluster, 'A-scheduler', profiles);
    watch.stop();
    // The scheduler's own writes beside bindings: Events (reason Scheduled) in the namespace.
    const ev = await admin.request('GET', '/api/v1/namespaces/bench/events');
    const items = ev.status === 200 ? (JSON.parse(ev.body) as { items: { reason?: string; count?: number }[] }).items : [];
    const reasons: Record<string, number> = {};
    for (const e of items) reasons[e.reason ?? '?'] = (reasons[e.reason ?? '?'] ?? 0) + (e.count ?? 1);
    admin.close();
    log(`    ${result.bound} bound in ${Math.round(result.allBoundMs)} ms: ${result.boundPerSec} pods/s`);
    await stopCluster(cluster);
    return { result: { ...result, idle, eventsInNamespace: { objects: items.length, byReason: reasons } }, registerMs: cluster.registerMs, profiles };
  } catch (e) {
    await stopCluster(cluster);
    throw e;
  }
}

async function phasesDirectAndDelayed(tmp: string, profDir: string | undefined, round: number): Promise<{ direct: PodsPhase; precreate: PodsPhase; delayed: PodsPhase & { schedulerSyncMs: number; boundPerSecAfterSync: number }; registerMs: number; profiles: string[] }> {
  log(`round ${round} (B): API server alone in one child (scheduler not started), ${CFG.nodes} hollow nodes in another`);
  const cluster = await startCluster({ label: `direct-then-delayed-r${round}`, dataDir: path.join(tmp, `data-b${round}`), scheduler: 'delayed', controllers: false, nodes: { count: CFG.nodes, capacity: CFG.nodeCapacity, podStartupDelayMs: CFG.podStartupDelayMs }, cpuProfDir: profDir, log });
  const nodes = nodeNames();
  const profiles: string[] = [];
  try {
    const admin = new Client(cluster.creds, 4);
    const wrv = await createNamespace(admin, 'warm');
    const ww = new PodWatch(cluster.creds, 'warm', wrv);
    await ww.start();
    log(`    warm-up: ${CFG.warmupPods} pods created and bound by this client`);
    await createPods({ cluster, ns: 'warm', prefix: 'w', count: CFG.warmupPods, bindTo: nodes, deadline: performance.now() + 30_000 });
    if (!(await waitBound(ww, CFG.warmupPods, performance.now() + 30_000, 'warm-up'))) throw new Error(`warm-up: only ${ww.bound} of ${CFG.warmupPods} pods bound after 30 s`);
    ww.stop();
    await sleep(1000);

    // (B) direct create + bind.
    const rv = await createNamespace(admin, 'direct');
    const watch = new PodWatch(cluster.creds, 'direct', rv);
    await watch.start();
    await stats(cluster); // starts the event loop utilisation window
    await cluster.profileStart();
    let cpu = new CpuMeter({ controlPlane: cluster.cpPid, hollowPool: cluster.poolPid, bench: process.pid });
    log(`    measuring the floor: ${CFG.pods} pods, ${CFG.createConcurrency} concurrent creates, ${CFG.directBindConcurrency} concurrent binds (no scheduler)`);
    let deadline = performance.now() + CFG.phaseMaxMs;
    const cr = await createPods({ cluster, ns: 'direct', prefix: 'p', count: CFG.pods, bindTo: nodes, deadline });
    const complete = await waitBound(watch, cr.created, deadline, 'direct');
    let s1 = await stats(cluster);
    const direct = phaseResult('direct binding (floor)', watch, cr, cr.t0, complete && cr.created === CFG.pods, cpu, s1.eventLoopUtilization, undefined);
    await profileStop(cluster, 'B-direct', profiles);
    watch.stop();
    log(`    ${direct.bound} bound in ${Math.round(direct.allBoundMs)} ms: ${direct.boundPerSec} pods/s`);
    await sleep(1000);

    // (C) pre-create, then start the scheduler.
    const rv2 = await createNamespace(admin, 'later');
    admin.close();
    const watch2 = new PodWatch(cluster.creds, 'later', rv2);
    await watch2.start();
    await stats(cluster);
    cpu = new CpuMeter({ controlPlane: cluster.cpPid, hollowPool: cluster.poolPid, bench: process.pid });
    log(`round ${round} (C): ${CFG.pods} pods pre-created with no scheduler running`);
    deadline = performance.now() + CFG.phaseMaxMs;
    const pre = await createPods({ cluster, ns: 'later', prefix: 'p', count: CFG.pods, deadline });
    s1 = await stats(cluster);
    const precreate = phaseResult('pre-create (no scheduler)', watch2, pre, pre.t0, pre.created === CFG.pods, cpu, s1.eventLoopUtilization, undefined);
    log(`    ${pre.created} created in ${Math.round(pre.createsMs)} ms (${precreate.createsPerSec}/s); starting the scheduler`);
    await sleep(500);
    cpu = new CpuMeter({ controlPlane: cluster.cpPid, hollowPool: cluster.poolPid, bench: process.pid });
    await stats(cluster); // resets the event loop utilisation window
    await cluster.profileStart();
    deadline = performance.now() + CFG.phaseMaxMs;
    const tStart = performance.now();
    const started = await cluster.command<{ syncMs: number }>('start-scheduler', 60_000);
    const tSynced = performance.now();
    log(`    scheduler started (informers synced) in ${started.syncMs} ms`);
    const done = await waitBound(watch2, pre.created, deadline, 'scheduler alone');
    const s2 = await stats(cluster);
    await profileStop(cluster, 'C-scheduler-alone', profiles);
    const dr = phaseResult('scheduler alone (started after the pods exist)', watch2, { ...pre, createLat: [], createsMs: 0, created: pre.created }, tStart, done && pre.created === CFG.pods, cpu, s2.eventLoopUtilization, s2.scheduler);
    const boundAfterSync = watch2.times('boundAt').filter((t) => t >= tSynced).length;
    const delayed = { ...dr, schedulerSyncMs: started.syncMs, boundPerSecAfterSync: rate(boundAfterSync, dr.allBoundMs - (tSynced - tStart)) };
    watch2.stop();
    log(`    ${delayed.bound} bound ${Math.round(delayed.allBoundMs)} ms after the start command: ${delayed.boundPerSec} pods/s`);
    await stopCluster(cluster);
    return { direct, precreate, delayed, registerMs: cluster.registerMs, profiles };
  } catch (e) {
    await stopCluster(cluster);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------

function buildRows(
  a: PodsPhase & { idle: IdleLoad; eventsInNamespace: { objects: number; byReason: Record<string, number> } },
  b: PodsPhase,
  pre: PodsPhase,
  c: PodsPhase & { schedulerSyncMs: number; boundPerSecAfterSync: number },
  ranges: Record<string, { min: number; max: number }>,
  verdict: { ratios: number[]; median: number; incomplete: string[] },
): Row[] {
  const rg = (k: string) => (CFG.rounds > 1 ? ` (median of ${CFG.rounds}; ${fmtNum(ranges[k]!.min)}-${fmtNum(ranges[k]!.max)})` : '');
  const perSec = (n: number) => `${fmtNum(n)}/s`;
  const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const inc = (p: PodsPhase) => (p.complete ? '' : ` (INCOMPLETE: ${fmtNum(p.bound)}/${fmtNum(p.pods)} bound)`);
  const cpu = (p: PodsPhase) => `control plane ${p.cpuSec.controlPlane} s, pool ${p.cpuSec.hollowPool} s, bench ${p.cpuSec.bench} s, other processes on the machine ${p.cpuSec.otherProcesses} s`;
  return [
    {
      metric: `pods bound/s: ${fmtNum(CFG.pods)} pods created at ${CFG.createConcurrency} concurrent, scheduler on ${fmtNum(CFG.nodes)} hollow nodes (first create -> last bound)`,
      measured: `${perSec(a.boundPerSec)}${inc(a)}${rg('scheduler')}: ${verdict.median}x the floor in the median round (rounds: ${verdict.ratios.join(', ')}x)${verdict.incomplete.length ? `; INCOMPLETE: ${verdict.incomplete.join('; ')}` : ''}`,
      target: `>= ${TARGET_OF_FLOOR}x the floor, every round complete`,
      met: !verdict.incomplete.length && verdict.median >= TARGET_OF_FLOOR,
      floor: `client creates + binds itself, no scheduler: ${perSec(b.boundPerSec)}${inc(b)}${rg('direct')}`,
    },
    { metric: `time to bind all ${fmtNum(CFG.pods)}`, measured: secs(a.allBoundMs), floor: `direct: ${secs(b.allBoundMs)}` },
    {
      metric: 'peak pods bound in a 1 s window',
      measured: perSec(a.peakBoundPerSec1s),
      floor: `direct: ${perSec(b.peakBoundPerSec1s)}`,
    },
    {
      metric: 'pod creates during the run (acknowledged)',
      measured: `${perSec(a.createsPerSec)}; ${fmtP(a.createLatencyMs.p50, a.createLatencyMs.p99)}`,
      floor: `with direct binds: ${perSec(b.createsPerSec)}; creates alone (no binds, no scheduler): ${perSec(pre.createsPerSec)}${rg('createsOnly')}`,
    },
    {
      metric: 'per pod: created -> seen bound (watch)',
      measured: fmtP(a.addedToBoundMs.p50, a.addedToBoundMs.p99),
      floor: `direct: ${fmtP(b.addedToBoundMs.p50, b.addedToBoundMs.p99)}`,
    },
    {
      metric: `scheduler alone: ${fmtNum(CFG.pods)} pods pre-created, scheduler started after (start -> last bound)`,
      measured: `${perSec(c.boundPerSec)}${inc(c)}${rg('schedulerAlone')}; ${perSec(c.boundPerSecAfterSync)} after its informers synced (${fmtNum(c.schedulerSyncMs)} ms); peak ${perSec(c.peakBoundPerSec1s)}`,
      floor: `client binding directly: ${perSec(b.boundPerSec)} (incl. creates)`,
    },
    {
      metric: 'scheduler errors (phase A): unschedulable / bind errors / write errors',
      measured: `${a.scheduler?.unschedulable ?? '?'} / ${a.scheduler?.bindErrors ?? '?'} / ${a.scheduler?.writeErrors ?? '?'} (${a.scheduler?.attempts ?? '?'} attempts)`,
      target: '0 / 0 / 0',
      met: a.scheduler?.unschedulable === 0 && a.scheduler?.bindErrors === 0 && a.scheduler?.writeErrors === 0 && a.createErrors === 0,
    },
    { metric: 'spread (phase A)', measured: `${fmtNum(a.nodesUsed)} nodes used, max ${a.maxPodsOnANode} pods on one`, floor: `direct (round robin): ${fmtNum(b.nodesUsed)} nodes, max ${b.maxPodsOnANode}` },
    {
      metric: 'CPU seconds during the phase',
      measured: `${cpu(a)}; control plane event loop ${Math.round((a.controlPlaneEventLoopUtilization ?? NaN) * 100)}% busy`,
      floor: `direct: ${cpu(b)}; loop ${Math.round((b.controlPlaneEventLoopUtilization ?? NaN) * 100)}% busy`,
    },
    {
      metric: `background: idle cluster, ${fmtNum(CFG.nodes)} nodes renewing Leases every 2 s`,
      measured: `control plane ${Math.round((100 * (a.idle.cpuSec.controlPlane ?? NaN)) / a.idle.seconds)}% of a core, pool ${Math.round((100 * (a.idle.cpuSec.hollowPool ?? NaN)) / a.idle.seconds)}%`,
    },
    {
      metric: "scheduler's other writes (phase A)",
      measured: `Events: ${Object.entries(a.eventsInNamespace.byReason).map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ') || 'none'}; ${a.scheduler?.eventsDropped ?? '?'} dropped`,
    },
    { metric: 'CPU seconds, scheduler alone (C)', measured: `${cpu(c)}; loop ${Math.round((c.controlPlaneEventLoopUtilization ?? NaN) * 100)}% busy` },
  ];
}

async function main(): Promise<void> {
  const started = new Date();
  const startLoad = os.loadavg().map((x) => round(x, 2));
  const t0 = performance.now();
  const { tmp, cleanup } = setUpRun('scheduler', CFG.watchdogMs, log);
  const profDir = PROF ? path.join(ROOT, 'bench', 'results', 'profiles', `scheduler-${started.toISOString().replace(/[:.]/g, '-')}`) : undefined;
  log(`temp folder ${tmp}; ${CFG.nodes} hollow nodes, ${CFG.pods} pods per phase${QUICK ? '; QUICK mode (numbers not comparable)' : ''}${PROF ? '; CPU profiles on' : ''}`);

  // Rounds interleave the scheduler and the floor, each on a fresh cluster, so that other load on
  // the machine (which a 2-core box feels at once) hits both alike; the table reports medians.
  const as: Awaited<ReturnType<typeof phaseScheduler>>[] = [];
  const bcs: Awaited<ReturnType<typeof phasesDirectAndDelayed>>[] = [];
  for (let r = 1; r <= CFG.rounds; r++) {
    as.push(await phaseScheduler(tmp, profDir, r));
    bcs.push(await phasesDirectAndDelayed(tmp, profDir, r));
  }
  cleanup();

  const profiles: ProfileSummary[] = [...as.flatMap((x) => x.profiles), ...bcs.flatMap((x) => x.profiles)].map((f) => summarizeProfile(f));

  const a = medianBy(as.map((x) => x.result), (p) => p.boundPerSec);
  const b = medianBy(bcs.map((x) => x.direct), (p) => p.boundPerSec);
  const pre = medianBy(bcs.map((x) => x.precreate), (p) => p.createsPerSec);
  const c = medianBy(bcs.map((x) => x.delayed), (p) => p.boundPerSec);
  const ranges = {
    scheduler: range(as.map((x) => x.result.boundPerSec)),
    direct: range(bcs.map((x) => x.direct.boundPerSec)),
    schedulerAlone: range(bcs.map((x) => x.delayed.boundPerSec)),
    createsOnly: range(bcs.map((x) => x.precreate.createsPerSec)),
  };
  // Every round must run to the end: every pod created (no create or bind errors) and bound.
  const incomplete: string[] = [];
  as.forEach((x, i) => {
    const r = i + 1;
    const { direct, precreate, delayed } = bcs[i]!;
    for (const [what, p] of [['A scheduler', x.result], ['B direct binding', direct], ['C pre-create', precreate], ['C scheduler alone', delayed]] as const) {
      const bindErrors = p.directBindErrors ?? 0;
      if (!p.complete || p.createErrors || bindErrors) incomplete.push(`round ${r} ${what}: ${fmtNum(p.bound)}/${fmtNum(p.pods)} bound, ${p.createErrors} create errors, ${bindErrors} bind errors`);
    }
    const sc = x.result.scheduler;
    if (sc && (sc.unschedulable || sc.bindErrors || sc.writeErrors)) incomplete.push(`round ${r} scheduler: ${sc.unschedulable} unschedulable, ${sc.bindErrors} bind errors, ${sc.writeErrors} write errors`);
  });
  const ratios = as.map((x, i) => round(x.result.boundPerSec / bcs[i]!.direct.boundPerSec, 2));
  const verdict = { ratios, median: [...ratios].sort((p, q2) => p - q2)[(ratios.length - 1) >> 1]!, incomplete };
  const rows = buildRows(a, b, pre, c, ranges, verdict);
  const doc = {
    ...runHeader('flotilla scheduler', started, t0, QUICK),
    environment: {
      ...environment(),
      loadAverageAtStart: startLoad,
      loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
      processes:
        'bench client (this process) | control plane child: node --import tsx bench/cluster/controlPlaneChild.ts (API server + scheduler, no controllers) | hollow node pool child: node --import tsx bench/cluster/hollowPoolChild.ts',
      store: 'persisted (nedb datafile in a temp folder on the local disk)',
    },
    config: CFG,
    targets: {
      podsPerSecOfFloor: { target: `>= ${TARGET_OF_FLOOR} (median round)`, medianRatio: verdict.median, roundRatios: verdict.ratios, podsPerSecMedian: a.boundPerSec, rounds: as.map((x) => x.result.boundPerSec), floorRounds: bcs.map((x) => x.direct.boundPerSec), incomplete, met: rows[0]!.met },
      reference: 'kube-scheduler CI gate (scheduler_perf SchedulingBasic, 5,000 nodes): 680-810 pods/s',
    },
    medians: { scheduler: a, directBindingFloor: b, createsOnlyFloor: pre, schedulerAlone: c, ranges },
    rounds: as.map((x, i) => ({
      round: i + 1,
      nodeRegistrationMs: { clusterA: x.registerMs, clusterB: bcs[i]!.registerMs },
      scheduler: x.result,
      floors: { directBinding: bcs[i]!.direct, createsOnly: bcs[i]!.precreate },
      schedulerAlone: bcs[i]!.delayed,
    })),
    cpuProfiles: profiles,
  };
  const json = JSON.stringify(doc, null, 2);
  const table = renderTable(rows);
  const profText = profiles.map((p) => renderProfile(p)).join('\n\n');
  const loadLine = `load average (1, 5, 15 min): ${startLoad.join(' ')} at the start, ${doc.environment.loadAverageAtEnd.join(' ')} at the end`;
  const file = saveResults(QUICK ? 'scheduler-quick' : 'scheduler', started, json, [table, loadLine, profText].filter(Boolean).join('\n\n'));
  process.stdout.write(`${json}\n`);
  process.stderr.write(`\n${table}\n${loadLine}\n${profText ? `\n${profText}\n` : ''}\nrun took ${doc.durationSec} s; results saved to ${path.relative(ROOT, file)}\n`);
  if (incomplete.length) {
    process.stderr.write(`bench:scheduler INCOMPLETE: ${incomplete.join('; ')}\n`);
    process.exitCode = 3;
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    process.stderr.write(`bench:scheduler failed: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
