import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Store } from './store/store.js';
import { Registry } from './apiserver/registry/registry.js';
import { TokenAuthenticator } from './apiserver/auth/tokens.js';
import { ensurePki, issueServingCertificate } from './apiserver/auth/pki.js';
import { ensureServiceAccountKey } from './apiserver/auth/serviceAccountKey.js';
import { ServiceAccountTokens } from './apiserver/auth/serviceAccountTokens.js';
import { KubernetesEndpointsReconciler } from './apiserver/registry/kubernetesEndpoints.js';
import { buildKubeconfig } from './apiserver/auth/kubeconfig.js';
import { startApiServer, type ApiServer } from './apiserver/server.js';
import { ApiClient } from './client/apiClient.js';
import { InformerFactory, trimManagedFields } from './client/informer.js';
import { DEFAULT_CONTROLLER_OPTIONS, type ControllerOptions } from './client/controllerOptions.js';
import { startControllerManager, type ControllerManager } from './controllers/manager.js';
import { startScheduler, type SchedulerHandle } from './scheduler/start.js';
import { HollowNodePool, type HollowNodeOptions } from './hollow/hollowNodePool.js';
import { startDockerNodes, type DockerNodes } from './dockerNodes.js';
import type { ProgressFn } from './images/types.js';
import { DATA_FILE_MODE, openDataFolder } from './dataFolder.js';
import { logEnv, silentLogger, type Logger } from './api/log.js';
import { CLUSTER_DOMAIN, clusterDnsObjects } from './addons/clusterDns.js';
import { reconcileAddons } from './addons/addonManager.js';
import { ensureDefaultCertificate, ingressControllerObjects, resolveIngressPorts, type IngressPorts } from './addons/ingressController.js';
import { startServiceLoadBalancer, type ServiceLoadBalancerHandle } from './servicelb/start.js';

// Starts the control plane (store + API server) for one data folder. Used by the `flotilla`
// CLI in plain Node and by the Electron main process; nothing here depends on Electron.

export interface ControlPlaneOptions {
  /** Folder holding the store, PKI, tokens and kubeconfig; null = in memory (tests, benchmarks). */
  dataDir: string | null;
  port?: number;
  host?: string;
  serviceCIDR?: string;
  /** Extra names or addresses for the serving certificate (e.g. the address nodes use). */
  extraSANs?: string[];
  historySize?: number;
  /** How often idle watches get a BOOKMARK (default 10 s). */
  watchBookmarkIntervalMs?: number;
  /** Run the scheduler (default false here; the CLI and the desktop app turn it on). */
  scheduler?: boolean;
  /** Run the controller manager (default false here; the CLI and the desktop app turn it on). */
  controllers?: boolean;
  /**
   * Run the ServiceAccount admission plugin on pod creation (default: when controllers run, since
   * it needs the service account controller to make each namespace's `default` ServiceAccount).
   */
  serviceAccountAdmission?: boolean;
  /** Timing of the control loops; see controllers/options.ts for the desktop-tuned defaults. */
  controllerOptions?: Partial<ControllerOptions>;
  /** Simulated nodes (kubemark-style) for scale tests and benchmarks. */
  hollowNodes?: HollowNodeOptions;
  /** Docker nodes to create or adopt (undefined: no Docker at all). */
  nodes?: number;
  /** Names the cluster's Docker network and containers (default "flotilla"). */
  clusterName?: string;
  /** Extra environment for new node containers' kubelets (e.g. FLOTILLA_BACKOFF_BASE_MS; see kubelet/main.ts). */
  nodeEnv?: Record<string, string>;
  /**
   * Deploy the add-ons (cluster DNS) onto the Docker nodes; default: when the controllers run
   * (a Deployment needs them). Kubelets of new nodes point pods' resolv.conf at kube-dns either way.
   */
  addons?: boolean;
  /**
   * Answer LoadBalancer Services on the host's loopback (servicelb/); default: with Docker nodes,
   * the only nodes whose kubelets can carry the traffic.
   */
  serviceLoadBalancer?: boolean;
  /**
   * Deploy the ingress controller add-on (src-main/ingress, IngressClass `flotilla`) with its
   * ports on the user's loopback (needs Docker nodes and the controllers). A port left out is the
   * one the add-on had, else 80 / 443 when free, else 8080 / 8443, else any free one; 0 is any
   * free one. Default: off (the CLI and the desktop app turn it on).
   */
  ingress?: { httpPort?: number; httpsPort?: number };
  /** Image build progress (the first start builds the node image). */
  onImageProgress?: ProgressFn;
  /** Where every component logs (each names itself on it); its level and format also go to new nodes' kubelets. Default: none. */
  log?: Logger;
}

export interface ControlPlane {
  url: string;
  store: Store;
  registry: Registry;
  tokens: TokenAuthenticator;
  /** Issues and authenticates service account tokens. */
  serviceAccounts: ServiceAccountTokens;
  caCert: string;
  adminToken: string;
  kubeconfig: string;
  kubeconfigPath?: string;
  apiserver: ApiServer;
  controllerManager?: ControllerManager;
  scheduler?: SchedulerHandle;
  hollow?: HollowNodePool;
  docker?: DockerNodes;
  /** The LoadBalancer Services' listeners on the host's loopback. */
  serviceLoadBalancer?: ServiceLoadBalancerHandle;
  /** The loopback ports the ingress controller add-on answers on, when it runs. */
  ingress?: IngressPorts;
  /** An API client with a component token of its own (for in-process components and tests). */
  componentClient(component: string): ApiClient;
  stop(): Promise<void>;
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const dir = opts.dataDir;
  // What is already running, undone in reverse order if a later step fails (e.g. `up` refuses a
  // cluster name whose nodes belong to another control plane): nothing keeps serving or holding
  // the data folder after startControlPlane has thrown.
  const undo: (() => unknown)[] = [];
  const log = opts.log ?? silentLogger;
  const lock = dir ? openDataFolder(dir, log) : undefined;
  try {
    const store = await Store.open({ dataDir: dir, historySize: opts.historySize });
    undo.push(() => store.close());
    const controllerOptions: ControllerOptions = { ...DEFAULT_CONTROLLER_OPTIONS, ...(opts.controllerOptions ?? {}) };
    const registry = new Registry(store, {
      serviceCIDR: opts.serviceCIDR,
      defaultTolerationSeconds: controllerOptions.defaultTolerationSeconds,
      serviceAccountAdmission: opts.serviceAccountAdmission ?? !!opts.controllers,
    });
    await registry.init();
    const tokens = new TokenAuthenticator(dir ? path.join(dir, 'tokens.json') : null);
    const sans = ['127.0.0.1', 'localhost', 'host.docker.internal', os.hostname(), registry.services.ips.apiServiceIP, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', ...(opts.extraSANs ?? [])];
    const pkiDir = dir ? path.join(dir, 'pki') : fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-pki-'));
    const pki = await ensurePki(pkiDir, sans);
    const serviceAccounts = new ServiceAccountTokens(ensureServiceAccountKey(pkiDir), store);
    const apiserver = await startApiServer({ registry, tokens, serviceAccounts, pki, host: opts.host, port: opts.port, log, watchBookmarkIntervalMs: opts.watchBookmarkIntervalMs });
    undo.push(() => apiserver.close());
    const kubernetesEndpoints = new KubernetesEndpointsReconciler(registry, log);
    undo.push(() => kubernetesEndpoints.stop());
    const kubeconfig = buildKubeconfig({ server: apiserver.url, caCert: pki.caCert, token: tokens.adminToken });
    let kubeconfigPath: string | undefined;
    if (dir) {
      kubeconfigPath = path.join(dir, 'kubeconfig');
      fs.writeFileSync(kubeconfigPath, kubeconfig, { mode: DATA_FILE_MODE });
      fs.chmodSync(kubeconfigPath, DATA_FILE_MODE); // the mode above applies only when the file is new
    }
    const clients: ApiClient[] = [];
    const componentClient = (component: string) => {
      const c = new ApiClient({ url: apiserver.url, token: tokens.componentToken(component), ca: pki.caCert, userAgent: `flotilla-${component}`, maxSockets: 64 });
      clients.push(c);
      return c;
    };
    undo.push(() => clients.forEach((c) => c.close()));
    // Components are API clients over HTTPS, exactly as if they ran in processes of their own,
    // except that in this one process the controller manager and the scheduler read through one
    // shared informer cache (as a combined binary would) instead of holding two copies of every
    // pod and node; each still writes with its own client and token.
    const informers = opts.controllers && opts.scheduler ? new InformerFactory(componentClient('shared-informers'), { transform: trimManagedFields }) : undefined;
    const controllerManager = opts.controllers ? await startControllerManager(componentClient('controller-manager'), controllerOptions, log, informers) : undefined;
    undo.push(() => controllerManager?.stop());
    const scheduler = opts.scheduler ? await startScheduler(componentClient('scheduler'), controllerOptions, log, informers) : undefined;
    undo.push(() => scheduler?.stop());
    let hollow: HollowNodePool | undefined;
    if (opts.hollowNodes?.count) {
      hollow = new HollowNodePool(componentClient('hollow-nodes'), {
        leaseRenewIntervalMs: controllerOptions.leaseRenewIntervalMs,
        leaseDurationSeconds: controllerOptions.leaseDurationSeconds,
        log,
        ...opts.hollowNodes,
      });
      undo.push(() => hollow?.stop());
      await hollow.start();
    }
    let docker: DockerNodes | undefined;
    let serviceLoadBalancer: ServiceLoadBalancerHandle | undefined;
    let ingress: IngressPorts | undefined;
    if (opts.nodes !== undefined) {
      docker = await startDockerNodes({
        clusterName: opts.clusterName ?? 'flotilla',
        dataDir: dir,
        nodes: opts.nodes,
        apiPort: apiserver.port,
        apiHost: opts.host,
        caCert: pki.caCert,
        tokens,
        controllerOptions,
        nodeEnv: { FLOTILLA_CLUSTER_DNS: registry.services.ips.dnsServiceIP, ...opts.nodeEnv },
        onProgress: opts.onImageProgress,
        log,
      });
      apiserver.setKubeletResolver(docker.kubeletResolver);
      const ep = await docker.cluster.podApiEndpoint();
      // Pods verify the server at that address: the serving certificate must name it.
      if (ep) apiserver.setServingCert(await ensurePki(pkiDir, [...sans, ep.ip]));
      await kubernetesEndpoints.publish(ep);
      if (opts.serviceLoadBalancer ?? true) {
        // Through each node's kubelet, found as the API server finds it for exec.
        serviceLoadBalancer = await startServiceLoadBalancer(componentClient('service-lb'), { kubeletFor: docker.kubeletResolver }, log);
        undo.push(() => serviceLoadBalancer?.stop());
      }
      if (opts.addons ?? !!opts.controllers) {
        const dns = clusterDnsObjects({ image: docker.images.node, clusterIP: registry.services.ips.dnsServiceIP, clusterDomain: CLUSTER_DOMAIN, env: log.level === 'off' ? {} : logEnv(log) });
        await reconcileAddons(componentClient('addon-manager'), dns);
      }
      if (opts.ingress) {
        const addons = componentClient('addon-manager');
        ingress = await resolveIngressPorts(addons, { http: opts.ingress.httpPort, https: opts.ingress.httpsPort });
        // The certificate served to hosts without their own: signed by the cluster CA, for
        // localhost and every name under it.
        await ensureDefaultCertificate(addons, () => issueServingCertificate(pki.caCert, pki.caKey, ['localhost', '*.localhost'], 'Flotilla Ingress Controller Default Certificate'));
        await reconcileAddons(addons, ingressControllerObjects({ image: docker.images.node, ports: ingress, env: log.level === 'off' ? {} : logEnv(log) }));
      }
    } else {
      // No Docker nodes, so no pod can reach the API server: the endpoints say so.
      await kubernetesEndpoints.publish(null);
    }
    return {
      url: apiserver.url,
      store,
      registry,
      tokens,
      serviceAccounts,
      caCert: pki.caCert,
      adminToken: tokens.adminToken,
      kubeconfig,
      kubeconfigPath,
      apiserver,
      controllerManager,
      scheduler,
      hollow,
      docker,
      serviceLoadBalancer,
      ingress,
      componentClient,
      async stop() {
        // Node containers and pods keep running: the next start adopts them.
        kubernetesEndpoints.stop();
        await serviceLoadBalancer?.stop();
        await docker?.cluster.close();
        await hollow?.stop();
        scheduler?.stop();
        await controllerManager?.stop();
        for (const c of clients) c.close();
        await apiserver.close();
        await store.close();
        lock?.release();
      },
    };
  } catch (e) {
    for (const u of undo.reverse()) {
      try {
        await u();
      } catch {
        /* best effort: the first error is the one to report */
      }
    }
    lock?.release();
    throw e;
  }
}
