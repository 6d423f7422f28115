import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import {
  IPC_CHANNELS,
  isIpcChannel,
  type IpcChannel,
  type IpcEnvelope,
  type IpcErrorInfo,
  type IpcRequest,
  type IpcResponse,
} from './ipcChannels.js';

/**
 * One channel's handler. The payload comes from a renderer, which is untrusted by design,
 * so `parse` turns the raw value into the typed request (throwing on anything else) before
 * `handle` sees it.
 */
export interface IpcHandler<C extends IpcChannel> {
  parse(payload: unknown): IpcRequest<C>;
  handle(request: IpcRequest<C>): IpcResponse<C> | Promise<IpcResponse<C>>;
}

/** A Record over the channel union: the compiler insists on a handler for every channel. */
export type IpcHandlers = { [C in IpcChannel]: IpcHandler<C> };

/** `parse` for channels that take no payload. */
export function noPayload(payload: unknown): undefined {
  if (payload !== undefined && payload !== null) throw new TypeError('this call takes no payload');
  return undefined;
}

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
  try {
    const frameUrl = event.senderFrame?.url ?? '';
    if (!isTrustedSender(frameUrl)) throw new Error(`IPC call '${channel}' refused from untrusted frame ${frameUrl || '(gone)'}`);
    if (!isIpcChannel(channel)) throw new Error(`unknown IPC channel '${channel}'`);
    // The union of handlers is not callable with the union of requests; each pair matches by construction.
    const handler = handlers[channel] as IpcHandler<IpcChannel>;
    return { result: await handler.handle(handler.parse(payload)) };
  } catch (err) {
    return { error: toErrorInfo(err) };
  }
}

/** Keeps what a user can act on (name, message, a Status reason and field) and drops the rest. */
export function toErrorInfo(err: unknown): IpcErrorInfo {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const info: IpcErrorInfo = { name: err.name, message: err.message };
  const extra = err as Error & { reason?: unknown; field?: unknown };
  if (typeof extra.reason === 'string') info.reason = extra.reason;
  if (typeof extra.field === 'string') info.field = extra.field;
  return info;
}
