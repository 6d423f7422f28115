import fs from 'node:fs';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { round } from '../lib/stats.js';

// Docker-side measurement helpers of bench:nodes: a recorder of the engine's container events
// (engine timestamps, for timing breakdowns), container memory as `docker stats` computes it,
// a process's /proc status read inside a container with docker exec, log lines with timestamps,
// files copied out of a container, and the pids of the engine's own processes.

export interface DockerEvent {
  /** Epoch ms (the engine's timeNano). */
  t: number;
  action: string;
  id: string;
  attrs: Record<string, string>;
}

/** Records container events carrying the given labels until stop(). */
export class EventRecorder {
  readonly events: DockerEvent[] = [];
  private stream: NodeJS.ReadableStream | undefined;
  error: string | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly labels: string[],
    private readonly actions = ['create', 'start', 'die', 'destroy'],
  ) {}

  async start(): Promise<void> {
    const stream = (await this.docker.getEvents({ filters: { type: ['container'], event: this.actions, label: this.labels } })) as NodeJS.ReadableStream;
    this.stream = stream;
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        try {
          const ev = JSON.parse(line) as { Action?: string; status?: string; id?: string; timeNano?: number; time?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } };
          const t = ev.timeNano ? ev.timeNano / 1e6 : (ev.time ?? 0) * 1000;
          if (this.events.length < 100_000) this.events.push({ t, action: ev.Action ?? ev.status ?? '?', id: ev.Actor?.ID ?? ev.id ?? '', attrs: ev.Actor?.Attributes ?? {} });
        } catch {
          /* partial line */
        }
      }
    });
    stream.on('error', (e: Error) => (this.error ??= e.message));
  }

  /** The first event of `action` matching `pred` at or after `since`. */
  first(action: string, pred: (a: Record<string, string>) => boolean, since = 0): DockerEvent | undefined {
    return this.events.find((e) => e.action === action && e.t >= since && pred(e.attrs));
  }

  stop(): void {
    (this.stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

export interface ContainerMemory {
  /** What `docker stats` shows (cgroup v1: usage - total_inactive_file; v2: usage - inactive_file), MiB. */
  dockerStatsMB: number;
  /** The cgroup's raw memory usage (memory.usage_in_bytes / memory.current), MiB. */
  cgroupUsageMB: number;
  /** Anonymous memory (rss / anon) and page cache (cache / file) charged to the cgroup, MiB. */
  rssMB?: number;
  cacheMB?: number;
}

export async function containerMemory(c: Docker.Container): Promise<ContainerMemory> {
  const s = (await c.stats({ stream: false })) as unknown as { memory_stats: { usage?: number; stats?: Record<string, number> } };
  const usage = s.memory_stats.usage ?? 0;
  const st = s.memory_stats.stats ?? {};
  const inactive = st.total_inactive_file ?? st.inactive_file ?? 0;
  const mb = (n: number | undefined) => (n === undefined ? undefined : round(n / 1048576, 1));
  return {
    dockerStatsMB: mb(usage - inactive)!,
    cgroupUsageMB: mb(usage)!,
    rssMB: mb(st.total_rss ?? st.rss ?? st.anon),
    cacheMB: mb(st.total_cache ?? st.cache ?? st.file),
  };
}

/** Runs a command in a container and returns its stdout+stderr (demultiplexed), bounded in time. */
export async function execOutput(c: Docker.Container, cmd: string[], timeoutMs = 10_000): Promise<string> {
  const ex = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      stream.destroy();
      resolve();
    }, timeoutMs);
    stream.on('data', (d: Buffer) => chunks.push(d));
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  });
  return demux(Buffer.concat(chunks))
    .map((f) => f.text)
    .join('');
}

/** Docker's multiplexed stream format (8-byte headers) into frames. */
export function demux(buf: Buffer): { stream: number; text: string }[] {
  const out: { stream: number; text: string }[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i]!;
    const len = buf.readUInt32BE(i + 4);
    if (type > 2 || i + 8 + len > buf.length) {
      out.push({ stream: 1, text: buf.subarray(i).toString('utf8') });
      break;
    }
    out.push({ stream: type, text: buf.subarray(i + 8, i + 8 + len).toString('utf8') });
    i += 8 + len;
  }
  return out;
}

export interface ProcStatus {
  pid: number;
  name: string;
  vmRssMB: number;
  vmHwmMB: number;
  rssAnonMB?: number;
  rssFileMB?: number;
  threads?: number;
}

function parseStatus(text: string): ProcStatus | undefined {
  const f = (k: string) => {
    const m = text.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : undefined;
  };
  const name = text.match(/^Name:\s+(\S+)/m)?.[1];
  const pid = f('Pid');
  const rss = f('VmRSS');
  if (!name || pid === undefined || rss === undefined) return undefined;
  const mb = (kb: number | undefined) => (kb === undefined ? undefined : round(kb / 1024, 1));
  return { pid, name, vmRssMB: mb(rss)!, vmHwmMB: mb(f('VmHWM'))!, rssAnonMB: mb(f('RssAnon')), rssFileMB: mb(f('RssFile')), threads: f('Threads') };
}

/**
 * /proc/<pid>/status of every `node` process in the container, read inside it with docker exec
 * (PID 1 is docker-init; the kubelet is its child).
 */
export async function nodeProcessStatus(c: Docker.Container): Promise<ProcStatus[]> {
  const script = 'for d in /proc/[0-9]*; do if grep -qs "^Name:[[:space:]]*node$" $d/status; then cat $d/status; echo ===; fi; done';
  const text = await execOutput(c, ['sh', '-c', script]);
  return text
    .split('===')
    .map((t) => parseStatus(t))
    .filter((s): s is ProcStatus => !!s);
}

/** Host pid of the container's `node` process (docker top), for CPU readings from the host's /proc. */
export async function hostNodePid(c: Docker.Container): Promise<number | undefined> {
  try {
    const top = (await c.top({ ps_args: '-eo pid,comm' })) as { Titles: string[]; Processes: string[][] };
    const pi = top.Titles.findIndex((t) => t === 'PID');
    const ci = top.Titles.findIndex((t) => t === 'COMMAND' || t === 'CMD');
    const row = top.Processes.find((p) => /(^|\/)node(\s|$)/.test(p[ci] ?? ''));
    return row ? Number(row[pi]) : undefined;
  } catch {
    return undefined;
  }
}

/** Log lines with Docker's timestamps: [{t (epoch ms), line}]. */
export async function timedLogs(c: Docker.Container, tail = 2000): Promise<{ t: number; line: string }[]> {
  const buf = (await c.logs({ stdout: true, stderr: true, timestamps: true, follow: false, tail })) as unknown as Buffer;
  const text = demux(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)))
    .map((f) => f.text)
    .join('');
  const out: { t: number; line: string }[] = [];
  for (const l of text.split('\n')) {
    const m = l.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z (.*)$/);
    if (!m) continue;
    const frac = m[2] ? Number(`0${m[2]}`) * 1000 : 0;
    out.push({ t: Date.parse(`${m[1]}Z`) + frac, line: m[3]! });
  }
  return out;
}

/** Files (name -> content) of a path in a container (running or stopped), via the archive API. */
export async function copyOut(c: Docker.Container, path: string, maxBytes = 512 * 1024 * 1024): Promise<Map<string, Buffer>> {
  const stream = (await c.getArchive({ path })) as NodeJS.ReadableStream;
  const files = new Map<string, Buffer>();
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    const ex = tar.extract();
    ex.on('entry', (header, s, next) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: unknown) => {
        const b = d as Buffer;
        total += b.length;
        if (total <= maxBytes) chunks.push(b);
      });
      s.on('end', () => {
        if (header.type === 'file') files.set(header.name, Buffer.concat(chunks));
        next();
      });
      s.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.pipe(ex);
  });
  return files;
}

/** Pids of processes whose /proc/<pid>/comm is exactly `comm` (the engine's own processes). */
export function pidsByComm(comm: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}
