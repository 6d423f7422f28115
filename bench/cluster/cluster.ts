import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { commandChannel, startChild, type Child } from '../lib/children.js';
import { readKubeconfig, type Credentials } from '../lib/client.js';
import type { HollowNodeOptions } from '../../src-main/hollow/hollowNodePool.js';
import type { ChildConfig } from './controlPlaneChild.js';

// A benchmark cluster in two child processes: the control plane (bench/cluster/controlPlaneChild.ts)
// and one hollow node pool (bench/cluster/hollowPoolChild.ts), both run by tsx. The pool is
// started, and has registered every node, before this resolves. Optional V8 CPU profiles of the
// control plane child's main thread (the inspector's Profiler, started and stopped around a
// measured phase; node --cpu-prof would also profile tsx's loader thread and the start-up).

const ROOT = path.resolve(typeof __dirname === 'string' ? path.join(__dirname, '..', '..') : process.cwd());

export interface ClusterOptions extends ChildConfig {
  label: string;
  nodes: HollowNodeOptions;
  /** Folder for CPU profiles of the control plane child's measured phases (none when undefined). */
  cpuProfDir?: string;
  log: (s: string) => void;
}

export interface Cluster {
  cp: Child;
  pool: Child;
  creds: Credentials;
  cpPid: number;
  poolPid: number;
  registerMs: number;
  /** Sends a command to the control plane child and waits for its answer (bounded by timeoutMs). */
  command<T = Record<string, unknown>>(cmd: string, timeoutMs?: number): Promise<T>;
  /** Stops the pool, then the control plane, and removes its data folder. */
  stop(): Promise<void>;
  /** With cpuProfDir: starts the V8 profiler in the control plane child (its main thread). */
  profileStart(): Promise<void>;
  /** With cpuProfDir: stops it and returns the .cpuprofile written (undefined without cpuProfDir). */
  profileStop(name: string): Promise<string | undefined>;
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const cfg: ChildConfig = { dataDir: o.dataDir, scheduler: o.scheduler, controllers: o.controllers, controllerOptions: o.controllerOptions };
  const t0 = performance.now();
  const cp = await startChild({
    name: `control plane (${o.label})`,
    cmd: process.execPath,
    // --expose-gc only makes global.gc() callable (the "gc" command); collection is unchanged.
    args: ['--expose-gc', '--import', 'tsx', path.join('bench', 'cluster', 'controlPlaneChild.ts'), JSON.stringify(cfg)],
    cwd: ROOT,
    ready: /READY (https:\/\/\S+) (\S+)/,
    timeoutMs: 60_000,
  });
  const kubeconfig = cp.match[2]!;
  if (kubeconfig === '-') throw new Error('the control plane child needs a data folder (its kubeconfig is read from there)');
  const creds = readKubeconfig(kubeconfig);
  o.log(`    control plane ${creds.server} (pid ${cp.proc.pid}) up in ${Math.round(performance.now() - t0)} ms; registering ${o.nodes.count} hollow nodes in another process`);

  const command = commandChannel(cp);

  let pool: Child;
  try {
    pool = await startChild({
      name: `hollow node pool (${o.label})`,
      cmd: process.execPath,
      args: ['--import', 'tsx', path.join('bench', 'cluster', 'hollowPoolChild.ts'), kubeconfig, JSON.stringify(o.nodes)],
      cwd: ROOT,
      ready: /READY (\d+) (\d+)/,
      timeoutMs: 120_000,
    });
  } catch (e) {
    await cp.stop();
    throw e;
  }
  const registerMs = Number(pool.match[2]);
  o.log(`    ${pool.match[1]} hollow nodes registered in ${registerMs} ms (pool pid ${pool.proc.pid})`);

  return {
    cp,
    pool,
    creds,
    cpPid: cp.proc.pid!,
    poolPid: pool.proc.pid!,
    registerMs,
    command,
    async stop() {
      const pc = await pool.stop();
      if (pc !== 0) o.log(`    hollow pool exited with ${pc}: ${pool.stderr().slice(-1500)}`);
      const cc = await cp.stop(30_000);
      if (cc !== 0) o.log(`    control plane exited with ${cc}: ${cp.stderr().slice(-1500)}`);
      // Its data goes with it: only running clusters have data in the run's temp folder, and a
      // running one removes its own if this process is killed (controlPlaneChild.ts).
      if (o.dataDir) fs.rmSync(o.dataDir, { recursive: true, force: true });
    },
    async profileStart() {
      if (!o.cpuProfDir) return;
      await command('profile-start', 10_000);
    },
    async profileStop(name: string) {
      if (!o.cpuProfDir) return undefined;
      fs.mkdirSync(o.cpuProfDir, { recursive: true });
      const file = path.join(o.cpuProfDir, `${o.label}-${name}-controlplane.cpuprofile`);
      await command(`profile-stop ${file}`, 60_000);
      return file;
    },
  };
}
