// Electron entry point: windows and the IPC bridge, nothing else. Everything the app does
// lives in plain Node modules beside this folder, so it runs and is tested without Electron.
import { app, BrowserWindow, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerIpcHandlers } from './ipcHandlers.js';
import { createChannelHandlers } from '../dashboard/channelHandlers.js';
import { startControlPlane, type ControlPlane } from '../controlplane.js';
import { createLogger, logSettings } from '../api/log.js';

// Set by `electron-vite dev`: the renderer then comes from Vite's dev server, with hot reload.
const devServerUrl = app.isPackaged ? undefined : process.env['ELECTRON_RENDERER_URL'];
// Bundled as CommonJS (package.json has no "type": "module"), so __dirname is out/main.
const rendererFile = join(__dirname, '../renderer/index.html');
const preloadFile = join(__dirname, '../preload/index.js');

/** True only for our own renderer page: the one place allowed to navigate to and to call IPC. */
function isRendererUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    if (devServerUrl) return parsed.origin === new URL(devServerUrl).origin;
    return parsed.protocol === 'file:' && fileURLToPath(parsed) === rendererFile;
  } catch {
    return false;
  }
}

function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 720,
    minHeight: 480,
    title: 'Flotilla',
    show: false,
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  win.once('ready-to-show', () => win.show());

  // Links (e.g. to an app published through the ingress) open in the user's browser,
  // never in a new Electron window that would inherit the preload.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//i.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isRendererUrl(url)) event.preventDefault();
  });

  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererFile);
  return win;
}

// A second instance would open the same store files as the first; hand over to the first instead.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  let controlPlane: ControlPlane | undefined;
  app
    .whenReady()
    .then(async () => {
      // The main process is the control plane: the same code `flotilla up` runs headless.
      controlPlane = await startControlPlane({ dataDir: join(app.getPath('userData'), 'cluster'), port: 6443, log: createLogger(logSettings(process.env)) });
      const cp = controlPlane;
      registerIpcHandlers(
        createChannelHandlers({ appVersion: app.getVersion(), clusterInfo: () => ({ apiUrl: cp.url, kubeconfigPath: cp.kubeconfigPath ?? null }) }),
        isRendererUrl,
      );
      createMainWindow();
      // macOS: clicking the dock icon with no window open opens one again.
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) createMainWindow();
      });
    })
    .catch((err: unknown) => {
      console.error('Flotilla failed to start:', err);
      app.exit(1);
    });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Stop the control plane before exiting so every acknowledged write is flushed and the data
  // folder's lock is released.
  let stopped = false;
  app.on('will-quit', (event) => {
    if (stopped || !controlPlane) return;
    event.preventDefault();
    void controlPlane.stop().finally(() => {
      stopped = true;
      app.quit();
    });
  });
}
