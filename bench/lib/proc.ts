import fs from 'node:fs';
import { round } from './stats.js';

// Linux /proc readings of a process (by pid) for the benchmarks: CPU seconds, current and peak
// resident memory. Each returns undefined when the process is gone or /proc is unavailable.

/** user+system CPU seconds of a process so far. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime/stime are fields 14/15 -> indexes 11/12 (clock ticks, 100/s).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function statusKB(pid: number | undefined, field: 'VmRSS' | 'VmHWM' | 'RssAnon'): number | undefined {
  if (!pid) return undefined;
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Current resident set size, MB (MiB). */
export function rssMB(pid: number | undefined): number | undefined {
  const kb = statusKB(pid, 'VmRSS');
  return kb === undefined ? undefined : round(kb / 1024, 1);
}

/**
 * Current anonymous resident memory, MB (MiB): the heap and other private memory, without the
 * file-backed pages (the node binary, mapped libraries) that RSS also counts and that the
 * kernel can drop and share.
 */
export function anonMB(pid: number | undefined): number | undefined {
  const kb = statusKB(pid, 'RssAnon');
  return kb === undefined ? undefined : round(kb / 1024, 1);
}

/** Peak resident set size since the process started (the kernel's high-water mark), MB (MiB). */
export function peakRssMB(pid: number | undefined): number | undefined {
  const kb = statusKB(pid, 'VmHWM');
  return kb === undefined ? undefined : round(kb / 1024, 1);
}

function machineTicks(): number[] | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    return line.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine so far, all cores (/proc/stat: everything but idle and iowait). */
export function machineBusySeconds(): number | undefined {
  const v = machineTicks();
  if (!v) return undefined;
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - v[3]! - v[4]! - (v[7] ?? 0)) / 100;
}

/** CPU seconds the hypervisor gave to others while this machine's CPUs wanted to run (steal). */
export function machineStealSeconds(): number | undefined {
  const v = machineTicks();
  return v?.[7] === undefined ? undefined : v[7] / 100;
}

/**
 * CPU seconds of several processes (by pid; process.pid for this one) between construction and
 * read(), plus `otherProcesses`: the machine's busy CPU seconds not spent by them (other work
 * on the machine competing for its cores during the measurement), and `steal` when the
 * hypervisor took CPU time from this machine's cores (only when there was some).
 */
export class CpuMeter {
  private readonly start = new Map<string, number | undefined>();
  private readonly machine0 = machineBusySeconds();
  private readonly steal0 = machineStealSeconds();
  constructor(private readonly pids: Record<string, number | undefined>) {
    for (const [k, pid] of Object.entries(pids)) this.start.set(k, cpuSeconds(pid));
  }
  read(): Record<string, number | undefined> {
    const out: Record<string, number | undefined> = {};
    let ours = 0;
    for (const [k, pid] of Object.entries(this.pids)) {
      const now = cpuSeconds(pid);
      const s = this.start.get(k);
      out[k] = now !== undefined && s !== undefined ? round(now - s, 2) : undefined;
      ours += out[k] ?? 0;
    }
    const m1 = machineBusySeconds();
    if (m1 !== undefined && this.machine0 !== undefined) out.otherProcesses = round(Math.max(0, m1 - this.machine0 - ours), 2);
    const s1 = machineStealSeconds();
    if (s1 !== undefined && this.steal0 !== undefined && s1 > this.steal0) out.steal = round(s1 - this.steal0, 2);
    return out;
  }
}

/**
 * Samples a process's RSS and anonymous RSS every intervalMs (bounded by maxSamples) until
 * stop(). The kernel keeps a high-water mark of RSS only (VmHWM): the anonymous peak is the
 * largest sample.
 */
export class RssSampler {
  readonly samples: { t: number; rssMB: number; anonMB?: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();
  constructor(
    private readonly pid: number | undefined,
    intervalMs = 250,
    maxSamples = 10_000,
  ) {
    this.timer = setInterval(() => {
      const r = rssMB(this.pid);
      if (r !== undefined && this.samples.length < maxSamples) this.samples.push({ t: Date.now() - this.t0, rssMB: r, anonMB: anonMB(this.pid) });
    }, intervalMs);
    this.timer.unref();
  }
  stop(): { maxSampledMB: number | undefined; maxSampledAnonMB: number | undefined; peakHwmMB: number | undefined } {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const maxSampledMB = this.samples.length ? Math.max(...this.samples.map((s) => s.rssMB)) : undefined;
    const anon = this.samples.map((s) => s.anonMB).filter((x): x is number => x !== undefined);
    return { maxSampledMB, maxSampledAnonMB: anon.length ? Math.max(...anon) : undefined, peakHwmMB: peakRssMB(this.pid) };
  }
}
