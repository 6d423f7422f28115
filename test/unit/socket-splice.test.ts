// api/socketSplice.ts on real loopback sockets: a client -> [proxy: splice(accepted, dialed)] ->
// server chain, as the service load balancer and the kubelet's NodePort tunnel run it. A client's
// half-close reaches the server while the answer still flows back; a reset on one side tears the
// other down; a reader that stops reading stops the writer on the far side (bounded buffering).
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { splice } from '../../src-main/api/socketSplice.js';
import { until } from '../helpers/wait.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function listen(onConnection: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  closers.push(() => server.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** A proxy on a free port that splices each connection to `target`; resolves its port. */
async function proxyTo(target: number, dialed: net.Socket[] = []): Promise<number> {
  return listen((accepted) => {
    const out = net.connect({ port: target, host: '127.0.0.1', allowHalfOpen: true });
    dialed.push(out);
    splice(accepted, out);
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => resolve(s));
    s.on('error', () => {});
    closers.push(() => s.destroy());
  });
}

describe('splice', () => {
  it("passes a client's half-close to the server and the server's answer back after it", async () => {
    // The server answers only once the request has ended (as an echo of the whole request).
    const server = await listen((s) => {
      const got: Buffer[] = [];
      s.on('data', (d: Buffer) => got.push(d));
      s.on('end', () => s.end(`got ${Buffer.concat(got).toString()}`));
    });
    const client = await connect(await proxyTo(server));
    client.end('hello');
    const answer = await new Promise<string>((resolve) => {
      let b = '';
      client.on('data', (d: Buffer) => (b += d.toString()));
      client.on('end', () => resolve(b));
    });
    expect(answer).toBe('got hello');
    await until('the client socket closed', () => client.destroyed || client.closed);
  });

  it('tears the far side down when one side resets', async () => {
    let serverSide: net.Socket | undefined;
    const server = await listen((s) => {
      serverSide = s;
      s.on('error', () => {});
      s.resume();
    });
    const client = await connect(await proxyTo(server));
    await until('the server accepted', () => serverSide);
    client.resetAndDestroy();
    // The proxy destroyed its dialed socket: the server reads the end of the stream.
    await until('the server side ended', () => serverSide!.readableEnded || serverSide!.closed);
  });

  it('stops reading the server while the client does not read (back-pressure)', async () => {
    let written = 0;
    let serverSide: net.Socket | undefined;
    const chunk = Buffer.alloc(64 << 10, 7);
    const server = await listen((s) => {
      serverSide = s;
      s.on('error', () => {});
      // Writes as fast as the socket takes it, and waits for 'drain' when it does not.
      const pump = () => {
        while (s.write(chunk)) written += chunk.length;
        written += chunk.length;
        s.once('drain', pump);
      };
      pump();
    });
    const dialed: net.Socket[] = [];
    const client = await connect(await proxyTo(server, dialed));
    client.pause();
    // The proxy holds the server's socket paused, rather than reading into its own memory...
    await until('the proxy paused the server side', () => dialed[0]?.isPaused());
    // ...so the server's writes stop: the same count on two looks in a row.
    let last = -1;
    const stalled = await until('the server stalled', () => {
      const same = written === last;
      last = written;
      return same && written;
    }, 30_000, 100);
    // Kernel buffers on both hops plus the streams' high-water marks: a few MiB at most, never
    // everything the server would write if the proxy read without bound.
    expect(stalled).toBeLessThan(64 << 20);
    expect(serverSide!.writableNeedDrain).toBe(true);
    // Reading again lets it continue.
    let read = 0;
    client.on('data', (d: Buffer) => (read += d.length));
    client.resume();
    await until('more written after the client read', () => written > stalled && read > 0);
  });
});
