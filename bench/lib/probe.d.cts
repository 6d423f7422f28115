// Types of bench/lib/probe.cjs (plain CommonJS so that bench/api/cliChild.cjs can load it next
// to the shipped CLI bundle without a TypeScript loader).
import type { Interface } from 'node:readline';

export interface GcPause {
  /** Epoch ms. */
  start: number;
  ms: number;
  kind: string;
}

export interface Stall {
  /** Epoch ms when the late tick ran. */
  end: number;
  /** How late it ran, ms: the loop was held at least this long before `end`. */
  ms: number;
}

export interface ProbeSummary {
  from: number;
  to: number;
  eventLoopUtilization: number;
  eventLoopDelayMs: { count: number; mean: number; p50: number; p99: number; max: number };
  gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
  gcPauses: GcPause[];
  stalls: Stall[];
  /** File appends (fs.write, fs.promises.appendFile: the store's group commits), ms. */
  appendFileMs: { count: number; p50: number; p99: number; max: number };
  /** Appends of 5 ms or more: start (epoch ms) and duration. */
  slowAppends: { start: number; ms: number }[];
}

export interface ProcMemory {
  rssMB: number;
  anonMB: number;
  peakRssMB: number;
}

export function serve(extra?: Record<string, (arg?: string) => unknown>, onEnd?: () => void): Interface;
export function nowMs(): number;
export function procMemory(): ProcMemory | undefined;
export class CpuProfiler {
  start(): Promise<void>;
  stop(file: string): Promise<string>;
}
export class LoopProbe {
  start(): void;
  stop(): ProbeSummary;
}
