// The kubelet's own server under hostile requests (issue 7, items 2, 7 and 8). Every pod can reach
// every kubelet, so nothing a client sends may crash or stall it: requests go out as raw bytes over
// net.Socket (so request lines node:http and fetch would refuse really reach the server), every
// refusal must be a metav1.Status with a 4xx code and no stack, and after each one the kubelet
// still answers /healthz. The kubelet runs in this test process (a crash fails the run) against a
// real control plane, with a real pod on the local Docker engine for logs, exec and attach. No
// registry is contacted; traffic stays on loopback and on the test's own Docker network.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Pod, Status } from '../../src-main/api/types.js';
import { isNotFound, type ApiClient } from '../../src-main/client/apiClient.js';
import { Kubelet } from '../../src-main/kubelet/kubelet.js';
import { dockerUp } from '../helpers/dockerEngine.js';
import { KubeletTestBed } from '../helpers/kubeletTestBed.js';
import { jsonOf, sendRaw, type RawRequest, type RawResponse } from '../fuzz/lib/rawHttp.js';
import { skipWithout } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';

const NODE = 'hardening-node-1';
const TOKEN = 'kubelet-hardening-token';
const AUTH: [string, string] = ['Authorization', `Bearer ${TOKEN}`];
const bed = new KubeletTestBed('kubelet-hardening', 'kh', NODE);

let admin: ApiClient;
let kubelet: Kubelet;
let tools: string;

// ---- setup helpers ----

async function runPod(name: string, container: Partial<Pod['spec']['containers'][number]>, restartPolicy: Pod['spec']['restartPolicy'] = 'Always'): Promise<void> {
  await admin.create<Pod>('pods', 'default', {
    metadata: { name, namespace: 'default' },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, restartPolicy, containers: [{ name: 'app', image: tools, ...container }] } as Pod['spec'],
  });
  await until(`pod ${name} Running`, async () => {
    try {
      return (await admin.get<Pod>('pods', 'default', name)).status?.phase === 'Running';
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  });
}

// ---- raw HTTP ----

function send(req: Partial<RawRequest> & { target: string }): Promise<RawResponse> {
  return sendRaw({ host: '127.0.0.1', port: kubelet.serverPort! }, { method: 'GET', headers: [], ...req }, { deadlineMs: 20_000 });
}

/** The answer is a metav1.Status with this (4xx) code, as JSON, and carries no stack. */
function expectStatus(r: RawResponse, code: number): Status {
  expect(r.status, r.body.toString()).toBe(code);
  const s = jsonOf(r) as Status;
  expect(s).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
  expect(r.body.toString()).not.toMatch(/\bat .+:\d+:\d+|node:internal/);
  return s;
}

async function expectHealthy(): Promise<void> {
  const r = await send({ target: '/healthz' });
  expect(r.status).toBe(200);
  expect(r.body.toString()).toBe('ok');
}

function wsHeaders(extra: [string, string][] = []): [string, string][] {
  return [['Connection', 'Upgrade'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', randomBytes(16).toString('base64')], ['Sec-WebSocket-Protocol', 'v5.channel.k8s.io'], ...extra];
}

// ---- a raw WebSocket client (frames by hand, so it can misbehave) ----

interface Frame {
  opcode: number;
  payload: Buffer;
}

interface RawWs {
  socket: net.Socket;
  frames: Frame[];
  /** Resolves when the kubelet's side has closed the TCP connection (our socket's 'close'). */
  closed: Promise<void>;
  /** Resolves once a frame matching `f` has arrived. */
  waitFrame(f: (fr: Frame) => boolean): Promise<Frame>;
}

function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

function parseFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  for (;;) {
    if (buf.length < 2) break;
    let len = buf[1]! & 0x7f;
    let off = 2;
    if (len === 126) {
      if (buf.length < 4) break;
      len = buf.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (buf.length < 10) break;
      len = Number(buf.readBigUInt64BE(2));
      off = 10;
    }
    if (buf.length < off + len) break;
    frames.push({ opcode: buf[0]! & 0x0f, payload: buf.subarray(off, off + len) });
    buf = buf.subarray(off + len);
  }
  return { frames, rest: buf };
}

/** Opens a WebSocket to the kubelet by hand; resolves after the 101. It never sends a close frame. */
function rawWs(target: string): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: kubelet.serverPort! });
    const frames: Frame[] = [];
    const waiters: { f: (fr: Frame) => boolean; resolve: (fr: Frame) => void }[] = [];
    let buf: Buffer = Buffer.alloc(0);
    let upgraded = false;
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${buf.toString()}`));
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve({
          socket,
          frames,
          closed,
          waitFrame: (f) =>
            new Promise((res) => {
              const seen = frames.find(f);
              if (seen) res(seen);
              else waiters.push({ f, resolve: res });
            }),
        });
      }
      const p = parseFrames(buf);
      buf = p.rest;
      for (const fr of p.frames) {
        frames.push(fr);
        for (const w of waiters.filter((x) => x.f(fr))) w.resolve(fr);
      }
    });
    socket.on('connect', () => {
      const lines = [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${kubelet.serverPort}`, ...wsHeaders([AUTH]).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    closed.then(() => (upgraded ? undefined : reject(new Error(`closed before the upgrade: ${buf.toString()}`))));
  });
}

/** Channel-protocol payloads (binary frames) on one channel, as text. */
function channelText(frames: Frame[], channel: number): string {
  return frames
    .filter((f) => f.opcode === 2 && f.payload[0] === channel)
    .map((f) => f.payload.subarray(1).toString('utf8'))
    .join('');
}

/** An exec like kubectl's, through the ws library; rejects with the refusal's status and body. */
function wsExec(target: string): Promise<{ stdout: string; stderr: string; status: Status }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${kubelet.serverPort}${target}`, ['v5.channel.k8s.io'], { headers: { Authorization: `Bearer ${TOKEN}` } });
    let stdout = '';
    let stderr = '';
    let status: unknown;
    ws.on('message', (d: Buffer) => {
      const body = d.subarray(1).toString('utf8');
      if (d[0] === 1) stdout += body;
      else if (d[0] === 2) stderr += body;
      else if (d[0] === 3) status = JSON.parse(body);
    });
    ws.on('close', () => resolve({ stdout, stderr, status: status as Status }));
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { code: res.statusCode, body: text })));
    });
  });
}

// ---- suite ----

describe.skipIf(skipWithout('a Docker engine', dockerUp))('the kubelet server under hostile requests', () => {
  beforeAll(async () => {
    await bed.setUp();
    ({ admin, tools } = bed);
    kubelet = new Kubelet(bed.kubeletOptions({ imagePulls: false, server: { port: 0, host: '127.0.0.1', token: TOKEN } }));
    await kubelet.start();
    await Promise.all([
      runPod('hostile', { command: ['/bin/sh', '-c', 'echo first; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done'] }),
      runPod('attached', { stdin: true, stdinOnce: true, command: ['/bin/sh', '-c', 'read l; echo got $l'] }, 'Never'),
    ]);
  }, 180_000);

  afterAll(() => bed.tearDown(kubelet), 60_000);

  it('answers request targets new URL() rejects, bad % escapes and unknown paths with a 4xx Status', async () => {
    expectStatus(await send({ target: '//[' }), 401);
    await expectHealthy();
    expect(expectStatus(await send({ target: '//[', headers: [AUTH] }), 404).reason).toBe('NotFound');
    await expectHealthy();
    const bad = expectStatus(await send({ target: '/exec/%zz/hostile/app', headers: [AUTH] }), 400);
    expect(bad).toMatchObject({ reason: 'BadRequest', message: 'invalid URL escape "%zz"' });
    await expectHealthy();
    expectStatus(await send({ target: '/containerLogs/default/hostile/app%', headers: [AUTH] }), 400);
    expectStatus(await send({ target: '/containerLogs/default/%E0%A4%A/app', headers: [AUTH] }), 400);
    // Bytes that are not UTF-8 are a name like any other (Go's PathUnescape), not a crash.
    expectStatus(await send({ target: '/containerLogs/default/%ff/app', headers: [AUTH] }), 404);
    // Dot segments are never resolved: this names a pod "..", not default/hostile.
    expectStatus(await send({ target: '/containerLogs/default/../hostile/app', headers: [AUTH] }), 404);
    expectStatus(await send({ target: '/nothing/here', headers: [AUTH] }), 404);
    expectStatus(await send({ target: '/', headers: [AUTH] }), 404);
    expectStatus(await send({ method: 'OPTIONS', target: '*', headers: [AUTH] }), 400);
    // Absolute form is legal HTTP.
    expect((await send({ target: 'http://kubelet/healthz' })).status).toBe(200);
    await expectHealthy();
  });

  it('answers what Node cannot parse (unknown methods, garbage, huge headers) with a Status', async () => {
    const unknownMethod = expectStatus(await send({ method: 'FROB', target: '/healthz' }), 400);
    expect(unknownMethod.message).toMatch(/malformed HTTP request/);
    await expectHealthy();
    expectStatus(await send({ target: 'x', raw: Buffer.from('\x00\x01\x02 garbage \xff\r\n\r\n', 'latin1') }), 400);
    await expectHealthy();
    expectStatus(await send({ target: '/healthz', headers: [['X-Big', 'a'.repeat(20_000)]] }), 431);
    await expectHealthy();
    expectStatus(await send({ target: `/containerLogs/default/hostile/app?${'q=%zz&'.repeat(4000)}`, headers: [AUTH] }), 431);
    await expectHealthy();
    expectStatus(await send({ method: 'DELETE', target: '/containerLogs/default/hostile/app', headers: [AUTH] }), 405);
    expectStatus(await send({ target: '/exec/default/hostile/app?command=ls&stdout=1', headers: [AUTH] }), 400);
    expectStatus(await send({ target: '/healthz', headers: [['Expect', 'nonsense']] }), 417);
    // A long query of garbage pairs that fits the limit is read, not fatal.
    const long = await send({ target: `/containerLogs/default/hostile/app?tailLines=1&${'%zz=%&'.repeat(1000)}`, headers: [AUTH] });
    expect(long.status).toBe(200);
    await expectHealthy();
  });

  it('reads log query parameters as kube does: 400 for what does not parse, 422 for what is out of range', async () => {
    const logs = (q: string) => send({ target: `/containerLogs/default/hostile/app?${q}`, headers: [AUTH] });
    expect(expectStatus(await logs('tailLines=abc'), 400).message).toBe('strconv.ParseInt: parsing "abc": invalid syntax');
    expectStatus(await logs('tailLines='), 400);
    expectStatus(await logs('sinceSeconds=99999999999999999999'), 400);
    expectStatus(await logs('limitBytes=1.5'), 400);
    expectStatus(await logs('sinceTime=yesterday'), 400);
    const neg = expectStatus(await logs('tailLines=-1'), 422);
    expect(neg).toMatchObject({
      reason: 'Invalid',
      message: 'PodLogOptions "hostile" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
      details: { name: 'hostile', kind: 'PodLogOptions', causes: [{ reason: 'FieldValueInvalid', field: 'tailLines' }] },
    });
    expectStatus(await logs('limitBytes=0'), 422);
    expectStatus(await logs('sinceSeconds=0'), 422);
    expect(expectStatus(await logs('sinceSeconds=5&sinceTime=2020-01-01T00:00:00Z'), 422).details?.causes?.[0]?.reason).toBe('FieldValueForbidden');
    await expectHealthy();
    // Booleans as kube's parameter codec reads them: anything but absent, "0" or "false" is true.
    const stamped = await logs('tailLines=1&timestamps=True');
    expect(stamped.body.toString()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z tick \d+\n$/);
    expect((await logs('tailLines=1&timestamps=FALSE')).body.toString()).toMatch(/^tick \d+\n$/);
    expect((await logs('tail=1')).body.toString()).toMatch(/^tick \d+\n$/);
    expect((await logs('limitBytes=5&sinceTime=2000-01-01T00:00:00Z')).body.toString()).toBe('first');
    // follow=1 streams: with tailLines=0 every byte that arrives was written after the request.
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${kubelet.serverPort}/containerLogs/default/hostile/app?follow=1&tailLines=0`, { headers: { Authorization: `Bearer ${TOKEN}` }, signal: ac.signal });
    const reader = res.body!.getReader();
    let text = '';
    while ((text.match(/tick/g) ?? []).length < 2) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    expect(text).toMatch(/^tick \d+\ntick \d+\n/);
    await expectHealthy();
  });

  it('reads exec stream options as kube-apiserver does: stdout=True, =1 and =true all stream output', async () => {
    for (const v of ['True', '1', 'true', 'TRUE', 'yes']) {
      const r = await wsExec(`/exec/default/hostile/app?command=echo&command=${v}&stdout=${v}`);
      expect(r).toMatchObject({ stdout: `${v}\n`, status: { status: 'Success' } });
    }
    // kube-apiserver's own spelling towards a kubelet (output=1) works as well.
    expect((await wsExec('/exec/default/hostile/app?command=echo&command=kubelet&output=1')).stdout).toBe('kubelet\n');
    const none = await wsExec('/exec/default/hostile/app?command=echo&stdout=false&stderr=0&stdin=False').catch((e: { code: number; body: string }) => e);
    expect(none).toMatchObject({ code: 400 });
    expect(JSON.parse((none as { body: string }).body)).toMatchObject({ kind: 'Status', code: 400, message: 'you must specify at least 1 of stdin, stdout, stderr' });
    await expectHealthy();
  });

  it('refuses hostile upgrades with a Status before doing any work, and keeps serving', async () => {
    expectStatus(await send({ target: '//[', headers: wsHeaders() }), 401);
    await expectHealthy();
    expectStatus(await send({ target: '//[', headers: wsHeaders([AUTH]) }), 404);
    await expectHealthy();
    expectStatus(await send({ target: '/exec/%zz/hostile/app?command=ls&stdout=1', headers: wsHeaders([AUTH]) }), 400);
    await expectHealthy();
    expectStatus(await send({ target: '/unknown/path', headers: wsHeaders([AUTH]) }), 404);
    expectStatus(await send({ target: '/exec/default/nothere/app?command=ls&stdout=1', headers: wsHeaders([AUTH]) }), 404);
    expectStatus(await send({ target: '/exec/default/hostile/app?stdout=1', headers: wsHeaders([AUTH]) }), 400);
    expectStatus(await send({ method: 'POST', target: '/exec/default/hostile/app?command=ls&stdout=1', headers: wsHeaders([AUTH]) }), 405);
    const notWs = wsHeaders([AUTH]).map(([k, v]): [string, string] => (k === 'Upgrade' ? [k, 'h2c'] : [k, v]));
    expectStatus(await send({ target: '/exec/default/hostile/app?command=ls&stdout=1', headers: notWs }), 400);
    const badKey = wsHeaders([AUTH]).map(([k, v]): [string, string] => (k === 'Sec-WebSocket-Key' ? [k, 'not a key'] : [k, v]));
    expectStatus(await send({ target: '/exec/default/hostile/app?command=ls&stdout=1', headers: badKey }), 400);
    await expectHealthy();
  });

  it('survives clients that reset mid-handshake, send garbage frames, vanish mid-stream or never read', async () => {
    // Reset while the kubelet looks the container up (before ws owns the socket).
    for (let i = 0; i < 5; i++) {
      const s = net.connect({ host: '127.0.0.1', port: kubelet.serverPort! });
      s.on('error', () => {});
      await new Promise<void>((r) => s.on('connect', () => r()));
      const lines = [`GET /exec/default/hostile/app?command=cat&stdin=1&stdout=1 HTTP/1.1`, 'Host: kubelet', ...wsHeaders([AUTH]).map(([k, v]) => `${k}: ${v}`)];
      s.write(`${lines.join('\r\n')}\r\n\r\n`, () => s.resetAndDestroy());
    }
    await expectHealthy();
    // Frames no client may send: unmasked, absurdly long, a reserved opcode. The kubelet closes the connection.
    const unmasked = Buffer.concat([Buffer.from([0x82, 0x03]), Buffer.from([0, 0x68, 0x69])]);
    const huge = Buffer.concat([Buffer.from([0x82, 0xff]), Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0]), randomBytes(4)]);
    const reserved = clientFrame(0x3, Buffer.from('x'));
    const notAFrame = Buffer.from('GET / HTTP/1.1\r\n\r\n'); // "G" sets RSV1, which no extension allows
    for (const garbage of [unmasked, huge, reserved, notAFrame]) {
      const ws = await rawWs('/exec/default/hostile/app?command=cat&stdin=1&stdout=1');
      ws.socket.write(garbage);
      await ws.closed;
      await expectHealthy();
    }
    // A session the client drops in the middle, with stdin still open.
    const mid = await rawWs('/exec/default/hostile/app?command=cat&stdin=1&stdout=1');
    mid.socket.write(clientFrame(2, Buffer.from('\x00echo me\n')));
    await mid.waitFrame((f) => f.opcode === 2 && f.payload[0] === 1);
    mid.socket.resetAndDestroy();
    await expectHealthy();
    // A client that never reads an endless output: the kubelet keeps serving others meanwhile.
    const flood = "const b=Buffer.alloc(65536,120);(function w(){process.stdout.write(b,w)})()";
    const stuck = await rawWs(`/exec/default/hostile/app?command=node&command=-e&command=${encodeURIComponent(flood)}&stdout=1`);
    await stuck.waitFrame(() => true);
    stuck.socket.pause();
    await expectHealthy();
    expect((await wsExec('/exec/default/hostile/app?command=echo&command=still&stdout=1')).stdout).toBe('still\n');
    stuck.socket.destroy();
    await expectHealthy();
  });

  it('closes the connection right after the exec status, without waiting for the client to answer the close', async () => {
    const ws = await rawWs('/exec/default/hostile/app?command=echo&command=done&stdout=1');
    // This client never sends a close frame. ws would wait 30 s for one; the test's timeout is below that.
    await ws.closed;
    expect(channelText(ws.frames, 1)).toBe('done\n');
    expect(JSON.parse(channelText(ws.frames, 3))).toMatchObject({ status: 'Success' });
    const close = ws.frames.at(-1)!;
    expect(close.opcode).toBe(8);
    expect(close.payload.readUInt16BE(0)).toBe(1000);
    await expectHealthy();
  }, 20_000);

  it('still gives kubectl exec (through the API server relay) its output, stdin and exit code', async () => {
    // The API server relays pods/exec to this kubelet byte for byte; the kubelet now closes the
    // connection right after the status, so the relay must deliver everything before the close.
    bed.c.cp.apiserver.setKubeletResolver(() => ({ host: '127.0.0.1', port: kubelet.serverPort!, token: TOKEN }));
    for (let i = 0; i < 5; i++) {
      const ok = await bed.c.kubectl(['exec', 'hostile', '--', 'echo', `round ${i}`]);
      expect(ok).toMatchObject({ code: 0, stdout: `round ${i}\n` });
    }
    const three = await bed.c.kubectl(['exec', 'hostile', '--', '/bin/sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(three).toMatchObject({ code: 3, stdout: 'out\n' });
    expect(three.stderr).toMatch(/^err\n/);
    expect(await bed.c.kubectl(['exec', '-i', 'hostile', '--', 'cat'], { input: 'through stdin' })).toMatchObject({ code: 0, stdout: 'through stdin' });
    await expectHealthy();
  });

  it('closes the connection right after the attach status as well', async () => {
    const ws = await rawWs('/attach/default/attached/app?stdin=1&stdout=1&stderr=1');
    ws.socket.write(clientFrame(2, Buffer.from('\x00hi\n')));
    await ws.closed;
    expect(channelText(ws.frames, 1)).toBe('got hi\n');
    expect(JSON.parse(channelText(ws.frames, 3))).toMatchObject({ status: 'Success' });
    expect(ws.frames.at(-1)!.opcode).toBe(8);
    await expectHealthy();
  }, 20_000);
});
