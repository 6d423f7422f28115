import type { ClusterInfo } from '../desktop/ipcChannels.js';
import { noPayload, type IpcHandlers } from './channelDispatch.js';

// The dashboard's handler table, the same for the desktop app (IPC) and `flotilla up` (HTTP).
// It is given what it answers from rather than the control plane itself, so this folder stays
// below the control plane in the layers (scripts/layers.mjs).

export interface ChannelContext {
  appVersion: string;
  clusterInfo(): ClusterInfo;
}

export function createChannelHandlers(ctx: ChannelContext): IpcHandlers {
  return {
    'app:version': { parse: noPayload, handle: () => ctx.appVersion },
    'cluster:info': { parse: noPayload, handle: () => ctx.clusterInfo() },
  };
}
