import { parseArgs } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startControlPlane, type ControlPlane } from '../controlplane.js';
import { NODE_ACTIONS, nodeCommand, type NodeAction } from './nodeCommands.js';
import { down, recordedClusterName } from './down.js';
import { ImageBuildProgress } from './progress.js';
import { buildLogPath } from './progressLog.js';
import { createLogger, logSettings, type LogSettings } from '../api/log.js';
import { DEFAULT_UI_PORT, startUpDashboard, type UpDashboard } from './dashboardUp.js';
import { dashboardCommand } from './dashboardCommand.js';

// `flotilla`: the headless face of the app. `up` runs the same control plane the desktop app
// runs, in the foreground; `kubeconfig` prints the admin kubeconfig; `down` stops and removes a
// cluster and its data.

const USAGE = `Usage: flotilla <command> [options]

Commands:
  up           Run the cluster's control plane in the foreground (Ctrl-C stops it)
  kubeconfig   Print the admin kubeconfig of a cluster
  dashboard    Print the URL of the dashboard a running 'up' serves and open it in the browser
  down         Stop a running cluster and remove it, its containers and its data
  node ACTION [NAME]
               Node actions: ls, add [NAME], rm NAME, stop NAME, start NAME, kill NAME,
               partition NAME (cut from the network, pods keep running), heal NAME

Options:
  --data DIR          Cluster data folder (default: $FLOTILLA_DATA or ~/.flotilla)
  --port PORT         API server port for 'up' (default: 6443; 0 picks a free one)
  --host ADDR         Address the API server listens on (default: 127.0.0.1)
  --nodes N           Docker worker nodes to create or adopt (default: 3; 0 runs no Docker at all)
  --cluster NAME      Names the cluster's Docker network and containers (default: flotilla)
  --hollow-nodes N    Simulated (kubemark-style) nodes for scale tests and demos (default: 0)
  --no-controllers    Run only the API server: no scheduler, no controller manager
  --service-cidr CIDR Service ClusterIP range (default: 10.96.0.0/16)
  --ingress-port PORT Loopback port of the ingress controller's HTTP (default: the one it had,
                      else 80 when free, else 8080; 0 picks a free one)
  --ingress-https-port PORT
                      The same for HTTPS (default: the one it had, else 443, else 8443)
  --no-ingress        Deploy no ingress controller
  --ui-port PORT      Loopback port of the dashboard (default: ${DEFAULT_UI_PORT} when free, else any free
                      one; 0 picks a free one)
  --no-ui             Do not serve the dashboard
  -v, --verbose       Show the image builds' full output (debootstrap, docker build) instead of
                      one progress line per step; it is always kept in DIR/logs/image-build.log
  --log-level LEVEL   What the control plane and the nodes' kubelets log: debug, info, warn,
                      error or off (default: $FLOTILLA_LOG_LEVEL or info)
  --log-format FMT    Log lines as text or json (default: $FLOTILLA_LOG_FORMAT or text)
  -h, --help          Show this help
`;

function dataDirOf(v: string | undefined): string {
  return path.resolve(v ?? process.env.FLOTILLA_DATA ?? path.join(os.homedir(), '.flotilla'));
}

function clusterNameOf(values: Record<string, string | boolean | undefined>): string {
  return (values.cluster as string | undefined) ?? recordedClusterName(dataDirOf(values.data as string | undefined)) ?? 'flotilla';
}

function fail(msg: string): never {
  process.stderr.write(`flotilla: ${msg}\n`);
  process.exit(1);
}

async function up(values: Record<string, string | boolean | undefined>): Promise<void> {
  const dataDir = dataDirOf(values.data as string | undefined);
  const port = values.port === undefined ? 6443 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: not a port number: ${values.port}`);
  const nodes = values.nodes === undefined ? 3 : Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 0) fail(`--nodes: must be a whole number >= 0, got ${values.nodes}`);
  const hollowNodes = values['hollow-nodes'] === undefined ? 0 : Number(values['hollow-nodes']);
  if (!Number.isInteger(hollowNodes) || hollowNodes < 0) fail(`--hollow-nodes: must be a whole number >= 0, got ${values['hollow-nodes']}`);
  const components = !values['no-controllers'];
  const ingressPort = (name: string): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`--${name}: not a port number: ${v}`);
    return n;
  };
  const ingress = components && !values['no-ingress'] ? { httpPort: ingressPort('ingress-port'), httpsPort: ingressPort('ingress-https-port') } : undefined;
  const uiPort = values['no-ui'] ? undefined : ingressPort('ui-port');
  let logs: LogSettings;
  try {
    logs = logSettings(process.env, { level: values['log-level'] as string | undefined, format: values['log-format'] as string | undefined });
  } catch (e) {
    fail((e as Error).message);
  }
  // Signal handlers first: a SIGTERM that arrives while the control plane starts, or right after
  // the banner below (a supervisor that waits for it, then stops it), still stops it cleanly.
  let cp: ControlPlane | undefined;
  let dashboard: UpDashboard | undefined;
  let stopSignal: string | undefined;
  let stopping = false;
  const stop = async (sig: string) => {
    stopSignal = sig;
    if (stopping || !cp) return; // not up yet: stopped as soon as it is
    stopping = true;
    process.stdout.write(`\n${sig}: stopping...\n`);
    await dashboard?.stop();
    await cp.stop();
    process.stdout.write('stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // The first start builds the node images: one line per step here, the whole output in a file.
  const progress = new ImageBuildProgress({ out: process.stderr, logFile: buildLogPath(dataDir), verbose: Boolean(values.verbose) });
  try {
    cp = await startControlPlane({
      dataDir,
      port,
      host: (values.host as string | undefined) ?? '127.0.0.1',
      serviceCIDR: values['service-cidr'] as string | undefined,
      scheduler: components,
      controllers: components,
      hollowNodes: hollowNodes ? { count: hollowNodes } : undefined,
      // --nodes 0 runs no Docker at all, unless a cluster of this name already has nodes to adopt.
      nodes: nodes > 0 ? nodes : undefined,
      clusterName: clusterNameOf(values),
      ingress,
      onImageProgress: progress.onImageProgress,
      // Log lines go through the progress display so they never break a stage line.
      log: createLogger({ ...logs, write: (line) => progress.print(line) }),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    progress.failed(err);
    if (err.code === 'EADDRINUSE') fail(`port ${port} is already in use; pick another with --port`);
    fail(err.message);
  } finally {
    progress.close();
  }
  if (!values['no-ui']) {
    try {
      dashboard = await startUpDashboard(cp, dataDir, uiPort, createLogger(logs));
      // A signal while it started: stop() has already run past it, so leave no URL file behind.
      if (stopping) await dashboard.stop();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      await cp.stop();
      fail(err.code === 'EADDRINUSE' ? `--ui-port: port ${uiPort} is already in use; pick another, or 0 for any free one` : `the dashboard did not start: ${err.message}`);
    }
  }
  const dashboardLine = dashboard ? `  Dashboard: ${dashboard.url}${dashboard.notBuilt ? `\n             (${dashboard.notBuilt})` : ''}\n` : '';
  const ingressLine = cp.ingress ? `  Ingress: ${ingressAddress('http', cp.ingress.http, 80)} and ${ingressAddress('https', cp.ingress.https, 443)} (an Ingress with host <name>.localhost opens there)\n` : '';
  process.stdout.write(`Flotilla control plane is up.\n  API server: ${cp.url}\n  kubeconfig: ${cp.kubeconfigPath}\n${ingressLine}${dashboardLine}  try: KUBECONFIG=${cp.kubeconfigPath} kubectl get namespaces\n`);
  if (stopSignal) await stop(stopSignal);
}

/** http://<name>.localhost[:port]: the address an Ingress for host <name>.localhost answers at. */
function ingressAddress(scheme: string, port: number, standard: number): string {
  return `${scheme}://<name>.localhost${port === standard ? '' : `:${port}`}`;
}

function kubeconfig(values: Record<string, string | boolean | undefined>): void {
  const file = path.join(dataDirOf(values.data as string | undefined), 'kubeconfig');
  if (!fs.existsSync(file)) fail(`no cluster at ${path.dirname(file)} (run 'flotilla up --data ${path.dirname(file)}' first)`);
  process.stdout.write(fs.readFileSync(file, 'utf8'));
}

async function downCommand(values: Record<string, string | boolean | undefined>): Promise<void> {
  try {
    await down(dataDirOf(values.data as string | undefined), (l) => process.stdout.write(`${l}\n`));
  } catch (e) {
    fail((e as Error).message);
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      nodes: { type: 'string' },
      'hollow-nodes': { type: 'string' },
      cluster: { type: 'string' },
      'no-controllers': { type: 'boolean' },
      'service-cidr': { type: 'string' },
      'ingress-port': { type: 'string' },
      'ingress-https-port': { type: 'string' },
      'no-ingress': { type: 'boolean' },
      'no-ui': { type: 'boolean' },
      'ui-port': { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const cmd = positionals[0];
  if (values.help || !cmd) {
    process.stdout.write(USAGE);
    return;
  }
  switch (cmd) {
    case 'up':
      return up(values);
    case 'kubeconfig':
      return kubeconfig(values);
    case 'dashboard':
      try {
        await dashboardCommand(dataDirOf(values.data as string | undefined), (l) => process.stdout.write(`${l}\n`));
      } catch (e) {
        fail((e as Error).message);
      }
      return;
    case 'down':
      return downCommand(values);
    case 'node': {
      const action = positionals[1] as NodeAction;
      if (!NODE_ACTIONS.includes(action)) fail(`flotilla node: unknown action "${positionals[1] ?? ''}" (one of: ${NODE_ACTIONS.join(', ')})`);
      try {
        await nodeCommand(dataDirOf(values.data as string | undefined), clusterNameOf(values), action, positionals[2], (l) => process.stdout.write(`${l}\n`));
      } catch (e) {
        fail((e as Error).message);
      }
      return;
    }
    default:
      fail(`unknown command "${cmd}"\n\n${USAGE}`);
  }
}
