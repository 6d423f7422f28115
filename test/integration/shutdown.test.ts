import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../src-main/client/apiClient.js';
import { startTestCluster } from '../helpers/controlPlane.js';

// Shutdown never waits on a peer. server.close() waits for every accepted socket, and Node's
// closeAllConnections() only knows connections that reached HTTP: a peer that connects and says
// nothing, or one whose TLS handshake is still running when shutdown begins, held the control
// plane's stop for the TLS handshake or keep-alive timeout (a CI run once timed out on this: a
// component's late request opened a connection just as the API server closed). And a closed client
// opens no new connection.

/** Resolves when the peer (the API server) has closed our socket. */
const closedByPeer = (s: net.Socket) => new Promise<void>((resolve) => s.once('close', () => resolve()));

describe('control plane shutdown', () => {
  it('closes a silent TCP peer and a half-finished TLS handshake instead of waiting for them', async () => {
    const c = await startTestCluster();
    const port = Number(new URL(c.cp.url).port);
    const silent = net.connect(port, '127.0.0.1');
    silent.on('error', () => {});
    await new Promise<void>((r) => silent.once('connect', () => r()));
    // A ClientHello's first bytes, then nothing: the server's TLS layer waits for the rest.
    const half = net.connect(port, '127.0.0.1');
    half.on('error', () => {});
    await new Promise<void>((r) => half.once('connect', () => r()));
    half.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    // A finished handshake with no request yet.
    const idle = tls.connect({ port, host: '127.0.0.1', ca: c.cp.caCert, servername: 'localhost' });
    idle.on('error', () => {});
    await new Promise<void>((r) => idle.once('secureConnect', () => r()));

    const peersClosed = Promise.all([closedByPeer(silent), closedByPeer(half), closedByPeer(idle)]);
    await c.stop();
    await peersClosed;
    expect([silent.destroyed, half.destroyed, idle.destroyed]).toEqual([true, true, true]);
  });

  it('a closed API client fails new requests and watches at once and ends its open watches', async () => {
    const c = await startTestCluster();
    try {
      const client = new ApiClient({ url: c.cp.url, token: c.cp.adminToken, ca: c.cp.caCert, userAgent: 'shutdown-test' });
      expect((await client.list('namespaces')).items.length).toBeGreaterThan(0);
      const openWatchEnded = new Promise<Error | undefined>((resolve) => client.watch('namespaces', undefined, {}, () => {}, resolve));
      // The watch is open once its first events (the existing namespaces) arrive.
      await new Promise<void>((resolve) => {
        const h = client.watch('namespaces', undefined, {}, () => {
          h.stop();
          resolve();
        }, () => {});
      });
      client.close();
      await openWatchEnded;
      await expect(client.get('namespaces', undefined, 'default')).rejects.toThrow('the API client is closed');
      const lateWatch = await new Promise<Error | undefined>((resolve) => client.watch('namespaces', undefined, {}, () => {}, resolve));
      expect(lateWatch?.message).toContain('the API client is closed');
    } finally {
      await c.stop();
    }
  });
});
