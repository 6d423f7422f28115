// The one typed map of every request the dashboard can make of the main process.
// It is the whole contract between renderer and main: the preload exposes only these
// channels, main registers a handler for exactly these (and rejects anything else), and
// headless mode serves the same channels over HTTP. This file is pure types and data so
// the renderer, the preload (sandboxed, no Node) and main can all import it.

/** Request and response of each channel. `undefined` request = the call takes no payload. */
export interface IpcChannelMap {
  'app:version': { request: undefined; response: string };
  'cluster:info': { request: undefined; response: ClusterInfo };
}

/** Where the running control plane can be reached (for kubectl users). */
export interface ClusterInfo {
  apiUrl: string;
  kubeconfigPath: string | null;
}

export type IpcChannel = keyof IpcChannelMap;
export type IpcRequest<C extends IpcChannel> = IpcChannelMap[C]['request'];
export type IpcResponse<C extends IpcChannel> = IpcChannelMap[C]['response'];

/** Arguments after the channel name: none when the channel takes no payload. */
export type IpcArgs<C extends IpcChannel> = IpcRequest<C> extends undefined ? [] : [payload: IpcRequest<C>];

/**
 * The allow-list. `satisfies` makes the compiler reject a channel listed here that is
 * missing from the map; the Record in main's handler table rejects the converse.
 */
export const IPC_CHANNELS = ['app:version', 'cluster:info'] as const satisfies readonly IpcChannel[];

export function isIpcChannel(value: unknown): value is IpcChannel {
  return typeof value === 'string' && (IPC_CHANNELS as readonly string[]).includes(value);
}

/**
 * An error as it crosses a process or network boundary. Thrown Errors do not survive
 * contextBridge or JSON intact (custom fields are dropped), so failures travel as data in
 * the envelope and the renderer turns them back into an Error. `reason` and `field` carry
 * a metav1.Status reason and the offending field so a form can show the message beside it.
 */
export interface IpcErrorInfo {
  name: string;
  message: string;
  reason?: string;
  field?: string;
}

/** What every call resolves to, over IPC and over HTTP alike: exactly one of the two is set. */
export type IpcEnvelope<T> = { result: T; error?: undefined } | { error: IpcErrorInfo; result?: undefined };

/**
 * Where headless mode serves a channel: `POST /ui-api/<channel with ':' as '/'>`, body the JSON
 * payload (or empty), answer a JSON IpcEnvelope. `app:version` -> `/ui-api/app/version`.
 */
export function uiApiPath(channel: IpcChannel): string {
  return `/ui-api/${channel.split(':').join('/')}`;
}

/**
 * What the preload exposes as `window.flotilla`. Calls never reject: failures come back as
 * the envelope's `error`, which the renderer's bridge turns back into an Error.
 */
export interface FlotillaApi {
  invoke<C extends IpcChannel>(channel: C, ...args: IpcArgs<C>): Promise<IpcEnvelope<IpcResponse<C>>>;
}
