import type { ScheduleResult } from './framework.js';
import { nowISO } from '../api/time.js';

// The outcome of a pod's last scheduling attempt, kept on the pod as a compact JSON annotation so
// the dashboard can show why a pod went where it did (or nowhere):
//
//   {"time":"...","result":"Scheduled","node":"node-2","filtered":{"Insufficient memory":2},
//    "scores":[{"node":"node-2","total":412,"plugins":{"LeastAllocated":87,...}}, ...]}
//
// Size is bounded: at most MAX_REASONS reasons (the rest summed under one entry), reasons cut at
// MAX_REASON_CHARS, and at most the top 5 scored nodes.

export const LAST_ATTEMPT_ANNOTATION = 'scheduler.flotilla.dev/last-attempt';
export const MAX_REASONS = 12;
export const MAX_REASON_CHARS = 200;
export const MAX_SCORES = 5;

export interface LastAttempt {
  time: string;
  result: 'Scheduled' | 'Unschedulable';
  node?: string;
  filtered: Record<string, number>;
  scores: { node: string; total: number; plugins: Record<string, number> }[];
}

export function buildLastAttempt(result: ScheduleResult, now: Date = new Date()): LastAttempt {
  const entries = [...result.filtered].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const filtered: Record<string, number> = {};
  const kept = entries.length > MAX_REASONS ? entries.slice(0, MAX_REASONS - 1) : entries;
  for (const [reason, count] of kept) {
    const r = reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason;
    filtered[r] = (filtered[r] ?? 0) + count;
  }
  if (entries.length > kept.length) {
    const rest = entries.slice(kept.length);
    filtered[`(${rest.length} other reasons)`] = rest.reduce((a, [, c]) => a + c, 0);
  }
  const out: LastAttempt = {
    time: nowISO(now),
    result: result.node ? 'Scheduled' : 'Unschedulable',
    ...(result.node ? { node: result.node } : {}),
    filtered,
    scores: result.scores.slice(0, MAX_SCORES).map((s) => ({ node: s.node, total: round(s.total), plugins: mapValues(s.plugins, round) })),
  };
  return out;
}

/** The attempt without its time: equal signatures mean "nothing new to tell". */
export function attemptSignature(a: LastAttempt): string {
  return JSON.stringify([a.result, a.node ?? '', a.filtered]);
}

export function encodeLastAttempt(a: LastAttempt): string {
  return JSON.stringify(a);
}

export function decodeLastAttempt(text: string | undefined): LastAttempt | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as LastAttempt;
  } catch {
    return undefined;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function mapValues(o: Record<string, number>, f: (n: number) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k in o) out[k] = f(o[k]!);
  return out;
}
