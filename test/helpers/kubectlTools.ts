import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { KUBECTL, type KubectlResult, type TestCluster } from './controlPlane.js';

// Extras for the kubectl compatibility tests: kubectl in the background (`get -w`, a `delete`
// that blocks on a finalizer), kubectl with another kubeconfig or cache folder, manifests on disk
// and a parser for kubectl's aligned table output.

export interface KubectlRunOptions {
  /** Defaults to the cluster's admin kubeconfig. */
  kubeconfig?: string;
  /** Defaults to the cache folder the cluster's own kubectl() uses (warm discovery). */
  cacheDir?: string;
  input?: string;
}

/** The discovery cache folder startTestCluster's kubectl() passes as --cache-dir. */
export function clusterCacheDir(c: TestCluster): string {
  return path.join(c.dir, 'kube-cache');
}

export interface BackgroundKubectl {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process exits (never rejects). */
  readonly exited: Promise<KubectlResult>;
  /** Whether the process has exited. */
  done(): boolean;
  /** Waits until stdout matches, or fails with what was printed so far. */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends SIGTERM (then SIGKILL) and waits for the exit. */
  stop(): Promise<KubectlResult>;
}

/** Starts kubectl without waiting for it; it is killed after timeoutMs (default 30 s) regardless. */
export function kubectlInBackground(c: TestCluster, args: string[], opts: KubectlRunOptions & { timeoutMs?: number } = {}): BackgroundKubectl {
  const kubeconfig = opts.kubeconfig ?? c.kubeconfigPath;
  const child = spawn(KUBECTL, [`--kubeconfig=${kubeconfig}`, `--cache-dir=${opts.cacheDir ?? clusterCacheDir(c)}`, ...args], {
    env: { ...process.env, HOME: c.dir, KUBECONFIG: kubeconfig },
  });
  let out = '';
  let err = '';
  let finished = false;
  const listeners = new Set<() => void>();
  child.stdout.on('data', (d) => {
    out += d;
    for (const l of listeners) l();
  });
  child.stderr.on('data', (d) => (err += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const exited = new Promise<KubectlResult>((resolve) => {
    child.on('error', (e) => {
      err += String(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      finished = true;
      for (const l of listeners) l();
      resolve({ code: code ?? (signal ? 128 : -1), stdout: out, stderr: err });
    });
  });
  if (opts.input !== undefined) child.stdin.end(opts.input);
  else child.stdin.end();

  const waitForStdout = (re: RegExp, timeoutMs = 10_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (re.test(out)) {
          cleanup();
          resolve(out);
        } else if (finished) {
          cleanup();
          reject(new Error(`kubectl ${args.join(' ')} exited before printing ${re}; stdout:\n${out}\nstderr:\n${err}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${re} from kubectl ${args.join(' ')}; stdout:\n${out}\nstderr:\n${err}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    done: () => finished,
    waitForStdout,
    async stop() {
      if (!finished) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await exited;
        clearTimeout(t);
      }
      return exited;
    },
  };
}

/** Runs kubectl to completion with another kubeconfig and/or cache folder. */
export function kubectlWith(c: TestCluster, args: string[], opts: KubectlRunOptions & { timeoutMs?: number } = {}): Promise<KubectlResult> {
  return kubectlInBackground(c, args, opts).exited;
}

/** Writes a manifest into the cluster's temporary folder and returns its absolute path. */
export function writeManifest(c: TestCluster, name: string, content: string): string {
  const dir = path.join(c.dir, 'manifests');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

export interface ParsedTable {
  headers: string[];
  rows: Record<string, string>[];
}

/**
 * Parses kubectl's human-readable table (tabwriter output: every column starts where its header
 * starts). Cells may be empty (e.g. an Ingress without ADDRESS) or contain single spaces. Blank
 * lines separate the tables of `kubectl get all`; only the first table is parsed.
 */
export function parseTable(out: string): ParsedTable {
  const lines = out.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return { headers: [], rows: [] };
  const header = lines[first]!;
  const starts: number[] = [];
  const headers: string[] = [];
  const re = /\S+(?: \S+)*/g;
  for (let m = re.exec(header); m; m = re.exec(header)) {
    starts.push(m.index);
    headers.push(m[0]);
  }
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(first + 1)) {
    if (line.trim() === '') break;
    const row: Record<string, string> = {};
    headers.forEach((h, i) => {
      row[h] = line.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : undefined).trim();
    });
    rows.push(row);
  }
  return { headers, rows };
}

/** Every table in an output with several (e.g. `kubectl get all`), parsed one by one. */
export function parseTables(out: string): ParsedTable[] {
  return out
    .split(/\n\s*\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => parseTable(block));
}
