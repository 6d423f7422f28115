// Fuzzing of the kubelet's port-forward protocol (SPDY/3.1, raw or tunnelled in a WebSocket) on a
// real KubeletServer: its pod lookup is stubbed to one pod whose "sandbox" is this process's
// loopback, where an echo server listens, so that forwarding really happens. Each case opens an
// upgraded connection and sends a sequence of hostile input: valid stream pairs mixed with random
// and mutated frames, garbage bytes, zlib bombs, huge announced lengths, streams that do not
// exist, text messages in the tunnel; then drops the connection. After every case the process has
// not crashed (no uncaught exception or unhandled rejection), /healthz answers, and a fresh
// connection still forwards a request to the echo server within the freeze bound.
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeletServer } from '../../src-main/kubelet/server.js';
import { SPDY3_DICTIONARY } from '../../src-main/kubelet/spdy/dictionary.js';
import { encodeData, encodeGoAway, encodeHeaders, encodePing, encodeRstStream, encodeSettings, encodeSynStream, encodeWindowUpdate } from '../../src-main/kubelet/spdy/frames.js';
import { HeaderDeflater } from '../../src-main/kubelet/spdy/headerBlock.js';
import { docker } from '../helpers/dockerEngine.js';
import { spdyUpgrade } from '../helpers/spdyClient.js';
import { until } from '../helpers/wait.js';
import { CrashWatch } from './lib/crashWatch.js';
import { Budget, RUNS, SEED, SLOW_MS, TEST_TIMEOUT_MS, fcParams } from './lib/settings.js';

const TOKEN = 'spdy-fuzz-token';
const PATH = '/portForward/fuzz/fz-pod';
const crashes = new CrashWatch();
const failures: string[] = [];
let kubelet: KubeletServer;
let echo: net.Server;
let echoPort: number;
let closedPort: number;
let cases: Budget | undefined;

/** What one case sends, before the bytes are known (ports are chosen when it runs). */
type Action =
  | { kind: 'pair'; port: 'echo' | 'closed' | number; requestId: string; payload: Uint8Array; fin: boolean }
  | { kind: 'syn'; id: number; headers: [string, string][]; fin: boolean }
  | { kind: 'data'; id: number; payload: Uint8Array; fin: boolean }
  | { kind: 'rst'; id: number; status: number }
  | { kind: 'ping'; id: number }
  | { kind: 'settings'; n: number }
  | { kind: 'window'; id: number; delta: number }
  | { kind: 'goaway'; id: number }
  | { kind: 'headers'; id: number }
  | { kind: 'bomb' }
  | { kind: 'huge'; control: boolean }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'mutated'; flips: { at: number; value: number }[] };

const streamId = fc.oneof(fc.constantFrom(0, 1, 2, 3, 5, 0x7fffffff), fc.integer({ min: 0, max: 0x7fffffff }));
const headerName = fc.oneof(fc.constantFrom('port', 'streamtype', 'requestid', 'Port', '', 'x'), fc.string({ maxLength: 12 }));
const headerValue = fc.oneof(fc.constantFrom('error', 'data', '80', '0', '65536', '-1', ''), fc.string({ maxLength: 12 }));

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('pair' as const), port: fc.oneof(fc.constantFrom('echo' as const, 'closed' as const), fc.integer({ min: 0, max: 70000 })), requestId: fc.oneof(fc.constantFrom('0', '1', ''), fc.string({ maxLength: 6 })), payload: fc.uint8Array({ maxLength: 300 }), fin: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('syn' as const), id: streamId, headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }), fin: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('data' as const), id: streamId, payload: fc.uint8Array({ maxLength: 200 }), fin: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rst' as const), id: streamId, status: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('ping' as const), id: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settings' as const), n: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('window' as const), id: streamId, delta: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('goaway' as const), id: streamId }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('headers' as const), id: streamId }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bomb' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), control: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('mutated' as const), flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }) }) },
);

const hostileCase = fc.record({
  tunnel: fc.boolean(),
  actions: fc.array(action, { minLength: 1, maxLength: 12 }),
  /** Tunnel message sizes the bytes are cut into; a 0 sends a text message. */
  cuts: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 }),
});

/** The bytes of a case: one client's frames, with its own header compression context. */
function bytesOf(actions: Action[]): Buffer {
  const d = new HeaderDeflater();
  const out: Buffer[] = [];
  let next = 1;
  const portOf = (p: 'echo' | 'closed' | number) => (p === 'echo' ? echoPort : p === 'closed' ? closedPort : p);
  for (const a of actions) {
    switch (a.kind) {
      case 'pair': {
        const h = (t: string): [string, string][] => [['streamtype', t], ['port', String(portOf(a.port))], ...(a.requestId ? [['requestid', a.requestId] as [string, string]] : [])];
        out.push(encodeSynStream(next, d.compress(h('error'))), encodeData(next, Buffer.alloc(0), true));
        out.push(encodeSynStream(next + 2, d.compress(h('data'))), encodeData(next + 2, Buffer.from(a.payload), a.fin));
        next += 4;
        break;
      }
      case 'syn':
        out.push(encodeSynStream(a.id, d.compress(a.headers), { fin: a.fin }));
        break;
      case 'data':
        out.push(encodeData(a.id, Buffer.from(a.payload), a.fin));
        break;
      case 'rst':
        out.push(encodeRstStream(a.id, a.status));
        break;
      case 'ping':
        out.push(encodePing(a.id));
        break;
      case 'settings':
        out.push(encodeSettings(Array.from({ length: a.n }, (_, i) => ({ id: i + 1, value: i * 1000 }))));
        break;
      case 'window':
        out.push(encodeWindowUpdate(a.id, a.delta));
        break;
      case 'goaway':
        out.push(encodeGoAway(a.id, 0));
        break;
      case 'headers':
        out.push(encodeHeaders(a.id || 1, d.compress([['x', 'y']])));
        break;
      case 'bomb':
        // A block that inflates to 16 MiB of zeros, in a SYN_STREAM.
        out.push(encodeSynStream(next, zlib.deflateSync(Buffer.alloc(16 << 20), { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH })));
        next += 2;
        break;
      case 'huge': {
        const h = Buffer.from(a.control ? [0x80, 3, 0, 1, 0, 0xff, 0xff, 0xff] : [0, 0, 0, 1, 0, 0xff, 0xff, 0xff]);
        out.push(h, Buffer.alloc(100, 0x41));
        break;
      }
      case 'garbage':
        out.push(Buffer.from(a.bytes));
        break;
      case 'mutated': {
        const b = encodeSynStream(next, d.compress([['streamtype', 'data'], ['port', String(echoPort)]]));
        next += 2;
        for (const f of a.flips) b[f.at % b.length] = f.value;
        out.push(b);
        break;
      }
    }
  }
  return Buffer.concat(out);
}

/** A client WebSocket frame (masked, as RFC 6455 requires of clients). */
function wsFrame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

/** Sends a case's bytes over a fresh connection, keeps it open briefly for the answers, then drops it. */
async function runCase(tunnel: boolean, bytes: Buffer, cuts: number[]): Promise<void> {
  const socket = net.connect(kubelet.port!, '127.0.0.1');
  socket.on('error', () => {});
  let answered = false;
  socket.on('data', () => (answered = true));
  await new Promise<void>((r) => socket.once('connect', () => r()).once('error', () => r()));
  const auth = `Authorization: Bearer ${TOKEN}\r\n`;
  if (tunnel) {
    socket.write(`GET ${PATH} HTTP/1.1\r\nHost: k\r\n${auth}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io\r\n\r\n`);
    let at = 0;
    for (let i = 0; at < bytes.length; i++) {
      const n = cuts[i % cuts.length]!;
      // A 0 sends a text message before the next piece (every step still moves on).
      if (n === 0) socket.write(wsFrame(1, Buffer.from('text')));
      socket.write(wsFrame(2, bytes.subarray(at, at + Math.max(1, n) * 50)));
      at += Math.max(1, n) * 50;
    }
  } else {
    socket.write(`POST ${PATH} HTTP/1.1\r\nHost: k\r\n${auth}Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n`);
    socket.write(bytes);
  }
  // A bound on the case, not a synchronisation: whatever the server does in this window is judged after.
  await until('an answer or the close', () => answered || socket.destroyed, 2_000).catch(() => {});
  socket.destroy();
}

/** The process is alive and still forwards: /healthz, then a fresh pair through to the echo server. */
async function healthy(note: string): Promise<void> {
  const problems = crashes.take().map((c) => `crash: ${c}`);
  const started = Date.now();
  try {
    const hz = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: kubelet.port, path: '/healthz', agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    if (hz !== 'ok') problems.push(`/healthz answered ${hz}`);
    const { socket, client, status } = await spdyUpgrade(kubelet.port!, PATH, { Authorization: `Bearer ${TOKEN}` });
    if (status !== 101) problems.push(`upgrade answered ${status}`);
    const { data } = client.openPair(echoPort, 1);
    client.send(data, Buffer.from('probe'));
    await until('the probe echoed', () => client.text(data) === 'probe', SLOW_MS);
    socket.destroy();
  } catch (e) {
    problems.push(`probe failed: ${String(e)}`);
  }
  if (Date.now() - started > SLOW_MS) problems.push(`probe took ${Date.now() - started} ms`);
  if (problems.length) failures.push(`${note}: ${problems.join('; ')}`);
}

describe('kubelet port-forward (SPDY) fuzzing', () => {
  beforeAll(async () => {
    echo = net.createServer((s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
    const gone = net.createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    closedPort = (gone.address() as net.AddressInfo).port;
    await new Promise((r) => gone.close(r));
    kubelet = new KubeletServer({
      port: 0,
      host: '127.0.0.1',
      token: TOKEN,
      // Never called: only port-forward is exercised.
      docker,
      lookup: async () => ({ error: 'no containers here', code: 404 }),
      podSandbox: async (ns, pod) => (ns === 'fuzz' && pod === 'fz-pod' ? { uid: 'fz-uid', sandboxId: 'fz-sandbox' } : { error: 'pod does not exist', code: 404 }),
      sandboxEndpoint: async () => ({ ip: '127.0.0.1', sandboxId: 'fz-sandbox' }),
    });
    await kubelet.listen();
    crashes.start();
  }, 60_000);

  afterAll(async () => {
    crashes.stop();
    console.log(`SPDY fuzz: seed ${SEED}, ${RUNS} cases, ${cases ?? 0} run; failures: ${failures.length}`);
    await kubelet?.close();
    await new Promise((r) => echo?.close(r));
  }, 60_000);

  it('survives hostile frame sequences over the SPDY upgrade and the WebSocket tunnel, and still forwards', async () => {
    const budget = (cases = new Budget());
    await fc.assert(
      fc.asyncProperty(hostileCase, async (k) => {
        if (!budget.take()) return;
        await runCase(k.tunnel, bytesOf(k.actions), k.cuts);
        await healthy(JSON.stringify({ tunnel: k.tunnel, actions: k.actions.map((a) => a.kind) }));
      }),
      fcParams(),
    );
    expect(failures).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('a long session: forwarded connections one after another on one SPDY connection each finish both streams', async () => {
    const { socket, client } = await spdyUpgrade(kubelet.port!, PATH, { Authorization: `Bearer ${TOKEN}` });
    for (let i = 0; i < 50; i++) {
      const { data, error } = client.openPair(echoPort, i);
      client.send(data, Buffer.from(`n${i}`), true);
      await until(`connection ${i} finished`, () => client.fins.has(data) && client.fins.has(error));
      expect(client.text(data)).toBe(`n${i}`);
    }
    socket.destroy();
  }, 120_000);
});
