import { describe, expect, it } from 'vitest';
import { dispatch, noPayload, type IpcHandlers } from '../../src-main/dashboard/channelDispatch.js';
import { createChannelHandlers } from '../../src-main/dashboard/channelHandlers.js';

// The one meaning of a bridge call, shared by Electron IPC and headless HTTP: in plain Node.

const info = { apiUrl: 'https://127.0.0.1:6443', kubeconfigPath: null };

describe('dispatch', () => {
  it('answers a known channel with its result', async () => {
    const handlers = createChannelHandlers({ appVersion: '1.2.3', clusterInfo: () => info });
    expect(await dispatch(handlers, 'app:version', undefined)).toEqual({ envelope: { result: '1.2.3' } });
    expect(await dispatch(handlers, 'cluster:info', null)).toEqual({ envelope: { result: info } });
  });

  it('says where a call stopped: unknown channel, bad payload, failed handler (keeping reason and field)', async () => {
    const failing = Object.assign(new Error('replicas: must be >= 0'), { reason: 'Invalid', field: 'spec.replicas', secret: 'dropped' });
    const handlers: IpcHandlers = {
      'app:version': { parse: noPayload, handle: () => '1' },
      'cluster:info': {
        parse: noPayload,
        handle: () => {
          throw failing;
        },
      },
    };
    const unknown = await dispatch(handlers, '__proto__', undefined);
    expect(unknown.failedAt).toBe('channel');
    expect(unknown.envelope.error?.message).toContain("unknown IPC channel '__proto__'");
    const bad = await dispatch(handlers, 'app:version', { any: 'thing' });
    expect(bad).toEqual({ envelope: { error: { name: 'TypeError', message: 'this call takes no payload' } }, failedAt: 'parse' });
    const failed = await dispatch(handlers, 'cluster:info', undefined);
    expect(failed).toEqual({ envelope: { error: { name: 'Error', message: 'replicas: must be >= 0', reason: 'Invalid', field: 'spec.replicas' } }, failedAt: 'handle' });
  });
});
