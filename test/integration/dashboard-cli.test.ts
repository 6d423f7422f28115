import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, spawnUp } from '../helpers/cliProcess.js';
import { rawRequest } from '../helpers/rawHttp.js';
import { spawn } from 'node:child_process';

// `flotilla up` serves the dashboard; `flotilla dashboard` finds it again from the data folder.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-dashboard-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The CLI without a desktop session, so `flotilla dashboard` prints and never opens a browser. */
function flotillaHeadless(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('flotilla up and flotilla dashboard', () => {
  it('up prints the dashboard URL with its secret and keeps it 0600 in the data folder while it runs; dashboard prints it', async () => {
    const data = path.join(root, 'ui');
    const up = spawnUp(['--data', data, '--nodes', '0'], { ui: true, timeoutMs: 20_000 });
    try {
      await up.serving;
      const m = /Dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43}))\n/.exec(up.output());
      expect(m, up.output()).not.toBeNull();
      const [, url, port] = m!;
      const file = path.join(data, 'dashboard-url');
      expect(fs.readFileSync(file, 'utf8')).toBe(`${url}\n`);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);

      const printed = await flotillaHeadless(['dashboard', '--data', data]);
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stdout).toBe(`Dashboard: ${url}\n`);

      // The URL works (the token trades for the cookie) and it is the only way in.
      const head = `Host: 127.0.0.1:${port}`;
      const open = await rawRequest({ port: Number(port), tls: false }, `GET ${new URL(url!).pathname}${new URL(url!).search} HTTP/1.1\r\n${head}`);
      expect(open.status).toBe(303);
      expect(open.headers['set-cookie']).toMatch(/HttpOnly; SameSite=Strict/);
      expect((await rawRequest({ port: Number(port), tls: false }, `GET / HTTP/1.1\r\n${head}`)).status).toBe(401);
      // Nothing listens beyond loopback: the kernel's table of listening sockets for that port.
      expect(listeningAddresses(Number(port))).toEqual(['127.0.0.1']);

      expect(await up.stop()).toBe(0);
      expect(fs.existsSync(file)).toBe(false);
      const after = await flotillaHeadless(['dashboard', '--data', data]);
      expect(after.code).toBe(1);
      expect(after.stderr).toContain('no dashboard is running');
    } finally {
      await up.stop();
    }
  });

  it('dashboard refuses a URL file whose server is gone (an up killed with -9)', async () => {
    const data = path.join(root, 'stale');
    fs.mkdirSync(data, { recursive: true, mode: 0o700 });
    const free = await freePort();
    fs.writeFileSync(path.join(data, 'dashboard-url'), `http://127.0.0.1:${free}/?token=abc\n`, { mode: 0o600 });
    const r = await flotillaHeadless(['dashboard', '--data', data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does not answer');
  });

  it('--no-ui serves no dashboard; an explicit --ui-port that is taken fails with a message', async () => {
    const data = path.join(root, 'noui');
    const up = spawnUp(['--data', data, '--nodes', '0'], { timeoutMs: 20_000 });
    try {
      await up.serving;
      expect(up.output()).not.toContain('Dashboard:');
      expect(fs.existsSync(path.join(data, 'dashboard-url'))).toBe(false);
    } finally {
      await up.stop();
    }

    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      const busy = spawnUp(['--data', path.join(root, 'busy'), '--nodes', '0', '--ui-port', String(taken)], { ui: true, timeoutMs: 20_000 });
      expect(await busy.exited).toBe(1);
      expect(busy.output()).toContain(`--ui-port: port ${taken} is already in use`);
      expect(fs.existsSync(path.join(root, 'busy', 'lock'))).toBe(false);
    } finally {
      blocker.close();
    }
  });
});

/** The local addresses of the sockets listening on `port` (Linux: /proc/net/tcp and tcp6). */
function listeningAddresses(port: number): string[] {
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(table)) continue;
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A: LISTEN
      const [hex, portHex] = local.split(':');
      if (parseInt(portHex!, 16) !== port) continue;
      // IPv4 addresses are written as one little-endian 32-bit word; anything longer is IPv6.
      found.push(hex!.length === 8 ? [3, 2, 1, 0].map((i) => parseInt(hex!.slice(i * 2, i * 2 + 2), 16)).join('.') : `ipv6:${hex}`);
    }
  }
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}
