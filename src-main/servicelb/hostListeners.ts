import net from 'node:net';
import { closeServer, trackConnections, type ServerConnections } from '../api/serverConnections.js';

// The TCP ports the service load balancer holds on the host, each for one Service. A port is
// bound for real (never assumed free), so a port another program holds is found at once, by the
// operating system, and said to the user.

export type BindResult = { ok: true } | { ok: false; code: string; message: string };

interface Held {
  owner: string;
  server: net.Server;
  connections: ServerConnections;
}

export class HostListeners {
  private readonly held = new Map<number, Held>();

  constructor(private readonly host: string) {}

  /** Service key holding a port, if any. */
  owner(port: number): string | undefined {
    return this.held.get(port)?.owner;
  }

  /** The ports a Service holds, ascending. */
  portsOf(owner: string): number[] {
    return [...this.held].filter(([, h]) => h.owner === owner).map(([p]) => p).sort((a, b) => a - b);
  }

  /**
   * Listens on host:port for `owner`. Accepted sockets arrive paused (nothing is read before the
   * tunnel behind them stands) and half-open (a client's FIN does not end the answer).
   */
  async bind(port: number, owner: string, onConnection: (socket: net.Socket) => void): Promise<BindResult> {
    const mine = this.held.get(port);
    if (mine) return mine.owner === owner ? { ok: true } : { ok: false, code: 'EADDRINUSE', message: `held by Service ${mine.owner}` };
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
    const connections = trackConnections(server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // exclusive: a port is never shared with another process's listener (cluster mode).
        server.listen({ port, host: this.host, exclusive: true }, () => resolve());
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return { ok: false, code: err.code ?? 'ERROR', message: err.message };
    }
    // A listening server's later errors (rare: the handle failing) close it rather than crash.
    server.on('error', () => void this.release(port));
    this.held.set(port, { owner, server, connections });
    return { ok: true };
  }

  /** Stops listening on a port and cuts the connections accepted there. */
  async release(port: number): Promise<void> {
    const h = this.held.get(port);
    if (!h) return;
    this.held.delete(port);
    await closeServer(h.server, h.connections);
  }

  async releaseAll(owner?: string): Promise<void> {
    const ports = [...this.held].filter(([, h]) => owner === undefined || h.owner === owner).map(([p]) => p);
    await Promise.all(ports.map((p) => this.release(p)));
  }
}
