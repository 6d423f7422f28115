// The sample app's server (resources/images/hello/server.js) run directly by this Node on
// loopback: every endpoint and knob, without building an image.
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/wait';

const SERVER = path.resolve(__dirname, '../../resources/images/hello/server.js');

interface Hello {
  child: ChildProcess;
  base: string;
  output: () => string;
  exited: Promise<number | null>;
}

const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

async function startHello(env: Record<string, string> = {}): Promise<Hello> {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await until('hello to listen', () => {
    if (child.exitCode !== null) throw new Error(`hello exited: ${out}`);
    return /listening on port (\d+)/.exec(out)?.[1];
  });
  return { child, base: `http://127.0.0.1:${port}`, output: () => out, exited };
}

async function get(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe('flotilla/hello server', () => {
  it('says hello with pod, node and version, and reports them in headers', async () => {
    const hello = await startHello({ POD_NAME: 'web-7d9f-abcde', NODE_NAME: 'flotilla-worker-1', HELLO_VERSION: '1.0' });
    const res = await get(`${hello.base}/`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('Hello from web-7d9f-abcde on flotilla-worker-1 (version 1.0)\n');
    expect(res.headers.get('x-hello-version')).toBe('1.0');
    expect(res.headers.get('x-hello-pod')).toBe('web-7d9f-abcde');
    expect((await get(`${hello.base}/version`)).text).toBe('1.0\n');
    expect((await get(`${hello.base}/nope`)).status).toBe(404);
    expect(hello.output()).toMatch(/hello 1\.0 listening on port \d+ as web-7d9f-abcde on flotilla-worker-1/);
    expect(hello.output()).toMatch(/GET \/ from /);
  });

  it('falls back to the hostname for the pod name', async () => {
    const hello = await startHello();
    const { text } = await get(`${hello.base}/`);
    expect(text).toBe(`Hello from ${(await import('node:os')).hostname()} on an unknown node (version dev)\n`);
  });

  it('toggles readiness with /fail and /recover; liveness only when asked', async () => {
    const hello = await startHello();
    expect(await get(`${hello.base}/readyz`)).toMatchObject({ status: 200, text: 'ready\n' });
    expect(await get(`${hello.base}/healthz`)).toMatchObject({ status: 200, text: 'ok\n' });
    expect((await get(`${hello.base}/fail`)).text).toBe('readiness now fails\n');
    expect(await get(`${hello.base}/readyz`)).toMatchObject({ status: 503, text: 'readiness was failed with /fail\n' });
    expect((await get(`${hello.base}/healthz`)).status).toBe(200);
    await get(`${hello.base}/recover`);
    expect((await get(`${hello.base}/readyz`)).status).toBe(200);
    expect((await get(`${hello.base}/fail?probe=liveness`)).status).toBe(200);
    expect((await get(`${hello.base}/healthz`)).status).toBe(500);
    expect((await get(`${hello.base}/readyz`)).status).toBe(200);
    expect((await get(`${hello.base}/fail?probe=both`)).status).toBe(200);
    expect((await get(`${hello.base}/readyz`)).status).toBe(503);
    expect((await get(`${hello.base}/fail?probe=sideways`)).status).toBe(400);
    // Probe requests are not logged, so a pod's log stays readable.
    expect(hello.output()).not.toMatch(/GET \/readyz/);
  });

  it('is not ready until HELLO_READY_AFTER_MS has passed', async () => {
    const hello = await startHello({ HELLO_READY_AFTER_MS: '600' });
    const early = await get(`${hello.base}/readyz`);
    expect(early.status).toBe(503);
    expect(early.text).toMatch(/not ready for another \d+ ms \(HELLO_READY_AFTER_MS\)/);
    expect((await get(`${hello.base}/`)).status).toBe(200);
    // Not ready, with time left to wait, on every probe until it is ready.
    await until('/readyz to answer 200', async () => {
      const r = await get(`${hello.base}/readyz`);
      if (r.status === 200) return true;
      expect(r.status).toBe(503);
      expect(Number(/not ready for another (\d+) ms/.exec(r.text)?.[1])).toBeGreaterThan(0);
      return false;
    });
  });

  it('crashes with status 1 on /crash, or another status when asked', async () => {
    const hello = await startHello();
    expect((await get(`${hello.base}/crash`)).text).toBe('crashing with exit status 1\n');
    expect(await hello.exited).toBe(1);
    const other = await startHello();
    await get(`${other.base}/crash?code=3`);
    expect(await other.exited).toBe(3);
  });

  it('crashes by itself after HELLO_CRASH_AFTER_MS', async () => {
    const hello = await startHello({ HELLO_CRASH_AFTER_MS: '300' });
    expect(await hello.exited).toBe(1);
    expect(hello.output()).toMatch(/crashing after 300 ms \(HELLO_CRASH_AFTER_MS\)/);
  });

  it('holds the memory /oom allocates', async () => {
    const hello = await startHello();
    const first = JSON.parse((await get(`${hello.base}/oom?mb=16`)).text) as { allocatedMb: number; rssMb: number };
    expect(first.allocatedMb).toBe(16);
    const second = JSON.parse((await get(`${hello.base}/oom?mb=16`)).text) as { allocatedMb: number; rssMb: number };
    expect(second.allocatedMb).toBe(32);
    expect(second.rssMb).toBeGreaterThanOrEqual(32);
    expect((await get(`${hello.base}/oom?mb=-1`)).status).toBe(400);
    expect((await get(`${hello.base}/oom?mb=lots`)).status).toBe(400);
  });

  it('shows its environment as JSON', async () => {
    const hello = await startHello({ POD_NAME: 'p', MY_SETTING: 'x=1' });
    const res = await get(`${hello.base}/env`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(res.text)).toMatchObject({ POD_NAME: 'p', MY_SETTING: 'x=1', PORT: '0' });
  });

  it('stops with status 0 on SIGTERM, even with a client connected', async () => {
    const hello = await startHello();
    const keepAlive = fetch(`${hello.base}/`, { headers: { connection: 'keep-alive' } }).then((r) => r.text());
    await keepAlive;
    // A client halfway through its request: a server that waited for its connections to finish
    // would wait for this one until Node's 60 s headers timeout, past this test's own timeout.
    // (That it stops at once, rather than at its 2 s safety-net exit, is a matter of time: only a
    // line logged on the clean path could show it here.)
    const { port } = new URL(hello.base);
    const halfway = net.connect(Number(port), '127.0.0.1');
    halfway.on('error', () => {});
    await new Promise((resolve) => halfway.once('connect', resolve));
    halfway.write('GET / HTTP/1.1\r\nHost: hello\r\n');
    hello.child.kill('SIGTERM');
    expect(await hello.exited).toBe(0);
    expect(hello.output()).toMatch(/SIGTERM: shutting down/);
    halfway.destroy();
  }, 20_000);
});
