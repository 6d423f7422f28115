import { isIpcChannel, type IpcChannel, type IpcEnvelope, type IpcErrorInfo, type IpcRequest, type IpcResponse } from '../desktop/ipcChannels.js';

// The transport-independent half of the bridge: the handler table and the one function that
// turns (channel, untrusted payload) into an envelope. Electron IPC (desktop/ipcHandlers.ts) and
// headless HTTP (server.ts) both call `dispatch`, so the two cannot disagree on what a call means.

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
 * Where a call stopped: the channel name was unknown, the payload did not parse, or the handler
 * failed (the call was well-formed; its outcome is an error). HTTP maps these to 404, 400 and 200.
 */
export type DispatchFailure = 'channel' | 'parse' | 'handle';

export interface Dispatched {
  envelope: IpcEnvelope<unknown>;
  failedAt?: DispatchFailure;
}

/** Runs one call; never rejects. */
export async function dispatch(handlers: IpcHandlers, channel: string, payload: unknown): Promise<Dispatched> {
  if (!isIpcChannel(channel)) return { envelope: { error: { name: 'Error', message: `unknown IPC channel '${channel}'` } }, failedAt: 'channel' };
  // The union of handlers is not callable with the union of requests; each pair matches by construction.
  const handler = handlers[channel] as IpcHandler<IpcChannel>;
  let request: IpcRequest<IpcChannel>;
  try {
    request = handler.parse(payload);
  } catch (err) {
    return { envelope: { error: toErrorInfo(err) }, failedAt: 'parse' };
  }
  try {
    return { envelope: { result: await handler.handle(request) } };
  } catch (err) {
    return { envelope: { error: toErrorInfo(err) }, failedAt: 'handle' };
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
