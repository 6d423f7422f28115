import type { Server } from 'node:net';
import type { Socket } from 'node:net';

// Every socket a server accepted, from the moment of the TCP accept. Node's closeAllConnections()
// only knows connections that finished their TLS handshake and reached the HTTP layer, and
// upgraded sockets not at all; server.close() waits for every accepted socket, so a peer that
// connects and says nothing (or a keep-alive connection whose handshake was still running when
// close began) would hold a shutdown for the keep-alive or handshake timeout. Servers close by
// destroying all of them.

export interface ServerConnections {
  /** Destroys every socket still open; server.close() then resolves at once. */
  destroyAll(): void;
  readonly size: number;
}

export function trackConnections(server: Server): ServerConnections {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return {
    destroyAll() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    get size() {
      return sockets.size;
    },
  };
}

/** Stops accepting, destroys every accepted socket, and resolves once the server has closed. */
export function closeServer(server: Server, connections: ServerConnections): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      connections.destroyAll();
      return resolve();
    }
    server.close(() => resolve());
    connections.destroyAll();
  });
}
