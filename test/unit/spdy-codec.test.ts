// The kubelet's SPDY/3.1 codec (src-main/kubelet/spdy): every frame type round trips through the
// reader whatever the pieces the bytes arrive in; header blocks round trip over one connection's
// shared compression context and interoperate with a stateful zlib stream of the kind Go's framer
// writes (and reads); hostile input (bombs, bad counts, bad names, oversized frames) is refused
// with a protocol error, never a crash. Then a bare SpdyConnection with port-forward's stream
// handlers, over an in-memory transport, to a TCP server on loopback: kube's stream rules, and a
// client that never reads holding the pod's output in the pod's socket, not in memory.
import net from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpdyConnection, type SpdyTransport } from '../../src-main/kubelet/spdy/connection.js';
import { SPDY3_DICTIONARY } from '../../src-main/kubelet/spdy/dictionary.js';
import {
  FrameReader,
  GOAWAY,
  MAX_CONTROL_PAYLOAD,
  RST,
  SpdyProtocolError,
  encodeData,
  encodeGoAway,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  type Frame,
} from '../../src-main/kubelet/spdy/frames.js';
import { HeaderDeflater, HeaderInflater, MAX_HEADER_BLOCK, decodeNameValues, encodeNameValues } from '../../src-main/kubelet/spdy/headerBlock.js';
import { portForwardHandlers } from '../../src-main/kubelet/portForward.js';
import { SpdyTestClient } from '../helpers/spdyClient.js';
import { until } from '../helpers/wait.js';

/**
 * Frames read from `bytes` delivered in pieces of `size`, consecutive pieces of data on one stream
 * merged (a frame's payload arrives in as many pieces as the bytes do).
 */
function readAll(bytes: Buffer, size: number): Frame[] {
  const r = new FrameReader();
  const out: (Frame | { type: 'pieces'; streamId: number; data: Buffer[]; fin: boolean })[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    for (const f of r.push(bytes.subarray(i, i + size))) {
      const last = out[out.length - 1];
      if (f.type !== 'data') out.push(f);
      else if (last?.type === 'pieces' && last.streamId === f.streamId && !last.fin && f.data.length) {
        last.data.push(Buffer.from(f.data));
        last.fin = f.fin;
      } else out.push({ type: 'pieces', streamId: f.streamId, data: [Buffer.from(f.data)], fin: f.fin });
    }
  }
  return out.map((f) => (f.type === 'pieces' ? { type: 'data', streamId: f.streamId, data: Buffer.concat(f.data), fin: f.fin } : f));
}

describe('SPDY/3.1 frames', () => {
  const block = Buffer.from('compressed-ish');
  const frames: [Buffer, Frame][] = [
    [encodeSynStream(1, block, { fin: true, priority: 5, associatedTo: 0 }), { type: 'syn_stream', streamId: 1, associatedTo: 0, priority: 5, fin: true, unidirectional: false, headerBlock: block }],
    [encodeSynStream(7, block, { unidirectional: true }), { type: 'syn_stream', streamId: 7, associatedTo: 0, priority: 0, fin: false, unidirectional: true, headerBlock: block }],
    [encodeSynReply(3, block, true), { type: 'syn_reply', streamId: 3, fin: true, headerBlock: block }],
    [encodeHeaders(5, block), { type: 'headers', streamId: 5, fin: false, headerBlock: block }],
    [encodeRstStream(9, RST.Cancel), { type: 'rst_stream', streamId: 9, status: RST.Cancel }],
    [encodeSettings([{ id: 7, value: 65536, flags: 1 }, { id: 4, value: 100 }]), { type: 'settings', entries: [{ flags: 1, id: 7, value: 65536 }, { flags: 0, id: 4, value: 100 }] }],
    [encodePing(0xffffffff), { type: 'ping', id: 0xffffffff }],
    [encodeGoAway(11, GOAWAY.ProtocolError), { type: 'goaway', lastGoodStreamId: 11, status: GOAWAY.ProtocolError }],
    [encodeWindowUpdate(1, 4096), { type: 'window_update', streamId: 1, delta: 4096 }],
    [encodeData(1, Buffer.from('hello'), false), { type: 'data', streamId: 1, data: Buffer.from('hello'), fin: false }],
    [encodeData(1, Buffer.alloc(0), true), { type: 'data', streamId: 1, data: Buffer.alloc(0), fin: true }],
    [encodeData(0x7fffffff, Buffer.alloc(70_000, 1), true), { type: 'data', streamId: 0x7fffffff, data: Buffer.alloc(70_000, 1), fin: true }],
  ];

  it('every frame type round trips, whatever pieces the bytes arrive in', () => {
    const all = Buffer.concat(frames.map(([b]) => b));
    for (const size of [1, 3, 8, 13, 1000, all.length]) expect(readAll(all, size)).toEqual(frames.map(([, f]) => f));
  });

  it('the control frame header reads as the spec draws it', () => {
    const b = encodeRstStream(1, RST.ProtocolError);
    expect([...b.subarray(0, 8)]).toEqual([0x80, 3, 0, 3, 0, 0, 0, 8]);
    expect([...encodeData(5, Buffer.from('x'), true).subarray(0, 8)]).toEqual([0, 0, 0, 5, 1, 0, 0, 1]);
  });

  it('an unknown control type is skipped, as the spec says', () => {
    const unknown = Buffer.from([0x80, 3, 0, 0x42, 0, 0, 0, 2, 9, 9]);
    expect(readAll(Buffer.concat([unknown, encodePing(1)]), 1)).toEqual([{ type: 'unknown', controlType: 0x42 }, { type: 'ping', id: 1 }]);
  });

  it('a data frame announcing 16 MiB costs nothing until its bytes come, and hands on what has', () => {
    const r = new FrameReader();
    const head = encodeData(3, Buffer.alloc(0)).subarray(0, 8);
    head.writeUInt32BE((1 << 24) - 1, 4);
    expect(r.push(head)).toEqual([]);
    const got = r.push(Buffer.from('abc'));
    expect(got).toEqual([{ type: 'data', streamId: 3, data: Buffer.from('abc'), fin: false }]);
    expect(r.buffered).toBe(0);
  });

  const bad: [string, Buffer][] = [
    ['data on stream 0', encodeData(0, Buffer.from('x'))],
    ['version 2', Buffer.from([0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])],
    ['a control frame over the bound', Buffer.from([0x80, 3, 0, 1, 0, ...[(MAX_CONTROL_PAYLOAD + 1) >> 16, ((MAX_CONTROL_PAYLOAD + 1) >> 8) & 0xff, (MAX_CONTROL_PAYLOAD + 1) & 0xff]])],
    ['SYN_STREAM on stream 0', encodeSynStream(0, Buffer.alloc(4))],
    ['a short SYN_STREAM', Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1])],
    ['RST_STREAM status 0', encodeRstStream(1, 0)],
    ['PING of 8 bytes', Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 1])],
    ['SETTINGS whose count lies', Buffer.from([0x80, 3, 0, 4, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff])],
    ['GOAWAY of 4 bytes', Buffer.from([0x80, 3, 0, 7, 0, 0, 0, 4, 0, 0, 0, 1])],
  ];
  for (const [what, bytes] of bad) {
    it(`refuses ${what} with a protocol error`, () => {
      expect(() => new FrameReader().push(bytes)).toThrow(SpdyProtocolError);
    });
  }
});

describe('SPDY/3 header blocks', () => {
  const kubectl = (type: string, id: number): [string, string][] => [
    ['streamtype', type],
    ['port', '8080'],
    ['requestid', String(id)],
  ];

  it('the dictionary is SPDY/3’s 1423 bytes', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(SPDY3_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from('\0\0\0\x07options'));
    expect(SPDY3_DICTIONARY.subarray(-6).toString()).toBe('enq=0.');
  });

  it('name/value blocks round trip, several values of one name joined by NUL', () => {
    const raw = encodeNameValues([['Port', '80'], ['x-list', ['a', 'b', '']]]);
    expect(decodeNameValues(raw)).toEqual(new Map([['port', ['80']], ['x-list', ['a', 'b', '']]]));
  });

  it('a connection’s blocks share one context: later blocks are tiny and still decode', () => {
    const d = new HeaderDeflater();
    const i = new HeaderInflater();
    const sizes: number[] = [];
    for (let n = 0; n < 50; n++) {
      const b = d.compress(kubectl(n % 2 ? 'data' : 'error', n >> 1));
      sizes.push(b.length);
      expect(i.decompress(b)).toEqual(new Map(kubectl(n % 2 ? 'data' : 'error', n >> 1).map(([k, v]) => [k, [v]])));
    }
    expect(Math.max(...sizes.slice(1))).toBeLessThan(sizes[0]!);
  });

  it('what it writes is one zlib stream with SPDY’s dictionary, as Go’s framer reads it', async () => {
    const d = new HeaderDeflater();
    const blocks = Array.from({ length: 20 }, (_, n) => d.compress(kubectl('data', n)));
    // A stateful reader over the whole stream, like compress/zlib behind Go's framer.
    const z = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
    const out: Buffer[] = [];
    z.on('data', (c: Buffer) => out.push(c));
    z.end(Buffer.concat(blocks));
    await new Promise((r) => z.on('error', r).on('end', r));
    const expected = Buffer.concat(Array.from({ length: 20 }, (_, n) => encodeNameValues(kubectl('data', n))));
    expect(Buffer.concat(out)).toEqual(expected);
  });

  it('it reads what a stateful zlib writer (Go’s framer) sends, flushed block by block', async () => {
    const z = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
    const chunks: Buffer[] = [];
    z.on('data', (c: Buffer) => chunks.push(c));
    const i = new HeaderInflater();
    for (let n = 0; n < 20; n++) {
      z.write(encodeNameValues(kubectl(n % 2 ? 'data' : 'error', n)));
      await new Promise<void>((r) => z.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
      await until('the flushed block', () => chunks.length > 0);
      expect(i.decompress(Buffer.concat(chunks.splice(0))).get('requestid')).toEqual([String(n)]);
    }
  });

  it('a zlib bomb is refused once it inflates past the bound, and the context stays refused', () => {
    const bomb = zlib.deflateSync(Buffer.alloc(MAX_HEADER_BLOCK * 64), { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(bomb.length).toBeLessThan(16 << 10);
    const i = new HeaderInflater();
    expect(() => i.decompress(bomb)).toThrow(/does not inflate/);
    expect(() => i.decompress(new HeaderDeflater().compress([]))).toThrow(SpdyProtocolError);
  });

  const hostile: [string, Buffer][] = [
    ['a count the block cannot hold', Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])],
    ['a name length past the end', Buffer.from([0, 0, 0, 1, 0x7f, 0, 0, 0, 0, 0, 0, 0])],
    ['an upper-case name', encodeNameValues([['ok', '1']]).fill('O', 8, 9)],
    ['a duplicate name', Buffer.concat([Buffer.from([0, 0, 0, 2]), encodeNameValues([['a', '1']]).subarray(4), encodeNameValues([['a', '2']]).subarray(4)])],
    ['an empty name', Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['bytes after the last header', Buffer.concat([encodeNameValues([['a', '1']]), Buffer.from([1])])],
  ];
  for (const [what, raw] of hostile) {
    it(`refuses ${what}`, () => {
      expect(() => decodeNameValues(raw)).toThrow(SpdyProtocolError);
    });
  }

  it('refuses a stream that is not zlib, or names another dictionary', () => {
    expect(() => new HeaderInflater().decompress(Buffer.from('garbage!'))).toThrow(SpdyProtocolError);
    const other = zlib.deflateSync(encodeNameValues([]), { dictionary: Buffer.from('another dictionary'), finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(() => new HeaderInflater().decompress(other)).toThrow(/dictionary/);
  });
});

/** An in-memory transport; `capacity` bytes are accepted before send() says to wait, and drain() frees them. */
class MemoryTransport implements SpdyTransport {
  queued = 0;
  paused = false;
  ended = false;
  private drains: (() => void)[] = [];
  constructor(
    private readonly deliver: (b: Buffer) => void,
    private readonly capacity = Infinity,
  ) {}
  send(b: Buffer): boolean {
    this.queued += b.length;
    this.deliver(Buffer.from(b));
    return this.queued < this.capacity;
  }
  onceDrain(cb: () => void): void {
    this.drains.push(cb);
  }
  drain(): void {
    this.queued = 0;
    for (const d of this.drains.splice(0)) d();
  }
  pauseInput(): void {
    this.paused = true;
  }
  resumeInput(): void {
    this.paused = false;
  }
  end(): void {
    this.ended = true;
  }
}

describe('a SPDY connection with port-forward’s stream handlers', () => {
  let server: net.Server;
  let port: number;
  const serverSockets: net.Socket[] = [];
  /** Per connection: answers "hello" then echoes; "flood" makes it write until the socket pushes back. */
  beforeAll(async () => {
    server = net.createServer((s) => {
      serverSockets.push(s);
      s.on('error', () => {});
      s.write('hello ');
      s.on('data', (d) => {
        if (d.toString() === 'flood') {
          const chunk = Buffer.alloc(64 << 10, 7);
          const more = () => {
            while (s.write(chunk));
          };
          more();
          s.on('drain', more);
        } else s.write(d);
      });
      s.on('end', () => s.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of serverSockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  function setup(capacity = Infinity, ip = '127.0.0.1') {
    // The client and the connection deliver to each other, so each is created knowing of the other by reference.
    const ref: { conn?: SpdyConnection } = {};
    const client = new SpdyTestClient((b) => ref.conn!.receive(b));
    const transport = new MemoryTransport((b) => client.receive(b), capacity);
    const conn = new SpdyConnection(transport, portForwardHandlers({ sandboxId: 'sb1', resolve: async () => ({ ip, sandboxId: 'sb1' }), streamCreationTimeoutMs: 60_000 }));
    ref.conn = conn;
    return { conn, client, transport };
  }

  it('a pair forwards both ways; the pod’s close half-closes the data stream and then the error stream', async () => {
    const { client } = setup();
    const { error, data } = client.openPair(port, 0);
    expect(client.of('syn_reply').map((f) => f.streamId)).toEqual([error, data]);
    client.send(data, Buffer.from('ping'));
    await until('the echo', () => client.text(data) === 'hello ping');
    client.send(data, Buffer.alloc(0), true);
    await until('both streams finished', () => client.fins.has(data) && client.fins.has(error));
    expect(client.text(error)).toBe('');
  });

  it('refuses streams kube’s kubelet refuses, with RST_STREAM CANCEL', () => {
    const { client } = setup();
    const ids = [
      client.open([['streamtype', 'data']]),
      client.open([['port', 'http'], ['streamtype', 'data']]),
      client.open([['port', '0'], ['streamtype', 'data']]),
      client.open([['port', '70000'], ['streamtype', 'data']]),
      client.open([['port', '80']]),
      client.open([['port', '80'], ['streamtype', 'stdin']]),
    ];
    expect(ids.map((id) => client.resets.get(id))).toEqual(ids.map(() => RST.Cancel));
    expect(client.of('syn_reply')).toEqual([]);
  });

  it('a refused port is reported on the error stream in kube’s words', async () => {
    const closed = await new Promise<number>((r) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const { client } = setup();
    const { error } = client.openPair(closed, 4);
    await until('the error stream finished', () => client.fins.has(error));
    expect(client.text(error)).toMatch(new RegExp(`^error forwarding port ${closed} to pod sb1, uid : failed to connect to 127\\.0\\.0\\.1:${closed} on the pod network: connect ECONNREFUSED`));
  });

  it('a second stream of one type in a pair is an error on the pair’s error stream', () => {
    const { client } = setup();
    const e = client.open([['streamtype', 'error'], ['port', String(port)], ['requestid', '9']]);
    const dup = client.open([['streamtype', 'error'], ['port', String(port)], ['requestid', '9']]);
    expect(client.text(e)).toBe('error processing stream for request 9: error stream already assigned');
    expect(client.resets.get(dup)).toBe(RST.Cancel);
  });

  it('pings are echoed; even stream ids and ids that go backwards are protocol errors of that stream', () => {
    const { conn, client } = setup();
    conn.receive(encodePing(5));
    expect(client.of('ping')).toEqual([{ type: 'ping', id: 5 }]);
    const a = client.open([['streamtype', 'error'], ['port', '1']]);
    client.openAs(a + 1, [['streamtype', 'error'], ['port', '1']]);
    expect(client.resets.get(a + 1)).toBe(RST.ProtocolError);
    client.openAs(a, [['streamtype', 'data'], ['port', '1']]);
    expect(client.resets.get(a)).toBe(RST.ProtocolError);
    // The connection itself goes on.
    const b = client.open([['streamtype', 'data'], ['port', '1']]);
    expect(client.of('syn_reply').map((f) => f.streamId)).toEqual([a, b]);
  });

  it('garbage ends the connection with GOAWAY PROTOCOL_ERROR and resets its streams', async () => {
    const { conn, client, transport } = setup();
    const { data } = client.openPair(port, 1);
    await until('connected', () => client.text(data) === 'hello ');
    // (Text would read as a data frame for a stream that does not exist, which is dropped.)
    conn.receive(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    expect(client.of('goaway')).toEqual([{ type: 'goaway', lastGoodStreamId: data, status: GOAWAY.ProtocolError }]);
    expect(transport.ended).toBe(true);
    expect(conn.streamCount).toBe(0);
  });

  it('a client that never reads: the pod’s output waits in the pod’s socket, not in the kubelet', async () => {
    const { client, transport } = setup(256 << 10);
    const { data } = client.openPair(port, 2);
    await until('connected', () => client.text(data) === 'hello ');
    const before = serverSockets.length;
    client.send(data, Buffer.from('flood'));
    // The server is blocked on a full socket once the kubelet stops reading it.
    await until('the pod pushed back', () => serverSockets.length >= before && serverSockets[serverSockets.length - 1]!.writableNeedDrain);
    const held = transport.queued;
    expect(held).toBeLessThan(4 << 20);
    // Reading again resumes the flow.
    transport.drain();
    await until('more output after the client read', () => transport.queued > 0);
  });

  it('client data beyond what the pod takes stops reading the connection until the pod drains', async () => {
    const { conn, client, transport } = setup(Infinity, '127.0.0.1');
    const { data } = client.openPair(port, 3);
    // Before the dial completes, a burst over the pending bound pauses the input.
    client.send(data, Buffer.alloc(2 << 20, 1));
    expect(transport.paused).toBe(true);
    await until('resumed once the pod took it', () => !transport.paused);
    conn.close();
  });
});
