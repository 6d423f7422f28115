import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client, Response } from '../lib/client.js';
import { round } from '../lib/stats.js';
export { setUpRun } from '../lib/children.js';

// Shared pieces of the scale benchmarks (bench/scheduler, bench/deployments).

export const ROOT = path.resolve(typeof __dirname === 'string' ? path.join(__dirname, '..', '..') : process.cwd());

export function logger(name: string): (s: string) => void {
  return (s: string) => process.stderr.write(`[bench:${name} ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
}

export async function must(p: Promise<Response>, what: string): Promise<Response> {
  const r = await p;
  if (r.status < 200 || r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 500)}`);
  return r;
}

/** Creates a namespace; returns the resourceVersion of the create (a watch from it sees everything after). */
export async function createNamespace(c: Client, name: string): Promise<string> {
  const r = await must(c.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })), `create namespace ${name}`);
  return (JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
}

export function podManifest(ns: string, name: string, labels: Record<string, string>, requests: { cpu: string; memory: string }, schedulerName?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: {
      ...(schedulerName ? { schedulerName } : {}),
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests } }],
    },
  };
}

export function bindingBody(ns: string, pod: string, node: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: pod, namespace: ns }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
}


export function environment(): Record<string, unknown> {
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGB: round(os.totalmem() / 2 ** 30, 1),
  };
}

/** The fields every benchmark's JSON document opens with. */
export function runHeader(benchmark: string, started: Date, t0: number, quick: boolean) {
  return { benchmark, startedAt: started.toISOString(), finishedAt: new Date().toISOString(), durationSec: round((performance.now() - t0) / 1000, 1), quick };
}

/** Writes <name>-<stamp>.json and .txt under bench/results; returns the JSON path. */
export function saveResults(name: string, started: Date, json: string, table: string): string {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = path.join(dir, `${name}-${stamp}.json`);
  fs.writeFileSync(file, `${json}\n`);
  fs.writeFileSync(path.join(dir, `${name}-${stamp}.txt`), `${table}\n`);
  return file;
}
