// Runs sandboxed (no Node, CommonJS) before the renderer's scripts, with contextIsolation: the
// renderer sees only what is exposed here, and only the allow-listed channels.
import { contextBridge, ipcRenderer } from 'electron';
import { isIpcChannel, type FlotillaApi, type IpcEnvelope, type IpcErrorInfo } from './ipcChannels.js';
import { errorMessage } from '../api/errors.js';

function failure(message: string): IpcEnvelope<never> {
  const error: IpcErrorInfo = { name: 'Error', message };
  return { error };
}

const flotilla: FlotillaApi = {
  async invoke(channel, ...args) {
    // Main enforces the allow-list too; checking here keeps a typo from reaching it at all.
    if (!isIpcChannel(channel)) return failure(`unknown IPC channel '${String(channel)}'`);
    try {
      return await ipcRenderer.invoke(channel, ...args);
    } catch (err) {
      // Only reached when no handler answered (e.g. main is shutting down): handlers themselves
      // always resolve with an envelope.
      return failure(errorMessage(err));
    }
  },
};

contextBridge.exposeInMainWorld('flotilla', flotilla);
