import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { rawRequest } from '../helpers/rawHttp.js';
import { startDashboardServer, UI_WS_PATH, type DashboardServer } from '../../src-main/dashboard/server.js';
import { createChannelHandlers } from '../../src-main/dashboard/channelHandlers.js';
import { cookieName } from '../../src-main/dashboard/access.js';

// The headless dashboard server in front of a real control plane, spoken to as browsers and
// attackers would: raw sockets, so every header (Host, Origin, Cookie) and every byte of the
// request target reaches it exactly as written.

let cluster: TestCluster;
let server: DashboardServer;
let notBuilt: DashboardServer;
let rendererDir: string;
const wss = new WebSocketServer({ noServer: true });

beforeAll(async () => {
  cluster = await startTestCluster();
  // A renderer build of our own (the real one is exercised by the browser test): a page, an asset,
  // a secret beside the folder and a symbolic link pointing at it.
  rendererDir = path.join(cluster.dir, 'renderer');
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Flotilla</title><div id="app"></div>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app-1234.js'), 'console.log("flotilla")');
  fs.writeFileSync(path.join(cluster.dir, 'secret.txt'), 'TOP-SECRET');
  fs.symlinkSync(path.join(cluster.dir, 'secret.txt'), path.join(rendererDir, 'assets', 'link.txt'));
  const cp = cluster.cp;
  const handlers = createChannelHandlers({ appVersion: '9.8.7', clusterInfo: () => ({ apiUrl: cp.url, kubeconfigPath: cp.kubeconfigPath ?? null }) });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${String(m)}`)));
  server = await startDashboardServer({
    port: 0,
    handlers,
    rendererDir,
    maxBodyBytes: 4096,
    onUpgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
  });
  notBuilt = await startDashboardServer({ port: 0, handlers, rendererDir: path.join(cluster.dir, 'no-such-build') });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await notBuilt?.close();
  wss.close();
  await cluster?.stop();
});

const host = () => `127.0.0.1:${server.port}`;
const cookie = () => `${cookieName(server.port)}=${server.secret}`;

/** One raw request to the server: `head` is the request line and headers (Host is added unless given). */
function send(head: string, body = '', target = server) {
  const lines = head.split('\n');
  if (!lines.some((l) => /^host:/i.test(l))) lines.push(`Host: 127.0.0.1:${target.port}`);
  return rawRequest({ port: target.port, tls: false }, lines.join('\r\n'), body);
}

function post(channel: string, extra: string[] = [], body = '') {
  const headers = [`POST /ui-api/${channel} HTTP/1.1`, `Cookie: ${cookie()}`, `Content-Length: ${Buffer.byteLength(body)}`, ...extra];
  if (body && !extra.some((h) => /^content-type:/i.test(h))) headers.push('Content-Type: application/json');
  return send(headers.join('\n'), body);
}

function expectSecurityHeaders(headers: Record<string, string>): void {
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).toContain("default-src 'self'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('no-referrer');
}

describe('the per-run secret', () => {
  it('is long and random, and only the loopback address listens', () => {
    expect(Buffer.from(server.secret, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(server.secret).not.toBe(notBuilt.secret);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.secret}`);
  });

  it('refuses every request without it, 401 with nothing of the dashboard in the answer', async () => {
    for (const head of ['GET / HTTP/1.1', 'GET /assets/app-1234.js HTTP/1.1', 'POST /ui-api/cluster/info HTTP/1.1\nContent-Length: 0', 'GET /?token=wrong HTTP/1.1', `GET / HTTP/1.1\nCookie: ${cookieName(server.port)}=${server.secret.slice(0, -1)}`]) {
      const r = await send(head);
      expect(r.status, head).toBe(401);
      expect(r.body).not.toContain('Flotilla');
      expect(r.body).not.toContain('console.log');
      expect(r.body).not.toContain(cluster.cp.url);
      expect(r.headers['set-cookie']).toBeUndefined();
      expectSecurityHeaders(r.headers);
    }
  });

  it('trades the token for an HttpOnly, SameSite=Strict cookie and a redirect to the URL without it', async () => {
    const r = await send(`GET /?token=${server.secret}&ns=default HTTP/1.1`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/?ns=default');
    const set = r.headers['set-cookie']!;
    expect(set.startsWith(`${cookieName(server.port)}=${server.secret};`)).toBe(true);
    expect(set).toMatch(/; HttpOnly/);
    expect(set).toMatch(/; SameSite=Strict/);
    expect(set).toMatch(/; Path=\//);
    // The redirect never leaves this origin, whatever the path looked like.
    for (const evil of ['//evil.example/', '/\\evil.example/']) {
      const e = await send(`GET ${evil}?token=${server.secret} HTTP/1.1`);
      expect(e.status).toBe(303);
      expect(e.headers.location).toBe('/');
    }
  });

  it('with the cookie: the page, its assets and the channels, answered from the real control plane', async () => {
    const page = await send(`GET / HTTP/1.1\nCookie: other=1; ${cookie()}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<div id="app">');
    expectSecurityHeaders(page.headers);
    const route = await send(`GET /deployments/default HTTP/1.1\nCookie: ${cookie()}`);
    expect(route.body).toContain('<div id="app">');
    const asset = await send(`GET /assets/app-1234.js HTTP/1.1\nCookie: ${cookie()}`);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.body).toBe('console.log("flotilla")');
    const head = await send(`HEAD /assets/app-1234.js HTTP/1.1\nCookie: ${cookie()}`);
    expect(head.status).toBe(200);
    expect(head.body).toBe('');

    const version = await post('app/version');
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body)).toEqual({ result: '9.8.7' });
    const info = await post('cluster/info', [`Origin: http://${host()}`, 'Sec-Fetch-Site: same-origin']);
    expect(info.status).toBe(200);
    const result = JSON.parse(info.body).result;
    expect(result).toEqual({ apiUrl: cluster.cp.url, kubeconfigPath: cluster.cp.kubeconfigPath });
    // It is the live API server: its version endpoint answers at the URL the channel gave.
    expect((await cluster.request('GET', new URL('/version', result.apiUrl).toString())).status).toBe(200);
  });

  it('takes the token instead of the cookie on a call (a client without cookies)', async () => {
    const r = await send(`POST /ui-api/app/version?token=${server.secret} HTTP/1.1\nContent-Length: 0`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ result: '9.8.7' });
  });
});

describe('requests meant for another site', () => {
  it('refuses any Host but 127.0.0.1 or localhost with this port (DNS rebinding)', async () => {
    for (const h of ['evil.example', `evil.example:${server.port}`, '127.0.0.1', `127.0.0.1:${server.port + 1}`, `localhost.evil.example:${server.port}`, `[::1]:${server.port}`, `0.0.0.0:${server.port}`]) {
      const r = await send(`GET / HTTP/1.1\nHost: ${h}\nCookie: ${cookie()}`);
      expect(r.status, h).toBe(421);
      expect(r.body).not.toContain('<div id="app">');
    }
    expect((await send(`GET / HTTP/1.1\nHost: localhost:${server.port}\nCookie: ${cookie()}`)).status).toBe(200);
    expect((await send(`GET /?token=${server.secret} HTTP/1.1\nHost: evil.example:${server.port}`)).status).toBe(421);
  });

  it('refuses a cross-origin POST even with the cookie', async () => {
    for (const extra of [['Origin: http://evil.example'], ['Origin: null'], [`Origin: https://${host()}`], [`Origin: http://localhost:${server.port}`], ['Sec-Fetch-Site: cross-site'], ['Sec-Fetch-Site: same-site']]) {
      const r = await post('cluster/info', extra);
      expect(r.status, extra.join()).toBe(403);
      expect(r.body).not.toContain(cluster.cp.url);
    }
    // Addressed as localhost, the page's origin is localhost.
    const ok = await send([`POST /ui-api/app/version HTTP/1.1`, `Host: localhost:${server.port}`, `Origin: http://localhost:${server.port}`, `Cookie: ${cookie()}`, 'Content-Length: 0'].join('\n'));
    expect(ok.status).toBe(200);
  });

  it('accepts only JSON bodies, bounded, on known channels, by POST', async () => {
    expect((await post('app/version', ['Content-Type: text/plain'], 'null')).status).toBe(415);
    expect((await post('app/version', [], 'x'.repeat(5000))).status).toBe(413);
    expect((await send(`POST /ui-api/app/version HTTP/1.1\nCookie: ${cookie()}\nContent-Type: application/json\nContent-Length: 99999999`)).status).toBe(413);
    const bad = await post('app/version', [], '{"oops"');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.name).toBe('SyntaxError');
    const payload = await post('app/version', [], '{"x":1}');
    expect(payload.status).toBe(400);
    expect(JSON.parse(payload.body).error.message).toContain('takes no payload');
    const unknown = await post('no/such');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.message).toContain('no channel');
    expect((await post('app/version/extra')).status).toBe(404);
    expect((await send(`GET /ui-api/app/version HTTP/1.1\nCookie: ${cookie()}`)).status).toBe(405);
    expect((await send(`DELETE / HTTP/1.1\nCookie: ${cookie()}`)).status).toBe(405);
  });
});

describe('static files', () => {
  it('refuses paths that leave the build folder, however they are spelt', async () => {
    const paths = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2E%2E/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/..%5c..%5csecret.txt',
      '/assets/app-1234.js%00.html',
      '/assets/%zz.js',
      '/assets/link.txt',
      `/${'../'.repeat(20)}etc/passwd`,
    ];
    for (const p of paths) {
      const r = await send(`GET ${p} HTTP/1.1\nCookie: ${cookie()}`);
      expect(r.status, p).toBeGreaterThanOrEqual(400);
      expect(r.status, p).toBeLessThan(500);
      expect(r.body, p).not.toContain('TOP-SECRET');
      expect(r.body, p).not.toContain('root:');
    }
    expect((await send(`GET /assets/missing.js HTTP/1.1\nCookie: ${cookie()}`)).status).toBe(404);
  });

  it('says how to build the dashboard when it is not built; the channels still answer', async () => {
    const c = `Cookie: ${cookieName(notBuilt.port)}=${notBuilt.secret}`;
    const page = await send(`GET / HTTP/1.1\n${c}`, '', notBuilt);
    expect(page.status).toBe(503);
    expect(page.body).toContain('npm run build');
    const v = await send(`POST /ui-api/app/version HTTP/1.1\n${c}\nContent-Length: 0`, '', notBuilt);
    expect(v.status).toBe(200);
    // ...and still only for the holder of its secret.
    expect((await send('GET / HTTP/1.1', '', notBuilt)).status).toBe(401);
  });
});

describe('WebSocket upgrades', () => {
  function upgrade(headers: Record<string, string>, p = UI_WS_PATH): Promise<{ status: number; echo?: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}${p}`, { headers });
      ws.on('unexpected-response', (_req, res: http.IncomingMessage) => {
        resolve({ status: res.statusCode ?? 0 });
        res.resume();
        ws.terminate();
      });
      ws.on('open', () => ws.send('hi'));
      ws.on('message', (m) => {
        resolve({ status: 101, echo: String(m) });
        ws.close();
      });
      ws.on('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
    });
  }
  const sameOrigin = () => ({ Origin: `http://${host()}`, Cookie: cookie() });

  it('pass the same checks as requests, then reach the stream endpoint', async () => {
    expect(await upgrade(sameOrigin())).toEqual({ status: 101, echo: 'echo:hi' });
    expect((await upgrade({ Origin: `http://${host()}` })).status).toBe(401);
    expect((await upgrade({ Cookie: cookie(), Origin: 'http://evil.example' })).status).toBe(403);
    expect((await upgrade({ Cookie: cookie(), Origin: 'null' })).status).toBe(403);
    expect((await upgrade({ ...sameOrigin(), Host: `evil.example:${server.port}` })).status).toBe(421);
    expect((await upgrade(sameOrigin(), '/elsewhere')).status).toBe(404);
  });

  it('are refused where no stream endpoint is registered', async () => {
    const r = await send([`GET ${UI_WS_PATH} HTTP/1.1`, `Cookie: ${cookieName(notBuilt.port)}=${notBuilt.secret}`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='].join('\n'), '', notBuilt);
    expect(r.status).toBe(404);
  });
});

describe('hostile input', () => {
  it('answers every malformed request with a 4xx (or a closed socket) and keeps serving', async () => {
    const c = `Cookie: ${cookie()}`;
    const h = `Host: ${host()}`;
    const requests: [string, string?][] = [
      ['GARBAGE'],
      ['GET'],
      ['GET / HTTP/9.9'],
      [`GET http://evil.example/ HTTP/1.1\n${h}\n${c}`],
      [`OPTIONS * HTTP/1.1\n${h}\n${c}`],
      [`GET / HTTP/1.1\n${h}\nNo-Colon-Here\n${c}`],
      [`GET / HTTP/1.1\n${h}\nX-Long: ${'a'.repeat(70_000)}`],
      [`GET /${'a'.repeat(70_000)} HTTP/1.1\n${h}\n${c}`],
      [`POST /ui-api/app/version HTTP/1.1\n${h}\n${c}\nTransfer-Encoding: chunked\nContent-Type: application/json`, 'zz\r\nnot hex\r\n'],
      [`POST /ui-api/app/version HTTP/1.1\n${h}\n${c}\nContent-Length: 10\nContent-Length: 20`],
      [`POST /ui-api/app/version HTTP/1.1\n${h}\n${c}\nContent-Length: -1`],
      [`POST /ui-api/app/version HTTP/1.1\n${h}\n${c}\nContent-Length: 5\nTransfer-Encoding: chunked`, '0\r\n\r\n'],
      [`POST /ui-api/cluster/info HTTP/1.1\n${h}\n${c}\nContent-Type: application/json\nContent-Length: 12`, '\u0000\u0001\u00ff[[[[[[[['],
      [`POST /ui-api/cluster/info HTTP/1.1\n${h}\n${c}\nContent-Type: application/json\nContent-Length: 3`, '"x"'],
      [`GET /\u00e9\u00e8 HTTP/1.1\n${h}\n${c}`],
      [`GET /%ff%fe.js HTTP/1.1\n${h}\n${c}`],
      [`GET /?token=${'%'.repeat(500)} HTTP/1.1\n${h}`],
      [`GET / HTTP/1.1\nHost: \n${c}`],
      [`GET / HTTP/1.1\n${c}`],
      [`GET / HTTP/1.1\n${h}\nCookie: ;;;==;${cookieName(server.port)}`],
      [`GET / HTTP/1.1\n${h}\n${h}\n${c}`],
      [`PATCH /ui-api/app/version HTTP/1.1\n${h}\n${c}`],
      [`GET ${UI_WS_PATH} HTTP/1.1\n${h}\n${c}\nConnection: Upgrade\nUpgrade: websocket`],
      [`GET ${UI_WS_PATH} HTTP/1.1\n${h}\nConnection: Upgrade\nUpgrade: websocket\nSec-WebSocket-Key: x`],
    ];
    for (const [head, body] of requests) {
      const r = await rawRequest({ port: server.port, tls: false }, head.split('\n').join('\r\n'), body ?? '', { timeoutMs: 20_000 });
      const what = head.slice(0, 80);
      if (r.status === 0) expect(r.closed, what).toBe(true);
      else {
        expect(r.status, what).toBeGreaterThanOrEqual(400);
        expect(r.status, what).toBeLessThan(500);
      }
    }
    // A request the client abandons half-way through its body.
    const { Socket } = await import('node:net');
    await new Promise<void>((resolve) => {
      const s = new Socket();
      s.connect(server.port, '127.0.0.1', () => {
        s.write(`POST /ui-api/app/version HTTP/1.1\r\n${h}\r\n${c}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":`);
        s.destroy();
        resolve();
      });
    });
    const alive = await post('app/version');
    expect(alive.status).toBe(200);
    expect((await send(`GET / HTTP/1.1\n${c}`)).status).toBe(200);
  });
});
