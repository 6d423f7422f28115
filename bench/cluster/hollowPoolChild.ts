import { performance } from 'node:perf_hooks';
import { ApiClient } from '../../src-main/client/apiClient.js';
import { HollowNodePool, type HollowNodeOptions } from '../../src-main/hollow/hollowNodePool.js';
import { readKubeconfig } from '../lib/client.js';

// Child process of the scale benchmarks: one HollowNodePool (kubemark-style simulated nodes) as
// an API client of the control plane running in another process, authenticated with the admin
// token of the kubeconfig (argv[2]). argv[3] is the JSON HollowNodeOptions. Registers every node
// (Node objects + Leases), starts heartbeats and pod handling, then prints
// `READY <nodes> <ms to register>`. Exits on SIGTERM, SIGINT or when stdin closes.

async function main(): Promise<void> {
  const kubeconfig = process.argv[2];
  if (!kubeconfig) throw new Error('usage: hollowPoolChild.ts <kubeconfig> <options JSON>');
  const opts = JSON.parse(process.argv[3] ?? '{}') as HollowNodeOptions;
  const creds = readKubeconfig(kubeconfig);
  // The same connection pool size the control plane gives its components.
  const client = new ApiClient({ url: creds.server, token: creds.token!, ca: creds.ca, userAgent: 'flotilla-hollow-nodes', maxSockets: 64 });
  const pool = new HollowNodePool(client, opts);
  const t0 = performance.now();
  await pool.start();
  process.stdout.write(`READY ${pool.nodeNames.length} ${Math.round(performance.now() - t0)}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await pool.stop();
      client.close();
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
  process.stderr.write(`hollow pool child: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
