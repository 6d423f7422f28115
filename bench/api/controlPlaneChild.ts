import { startControlPlane } from '../../src-main/controlplane.js';

// Child process of bench/api/run.ts: runs the control plane on a persisted data folder (argv[2])
// on a free loopback port and prints one line `READY <url> <kubeconfig path>`. Exits on SIGTERM,
// SIGINT or when its stdin closes (the benchmark process went away).

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: controlPlaneChild.ts <data dir>');
  const cp = await startControlPlane({ dataDir, port: 0, host: '127.0.0.1', log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`READY ${cp.url} ${cp.kubeconfigPath}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await cp.stop();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.on('error', () => void stop());
  process.stdin.resume();
}

main().catch((e) => {
  process.stderr.write(`control plane child: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
