import { createLogger, logSettings } from '../api/log.js';
import { ApiClient } from '../client/apiClient.js';
import { clientConfigFromEnv } from '../client/inClusterConfig.js';
import { dnsConfigFromEnv } from './config.js';
import { startDns } from './start.js';

// The cluster DNS server's process: the add-on's container runs the node image's agent bundle with
// the argument `dns` (node/main.ts), so the add-on needs no image of its own.
//
// Environment:
//   API access: in a pod, the service account volume and KUBERNETES_SERVICE_HOST/PORT
//     (client/inClusterConfig.ts); or FLOTILLA_API_URL with FLOTILLA_TOKEN / FLOTILLA_TOKEN_FILE
//     and FLOTILLA_CA / FLOTILLA_CA_FILE
//   FLOTILLA_DNS_LISTEN        address:port to serve UDP and TCP on (0.0.0.0:53)
//   FLOTILLA_DNS_ZONE          the cluster domain (FLOTILLA_CLUSTER_DOMAIN, else cluster.local)
//   FLOTILLA_DNS_UPSTREAMS     comma-separated ip[:port] to forward to (default: the nameservers
//                              of FLOTILLA_DNS_RESOLV_CONF, /etc/resolv.conf)
//   FLOTILLA_DNS_TTL           TTL of cluster answers (30, kubeadm's `ttl 30`)
//   FLOTILLA_DNS_FORWARD_TIMEOUT_MS   how long a forwarded query may take before SERVFAIL (5000)
//   FLOTILLA_DNS_LOCAL_IPS     this server's own addresses, for NS answers (default: the listen
//                              address, or every non-loopback address when it is a wildcard)
//   FLOTILLA_LOG_LEVEL / FLOTILLA_LOG_FORMAT
// SIGTERM/SIGINT close the sockets and the API watches, then exit.

/** Runs the DNS server until SIGTERM/SIGINT (the node agent runs this for `dns`: node/main.ts). */
export async function runDns(env: Record<string, string | undefined> = process.env): Promise<void> {
  const log = createLogger(logSettings(env)).with('dns');
  const config = dnsConfigFromEnv(env);
  const clientConfig = clientConfigFromEnv(env);
  // Passed as it is, not copied: an in-cluster config's token getter re-reads the rotated file.
  clientConfig.userAgent = 'flotilla-dns';
  const client = new ApiClient(clientConfig);
  const dns = await startDns({ client, config, log });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping');
    await dns.stop();
    client.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}
