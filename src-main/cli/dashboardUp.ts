import fs from 'node:fs';
import path from 'node:path';
import type { ControlPlane } from '../controlplane.js';
import type { Logger } from '../api/log.js';
import { startDashboardServer } from '../dashboard/server.js';
import { createChannelHandlers } from '../dashboard/channelHandlers.js';
import { appVersion, defaultRendererDir } from '../dashboard/appFiles.js';
import { removeDashboardUrl, writeDashboardUrl } from './dashboardUrlFile.js';

// `flotilla up`'s dashboard: the headless server with the same channel handlers as the desktop
// app, its URL left in the data folder for `flotilla dashboard` while it runs.

/** The port `up` asks for first. Fixed, so the address is familiar; the secret still changes each run. */
export const DEFAULT_UI_PORT = 6480;

export interface UpDashboard {
  url: string;
  /** Set when the renderer is not built: what to tell the user. */
  notBuilt?: string;
  stop(): Promise<void>;
}

/**
 * Starts it on `port`, or when no port was asked for, on DEFAULT_UI_PORT and else on any free one
 * (a second `up` on the same machine still gets a dashboard).
 */
export async function startUpDashboard(cp: ControlPlane, dataDir: string, port: number | undefined, log: Logger): Promise<UpDashboard> {
  const rendererDir = defaultRendererDir();
  const handlers = createChannelHandlers({ appVersion: appVersion(), clusterInfo: () => ({ apiUrl: cp.url, kubeconfigPath: cp.kubeconfigPath ?? null }) });
  const start = (p: number) => startDashboardServer({ port: p, handlers, rendererDir, log });
  let server;
  try {
    server = await start(port ?? DEFAULT_UI_PORT);
  } catch (e) {
    if (port !== undefined || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    server = await start(0);
  }
  writeDashboardUrl(dataDir, server.url);
  const built = fs.existsSync(path.join(rendererDir, 'index.html'));
  return {
    url: server.url,
    notBuilt: built ? undefined : `the dashboard's files are not built (${rendererDir}): run 'npm run build'`,
    async stop() {
      removeDashboardUrl(dataDir);
      await server.close();
    },
  };
}
