import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { SpdyConnection, type SpdyConnectionOptions, type SpdyTransport } from './connection.js';

// The two ways a SPDY connection reaches the kubelet, as kubectl 1.32 makes them:
//
// - an HTTP upgrade to SPDY/3.1 (`Upgrade: SPDY/3.1`), after which the socket carries frames;
// - a WebSocket whose binary messages carry the SPDY byte stream in arbitrary pieces
//   (subprotocol SPDY/3.1+portforward.k8s.io; client-go's TunnelingConnection). Kube's API server
//   unwraps this tunnel itself (apiserver/pkg/util/proxy/streamtunnel.go) and speaks plain SPDY
//   to the kubelet; Flotilla's API server relays both upgrades unchanged and the kubelet unwraps.
//   A text message is a protocol error there (TunnelingConnection refuses one), so it ends the
//   connection here.

/** Output queued beyond this pauses the producers until the socket drains. */
const HIGH_WATER_BYTES = 1 << 20;

/** How long a closing connection may take to flush to a peer that does not read. */
const CLOSE_FLUSH_MS = 5_000;

function endThenDestroy(socket: Duplex): void {
  socket.end(() => socket.destroy());
  setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS).unref();
}

/** SPDY on an upgraded socket; `head` is what arrived after the request headers. */
export function spdyOverSocket(socket: Duplex, head: Buffer, o: SpdyConnectionOptions): SpdyConnection {
  const t: SpdyTransport = {
    send: (b) => (socket.writable ? socket.write(b) : true),
    onceDrain: (cb) => socket.once('drain', cb),
    pauseInput: () => socket.pause(),
    resumeInput: () => socket.resume(),
    end: () => endThenDestroy(socket),
  };
  const conn = new SpdyConnection(t, o);
  socket.on('data', (d: Buffer) => conn.receive(d));
  // The client's EOF ends the session, as it ends spdystream's read loop.
  socket.on('end', () => conn.close());
  socket.on('close', () => conn.terminated());
  socket.on('error', () => {
    conn.terminated();
    socket.destroy();
  });
  if (head.length) conn.receive(head);
  return conn;
}

/** SPDY tunnelled in a WebSocket's binary messages. */
export function spdyOverWebSocket(ws: WebSocket, socket: Duplex, o: SpdyConnectionOptions): SpdyConnection {
  const t: SpdyTransport = {
    send: (b) => {
      if (ws.readyState !== ws.OPEN) return true;
      ws.send(b);
      return ws.bufferedAmount < HIGH_WATER_BYTES;
    },
    onceDrain: (cb) => socket.once('drain', cb),
    pauseInput: () => ws.pause(),
    resumeInput: () => ws.resume(),
    end: () => {
      // Close frame, then the TCP connection, without waiting for the client's answering close.
      if (ws.readyState === ws.OPEN) ws.close(1000);
      endThenDestroy(socket);
    },
  };
  const conn = new SpdyConnection(t, o);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return conn.close();
    conn.receive(data);
  });
  ws.on('close', () => conn.terminated());
  ws.on('error', () => {
    conn.terminated();
    endThenDestroy(socket);
  });
  return conn;
}
