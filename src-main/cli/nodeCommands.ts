import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import yaml from 'js-yaml';
import { ClusterManager } from '../cluster/clusterManager.js';
import { TokenAuthenticator } from '../apiserver/auth/tokens.js';
import { ApiClient, isNotFound } from '../client/apiClient.js';
import { ensureImages } from '../images/index.js';
import { kubeletBundlePath } from '../dockerNodes.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../client/controllerOptions.js';
import { logEnv, logSettings } from '../api/log.js';
import { ImageBuildProgress } from './progress.js';
import { buildLogPath } from './progressLog.js';

// `flotilla node add|rm|stop|start|kill|partition|heal NAME --data DIR`: node actions on a cluster
// whose `flotilla up` may be running in another process. They act on Docker directly (the cluster
// manager finds everything by label) and, where the API must know, through the admin kubeconfig.

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
}

export const NODE_ACTIONS = ['add', 'rm', 'stop', 'start', 'kill', 'partition', 'heal', 'ls'] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];

export async function nodeCommand(dataDir: string, clusterName: string, action: NodeAction, name: string | undefined, out: (l: string) => void): Promise<void> {
  const kcFile = path.join(dataDir, 'kubeconfig');
  if (!fs.existsSync(kcFile)) throw new Error(`no cluster at ${dataDir} (run 'flotilla up --data ${dataDir}' first)`);
  const kc = yaml.load(fs.readFileSync(kcFile, 'utf8')) as Kubeconfig;
  const server = kc.clusters[0]!.cluster.server;
  const ca = Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString();
  const tokens = new TokenAuthenticator(path.join(dataDir, 'tokens.json'));
  const docker = new Docker();
  const offline = /^(1|true|yes)$/i.test(process.env.FLOTILLA_OFFLINE ?? '');
  // Cached after the first `up`: this only checks the tags. A rebuild (e.g. after an upgrade)
  // shows the same progress lines and log file as `up`.
  const progress = new ImageBuildProgress({ out: process.stderr, logFile: buildLogPath(dataDir) });
  let images: Awaited<ReturnType<typeof ensureImages>>;
  try {
    images = await ensureImages(docker, { bundleFile: kubeletBundlePath(), onProgress: progress.onImageProgress, ...(offline ? { pull: false } : {}) });
  } catch (e) {
    progress.failed(e as Error);
    throw e;
  } finally {
    progress.close();
  }
  const cluster = new ClusterManager({
    docker,
    clusterName,
    dataDir,
    apiServer: { hostPort: Number(new URL(server).port), caCert: ca },
    relayOwnedElsewhere: true,
    nodeImage: images.node,
    tokenFor: (n) => tokens.nodeToken(n),
    nodeEnv: {
      FLOTILLA_PAUSE_IMAGE: images.pause,
      // kube-proxy's own credentials (system:kube-proxy), beside the kubelet's node token.
      FLOTILLA_PROXY_TOKEN: tokens.proxyToken,
      FLOTILLA_IMAGE_PULLS: offline ? 'false' : 'true',
      FLOTILLA_LEASE_RENEW_MS: String(DEFAULT_CONTROLLER_OPTIONS.leaseRenewIntervalMs),
      FLOTILLA_LEASE_DURATION_SECONDS: String(DEFAULT_CONTROLLER_OPTIONS.leaseDurationSeconds),
      // A node added here logs as $FLOTILLA_LOG_LEVEL / $FLOTILLA_LOG_FORMAT say (this command has no flags for them).
      ...logEnv(logSettings(process.env)),
    },
  });
  const need = () => {
    if (!name) throw new Error(`flotilla node ${action} needs a node name`);
    return name;
  };
  try {
    switch (action) {
      case 'ls':
        for (const n of await cluster.listNodes()) out(`${n.name}\t${n.state}${n.partitioned ? ' (partitioned)' : ''}\t${n.ip ?? ''}`);
        return;
      case 'add': {
        const n = await cluster.addNode(name);
        out(`node ${n.name} added`);
        return;
      }
      case 'rm': {
        const n = need();
        await cluster.removeNode(n);
        const client = new ApiClient({ url: server, token: kc.users[0]!.user.token, ca });
        try {
          await client.delete('nodes', undefined, n);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        } finally {
          client.close();
        }
        out(`node ${n} removed`);
        return;
      }
      case 'stop':
        await cluster.stopNode(need());
        break;
      case 'start':
        await cluster.startNode(need());
        break;
      case 'kill':
        await cluster.killNode(need());
        break;
      case 'partition':
        await cluster.partitionNode(need());
        break;
      case 'heal':
        await cluster.healNode(need());
        break;
    }
    out(`node ${name}: ${action} done`);
  } finally {
    await cluster.close();
  }
}
