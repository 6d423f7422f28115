import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ensureImages, type FlotillaImages } from './images/index.js';
import { ClusterManager } from './cluster/clusterManager.js';
import type { TokenAuthenticator } from './apiserver/auth/tokens.js';
import type { KubeletResolver } from './apiserver/handlers/nodeProxy.js';
import type { ControllerOptions } from './controllers/options.js';
import type { ProgressFn } from './images/types.js';

// The Docker side of a control plane: build (or find) the images, then create or adopt the node
// containers. Kept apart from controlplane.ts so an API-server-only control plane needs no engine.

export interface DockerNodesOptions {
  clusterName: string;
  dataDir: string | null;
  nodes: number;
  apiPort: number;
  apiHost?: string;
  caCert: string;
  tokens: TokenAuthenticator;
  controllerOptions: ControllerOptions;
  /** Extra environment for new node containers (added to, and overriding, the defaults below). */
  nodeEnv?: Record<string, string>;
  /** Never contact a registry (CI, the network rule); defaults to $FLOTILLA_OFFLINE. */
  offline?: boolean;
  onProgress?: ProgressFn;
  log: (line: string) => void;
}

export interface DockerNodes {
  docker: Docker;
  images: FlotillaImages;
  cluster: ClusterManager;
  /** How the API server reaches each node's kubelet: its port published on the host's loopback. */
  kubeletResolver: KubeletResolver;
}

/** The kubelet bundle made by `npm run build` (scripts/build-cli.mjs), wherever this code runs from. */
export function kubeletBundlePath(): string {
  const candidates = [path.join(__dirname, 'kubelet.cjs'), path.join(__dirname, '../dist/kubelet.cjs'), path.join(__dirname, '../../dist/kubelet.cjs'), path.join(process.cwd(), 'dist/kubelet.cjs')];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error('the kubelet bundle (dist/kubelet.cjs) is missing: run `npm run build` first');
  return found;
}

export async function startDockerNodes(o: DockerNodesOptions): Promise<DockerNodes> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (e) {
    throw new Error(`cannot reach the Docker engine (${(e as Error).message}); start Docker, or run with --nodes 0`);
  }
  const offline = o.offline ?? /^(1|true|yes)$/i.test(process.env.FLOTILLA_OFFLINE ?? '');
  const images = await ensureImages(docker, { bundleFile: kubeletBundlePath(), onProgress: o.onProgress, ...(offline ? { pull: false } : {}) });
  const cluster = new ClusterManager({
    docker,
    clusterName: o.clusterName,
    dataDir: o.dataDir,
    apiServer: { hostPort: o.apiPort, caCert: o.caCert, host: o.apiHost },
    nodeImage: images.node,
    tokenFor: (n) => o.tokens.nodeToken(n),
    nodeEnv: {
      FLOTILLA_PAUSE_IMAGE: images.pause,
      FLOTILLA_IMAGE_PULLS: offline ? 'false' : 'true',
      FLOTILLA_LEASE_RENEW_MS: String(o.controllerOptions.leaseRenewIntervalMs),
      FLOTILLA_LEASE_DURATION_SECONDS: String(o.controllerOptions.leaseDurationSeconds),
      ...o.nodeEnv,
    },
    log: o.log,
  });
  // Recorded so that `flotilla down` and `flotilla node` find this cluster's containers later.
  if (o.dataDir) fs.writeFileSync(path.join(o.dataDir, 'cluster.json'), JSON.stringify({ clusterName: o.clusterName }));
  await cluster.createCluster(o.nodes);
  const kubeletResolver: KubeletResolver = async (node) => {
    const name = node.metadata.name!;
    const n = await cluster.getNode(name).catch(() => undefined);
    if (!n?.kubeletEndpoint) return undefined;
    return { host: n.kubeletEndpoint.host, port: n.kubeletEndpoint.port, token: o.tokens.nodeToken(name) };
  };
  return { docker, images, cluster, kubeletResolver };
}
