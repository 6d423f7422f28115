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

function statusKB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
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

/** Peak resident set size since the process started (the kernel's high-water mark), MB (MiB). */
export function peakRssMB(pid: number | undefined): number | undefined {
  const kb = statusKB(pid, 'VmHWM');
  return kb === undefined ? undefined : round(kb / 1024, 1);
}

/** Busy CPU seconds of the whole machine so far, all cores (/proc/stat: everything but idle and iowait). */
export function machineBusySeconds(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - v[3]! - v[4]!) / 100;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of several processes (by pid; process.pid for this one) between construction and
 * read(), plus `otherProcesses`: the machine's busy CPU seconds not spent by them (other work
 * on the machine competing for its cores during the measurement).
 */
export class CpuMeter {
  private readonly start = new Map<string, number | undefined>();
  private readonly machine0 = machineBusySeconds();
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
    return out;
  }
}

/** Samples a process's RSS every intervalMs (bounded by maxSamples) until stop(). */
export class RssSampler {
  readonly samples: { t: number; rssMB: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();
  constructor(
    private readonly pid: number | undefined,
    intervalMs = 250,
    maxSamples = 10_000,
  ) {
    this.timer = setInterval(() => {
      const r = rssMB(this.pid);
      if (r !== undefined && this.samples.length < maxSamples) this.samples.push({ t: Date.now() - this.t0, rssMB: r });
    }, intervalMs);
    this.timer.unref();
  }
  stop(): { maxSampledMB: number | undefined; peakHwmMB: number | undefined } {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const maxSampledMB = this.samples.length ? Math.max(...this.samples.map((s) => s.rssMB)) : undefined;
    return { maxSampledMB, peakHwmMB: peakRssMB(this.pid) };
  }
}
