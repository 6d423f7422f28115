import fs from 'node:fs';
import path from 'node:path';
import type { ClientConfig } from './apiClient.js';
import { pemOrFile } from './credentialFiles.js';

// client-go's rest.InClusterConfig for a component running in a pod: the API server is
// https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (an IPv6 host in brackets), the
// token and CA are the service account volume's files. As client-go does, the token is read
// again from its file (the kubelet rotates it): here at most once a minute, on use.

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_REREAD_MS = 60_000;

export class NotInClusterError extends Error {}

export interface InClusterConfig extends ClientConfig {
  /** The pod's namespace (the volume's namespace file), if it has one. */
  namespace: string | undefined;
}

export interface InClusterOptions {
  env?: Record<string, string | undefined>;
  dir?: string;
  now?: () => number;
}

export function inClusterConfig(opts: InClusterOptions = {}): InClusterConfig {
  const env = opts.env ?? process.env;
  const dir = opts.dir ?? SERVICE_ACCOUNT_DIR;
  const now = opts.now ?? Date.now;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new NotInClusterError('unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined');
  const tokenFile = path.join(dir, 'token');
  const readToken = () => fs.readFileSync(tokenFile, 'utf8').trim();
  let token = readToken();
  let readAt = now();
  const ca = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
  let namespace: string | undefined;
  try {
    namespace = fs.readFileSync(path.join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch {
    namespace = undefined;
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `https://${hostPart}:${port}`,
    ca,
    namespace,
    get token(): string {
      if (now() - readAt >= TOKEN_REREAD_MS) {
        try {
          token = readToken();
        } catch {
          // Keep the last token: a file being replaced may be missing for an instant.
        }
        readAt = now();
      }
      return token;
    },
  };
}

type Env = Record<string, string | undefined>;

/**
 * A component's API access: explicit (FLOTILLA_API_URL with FLOTILLA_TOKEN or FLOTILLA_TOKEN_FILE,
 * and FLOTILLA_CA (PEM text or a path) or FLOTILLA_CA_FILE, as the kubelet takes them), else
 * in-cluster.
 */
export function clientConfigFromEnv(env: Env = process.env, opts: Omit<InClusterOptions, 'env'> = {}): InClusterConfig {
  const url = env.FLOTILLA_API_URL;
  if (!url) return inClusterConfig({ ...opts, env });
  const tokenFile = env.FLOTILLA_TOKEN_FILE;
  const token = env.FLOTILLA_TOKEN || (tokenFile ? fs.readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!token) throw new Error('FLOTILLA_API_URL is set but neither FLOTILLA_TOKEN nor FLOTILLA_TOKEN_FILE is');
  const ca = pemOrFile(env.FLOTILLA_CA) ?? pemOrFile(env.FLOTILLA_CA_FILE);
  if (!ca) throw new Error('FLOTILLA_API_URL is set but neither FLOTILLA_CA nor FLOTILLA_CA_FILE is');
  return { url, token, ca, namespace: undefined };
}
