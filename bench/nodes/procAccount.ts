import fs from 'node:fs';
import { round } from '../lib/stats.js';
import { machineBusySeconds } from '../lib/proc.js';

// Where the machine's CPU went during a phase, by process (Linux /proc), so that a floor and a
// measurement that ran next to someone else's work can be told apart. Each process is put in one
// class: the named pids given (control plane child, kubelets, dockerd, containerd, this process),
// processes in Docker containers of this benchmark (by container id: pods and floors), processes
// in other containers, containerd shims (theirs by the -id in their command line), and every other
// process outside containers (other users' tests and benchmarks). CPU of processes that started
// and exited within the phase (runc, docker-init, short commands) cannot be read per process: it
// is the machine's busy time minus everything attributed ("exited during the phase").

const TICKS = 100;

interface ProcInfo {
  start: string;
  cpu: number;
  cls: string;
}

export class ProcAccount {
  private readonly before: Map<number, ProcInfo>;
  private readonly machine0 = machineBusySeconds();

  constructor(
    private readonly named: Record<string, number | undefined>,
    private readonly mine: (containerId: string) => boolean,
  ) {
    this.before = this.snapshot();
  }

  private classify(pid: number, comm: string): string {
    for (const [k, p] of Object.entries(this.named)) if (p === pid) return k;
    let cg = '';
    try {
      cg = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      return 'gone';
    }
    const m = cg.match(/\/docker\/([0-9a-f]{64})/);
    if (m) return this.mine(m[1]!) ? 'my containers (pods, floors)' : "other users' containers";
    if (comm.startsWith('containerd-shim')) {
      let cmd = '';
      try {
        cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        /* gone */
      }
      const id = cmd.match(/-id\0([0-9a-f]{64})/)?.[1];
      return id && this.mine(id) ? 'containerd shims of my containers' : "containerd shims of other users' containers";
    }
    return 'other processes outside containers (other users)';
  }

  private snapshot(): Map<number, ProcInfo> {
    const out = new Map<number, ProcInfo>();
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const pid = Number(d);
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime, stime: fields 14, 15; starttime: field 22 (indexes 11, 12, 19 after the state).
        out.set(pid, { start: f[19]!, cpu: (Number(f[11]) + Number(f[12])) / TICKS, cls: this.classify(pid, comm) });
      } catch {
        /* gone */
      }
    }
    return out;
  }

  /** CPU seconds per class since construction. */
  read(): Record<string, number> {
    const after = this.snapshot();
    const by: Record<string, number> = {};
    let total = 0;
    for (const [pid, a] of after) {
      const b = this.before.get(pid);
      const d = b && b.start === a.start ? a.cpu - b.cpu : a.cpu;
      if (d <= 0) continue;
      by[a.cls] = (by[a.cls] ?? 0) + d;
      total += d;
    }
    const m1 = machineBusySeconds();
    if (m1 !== undefined && this.machine0 !== undefined) by['processes that exited during the phase (runc, docker-init; other users\' short-lived jobs, e.g. tsc, vitest)'] = Math.max(0, m1 - this.machine0 - total);
    for (const k of Object.keys(by)) by[k] = round(by[k]!, 2);
    return by;
  }
}
