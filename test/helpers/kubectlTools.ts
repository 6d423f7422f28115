import fs from 'node:fs';
import path from 'node:path';
import type { ChildSession } from './childSession.js';
import type { TestCluster } from './controlPlane.js';
import { kubectlSession, runKubectl, type KubectlResult, type KubectlRunOptions, type KubectlTarget } from './kubectl.js';

// Extras for the kubectl compatibility tests: kubectl in the background (`get -w`, a `delete`
// that blocks on a finalizer), kubectl with another kubeconfig or cache folder, `get -o json`
// read loosely, manifests on disk and a parser for kubectl's aligned table output.

export interface KubectlElsewhere {
  /** Defaults to the cluster's admin kubeconfig. */
  kubeconfig?: string;
  /** Defaults to the cache folder the cluster's own kubectl() uses (warm discovery). */
  cacheDir?: string;
}

function targetOf(c: TestCluster, opts: KubectlElsewhere): KubectlTarget {
  return { ...c.kubectlTarget, ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}), ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) };
}

/**
 * Starts kubectl without waiting for it (its stdin gets `input`, then EOF); it is killed after
 * timeoutMs (default 30 s) regardless. Wait on what it prints with waitFor(), end it with stop().
 */
export function kubectlInBackground(c: TestCluster, args: string[], opts: KubectlElsewhere & KubectlRunOptions = {}): ChildSession {
  const s = kubectlSession(targetOf(c, opts), args, opts.timeoutMs ?? 30_000);
  if (opts.input !== undefined) s.write(opts.input);
  s.end();
  return s;
}

/** Runs kubectl to completion with another kubeconfig and/or cache folder. */
export function kubectlWith(c: TestCluster, args: string[], opts: KubectlElsewhere & KubectlRunOptions = {}): Promise<KubectlResult> {
  return runKubectl(targetOf(c, opts), args, opts);
}

/** kubectl's JSON and YAML output, read loosely as a user's script would. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Doc = any;

/** `kubectl get <args> -o json`, parsed. */
export async function getJSON(c: TestCluster, ...args: string[]): Promise<Doc> {
  return JSON.parse(await c.kubectlOK(['get', ...args, '-o', 'json']));
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
