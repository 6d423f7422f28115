import { CpuProfiler, serve } from '../lib/probe.cjs';
import { startControlPlane, type ControlPlane } from '../../src-main/controlplane.js';
import { createLogger } from '../../src-main/api/log.js';

// Child process of bench:nodes: calls startControlPlane with Docker nodes (scheduler and
// controllers on, API server on a free loopback port, data in argv's dataDir) exactly as the
// CLI does, and records marks (epoch ms, sub-millisecond) of what happened inside the call: the
// call itself, every image progress report, every log line (the cluster manager logs the API
// relay and each node container started), the return. The benchmark process measures readiness
// through the API (it watches nodes from the moment the kubeconfig file appears); these marks
// are its breakdown. Prints `READY <url> <kubeconfig>` when startControlPlane returned.
//
// argv[2] is a JSON ChildConfig. Commands arrive on stdin as `<id> <command>`, answered on stdout
// as `REPLY <id> <json>` (bench/lib/probe.cjs, which also answers profile-start, profile-stop
// FILE, memory and the event loop probe):
//   marks              the marks so far
//   delete-cluster     cp.docker.cluster.deleteCluster(): every container, volume and network of the cluster
// On SIGTERM/SIGINT it stops the control plane (node containers keep running, as in the CLI);
// when stdin closes (the benchmark process is gone) it deletes the cluster first, so a crashed
// benchmark leaves nothing behind.

export interface ChildConfig {
  dataDir: string;
  clusterName: string;
  nodes: number;
  nodeEnv?: Record<string, string>;
  /** Profile this process's main thread across the startControlPlane call into this file. */
  profileStartFile?: string;
}

export interface Mark {
  t: number;
  what: 'call' | 'image' | 'log' | 'returned' | 'error';
  detail?: unknown;
}

const nowMs = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const marks: Mark[] = [];
  const mark = (what: Mark['what'], detail?: unknown) => {
    if (marks.length < 10_000) marks.push({ t: nowMs(), what, detail });
  };
  let cp: ControlPlane | undefined;
  const startProfiler = cfg.profileStartFile ? new CpuProfiler() : undefined;
  await startProfiler?.start();
  mark('call');
  try {
    cp = await startControlPlane({
      dataDir: cfg.dataDir,
      port: 0,
      host: '127.0.0.1',
      scheduler: true,
      controllers: true,
      nodes: cfg.nodes,
      clusterName: cfg.clusterName,
      ...(cfg.nodeEnv ? { nodeEnv: cfg.nodeEnv } : {}),
      onImageProgress: (e) => mark('image', e),
      log: createLogger({ write: (l) => mark('log', l) }),
    });
  } catch (e) {
    mark('error', String((e as Error)?.stack ?? e));
    throw e;
  }
  mark('returned');
  if (startProfiler && cfg.profileStartFile) await startProfiler.stop(cfg.profileStartFile).catch(() => undefined);
  process.stdout.write(`READY ${cp.url} ${cp.kubeconfigPath}\n`);

  serve(
    {
      marks: async () => ({ marks, pid: process.pid }),
      'delete-cluster': async () => ({ report: await cp!.docker!.cluster.deleteCluster() }),
    },
    () => void stop(true),
  );

  let stopping = false;
  const stop = async (deleteFirst: boolean) => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(1), 60_000);
    try {
      if (deleteFirst) await cp!.docker?.cluster.deleteCluster().catch((e) => process.stderr.write(`deleteCluster: ${(e as Error).message}\n`));
      await cp!.stop();
    } finally {
      clearTimeout(hard);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop(false));
  process.on('SIGINT', () => void stop(false));
}

main().catch((e) => {
  process.stderr.write(`bench:nodes control plane child: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
