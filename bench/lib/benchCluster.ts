import path from 'node:path';
import type Docker from 'dockerode';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../src-main/controlplane.js';
import { ApiClient } from '../../src-main/client/apiClient.js';
import { uniqueClusterName } from './args.js';
import { startReaper, type Run } from './children.js';

// The benchmarks' one way to start a cluster with Docker nodes: a control plane in the run's
// temp folder, an admin API client, and the teardown (stop it, then remove every Docker object
// of the cluster) registered before it starts, so a half-made cluster goes too; the reaper
// removes it if this process dies without a teardown.

export interface BenchCluster {
  cp: ControlPlane;
  client: ApiClient;
  docker: Docker;
  clusterName: string;
}

export async function startBenchCluster(run: Run, suffix: string, opts: Omit<Partial<ControlPlaneOptions>, 'dataDir' | 'port' | 'clusterName'>, log: (s: string) => void): Promise<BenchCluster> {
  const clusterName = uniqueClusterName(suffix);
  startReaper([clusterName]);
  // Filled in as they come up; the teardown takes whatever exists.
  const made: { cp?: ControlPlane; client?: ApiClient } = {};
  run.onTeardown('stop the control plane and delete the cluster', async () => {
    made.client?.close();
    const manager = made.cp?.docker?.cluster;
    await made.cp?.stop();
    await manager?.deleteCluster();
  }, 120_000);
  log(`starting a control plane with ${opts.nodes ?? 0} Docker node(s) (cluster ${clusterName})`);
  const cp = (made.cp = await startControlPlane({ scheduler: true, controllers: true, ...opts, dataDir: path.join(run.tmp, 'data'), port: 0, clusterName }));
  const client = (made.client = new ApiClient({ url: cp.url, token: cp.adminToken, ca: cp.caCert, userAgent: `bench-${suffix}` }));
  return { cp, client, docker: cp.docker!.docker, clusterName };
}
