import { openLoop, type Client, type OpenLoopResult, type Response } from '../lib/client.js';
import { CpuMeter } from '../lib/proc.js';
import { LoopProbe, type ProbeSummary } from '../lib/probe.cjs';
import { summarize, rate, round, sleep, type LatencySummary } from '../lib/stats.js';
import { attributeTail, type TailAttribution } from './tail.js';

// Writes at a fixed open-loop rate against the API server and against the bare HTTPS floor, in
// interleaved rounds (API then floor, floor then API, ...), so that whatever else the machine is
// doing hits both alike; each server's probe (bench/lib/probe.cjs) runs during its own rounds.
// Latency runs from the moment a request was due (so a stalled client or server cannot hide
// it). Each round gives a ratio of p99s (API round / the floor's round next to it); the verdict
// is the median of those ratios, so that a burst of other work on a shared machine during one
// round (it shows in the round's CPU accounting) does not decide it alone; the ratio of the
// pooled p99s is reported next to it. Every request of every round must be sent and answered
// 2xx, or the phase is incomplete.

export interface Target {
  label: string;
  pid: number;
  client: Client;
  command: <T>(cmd: string, timeoutMs?: number) => Promise<T>;
  /** The request for operation i (its own object name, so that every write is a create). */
  op: (i: number) => Promise<Response>;
}

export interface RoundResult {
  round: number;
  target: string;
  sent: number;
  unsent: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  achievedPerSec: number;
  latencyFromScheduleMs: LatencySummary;
  latencyFromSendMs: LatencySummary;
  clientSendLagMs: LatencySummary;
  probe: Omit<ProbeSummary, 'gcPauses' | 'stalls' | 'slowAppends'> & { gcPauses: number; stalls: number; slowAppends: number; longestStallsMs: number[] };
  tail: TailAttribution;
  /** CPU seconds during the round: the server, this process, the rest of the machine (and steal). */
  cpuSec: Record<string, number | undefined>;
}

export interface FixedRateResult {
  ratePerSec: number;
  secondsPerRound: number;
  rounds: number;
  complete: boolean;
  api: { pooled: LatencySummary; tail: TailAttribution; rounds: RoundResult[] };
  floor: { pooled: LatencySummary; tail: TailAttribution; rounds: RoundResult[] };
  /** API p99 / floor p99 over the pooled samples of all rounds. */
  p99Ratio: number;
  p50Ratio: number;
  perRoundP99Ratio: number[];
  /** The median of perRoundP99Ratio: the verdict's number. */
  medianRoundP99Ratio: number;
  /**
   * CPU time per request of each server (all its threads: GC helpers included), median over its
   * rounds, microseconds: what the tail is made of on a machine with little spare CPU, and far
   * less disturbed by other load than latency is.
   */
  cpuUsPerRequest: { api: number; floor: number };
}

async function oneRound(t: Target, round: number, ratePerSec: number, seconds: number, offset: number): Promise<{ r: RoundResult; raw: OpenLoopResult; probe: ProbeSummary; client: ProbeSummary }> {
  const total = ratePerSec * seconds;
  await t.command('probe-start');
  // The client's own pauses delay requests too (and hit either server alike): probed the same way.
  const clientProbe = new LoopProbe();
  clientProbe.start();
  const cpu = new CpuMeter({ server: t.pid, bench: process.pid });
  let raw: OpenLoopResult;
  let probe: ProbeSummary;
  let client: ProbeSummary;
  try {
    raw = await openLoop({ ratePerSec, total, maxMs: seconds * 1000 + 5_000, op: (i) => t.op(offset + i) });
  } finally {
    client = clientProbe.stop();
    probe = await t.command<ProbeSummary>('probe-stop');
  }
  const { gcPauses, stalls, slowAppends, ...rest } = probe;
  return {
    raw,
    probe,
    client,
    r: {
      round,
      target: t.label,
      sent: raw.sent,
      unsent: raw.unsent,
      ok: raw.ok,
      errors: raw.errors,
      errorSamples: raw.errorSamples,
      achievedPerSec: rate(raw.ok, raw.elapsedMs),
      latencyFromScheduleMs: summarize(raw.fromSchedule),
      latencyFromSendMs: summarize(raw.fromSend),
      clientSendLagMs: summarize(raw.sendLag),
      probe: {
        ...rest,
        gcPauses: gcPauses.length,
        stalls: stalls.length,
        slowAppends: slowAppends?.length ?? 0,
        longestStallsMs: stalls
          .map((x) => x.ms)
          .sort((a, b) => b - a)
          .slice(0, 5),
      },
      cpuSec: cpu.read(),
      // Filled in once the floor's pooled p99 is known.
      tail: { thresholdMs: NaN, requests: 0, slow: 0, byCause: {}, pauseMsInWindow: {} },
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;
const cpuPerRequest = (ds: { r: RoundResult }[]) => Math.round(median(ds.map((d) => ((d.r.cpuSec.server ?? NaN) * 1e6) / (d.r.ok || NaN))));

export async function fixedRate(o: { api: Target; floor: Target; ratePerSec: number; seconds: number; rounds: number; log: (s: string) => void }): Promise<FixedRateResult> {
  type Done = Awaited<ReturnType<typeof oneRound>>;
  const api: Done[] = [];
  const floor: Done[] = [];
  for (let k = 0; k < o.rounds; k++) {
    // Alternate which goes first, so that drift in the machine's load hits both alike.
    const order = k % 2 === 0 ? (['api', 'floor'] as const) : (['floor', 'api'] as const);
    for (const which of order) {
      const t = which === 'api' ? o.api : o.floor;
      const d = await oneRound(t, k + 1, o.ratePerSec, o.seconds, k * o.ratePerSec * o.seconds);
      (which === 'api' ? api : floor).push(d);
      const l = d.r.latencyFromScheduleMs;
      o.log(`    round ${k + 1} ${t.label}: ${d.r.ok} ok, ${d.r.errors} errors, ${d.r.unsent} unsent; p50 ${l.p50} / p99 ${l.p99} / max ${l.max} ms; CPU s ${JSON.stringify(d.r.cpuSec)}; longest stalls ${d.r.probe.longestStallsMs.join(', ')} ms; server loop delay p99 ${d.probe.eventLoopDelayMs.p99} ms, loop ${Math.round(d.probe.eventLoopUtilization * 100)}% busy, appends p50 ${d.probe.appendFileMs.p50} / p99 ${d.probe.appendFileMs.p99} ms (${d.probe.appendFileMs.count}), GC ${Object.entries(d.probe.gc).map(([kind, g]) => `${kind} ${g.count}x ${round(g.totalMs, 1)} ms`).join(', ') || 'none'}`);
      await sleep(300);
    }
  }
  const pooled = (ds: Done[]) => summarize(ds.flatMap((d) => d.raw.fromSchedule));
  const apiPooled = pooled(api);
  const floorPooled = pooled(floor);
  // The slow requests are those past the target line: twice the floor's p99.
  const threshold = 2 * floorPooled.p99;
  const attribute = (ds: Done[]): TailAttribution => {
    const parts = ds.map((d) => attributeTail(d.raw.dueEpoch, d.raw.fromSchedule, d.probe, threshold, d.client));
    ds.forEach((d, i) => (d.r.tail = parts[i]!));
    const sum: TailAttribution = { thresholdMs: round(threshold, 2), requests: 0, slow: 0, byCause: {}, pauseMsInWindow: {} };
    for (const p of parts) {
      sum.requests += p.requests;
      sum.slow += p.slow;
      for (const [k, v] of Object.entries(p.byCause)) sum.byCause[k] = (sum.byCause[k] ?? 0) + v;
      for (const [k, v] of Object.entries(p.pauseMsInWindow)) sum.pauseMsInWindow[k] = round((sum.pauseMsInWindow[k] ?? 0) + v, 1);
    }
    return sum;
  };
  const apiTail = attribute(api);
  const floorTail = attribute(floor);
  const perRoundP99Ratio = api.map((d, i) => round(d.r.latencyFromScheduleMs.p99 / floor[i]!.r.latencyFromScheduleMs.p99, 2));
  const complete = [...api, ...floor].every((d) => d.r.unsent === 0 && d.r.errors === 0 && d.r.ok === o.ratePerSec * o.seconds);
  return {
    ratePerSec: o.ratePerSec,
    secondsPerRound: o.seconds,
    rounds: o.rounds,
    complete,
    api: { pooled: apiPooled, tail: apiTail, rounds: api.map((d) => d.r) },
    floor: { pooled: floorPooled, tail: floorTail, rounds: floor.map((d) => d.r) },
    p99Ratio: round(apiPooled.p99 / floorPooled.p99, 2),
    p50Ratio: round(apiPooled.p50 / floorPooled.p50, 2),
    perRoundP99Ratio,
    medianRoundP99Ratio: median(perRoundP99Ratio),
    cpuUsPerRequest: { api: cpuPerRequest(api), floor: cpuPerRequest(floor) },
  };
}
