import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { ensureImages, type FlotillaImages } from './images/index.js';
import { ClusterError, ClusterManager, type ForeignObjects } from './cluster/clusterManager.js';
import { DATA_FILE_MODE, clusterKeptIn } from './dataFolder.js';
import { describeHolder } from './images/fileLock.js';
import type { TokenAuthenticator } from './apiserver/auth/tokens.js';
import type { KubeletResolver } from './apiserver/handlers/nodeProxy.js';
import type { ControllerOptions } from './client/controllerOptions.js';
import type { ProgressFn } from './images/types.js';
import { logEnv, type Logger } from './api/log.js';

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
  /** Also sets the level and format of new nodes' kubelets. */
  log: Logger;
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
    onForeignObjects: (found) => refuseIfOwnerRemains(found, o.clusterName, o.dataDir),
    nodeEnv: {
      FLOTILLA_PAUSE_IMAGE: images.pause,
      // kube-proxy's own credentials (system:kube-proxy), beside the kubelet's node token.
      FLOTILLA_PROXY_TOKEN: o.tokens.proxyToken,
      FLOTILLA_IMAGE_PULLS: offline ? 'false' : 'true',
      FLOTILLA_LEASE_RENEW_MS: String(o.controllerOptions.leaseRenewIntervalMs),
      FLOTILLA_LEASE_DURATION_SECONDS: String(o.controllerOptions.leaseDurationSeconds),
      // A control plane that logs nothing (tests, the desktop app) leaves the kubelets at their
      // default, so `docker logs` on a node still tells what happened there.
      ...(o.log.level === 'off' ? {} : logEnv(o.log)),
      ...o.nodeEnv,
    },
    log: o.log,
  });
  try {
    // First: are the cluster's objects this control plane's? (Refuses, or replaces another's.)
    await cluster.ensureOwned();
    // Recorded so that `flotilla down` and `flotilla node` find this cluster's containers later;
    // only now, so that `down` of a folder whose start was refused never removes another's nodes.
    if (o.dataDir) {
      const file = path.join(o.dataDir, 'cluster.json');
      fs.writeFileSync(file, JSON.stringify({ clusterName: o.clusterName }), { mode: DATA_FILE_MODE });
      fs.chmodSync(file, DATA_FILE_MODE);
    }
    await cluster.createCluster(o.nodes);
  } catch (e) {
    await cluster.close(); // the API relay, if it was started
    throw e;
  }
  const kubeletResolver: KubeletResolver = async (node) => {
    const name = node.metadata.name!;
    const n = await cluster.getNode(name).catch(() => undefined);
    if (!n?.kubeletEndpoint) return undefined;
    return { host: n.kubeletEndpoint.host, port: n.kubeletEndpoint.port, token: o.tokens.nodeToken(name) };
  };
  return { docker, images, cluster, kubeletResolver };
}

/**
 * The cluster's Docker objects belong to another control plane (another CA). When that control
 * plane's data folder still holds its cluster (running or not), replacing its nodes would silently
 * destroy the pods of a cluster the user can still start: refuse, and say what to run. When it is
 * gone (the folder was deleted or made anew, as a desktop user does to start over, or the objects
 * predate the data-dir label), its nodes can never work again and nothing is lost by replacing
 * them: go on, and ClusterManager replaces them.
 */
function refuseIfOwnerRemains(found: ForeignObjects, clusterName: string, ownDataDir: string | null): void {
  for (const owner of found.owners) {
    if (!owner.dataDir || (ownDataDir && path.resolve(ownDataDir) === path.resolve(owner.dataDir))) continue;
    const kept = clusterKeptIn(owner.dataDir, owner.clusterId);
    if (!kept) continue;
    const running = kept.running ? `, which is running (${describeHolder(kept.running)})` : ' (not running)';
    throw new ClusterError(
      'AlreadyExists',
      `cluster name "${clusterName}" is taken: its Docker nodes (${found.names.join(', ')}) belong to the cluster whose data is in ${owner.dataDir}${running}. ` +
        `Remove that cluster with 'flotilla down --data ${owner.dataDir}' and start this one again, or give this one another name with --cluster NAME.`,
    );
  }
}
