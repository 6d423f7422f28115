import fs from 'node:fs';
import Docker from 'dockerode';
import { createLogger, logSettings, type Logger } from '../api/log.js';
import { ApiClient } from '../client/apiClient.js';
import { pemOrFile, readIfPresent } from '../client/credentialFiles.js';
import { LABEL_CLUSTER } from './labels.js';
import { Kubelet, type KubeletOptions } from './kubelet.js';

// The kubelet's configuration inside a node container (node/main.ts is the process's entry point).
//
// Environment, set by the cluster manager:
//   FLOTILLA_API_URL          https://<address the node reaches the API server at>
//   FLOTILLA_NODE_NAME        this node's name
//   FLOTILLA_TOKEN            the node's bearer token (system:node:<name>), or FLOTILLA_TOKEN_FILE
//   FLOTILLA_CA               the cluster CA (PEM text, or a path to a PEM file), or FLOTILLA_CA_FILE
//   FLOTILLA_NODE_CPU / FLOTILLA_NODE_MEMORY / FLOTILLA_NODE_PODS   capacity (default 2 / 4Gi / 110)
// Optional (discovered when absent):
//   FLOTILLA_CLUSTER          cluster name (default: this container's flotilla.dev/cluster label)
//   FLOTILLA_NETWORK          Docker network of pods (default: this container's network)
//   FLOTILLA_NODE_IP          this node's address (default: its IP on that network)
//   FLOTILLA_PAUSE_IMAGE      sandbox image (default: the newest flotilla/pause:* image)
//   FLOTILLA_KUBELET_PORT     logs/exec server port (default 10250)
//   FLOTILLA_KUBELET_TOKEN    bearer token the API server must present (default: FLOTILLA_TOKEN)
//   FLOTILLA_KUBELET_TLS_CERT / FLOTILLA_KUBELET_TLS_KEY   serve HTTPS (PEM text or paths)
//   FLOTILLA_IMAGE_PULLS      "false" = never contact a registry (offline)
//   FLOTILLA_CLUSTER_DNS      comma-separated cluster DNS IPs; FLOTILLA_CLUSTER_DOMAIN (cluster.local)
//   FLOTILLA_NODE_LABELS      extra node labels, "k=v,k2=v2"
//   FLOTILLA_LEASE_RENEW_MS / FLOTILLA_LEASE_DURATION_SECONDS   heartbeat timing (2000 / 10)
//   FLOTILLA_BACKOFF_BASE_MS  first CrashLoopBackOff delay (10000)
//   DOCKER_HOST / FLOTILLA_DOCKER_SOCKET   the engine (default /var/run/docker.sock)
//   FLOTILLA_LOG_LEVEL / FLOTILLA_LOG_FORMAT   debug|info|warn|error|off / text|json (info / text;
//                             the control plane passes its own: api/log.ts logEnv)
//
// SIGTERM/SIGINT stop the agent and leave the pods running; the next kubelet adopts them.

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

/** This process's container id when it runs in a Docker container. */
export function ownContainerId(): string | undefined {
  try {
    const mi = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const m = /\/containers\/([0-9a-f]{64})\//.exec(mi);
    if (m) return m[1];
  } catch {
    /* not Linux, or no /proc */
  }
  try {
    const cg = fs.readFileSync('/proc/self/cgroup', 'utf8');
    const m = /([0-9a-f]{64})/.exec(cg);
    if (m) return m[1];
  } catch {
    /* no cgroup file */
  }
  return undefined;
}

export function parseLabels(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (s ?? '').split(',')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** The kubelet's options from its environment; `log` is the process's logger (the kubelet names itself on it). */
export async function kubeletOptionsFromEnv(env: Env, docker: Docker, log: Logger): Promise<KubeletOptions> {
  const nodeName = required(env, 'FLOTILLA_NODE_NAME');
  const token = env.FLOTILLA_TOKEN || readIfPresent(env.FLOTILLA_TOKEN_FILE);
  if (!token) throw new Error('FLOTILLA_TOKEN (or FLOTILLA_TOKEN_FILE) is not set');
  const ca = pemOrFile(env.FLOTILLA_CA) ?? readIfPresent(env.FLOTILLA_CA_FILE);
  if (!ca) throw new Error('FLOTILLA_CA (or FLOTILLA_CA_FILE) is not set');
  const client = new ApiClient({ url: required(env, 'FLOTILLA_API_URL'), token, ca, userAgent: `kubelet/${nodeName}` });
  let cluster = env.FLOTILLA_CLUSTER;
  let network = env.FLOTILLA_NETWORK;
  let nodeIP = env.FLOTILLA_NODE_IP;
  const self = ownContainerId();
  if (self && (!cluster || !network || !nodeIP)) {
    try {
      const info = await docker.getContainer(self).inspect();
      cluster ??= info.Config.Labels?.[LABEL_CLUSTER];
      const nets = Object.entries((info.NetworkSettings.Networks ?? {}) as Record<string, { IPAddress?: string }>);
      network ??= (nets.find(([n]) => cluster && n.includes(cluster)) ?? nets[0])?.[0];
      nodeIP ??= nets.find(([n]) => n === network)?.[1]?.IPAddress;
    } catch (e) {
      log.with('kubelet').warn('inspecting own container failed', { container: self, err: e });
    }
  }
  if (!cluster) throw new Error('FLOTILLA_CLUSTER is not set and the node container has no flotilla.dev/cluster label');
  if (!network) throw new Error('FLOTILLA_NETWORK is not set and no Docker network was found for this node');
  let pauseImage = env.FLOTILLA_PAUSE_IMAGE;
  if (!pauseImage) {
    const images = await docker.listImages({ filters: { reference: ['flotilla/pause'] } });
    const newest = images.sort((a, b) => b.Created - a.Created)[0];
    pauseImage = newest?.RepoTags?.find((t) => t.startsWith('flotilla/pause:'));
    if (!pauseImage) throw new Error('FLOTILLA_PAUSE_IMAGE is not set and no flotilla/pause image is present');
  }
  const cert = pemOrFile(env.FLOTILLA_KUBELET_TLS_CERT);
  const key = pemOrFile(env.FLOTILLA_KUBELET_TLS_KEY);
  return {
    client,
    docker,
    nodeName,
    clusterName: cluster,
    network,
    nodeIP,
    pauseImage,
    capacity: { cpu: env.FLOTILLA_NODE_CPU || '2', memory: env.FLOTILLA_NODE_MEMORY || '4Gi', pods: env.FLOTILLA_NODE_PODS || '110' },
    labels: parseLabels(env.FLOTILLA_NODE_LABELS),
    leaseRenewIntervalMs: env.FLOTILLA_LEASE_RENEW_MS ? Number(env.FLOTILLA_LEASE_RENEW_MS) : undefined,
    leaseDurationSeconds: env.FLOTILLA_LEASE_DURATION_SECONDS ? Number(env.FLOTILLA_LEASE_DURATION_SECONDS) : undefined,
    backoffBaseMs: env.FLOTILLA_BACKOFF_BASE_MS ? Number(env.FLOTILLA_BACKOFF_BASE_MS) : undefined,
    imagePulls: !/^(false|0|no|off)$/i.test(env.FLOTILLA_IMAGE_PULLS ?? 'true'),
    clusterDNS: env.FLOTILLA_CLUSTER_DNS ? env.FLOTILLA_CLUSTER_DNS.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    clusterDomain: env.FLOTILLA_CLUSTER_DOMAIN || undefined,
    server: {
      port: Number(env.FLOTILLA_KUBELET_PORT || 10250),
      token: env.FLOTILLA_KUBELET_TOKEN || token,
      ...(cert && key ? { tls: { cert, key } } : {}),
    },
    log,
  };
}

/** The process's logger, as the environment sets it; a bad setting is reported, not fatal. */
export function loggerFromEnv(env: Env): Logger {
  try {
    return createLogger(logSettings(env));
  } catch (e) {
    const log = createLogger();
    log.with('kubelet').warn('ignoring the log settings', { err: e });
    return log;
  }
}

/** The engine the node talks to (the mounted socket unless the environment names another). */
export function dockerFromEnv(env: Env): Docker {
  return env.FLOTILLA_DOCKER_SOCKET ? new Docker({ socketPath: env.FLOTILLA_DOCKER_SOCKET }) : new Docker();
}

/**
 * Starts the kubelet, retrying until the API server answers; SIGTERM/SIGINT stop it (and run
 * `onStop`, the node agent's other components). `extra` adds what the node agent wires in.
 */
export async function runKubelet(env: Env, docker: Docker, root: Logger, extra: Partial<KubeletOptions> = {}, onStop: () => Promise<void> = async () => {}): Promise<Kubelet> {
  const log = root.with('kubelet');
  // The API server may come up after the node: retry until it answers (a minute at most).
  for (let attempt = 1; ; attempt++) {
    let kubelet: Kubelet | undefined;
    try {
      kubelet = new Kubelet({ ...(await kubeletOptionsFromEnv(env, docker, root)), ...extra });
      await kubelet.start();
      const k = kubelet;
      const shutdown = (sig: string) => {
        log.info('stopping (pods keep running)', { signal: sig });
        void Promise.all([k.stop(), onStop()]).finally(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      return k;
    } catch (e) {
      log[attempt >= 60 ? 'error' : 'warn']('start failed', { attempt, err: e });
      await kubelet?.stop().catch(() => {});
      if (attempt >= 60) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
