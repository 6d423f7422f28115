// Latency statistics for the benchmarks. All times are milliseconds (performance.now()).

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** With 100 samples or fewer the nearest-rank p99 is the maximum: not a percentile worth quoting. */
  p99IsMax: boolean;
}

/** Samples needed for a nearest-rank p99 that is not the maximum. */
export const MIN_SAMPLES_FOR_P99 = 101;

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(latencies: ArrayLike<number>): LatencySummary {
  const s = Float64Array.from(latencies).sort();
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i]!;
  return {
    count: s.length,
    mean: round(s.length ? sum / s.length : NaN),
    p50: round(percentile(s, 50)),
    p90: round(percentile(s, 90)),
    p99: round(percentile(s, 99)),
    max: round(s.length ? s[s.length - 1]! : NaN),
    p99IsMax: s.length < MIN_SAMPLES_FOR_P99,
  };
}

/** The middle value (the upper one of the two middles for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

export function round(n: number, digits = 3): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function rate(count: number, ms: number): number {
  return ms > 0 ? Math.round((count / ms) * 1000 * 10) / 10 : 0;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
