// The dashboard's only way out. Inside Electron it calls the preload's `window.flotilla`
// (IPC to the main process); in a browser (headless mode, `flotilla up`) it makes the same
// calls over HTTP to the server that served this page. Both answer with one envelope shape,
// so the rest of the dashboard never knows which it is talking to.
import {
  uiApiPath,
  type IpcArgs,
  type IpcChannel,
  type IpcEnvelope,
  type IpcErrorInfo,
  type IpcResponse,
  type ClusterInfo,
} from '../../src-main/desktop/ipcChannels';

/** A failed call, rebuilt from the envelope: keeps the server's reason and field for forms. */
export class BridgeError extends Error {
  readonly reason?: string;
  readonly field?: string;

  constructor(info: IpcErrorInfo) {
    super(info.message);
    this.name = info.name;
    this.reason = info.reason;
    this.field = info.field;
  }
}

export type Transport = 'electron' | 'http';

export function transport(): Transport {
  return window.flotilla ? 'electron' : 'http';
}

function isErrorInfo(value: unknown): value is IpcErrorInfo {
  return typeof value === 'object' && value !== null && typeof (value as IpcErrorInfo).message === 'string';
}

async function invokeOverHttp<C extends IpcChannel>(channel: C, args: IpcArgs<C>): Promise<IpcEnvelope<IpcResponse<C>>> {
  const path = uiApiPath(channel);
  const response = await fetch(path, {
    method: 'POST',
    headers: args.length > 0 ? { 'content-type': 'application/json' } : {},
    body: args.length > 0 ? JSON.stringify(args[0]) : undefined,
  });
  const body: unknown = await response.json().catch(() => undefined);
  const envelope = typeof body === 'object' && body !== null ? (body as { result?: unknown; error?: unknown }) : {};
  if (isErrorInfo(envelope.error)) {
    return { error: { ...envelope.error, name: envelope.error.name || 'Error' } };
  }
  if (!response.ok) {
    return { error: { name: 'Error', message: `${path} answered HTTP ${response.status} ${response.statusText}`.trim() } };
  }
  return { result: envelope.result as IpcResponse<C> };
}

/** Calls one channel and resolves to its result, or rejects with a BridgeError. */
export async function invoke<C extends IpcChannel>(channel: C, ...args: IpcArgs<C>): Promise<IpcResponse<C>> {
  const envelope = window.flotilla ? await window.flotilla.invoke(channel, ...args) : await invokeOverHttp(channel, args);
  if (envelope.error) throw new BridgeError(envelope.error);
  return envelope.result as IpcResponse<C>;
}

export function getAppVersion(): Promise<string> {
  return invoke('app:version');
}

export function getClusterInfo(): Promise<ClusterInfo> {
  return invoke('cluster:info');
}
