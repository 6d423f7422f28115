import fs from 'node:fs';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { commandChannel, startChild, type Child, type Run } from '../lib/children.js';
import { readKubeconfig, type Credentials } from '../lib/client.js';

// The two servers of bench:api, each in a child process of its own (bench/lib/children.ts):
//   the API server: the shipped CLI (dist/cli.cjs, rebuilt first) as a user runs it, with exactly
//     the component measured: `up --nodes 0 --no-controllers` (no Docker nodes, no scheduler, no
//     controllers) under a cluster name unique to the run, never the default one; loaded through
//     bench/api/cliChild.cjs, which answers the probe commands of bench/lib/probe.cjs;
//   the floor: a bare Node HTTPS server with the same TLS setup (bench/api/bareServerChild.ts).
// The teardown stops the API server (SIGTERM: its own graceful stop) and runs `flotilla down` on
// its data folder, on every way out of the run (see setUpRun).

export const ROOT = path.resolve(typeof __dirname === 'string' ? path.join(__dirname, '..', '..') : process.cwd());
const CLI = path.join(ROOT, 'dist', 'cli.cjs');

export interface ApiServer {
  child: Child;
  pid: number;
  creds: Credentials;
  dataDir: string;
  clusterName: string;
  command: <T>(cmd: string, timeoutMs?: number) => Promise<T>;
}

export function buildCli(log: (s: string) => void): void {
  log('building the CLI (node scripts/build-cli.mjs)');
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
}

export async function startApiServer(run: Run, dataDir: string, clusterName: string, log: (s: string) => void): Promise<ApiServer> {
  const down = promisify(execFile);
  // Registered before the start, so that a run stopped while the server starts still tears it down.
  const started: { child?: Child } = {};
  run.onTeardown('stop the API server, flotilla down', async () => {
    const c = started.child;
    if (c) {
      const code = await c.stop(30_000);
      if (code !== 0) log(`API server exited with code ${code}: ${c.stderr().slice(-1500)}`);
    }
    if (fs.existsSync(dataDir)) {
      const r = await down(process.execPath, [CLI, 'down', '--data', dataDir], { cwd: ROOT, timeout: 60_000 });
      log(`flotilla down: ${r.stdout.trim().split('\n').pop()}`);
      if (fs.existsSync(dataDir)) throw new Error(`flotilla down left ${dataDir} behind`);
    }
  });
  const child = (started.child = await startChild({
    name: 'flotilla up',
    cmd: process.execPath,
    args: [path.join('bench', 'api', 'cliChild.cjs'), 'up', '--data', dataDir, '--port', '0', '--nodes', '0', '--no-controllers', '--cluster', clusterName, '--no-ui'],
    cwd: ROOT,
    ready: /API server: (https:\/\/\S+)/,
    timeoutMs: 60_000,
  }));
  const creds = readKubeconfig(path.join(dataDir, 'kubeconfig'));
  if (creds.server !== child.match[1]) throw new Error(`the kubeconfig server ${creds.server} differs from the printed URL ${child.match[1]}`);
  return { child, pid: child.proc.pid!, creds, dataDir, clusterName, command: commandChannel(child, 'API server') };
}

export interface BareServer {
  child: Child;
  pid: number;
  creds: Credentials;
  command: <T>(cmd: string, timeoutMs?: number) => Promise<T>;
}

/** The floor: a bare HTTPS server with the API server's serving certificate (from its PKI folder). */
export async function startBareServer(run: Run, pkiDir: string, ca: string): Promise<BareServer> {
  const child = await startChild({
    name: 'bare HTTPS server',
    cmd: process.execPath,
    args: ['--import', 'tsx', path.join('bench', 'api', 'bareServerChild.ts'), pkiDir],
    cwd: ROOT,
    ready: /READY (https:\/\/\S+)/,
    timeoutMs: 30_000,
  });
  run.onTeardown('stop the bare server', () => child.stop());
  return { child, pid: child.proc.pid!, creds: { server: child.match[1]!, ca }, command: commandChannel(child, 'bare server') };
}
