import type { Logger } from '../api/log.js';
import type { ApiClient } from '../client/apiClient.js';
import { InformerFactory } from '../client/informer.js';
import { DnsCache, type CacheOptions } from './cache.js';
import { ClusterState } from './clusterState.js';
import type { DnsConfig } from './config.js';
import { Forwarder } from './forwarder.js';
import { Pipeline } from './pipeline.js';
import { KubeResolver } from './resolver.js';
import { DnsServer } from './server.js';
import { DNS_INFORMER_OPTIONS, watchCluster } from './watch.js';

// Wires the DNS server together: informers -> cluster state -> resolver, with cache and
// forwarder, behind the sockets. As CoreDNS does (kubernetes.go InitKubeCache), it waits up to
// 5 s for the informers' first lists before it listens; until they have listed, a name it does not
// know is SERVFAIL rather than NXDOMAIN.

export interface StartDnsOptions {
  client: ApiClient;
  config: DnsConfig;
  log: Logger;
  /** Milliseconds to wait for the informers before listening anyway (CoreDNS: 5 s). */
  syncWaitMs?: number;
  cache?: Partial<CacheOptions>;
}

export interface RunningDns {
  port: number;
  state: ClusterState;
  cache: DnsCache;
  stop(): Promise<void>;
}

export async function startDns(o: StartDnsOptions): Promise<RunningDns> {
  const log = o.log;
  const state = new ClusterState();
  const informers = new InformerFactory(o.client, DNS_INFORMER_OPTIONS);
  const synced = watchCluster(informers, state).then(() => log.info('cluster state synced'));
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([synced.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), o.syncWaitMs ?? 5000)))]);
  clearTimeout(timer);
  if (!waited) log.warn('starting with the Kubernetes API not yet listed');

  const zones = [o.config.zone, 'in-addr.arpa.', 'ip6.arpa.'];
  const resolver = new KubeResolver(state, { zones, fallthrough: ['in-addr.arpa.', 'ip6.arpa.'], ttl: o.config.ttl, localIPs: o.config.localIPs });
  const cache = new DnsCache(o.cache);
  const forwarder = new Forwarder({ upstreams: o.config.upstreams, timeoutMs: o.config.forwardTimeoutMs });
  const pipeline = new Pipeline({ resolver, forwarder, cache, log });
  const server = new DnsServer({ host: o.config.host, port: o.config.port, pipeline, log });
  try {
    await server.start();
  } catch (e) {
    informers.stop();
    throw e;
  }
  log.info('listening', { address: `${o.config.host}:${server.port}`, zone: o.config.zone, upstreams: o.config.upstreams.map((u) => `${u.host}:${u.port}`) });
  return {
    port: server.port,
    state,
    cache,
    async stop() {
      informers.stop();
      forwarder.stop();
      await server.stop();
    },
  };
}
