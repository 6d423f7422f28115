import net from 'node:net';

// How node containers reach the API server, which listens on the host's loopback.
//
// Nodes always dial https://host.docker.internal:<port> (a name already in the serving
// certificate); what that name points at depends on where the engine runs:
//  - 'relay' (native Linux engine: the network's gateway is an address of this machine): the
//    name maps to the cluster network's gateway, and a TCP relay in this process, bound to that
//    address only, passes bytes to the loopback API server. TLS stays end to end. Nothing is
//    exposed beyond the project's own network, and the API server keeps listening on loopback.
//    (Docker's `host-gateway` would map the name to docker0's address instead, which is not our
//    network and would need the API server on 0.0.0.0.)
//  - 'direct' (native Linux engine, API server already listening on all addresses): the name
//    maps to the gateway, no relay needed.
//  - 'host-gateway' (Docker Desktop, or any engine in a VM: the gateway is not an address here):
//    the name maps to the engine's host-gateway, which Docker Desktop forwards to the host's
//    loopback.

export type ApiReachMode = 'relay' | 'direct' | 'host-gateway';

export const API_HOSTNAME = 'host.docker.internal';

function isWildcard(host: string | undefined): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/**
 * Whether `ip` is an address of this machine. Tried by binding to it: os.networkInterfaces()
 * leaves out interfaces without carrier, which a fresh bridge with no containers is.
 */
export function isLocalAddress(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code !== 'EADDRNOTAVAIL'));
    probe.listen({ host: ip, port: 0 }, () => probe.close(() => resolve(true)));
  });
}

export function chooseReachMode(gatewayIsLocal: boolean, apiHost: string | undefined, forced?: ApiReachMode): ApiReachMode {
  if (forced) return forced;
  if (!gatewayIsLocal) return 'host-gateway';
  return isWildcard(apiHost) ? 'direct' : 'relay';
}

export function extraHostsFor(mode: ApiReachMode, gateway: string): string[] {
  return [mode === 'host-gateway' ? `${API_HOSTNAME}:host-gateway` : `${API_HOSTNAME}:${gateway}`];
}

/** A TCP pass-through from listenHost:listenPort to targetHost:targetPort. */
export class ApiRelay {
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly address: string,
    readonly port: number,
  ) {}

  static start(listenHost: string, listenPort: number, targetHost: string, targetPort: number): Promise<ApiRelay> {
    return new Promise((resolve, reject) => {
      let relay: ApiRelay | undefined;
      const server = net.createServer((client) => {
        const upstream = net.connect({ host: targetHost, port: targetPort });
        relay?.track(client);
        relay?.track(upstream);
        client.setNoDelay(true);
        upstream.setNoDelay(true);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop);
        upstream.on('error', drop);
        client.on('close', drop);
        upstream.on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') {
          reject(
            new Error(
              `cannot relay the API server to the cluster network: ${listenHost}:${listenPort} is in use ` +
                '(if the API server listens on 0.0.0.0, pass apiServer.host "0.0.0.0" so no relay is started)',
            ),
          );
        } else reject(e);
      });
      server.listen({ host: listenHost, port: listenPort }, () => {
        relay = new ApiRelay(server, listenHost, (server.address() as net.AddressInfo).port);
        resolve(relay);
      });
    });
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
