import type { ProbeSummary } from '../lib/probe.cjs';
import { round } from '../lib/stats.js';

// Where the slow requests of a fixed-rate phase spent their time: each request slower than a
// threshold is lined up (wall clock, epoch ms) with what the server's probe (bench/lib/probe.cjs)
// saw while it was in flight: garbage collection pauses by kind, event loop stalls that no
// pause explains (a long callback: a flush, a compaction step, a burst of requests in one turn),
// and appends to the store's datafile that took 5 ms or more (the loop is free then, but the
// writes of that group commit, and those queued behind it, wait for the disk); and the same
// pauses of the benchmark client itself, which delay whichever server it is measuring.
// A request is charged to the cause that overlapped it most; one that overlapped pauses for less
// than a quarter of its latency is charged to neither ("no pause": queueing behind ordinary work,
// or CPU taken by other processes on the machine).

export interface TailAttribution {
  thresholdMs: number;
  requests: number;
  slow: number;
  /** Slow requests by the cause that overlapped them most. */
  byCause: Record<string, number>;
  /** Pause time in the whole window, ms, by kind (GC kinds, and stalls outside any GC pause). */
  pauseMsInWindow: Record<string, number>;
}

interface Span {
  from: number;
  to: number;
  kind: string;
}

/**
 * A full GC's cycle: from its incremental marking step to the end of its mark-compact pause. In
 * between, V8 marks the whole heap on helper threads (on a 2-core machine, with the main thread's
 * core), which the 'gc' entries do not show: the stalls inside are charged to the cycle.
 */
function majorCycles(probe: ProbeSummary, who: string): Span[] {
  const out: Span[] = [];
  const gcs = [...probe.gcPauses].sort((a, b) => a.start - b.start);
  let markingFrom: number | undefined;
  for (const g of gcs) {
    if (g.kind === 'incremental marking') markingFrom ??= g.start;
    else if (g.kind === 'mark-compact') {
      if (markingFrom !== undefined && g.start - markingFrom < 5_000) out.push({ from: markingFrom, to: g.start + g.ms, kind: `${who} GC major cycle (marking on helper threads)` });
      markingFrom = undefined;
    }
  }
  return out;
}

/** GC pauses and the stalls no GC pause explains, named `<who> GC <kind>` / `<who> event loop stall (no GC)`. */
function pauses(probe: ProbeSummary, who: string): Span[] {
  const gcs: Span[] = probe.gcPauses.map((g) => ({ from: g.start, to: g.start + g.ms, kind: `${who} GC ${g.kind}` }));
  const cycles = majorCycles(probe, who);
  // A stall is the stretch before a late tick; the part of it a GC pause covers is charged to
  // the GC, and a stall inside a full GC's marking to that cycle.
  const stalls: Span[] = [];
  for (const s of probe.stalls) {
    let from = s.end - s.ms;
    const to = s.end;
    for (const g of gcs) if (g.from <= from && g.to > from) from = Math.min(to, g.to);
    if (to - from < 1) continue;
    const cycle = cycles.find((c) => c.from <= from && c.to >= from);
    stalls.push({ from, to, kind: cycle ? cycle.kind : `${who} event loop stall (no GC)` });
  }
  return [...gcs, ...stalls];
}

export function attributeTail(dueEpoch: number[], latencyMs: number[], probe: ProbeSummary, thresholdMs: number, client?: ProbeSummary): TailAttribution {
  const appends: Span[] = (probe.slowAppends ?? []).map((a) => ({ from: a.start, to: a.start + a.ms, kind: 'server slow store append (fs)' }));
  const spans = [...pauses(probe, 'server'), ...(client ? pauses(client, 'client') : []), ...appends].sort((a, b) => a.from - b.from);
  const pauseMsInWindow: Record<string, number> = {};
  for (const s of spans) pauseMsInWindow[s.kind] = round((pauseMsInWindow[s.kind] ?? 0) + (s.to - s.from), 1);
  const byCause: Record<string, number> = {};
  let slow = 0;
  for (let i = 0; i < dueEpoch.length; i++) {
    const ms = latencyMs[i]!;
    if (ms <= thresholdMs) continue;
    slow++;
    const from = dueEpoch[i]!;
    const to = from + ms;
    const overlap: Record<string, number> = {};
    // spans are sorted by start; those starting after `to` cannot overlap.
    for (const s of spans) {
      if (s.from >= to) break;
      const o = Math.min(to, s.to) - Math.max(from, s.from);
      if (o > 0) overlap[s.kind] = (overlap[s.kind] ?? 0) + o;
    }
    const best = Object.entries(overlap).sort((a, b) => b[1] - a[1])[0];
    const total = Object.values(overlap).reduce((a, b) => a + b, 0);
    const cause = best && total >= ms / 4 ? best[0] : 'no pause (queueing, or CPU taken by other processes)';
    byCause[cause] = (byCause[cause] ?? 0) + 1;
  }
  return { thresholdMs: round(thresholdMs, 2), requests: dueEpoch.length, slow, byCause, pauseMsInWindow };
}
