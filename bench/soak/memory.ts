import type { Child } from '../lib/children.js';
import { rssMB } from '../lib/proc.js';
import { round } from '../lib/stats.js';

// Memory of the control plane child over a soak run: the resident set (Linux /proc) and the V8
// heap (the `SOAKMEM` lines bench/soak/memProbe.cjs prints from inside the child), sampled once a
// second. The summary reads levels as medians over short windows (single samples swing with every
// garbage collection) and the trend as a least-squares slope.

export interface MemSample {
  /** Seconds since the sampler started. */
  t: number;
  rssMB: number;
  heapUsedMB?: number;
  heapTotalMB?: number;
}

export interface Level {
  rssMB: number;
  heapUsedMB?: number;
}

export interface MemorySummary {
  samples: number;
  start: Level;
  afterWarmup: Level;
  middle: Level;
  end: Level;
  maxRssMB: number;
  /** Least-squares slope over the samples after warm-up, MB per minute. */
  rssSlopeMBPerMin: number;
  heapUsedSlopeMBPerMin?: number;
  /** end / afterWarmup (RSS). */
  endToWarmRatio: number;
}

const MB = 1024 * 1024;

export class MemorySampler {
  readonly samples: MemSample[] = [];
  private heap: { heapUsed: number; heapTotal: number } | undefined;
  private readonly t0 = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(child: Child, intervalMs = 1000) {
    let buf = '';
    child.proc.stdout!.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.startsWith('SOAKMEM ')) continue;
        try {
          const m = JSON.parse(line.slice(8)) as { heapUsed: number; heapTotal: number };
          this.heap = { heapUsed: m.heapUsed, heapTotal: m.heapTotal };
        } catch {
          /* a torn line */
        }
      }
    });
    const pid = child.proc.pid;
    this.timer = setInterval(() => {
      const rss = rssMB(pid);
      if (rss === undefined) return;
      this.samples.push({
        t: (Date.now() - this.t0) / 1000,
        rssMB: rss,
        ...(this.heap ? { heapUsedMB: round(this.heap.heapUsed / MB, 1), heapTotalMB: round(this.heap.heapTotal / MB, 1) } : {}),
      });
    }, intervalMs);
    this.timer.unref();
  }

  /** Seconds since the sampler started. */
  now(): number {
    return (Date.now() - this.t0) / 1000;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  summary(warmupEndSec: number, windowSec = 10): MemorySummary {
    const s = this.samples;
    if (!s.length) throw new Error('no memory samples (is /proc readable?)');
    const last = s[s.length - 1]!.t;
    const around = (from: number, to: number): Level => {
      const w = s.filter((x) => x.t >= from && x.t <= to);
      const pick = w.length ? w : [s.reduce((a, b) => (Math.abs(b.t - from) < Math.abs(a.t - from) ? b : a))];
      const heaps = pick.map((x) => x.heapUsedMB).filter((x): x is number => x !== undefined);
      return { rssMB: median(pick.map((x) => x.rssMB)), ...(heaps.length ? { heapUsedMB: median(heaps) } : {}) };
    };
    const after = s.filter((x) => x.t >= warmupEndSec);
    const mid = warmupEndSec + (last - warmupEndSec) / 2;
    const afterWarmup = around(warmupEndSec, warmupEndSec + windowSec);
    const end = around(last - windowSec, last);
    const heapPts = after.filter((x) => x.heapUsedMB !== undefined).map((x) => [x.t, x.heapUsedMB!] as [number, number]);
    return {
      samples: s.length,
      start: around(0, Math.min(windowSec, last)),
      afterWarmup,
      middle: around(mid - windowSec / 2, mid + windowSec / 2),
      end,
      maxRssMB: Math.max(...s.map((x) => x.rssMB)),
      rssSlopeMBPerMin: round(slope(after.map((x) => [x.t, x.rssMB])) * 60, 2),
      ...(heapPts.length > 2 ? { heapUsedSlopeMBPerMin: round(slope(heapPts) * 60, 2) } : {}),
      endToWarmRatio: round(end.rssMB / afterWarmup.rssMB, 3),
    };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? round(s[Math.floor((s.length - 1) / 2)]!, 1) : NaN;
}

/** Least-squares slope of y over x (per second here); 0 with fewer than 3 points. */
function slope(pts: [number, number][]): number {
  if (pts.length < 3) return 0;
  const n = pts.length;
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of pts) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : 0;
}
