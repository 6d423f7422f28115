import fs from 'node:fs';
import inspector from 'node:inspector';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { startControlPlane } from '../../src-main/controlplane.js';
import { startScheduler, type SchedulerHandle } from '../../src-main/scheduler/start.js';
import type { ControllerOptions } from '../../src-main/client/controllerOptions.js';

// Child process of the scale benchmarks (bench/scheduler, bench/deployments): runs the control
// plane (API server on a free loopback port, plus the scheduler and/or the controller manager when
// asked) and prints `READY <url> <kubeconfig path>`. No hollow nodes here: they run in a process
// of their own (bench/cluster/hollowPoolChild.ts) so their CPU is not charged to this one.
//
// argv[2] is a JSON ChildConfig. With scheduler "delayed" the scheduler starts only when the
// benchmark says so on stdin. Commands arrive one per line on stdin as `<id> <command>` and are
// answered on stdout as `REPLY <id> <json>`:
//   start-scheduler   starts the scheduler (informers listed and synced); answers {syncMs}
//   stats             scheduler counters, memory usage and event loop utilisation since the last stats
//   gc                runs a full garbage collection (the child runs with --expose-gc) and answers
//                     the memory usage after it: the live heap rather than live + garbage
//   profile-start     starts the V8 CPU profiler on this (the main) thread
//   profile-stop FILE stops it and writes the .cpuprofile to FILE
// Exits on SIGTERM, SIGINT or when stdin closes (the benchmark process went away).

export interface ChildConfig {
  dataDir: string | null;
  scheduler: 'on' | 'off' | 'delayed';
  controllers: boolean;
  controllerOptions?: Partial<ControllerOptions>;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const log = (l: string) => process.stderr.write(`${l}\n`);
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

  const reply = (id: string, v: unknown) => process.stdout.write(`REPLY ${id} ${JSON.stringify(v)}\n`);
  let session: inspector.Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [id = '?', cmd, arg] = line.trim().split(/\s+/);
    void (async () => {
      try {
        if (cmd === 'start-scheduler') {
          if (scheduler) return reply(id, { error: 'the scheduler is already running' });
          const t0 = performance.now();
          // The same call startControlPlane makes with scheduler: true.
          scheduler = await startScheduler(cp.componentClient('scheduler'), { ...cfg.controllerOptions }, log);
          reply(id, { syncMs: Math.round(performance.now() - t0) });
        } else if (cmd === 'stats') {
          const now = performance.eventLoopUtilization();
          const utilization = performance.eventLoopUtilization(now, elu).utilization;
          elu = now;
          reply(id, { scheduler: scheduler?.scheduler.stats(), memory: process.memoryUsage(), eventLoopUtilization: Math.round(utilization * 1000) / 1000 });
        } else if (cmd === 'gc') {
          const gc = (globalThis as { gc?: () => void }).gc;
          if (!gc) return reply(id, { error: 'run with --expose-gc' });
          gc();
          gc();
          reply(id, { memory: process.memoryUsage() });
        } else if (cmd === 'profile-start') {
          session = new inspector.Session();
          session.connect();
          await post('Profiler.enable');
          await post('Profiler.setSamplingInterval', { interval: 1000 });
          await post('Profiler.start');
          reply(id, { ok: true });
        } else if (cmd === 'profile-stop' && arg && session) {
          const { profile } = (await post('Profiler.stop')) as { profile: unknown };
          session.disconnect();
          session = undefined;
          fs.writeFileSync(arg, JSON.stringify(profile));
          reply(id, { ok: true, file: arg });
        } else reply(id, { error: `unknown command ${line}` });
      } catch (e) {
        reply(id, { error: String((e as Error)?.stack ?? e) });
      }
    })();
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      scheduler?.stop();
      await cp.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.on('error', () => void stop());
}

main().catch((e) => {
  process.stderr.write(`control plane child: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
