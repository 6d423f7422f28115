import http from 'node:http';
import { createLogger, logSettings, type Logger } from '../api/log.js';
import { ApiClient } from '../client/apiClient.js';
import { clientConfigFromEnv } from '../client/inClusterConfig.js';
import { IngressController } from './controller.js';
import { NginxProcess } from './nginxProcess.js';

// The ingress controller's process: the add-on's container runs the node image's agent bundle with
// the argument `ingress` (node/main.ts); the image carries Debian's nginx. The controller runs
// nginx as its child and serves its own health and metrics on FLOTILLA_INGRESS_HEALTH_PORT (10254,
// ingress-nginx's): /healthz answers 200 once nginx runs the first configuration.
//
// Environment:
//   API access: in a pod, the service account volume (client/inClusterConfig.ts)
//   FLOTILLA_INGRESS_HTTP_PORT / _HTTPS_PORT                  ports nginx listens on (80, 443)
//   FLOTILLA_INGRESS_PUBLIC_HTTP_PORT / _PUBLIC_HTTPS_PORT    the ports the desktop reaches them at
//                                                             (X-Forwarded-Port, HTTPS redirects)
//   FLOTILLA_INGRESS_STATUS_ADDRESS   status.loadBalancer.ingress[0].ip (127.0.0.1)
//   FLOTILLA_INGRESS_DEFAULT_CERTIFICATE  namespace/name of the TLS Secret for hosts without one
//   FLOTILLA_INGRESS_DIR              working folder (/tmp/flotilla-ingress)
//   FLOTILLA_INGRESS_WORKERS          nginx worker_processes (auto)
//   POD_NAMESPACE, POD_NAME           the pod, for events about refused configurations
// SIGTERM/SIGINT: nginx finishes the requests it has (SIGQUIT), then the process exits.

function port(env: Record<string, string | undefined>, name: string, dflt: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}=${JSON.stringify(v)} is not a port number`);
  return n;
}

function healthServer(controller: IngressController, ready: () => boolean, log: Logger): http.Server {
  return http.createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(ready() ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ready() ? 'ok' : 'nginx is not running');
      return;
    }
    if (req.url === '/metrics') {
      const s = controller.stats;
      // ingress-nginx's names for what users chart: reloads and whether the last one took.
      const body = [
        `nginx_ingress_controller_success ${s.reloads}`,
        `nginx_ingress_controller_errors ${s.failedReloads}`,
        `nginx_ingress_controller_config_last_reload_successful ${s.lastReloadOk ? 1 : 0}`,
        `flotilla_ingress_controller_syncs ${s.syncs}`,
        '',
      ].join('\n');
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(body);
      return;
    }
    res.writeHead(404).end();
  }).on('clientError', (err, socket) => {
    log.debug('health client error', { err });
    socket.destroy();
  });
}

export async function runIngress(env: Record<string, string | undefined> = process.env): Promise<void> {
  const log = createLogger(logSettings(env)).with('ingress');
  const clientConfig = clientConfigFromEnv(env);
  clientConfig.userAgent = 'flotilla-ingress';
  const client = new ApiClient(clientConfig);
  const nginx = new NginxProcess(log.with('nginx'));
  const httpPort = port(env, 'FLOTILLA_INGRESS_HTTP_PORT', 80);
  const httpsPort = port(env, 'FLOTILLA_INGRESS_HTTPS_PORT', 443);
  const workers = env.FLOTILLA_INGRESS_WORKERS ? Number(env.FLOTILLA_INGRESS_WORKERS) : 'auto';
  const controller = new IngressController({
    client,
    nginx,
    log,
    dir: env.FLOTILLA_INGRESS_DIR || '/tmp/flotilla-ingress',
    httpPort,
    httpsPort,
    publicHttpPort: port(env, 'FLOTILLA_INGRESS_PUBLIC_HTTP_PORT', httpPort),
    publicHttpsPort: port(env, 'FLOTILLA_INGRESS_PUBLIC_HTTPS_PORT', httpsPort),
    statusAddress: env.FLOTILLA_INGRESS_STATUS_ADDRESS || '127.0.0.1',
    defaultCertificateSecret: env.FLOTILLA_INGRESS_DEFAULT_CERTIFICATE || undefined,
    pod: env.POD_NAME && env.POD_NAMESPACE ? { namespace: env.POD_NAMESPACE, name: env.POD_NAME } : undefined,
    workerProcesses: Number.isInteger(workers) && (workers as number) > 0 ? (workers as number) : 'auto',
  });
  let started = false;
  let stopping = false;
  const health = healthServer(controller, () => started && !stopping, log);
  health.listen(port(env, 'FLOTILLA_INGRESS_HEALTH_PORT', 10254));
  // nginx gone means no ingress: exit, and the kubelet restarts the container.
  nginx.onExit = (code) => process.exit(code || 1);
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping');
    controller.stop();
    await nginx.stop(10_000);
    client.close();
    health.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  await controller.start();
  started = true;
  log.info('serving', { http: httpPort, https: httpsPort });
}
