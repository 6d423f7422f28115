import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNELS, type IpcEnvelope } from './ipcChannels.js';
import { dispatch, toErrorInfo, type IpcHandlers } from '../dashboard/channelDispatch.js';

// Electron's transport for the bridge: registration and the sender check. What a call means
// (parse, handle, the envelope) lives in dashboard/channelDispatch.ts, shared with headless HTTP.
export { noPayload, toErrorInfo, type IpcHandler, type IpcHandlers } from '../dashboard/channelDispatch.js';

/**
 * Registers exactly the allow-listed channels; Electron rejects invokes on any other name.
 * `isTrustedSender` gets the URL of the frame that sent the call, so a page navigated away
 * from our renderer (or an embedded frame) cannot use the bridge. Returns an unregister
 * function.
 */
export function registerIpcHandlers(handlers: IpcHandlers, isTrustedSender: (frameUrl: string) => boolean): () => void {
  for (const channel of IPC_CHANNELS) {
    ipcMain.handle(channel, (event, payload: unknown) => answer(handlers, isTrustedSender, channel, event, payload));
  }
  return () => {
    for (const channel of IPC_CHANNELS) ipcMain.removeHandler(channel);
  };
}

async function answer(
  handlers: IpcHandlers,
  isTrustedSender: (frameUrl: string) => boolean,
  channel: string,
  event: IpcMainInvokeEvent,
  payload: unknown,
): Promise<IpcEnvelope<unknown>> {
  const frameUrl = event.senderFrame?.url ?? '';
  if (!isTrustedSender(frameUrl)) return { error: toErrorInfo(new Error(`IPC call '${channel}' refused from untrusted frame ${frameUrl || '(gone)'}`)) };
  return (await dispatch(handlers, channel, payload)).envelope;
}
