import type Docker from 'dockerode';
import type { Logger } from '../api/log.js';
import { ApiClient } from '../client/apiClient.js';
import { pemOrFile, readIfPresent } from '../client/credentialFiles.js';
import { shellRunner } from './netns.js';
import { PodSandboxes } from './podSandboxes.js';
import { Proxier } from './proxier.js';

// kube-proxy's configuration in a node container, from the environment the cluster manager sets
// (cluster/nodeContainer.ts): its own token (FLOTILLA_PROXY_TOKEN or FLOTILLA_PROXY_TOKEN_FILE,
// user system:kube-proxy), the API URL and CA the kubelet uses too, the node and cluster names,
// and the host's /proc (FLOTILLA_HOST_PROC) through which pod namespaces are entered.

type Env = Record<string, string | undefined>;

/** The node's kube-proxy, or undefined (with the reason logged) when the node has no proxy token. */
export function proxierFromEnv(env: Env, docker: Docker, log: Logger): Proxier | undefined {
  const token = env.FLOTILLA_PROXY_TOKEN || readIfPresent(env.FLOTILLA_PROXY_TOKEN_FILE);
  const url = env.FLOTILLA_API_URL;
  const ca = pemOrFile(env.FLOTILLA_CA) ?? readIfPresent(env.FLOTILLA_CA_FILE);
  const node = env.FLOTILLA_NODE_NAME;
  const cluster = env.FLOTILLA_CLUSTER;
  if (!token || !url || !ca || !node || !cluster) {
    log.with('kube-proxy').warn('not starting: this node container was created without kube-proxy settings (recreate the node)', {
      missing: Object.entries({ FLOTILLA_PROXY_TOKEN: token, FLOTILLA_API_URL: url, FLOTILLA_CA: ca, FLOTILLA_NODE_NAME: node, FLOTILLA_CLUSTER: cluster })
        .filter(([, v]) => !v)
        .map(([k]) => k)
        .join(','),
    });
    return undefined;
  }
  return new Proxier({
    client: new ApiClient({ url, token, ca, userAgent: `kube-proxy/${node}` }),
    nodeName: node,
    sandboxes: new PodSandboxes(docker, cluster, node, env.FLOTILLA_HOST_PROC || '/host/proc'),
    runner: shellRunner(),
    log,
  });
}
