import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Store } from './store/store.js';
import { Registry } from './apiserver/registry/registry.js';
import { TokenAuthenticator } from './apiserver/auth/tokens.js';
import { ensurePki } from './apiserver/auth/pki.js';
import { buildKubeconfig } from './apiserver/auth/kubeconfig.js';
import { startApiServer, type ApiServer } from './apiserver/server.js';

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
  log?: (line: string) => void;
}

export interface ControlPlane {
  url: string;
  store: Store;
  registry: Registry;
  tokens: TokenAuthenticator;
  caCert: string;
  adminToken: string;
  kubeconfig: string;
  kubeconfigPath?: string;
  apiserver: ApiServer;
  stop(): Promise<void>;
}

function acquireLock(dir: string): () => void {
  const lock = path.join(dir, 'lock');
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8'));
    if (pid && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`the data folder ${dir} is in use by process ${pid}; stop it first (flotilla down stops and removes the cluster)`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fs.writeFileSync(lock, String(process.pid));
  return () => {
    try {
      if (fs.readFileSync(lock, 'utf8') === String(process.pid)) fs.unlinkSync(lock);
    } catch {
      /* already gone */
    }
  };
}

export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const dir = opts.dataDir;
  let release = () => {};
  if (dir) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    release = acquireLock(dir);
  }
  try {
    const store = await Store.open({ dataDir: dir, historySize: opts.historySize });
    const registry = new Registry(store, { serviceCIDR: opts.serviceCIDR });
    await registry.init();
    const tokens = new TokenAuthenticator(dir ? path.join(dir, 'tokens.json') : null);
    const sans = ['127.0.0.1', 'localhost', 'host.docker.internal', os.hostname(), registry.services.ips.apiServiceIP, 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', ...(opts.extraSANs ?? [])];
    const pki = await ensurePki(dir ? path.join(dir, 'pki') : fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-pki-')), sans);
    const apiserver = await startApiServer({ registry, tokens, pki, host: opts.host, port: opts.port, log: opts.log, watchBookmarkIntervalMs: opts.watchBookmarkIntervalMs });
    const kubeconfig = buildKubeconfig({ server: apiserver.url, caCert: pki.caCert, token: tokens.adminToken });
    let kubeconfigPath: string | undefined;
    if (dir) {
      kubeconfigPath = path.join(dir, 'kubeconfig');
      fs.writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
    }
    return {
      url: apiserver.url,
      store,
      registry,
      tokens,
      caCert: pki.caCert,
      adminToken: tokens.adminToken,
      kubeconfig,
      kubeconfigPath,
      apiserver,
      async stop() {
        await apiserver.close();
        await store.close();
        release();
      },
    };
  } catch (e) {
    release();
    throw e;
  }
}
