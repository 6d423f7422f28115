// SPDY/3.1 framing (draft 3.1, section 2.2): the frames a port-forward connection carries, encoded
// and read back. Every frame starts with 8 bytes:
//
//   control: 1 | version (15 bits) | type (16 bits) | flags (8) | length (24) | payload
//   data:    0 | stream id (31 bits)                | flags (8) | length (24) | payload
//
// The reader takes bytes as they arrive and never holds more than one control frame (at most
// MAX_CONTROL_PAYLOAD bytes): a data frame's payload is handed on piece by piece as it arrives, so
// a frame announcing 16 MiB costs nothing until the bytes are there. Header blocks stay
// compressed here (headerBlock.ts inflates them, in order, on the connection's shared context).

export const SPDY_VERSION = 3;

export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** Control frame types. */
export const ControlType = { SynStream: 1, SynReply: 2, RstStream: 3, Settings: 4, Ping: 6, GoAway: 7, Headers: 8, WindowUpdate: 9 } as const;
type ControlTypeCode = (typeof ControlType)[keyof typeof ControlType];

/** RST_STREAM status codes. */
export const RST = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  FrameTooLarge: 11,
} as const;

/** GOAWAY status codes. */
export const GOAWAY = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

/**
 * The largest control frame accepted. Port-forward's header blocks are a few dozen bytes; kube's
 * own reader has no bound, but nothing legitimate comes near this.
 */
export const MAX_CONTROL_PAYLOAD = 64 << 10;

/** A data frame's payload is at most 2^24-1 bytes (the length field). */
export const MAX_DATA_LENGTH = (1 << 24) - 1;

export type Frame =
  /** One piece of a data frame's payload; `fin` only on the last piece of a frame that carries FIN. */
  | { type: 'data'; streamId: number; data: Buffer; fin: boolean }
  | { type: 'syn_stream'; streamId: number; associatedTo: number; priority: number; fin: boolean; unidirectional: boolean; headerBlock: Buffer }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; entries: { flags: number; id: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  /** A control frame type SPDY/3.1 does not define: the spec says to ignore it. */
  | { type: 'unknown'; controlType: number };

/** A violation that ends the connection (answered with GOAWAY PROTOCOL_ERROR). */
export class SpdyProtocolError extends Error {}

// ---- encoding ----

function control(type: ControlTypeCode, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  return Buffer.concat([h, payload]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** A data frame's 8-byte header; the payload follows it as its own buffer (no copy). */
export function dataHeader(streamId: number, length: number, fin: boolean): Buffer {
  if (length > MAX_DATA_LENGTH) throw new RangeError(`a data frame holds at most ${MAX_DATA_LENGTH} bytes`);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24 | length) >>> 0, 4);
  return h;
}

export function encodeData(streamId: number, data: Buffer, fin = false): Buffer {
  return Buffer.concat([dataHeader(streamId, data.length, fin), data]);
}

export function encodeSynStream(streamId: number, headerBlock: Buffer, opts: { fin?: boolean; unidirectional?: boolean; associatedTo?: number; priority?: number } = {}): Buffer {
  const p = Buffer.alloc(10);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE((opts.associatedTo ?? 0) & 0x7fffffff, 4);
  p[8] = ((opts.priority ?? 0) & 7) << 5;
  const flags = (opts.fin ? FLAG_FIN : 0) | (opts.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
  return control(ControlType.SynStream, flags, Buffer.concat([p, headerBlock]));
}

export function encodeSynReply(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  return control(ControlType.SynReply, fin ? FLAG_FIN : 0, Buffer.concat([u32s(streamId & 0x7fffffff), headerBlock]));
}

export function encodeHeaders(streamId: number, headerBlock: Buffer, fin = false): Buffer {
  return control(ControlType.Headers, fin ? FLAG_FIN : 0, Buffer.concat([u32s(streamId & 0x7fffffff), headerBlock]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  return control(ControlType.RstStream, 0, u32s(streamId & 0x7fffffff, status));
}

export function encodeSettings(entries: { flags?: number; id: number; value: number }[]): Buffer {
  const p = Buffer.alloc(4 + entries.length * 8);
  p.writeUInt32BE(entries.length, 0);
  entries.forEach((e, i) => {
    p.writeUInt32BE((((e.flags ?? 0) & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 4 + i * 8);
    p.writeUInt32BE(e.value >>> 0, 8 + i * 8);
  });
  return control(ControlType.Settings, 0, p);
}

export function encodePing(id: number): Buffer {
  return control(ControlType.Ping, 0, u32s(id));
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  return control(ControlType.GoAway, 0, u32s(lastGoodStreamId & 0x7fffffff, status));
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  return control(ControlType.WindowUpdate, 0, u32s(streamId & 0x7fffffff, delta & 0x7fffffff));
}

// ---- reading ----

/** Reads frames from a byte stream delivered in arbitrary pieces. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  /** The data frame whose payload is still arriving. */
  private data: { streamId: number; remaining: number; fin: boolean } | undefined;

  /** The frames (and data pieces) completed by `chunk`; throws SpdyProtocolError on a malformed one. */
  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.data) {
        const d = this.data;
        const n = Math.min(d.remaining, this.buf.length);
        if (n === 0 && d.remaining > 0) break;
        d.remaining -= n;
        const last = d.remaining === 0;
        out.push({ type: 'data', streamId: d.streamId, data: this.buf.subarray(0, n), fin: last && d.fin });
        this.buf = this.buf.subarray(n);
        if (!last) break;
        this.data = undefined;
        continue;
      }
      if (this.buf.length < 8) break;
      const w0 = this.buf.readUInt32BE(0);
      const flags = this.buf[4]!;
      const length = this.buf.readUInt32BE(4) & 0xffffff;
      if (!(w0 & 0x80000000)) {
        const streamId = w0 & 0x7fffffff;
        if (streamId === 0) throw new SpdyProtocolError('data frame on stream 0');
        this.buf = this.buf.subarray(8);
        this.data = { streamId, remaining: length, fin: (flags & FLAG_FIN) !== 0 };
        // A zero-length frame still delivers one (empty) piece, which carries its FIN.
        if (length === 0) {
          out.push({ type: 'data', streamId, data: Buffer.alloc(0), fin: this.data.fin });
          this.data = undefined;
        }
        continue;
      }
      const version = (w0 >>> 16) & 0x7fff;
      if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
      if (length > MAX_CONTROL_PAYLOAD) throw new SpdyProtocolError(`control frame of ${length} bytes exceeds ${MAX_CONTROL_PAYLOAD}`);
      if (this.buf.length < 8 + length) break;
      const payload = this.buf.subarray(8, 8 + length);
      this.buf = this.buf.subarray(8 + length);
      out.push(parseControl(w0 & 0xffff, flags, payload));
    }
    // Keep only what is still needed, not the buffer it was sliced from.
    if (this.buf.length && this.buf.byteOffset > 0) this.buf = Buffer.from(this.buf);
    return out;
  }

  /** Bytes held for an incomplete frame header or control frame. */
  get buffered(): number {
    return this.buf.length;
  }
}

function need(payload: Buffer, n: number, what: string, exact = false): void {
  if (payload.length < n || (exact && payload.length !== n)) throw new SpdyProtocolError(`${what} frame of ${payload.length} bytes is malformed`);
}

function streamIdAt(payload: Buffer, offset: number, what: string): number {
  const id = payload.readUInt32BE(offset) & 0x7fffffff;
  if (id === 0) throw new SpdyProtocolError(`${what} on stream 0`);
  return id;
}

function parseControl(type: number, flags: number, p: Buffer): Frame {
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case ControlType.SynStream:
      need(p, 10, 'SYN_STREAM');
      return {
        type: 'syn_stream',
        streamId: streamIdAt(p, 0, 'SYN_STREAM'),
        associatedTo: p.readUInt32BE(4) & 0x7fffffff,
        priority: p[8]! >>> 5,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: p.subarray(10),
      };
    case ControlType.SynReply:
      need(p, 4, 'SYN_REPLY');
      return { type: 'syn_reply', streamId: streamIdAt(p, 0, 'SYN_REPLY'), fin, headerBlock: p.subarray(4) };
    case ControlType.Headers:
      need(p, 4, 'HEADERS');
      return { type: 'headers', streamId: streamIdAt(p, 0, 'HEADERS'), fin, headerBlock: p.subarray(4) };
    case ControlType.RstStream: {
      need(p, 8, 'RST_STREAM', true);
      const status = p.readUInt32BE(4);
      if (status === 0) throw new SpdyProtocolError('RST_STREAM with status 0');
      return { type: 'rst_stream', streamId: streamIdAt(p, 0, 'RST_STREAM'), status };
    }
    case ControlType.Settings: {
      need(p, 4, 'SETTINGS');
      const count = p.readUInt32BE(0);
      if (p.length !== 4 + count * 8) throw new SpdyProtocolError(`SETTINGS announces ${count} entries in ${p.length} bytes`);
      const entries: { flags: number; id: number; value: number }[] = [];
      for (let i = 0; i < count; i++) {
        const w = p.readUInt32BE(4 + i * 8);
        entries.push({ flags: w >>> 24, id: w & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
      }
      return { type: 'settings', entries };
    }
    case ControlType.Ping:
      need(p, 4, 'PING', true);
      return { type: 'ping', id: p.readUInt32BE(0) };
    case ControlType.GoAway:
      need(p, 8, 'GOAWAY', true);
      return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
    case ControlType.WindowUpdate:
      need(p, 8, 'WINDOW_UPDATE', true);
      return { type: 'window_update', streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      return { type: 'unknown', controlType: type };
  }
}
