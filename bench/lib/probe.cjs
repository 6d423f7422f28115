'use strict';
// In-process instruments for the benchmarks' child processes (the control plane children and
// bench/api/cliChild.cjs, which runs the shipped CLI bundle as is, hence plain CommonJS): a
// command channel on stdin, the V8 CPU profiler of the main thread, and a probe of what holds
// the event loop: its delay histogram (perf_hooks monitorEventLoopDelay), every garbage
// collection pause (PerformanceObserver 'gc'), stalls with their wall-clock times (a 10 ms
// interval timer that fired late), and every file append: fs.write and fs.writeSync (how the
// store appends its group commits to the open datafile), fs.promises.appendFile (how earlier versions did,
// through nedb), both wrapped when this module loads, before the CLI bundle captures them, and
// timed only while the probe runs; so that the benchmark process can tell which of its slow
// requests coincided with which pause or slow append.
//
// Commands arrive on stdin as `<id> <command> [arg]` lines and are answered on stdout as
// `REPLY <id> <json>` (`{error}` on failure); bench/lib/children.ts commandChannel() speaks it.
//   probe-start        starts the loop probe (histogram, GC pauses, stalls) and an ELU window
//   probe-stop         stops it and answers its summary (ProbeSummary in probe.d.cts)
//   profile-start      starts the V8 CPU profiler on the main thread (1 ms sampling)
//   profile-stop FILE  stops it and writes the .cpuprofile to FILE
//   alloc-start        starts V8's sampling heap profiler (where the program allocates)
//   alloc-stop FILE    stops it and writes the .heapprofile to FILE (what was allocated, by stack)
//   gc                 full garbage collection (needs --expose-gc), then process.memoryUsage()
//   memory             process.memoryUsage() and /proc/self/status RSS, anonymous RSS, peak RSS
// Times are epoch milliseconds with sub-millisecond precision (performance.timeOrigin + now()).

const fs = require('node:fs');
const inspector = require('node:inspector');
const readline = require('node:readline');
const { promisify } = require('node:util');
const { performance, PerformanceObserver, monitorEventLoopDelay, constants } = require('node:perf_hooks');

const nowMs = () => performance.timeOrigin + performance.now();

const GC_KIND = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
};

const MAX_EVENTS = 20_000;
const STALL_TICK_MS = 10;
/** A tick this much later than due counts as a stall. */
const STALL_MIN_MS = 5;
/** Appends at least this long are listed one by one. */
const SLOW_APPEND_MS = 5;

const round = (n, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

/** File appends while the probe runs: {start (epoch ms), ms}. */
let appends;
const timer = () => {
  if (!appends) return () => {};
  const t0 = performance.now();
  return () => {
    if (appends && appends.length < MAX_EVENTS * 5) appends.push({ start: performance.timeOrigin + t0, ms: performance.now() - t0 });
  };
};
const appendFile = fs.promises.appendFile;
fs.promises.appendFile = function timedAppendFile(...args) {
  const done = timer();
  const p = appendFile.apply(this, args);
  p.then(done, done);
  return p;
};
const write = fs.write;
function timedWrite(...args) {
  const cb = args[args.length - 1];
  if (!appends || typeof cb !== 'function') return write.apply(this, args);
  const done = timer();
  args[args.length - 1] = function (...r) {
    done();
    return cb.apply(this, r);
  };
  return write.apply(this, args);
}
// util.promisify(fs.write) resolves {bytesWritten, buffer}: keep that for the wrapper.
timedWrite[promisify.custom] = (...args) => new Promise((resolve, reject) => timedWrite(...args, (err, bytesWritten, buffer) => (err ? reject(err) : resolve({ bytesWritten, buffer }))));
fs.write = timedWrite;
const writeSync = fs.writeSync;
fs.writeSync = function timedWriteSync(...args) {
  const done = timer();
  try {
    return writeSync.apply(this, args);
  } finally {
    done();
  }
};

function latencySummary(xs) {
  const s = Float64Array.from(xs).sort();
  const at = (p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN);
  return { count: s.length, p50: round(at(50)), p99: round(at(99)), max: round(s.length ? s[s.length - 1] : NaN) };
}

class LoopProbe {
  start() {
    this.t0 = nowMs();
    this.elu0 = performance.eventLoopUtilization();
    this.hist = monitorEventLoopDelay({ resolution: 10 });
    this.hist.enable();
    this.gcs = [];
    this.obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (this.gcs.length >= MAX_EVENTS) break;
        const kind = (e.detail && e.detail.kind) ?? e.kind;
        this.gcs.push({ start: performance.timeOrigin + e.startTime, ms: e.duration, kind: GC_KIND[kind] ?? String(kind) });
      }
    });
    this.obs.observe({ entryTypes: ['gc'] });
    this.stalls = [];
    appends = [];
    let last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = now - last - STALL_TICK_MS;
      last = now;
      if (late >= STALL_MIN_MS && this.stalls.length < MAX_EVENTS) this.stalls.push({ end: performance.timeOrigin + now, ms: late });
    }, STALL_TICK_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.hist.disable();
    // Entries still buffered in the observer are delivered by takeRecords().
    for (const e of this.obs.takeRecords?.() ?? []) {
      const kind = (e.detail && e.detail.kind) ?? e.kind;
      if (this.gcs.length < MAX_EVENTS) this.gcs.push({ start: performance.timeOrigin + e.startTime, ms: e.duration, kind: GC_KIND[kind] ?? String(kind) });
    }
    this.obs.disconnect();
    const appended = appends;
    appends = undefined;
    const h = this.hist;
    const ms = (ns) => round(ns / 1e6);
    const byKind = {};
    for (const g of this.gcs) {
      const k = (byKind[g.kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      k.count++;
      k.totalMs = round(k.totalMs + g.ms);
      k.maxMs = round(Math.max(k.maxMs, g.ms));
    }
    return {
      from: this.t0,
      to: nowMs(),
      eventLoopUtilization: round(performance.eventLoopUtilization(this.elu0).utilization),
      eventLoopDelayMs: { count: h.count, mean: ms(h.mean), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max) },
      gc: byKind,
      gcPauses: this.gcs.map((g) => ({ start: round(g.start), ms: round(g.ms), kind: g.kind })),
      stalls: this.stalls.map((s) => ({ end: round(s.end), ms: round(s.ms) })),
      appendFileMs: latencySummary(appended.map((a) => a.ms)),
      slowAppends: appended.filter((a) => a.ms >= SLOW_APPEND_MS).map((a) => ({ start: round(a.start), ms: round(a.ms) })),
    };
  }
}

class CpuProfiler {
  async start() {
    this.session = new inspector.Session();
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.setSamplingInterval', { interval: 1000 });
    await this.post('Profiler.start');
  }

  async stop(file) {
    if (!this.session) throw new Error('the profiler is not running');
    const { profile } = await this.post('Profiler.stop');
    this.session.disconnect();
    this.session = undefined;
    fs.writeFileSync(file, JSON.stringify(profile));
    return file;
  }

  /** Sampling heap profiler: keeps samples of objects collected since (what was allocated, not what lives). */
  async startAllocations() {
    this.session = new inspector.Session();
    this.session.connect();
    await this.post('HeapProfiler.enable');
    await this.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }

  async stopAllocations(file) {
    if (!this.session) throw new Error('the heap profiler is not running');
    const { profile } = await this.post('HeapProfiler.stopSampling');
    this.session.disconnect();
    this.session = undefined;
    fs.writeFileSync(file, JSON.stringify(profile));
    return file;
  }

  post(method, params) {
    return new Promise((resolve, reject) => this.session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  }
}

/** RSS, anonymous RSS and peak RSS of this process from /proc/self/status, MiB (undefined off Linux). */
function procMemory() {
  try {
    const s = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (f) => Number(new RegExp(`${f}:\\s+(\\d+) kB`).exec(s)?.[1]);
    return { rssMB: round(kb('VmRSS') / 1024, 1), anonMB: round(kb('RssAnon') / 1024, 1), peakRssMB: round(kb('VmHWM') / 1024, 1) };
  } catch {
    return undefined;
  }
}

/**
 * Answers the built-in commands (above) and `extra`'s (name -> async (arg) => answer) on stdin.
 * Returns the readline interface; `onEnd` runs when stdin closes (the benchmark process is gone).
 */
function serve(extra = {}, onEnd) {
  const probe = new LoopProbe();
  const profiler = new CpuProfiler();
  let probing = false;
  const builtins = {
    'probe-start': async () => {
      if (probing) throw new Error('the probe is already running');
      probing = true;
      probe.start();
      return { ok: true };
    },
    'probe-stop': async () => {
      if (!probing) throw new Error('the probe is not running');
      probing = false;
      return probe.stop();
    },
    'profile-start': async () => {
      await profiler.start();
      return { ok: true };
    },
    'profile-stop': async (file) => {
      if (!file) throw new Error('profile-stop needs a file');
      return { ok: true, file: await profiler.stop(file) };
    },
    'alloc-start': async () => {
      await profiler.startAllocations();
      return { ok: true };
    },
    'alloc-stop': async (file) => {
      if (!file) throw new Error('alloc-stop needs a file');
      return { ok: true, file: await profiler.stopAllocations(file) };
    },
    gc: async () => {
      if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
      globalThis.gc();
      globalThis.gc();
      return { memory: process.memoryUsage(), proc: procMemory() };
    },
    memory: async () => ({ memory: process.memoryUsage(), proc: procMemory() }),
  };
  const reply = (id, v) => process.stdout.write(`REPLY ${id} ${JSON.stringify(v)}\n`);
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [id = '?', cmd = '', arg] = line.trim().split(/\s+/);
    const fn = extra[cmd] ?? builtins[cmd];
    if (!fn) return reply(id, { error: `unknown command ${line}` });
    Promise.resolve()
      .then(() => fn(arg))
      .then(
        (v) => reply(id, v ?? { ok: true }),
        (e) => reply(id, { error: String(e?.stack ?? e) }),
      );
  });
  if (onEnd) {
    process.stdin.on('end', onEnd);
    process.stdin.on('error', onEnd);
  }
  return rl;
}

module.exports = { serve, nowMs, procMemory, CpuProfiler, LoopProbe };
