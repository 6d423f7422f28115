import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { serve } from '../lib/probe.cjs';
import { startControlPlane } from '../../src-main/controlplane.js';
import { startScheduler, type SchedulerHandle } from '../../src-main/scheduler/start.js';
import { createLogger, logSettings } from '../../src-main/api/log.js';
import type { ControllerOptions } from '../../src-main/client/controllerOptions.js';

// Child process of the scale benchmarks (bench/scheduler, bench/deployments): runs the control
// plane (API server on a free loopback port, plus the scheduler and/or the controller manager when
// asked) and prints `READY <url> <kubeconfig path>`. No hollow nodes here: they run in a process
// of their own (bench/cluster/hollowPoolChild.ts) so their CPU is not charged to this one.
//
// argv[2] is a JSON ChildConfig. With scheduler "delayed" the scheduler starts only when the
// benchmark says so on stdin. Commands arrive one per line on stdin as `<id> <command>` and are
// answered on stdout as `REPLY <id> <json>` (bench/lib/probe.cjs, which also answers gc,
// memory, profile-start/-stop and the event loop probe):
//   start-scheduler   starts the scheduler (informers listed and synced); answers {syncMs}
//   stats             scheduler counters, memory usage and event loop utilisation since the last stats
// The child runs with --expose-gc so that `gc` measures the live heap rather than live + garbage.
// Exits on SIGTERM, SIGINT or when stdin closes (the benchmark process went away: then its data
// folder goes too, and the benchmark's temp folder once empty, so a killed run leaves nothing).

export interface ChildConfig {
  dataDir: string | null;
  scheduler: 'on' | 'off' | 'delayed';
  controllers: boolean;
  controllerOptions?: Partial<ControllerOptions>;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const log = createLogger(logSettings(process.env)); // to stderr
  const cp = await startControlPlane({
    dataDir: cfg.dataDir,
    port: 0,
    host: '127.0.0.1',
    scheduler: cfg.scheduler === 'on',
    controllers: cfg.controllers,
    controllerOptions: cfg.controllerOptions,
    log,
  });
  let scheduler: SchedulerHandle | undefined = cp.scheduler;
  let elu = performance.eventLoopUtilization();
  process.stdout.write(`READY ${cp.url} ${cp.kubeconfigPath ?? '-'}\n`);

  serve(
    {
      'start-scheduler': async () => {
        if (scheduler) throw new Error('the scheduler is already running');
        const t0 = performance.now();
        // The same call startControlPlane makes with scheduler: true.
        scheduler = await startScheduler(cp.componentClient('scheduler'), { ...cfg.controllerOptions }, log);
        return { syncMs: Math.round(performance.now() - t0) };
      },
      stats: async () => {
        const now = performance.eventLoopUtilization();
        const utilization = performance.eventLoopUtilization(now, elu).utilization;
        elu = now;
        return { scheduler: scheduler?.scheduler.stats(), memory: process.memoryUsage(), eventLoopUtilization: Math.round(utilization * 1000) / 1000 };
      },
    },
    () => void stop(true),
  );

  let stopping = false;
  /** `orphaned`: stdin closed, the benchmark is gone (killed): remove what it would have removed. */
  const stop = async (orphaned = false) => {
    if (stopping) return;
    stopping = true;
    try {
      scheduler?.stop();
      await cp.stop();
      if (orphaned && cfg.dataDir) removeDataDir(cfg.dataDir);
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

/** The data folder, then the benchmark's temp folder around it once empty (the last child's). */
function removeDataDir(dataDir: string): void {
  fs.rmSync(dataDir, { recursive: true, force: true });
  const parent = path.dirname(dataDir);
  if (path.basename(parent).startsWith('flotilla-bench-')) {
    try {
      fs.rmdirSync(parent);
    } catch {
      /* not empty yet: another child's folder is still there */
    }
  }
}

main().catch((e) => {
  process.stderr.write(`control plane child: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
