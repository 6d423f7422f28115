import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';

// SPDY/3 name/value header blocks (draft 3, section 2.6.10): a 32-bit count, then per header a
// 32-bit length and the (lower-case) name, a 32-bit length and the value, several values of one
// name joined by NUL. Each direction of a connection compresses all its blocks as ONE zlib stream
// that starts from the SPDY dictionary, each block ending with a sync flush; so a block can refer
// back to text of earlier blocks.
//
// Node's zlib streams are asynchronous, and the connection must decode a SYN_STREAM before the
// frames that follow it. A raw deflate stream continues exactly as a fresh raw inflater would
// decode it when that inflater is preset with the last 32 KiB the stream produced (the window
// back-references can reach), and each block starts on a byte boundary after the peer's sync
// flush. So each direction keeps that window and codes every block with the synchronous
// one-shot functions, given the window as the dictionary. The inflated size of a block is
// bounded (maxOutputLength), so a small compressed block cannot expand into a large allocation.

export type HeaderMap = Map<string, string[]>;

/** zlib's window: the furthest back a block can refer. */
const WINDOW = 32 << 10;

/** The most an inflated header block may hold; kubectl's are under 100 bytes. */
export const MAX_HEADER_BLOCK = 64 << 10;

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

const DICTIONARY_ID = adler32(SPDY3_DICTIONARY);

/** The zlib header Go's SPDY framer writes: deflate, 32 KiB window, best compression, preset dictionary. */
function zlibHeader(): Buffer {
  const cmf = 0x78;
  let flg = 0xc0 | 0x20;
  flg |= 31 - ((cmf * 256 + flg) % 31);
  const h = Buffer.alloc(6);
  h[0] = cmf;
  h[1] = flg;
  h.writeUInt32BE(DICTIONARY_ID, 2);
  return h;
}

function slide(window: Buffer, added: Buffer): Buffer {
  const all = Buffer.concat([window, added]);
  return all.length > WINDOW ? Buffer.from(all.subarray(all.length - WINDOW)) : all;
}

/** The uncompressed block for `headers` (names lower-cased, values of one name joined by NUL). */
export function encodeNameValues(headers: Iterable<[string, string | string[]]>): Buffer {
  const parts: Buffer[] = [];
  let count = 0;
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  for (const [name, value] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(Array.isArray(value) ? value.join('\0') : value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
    count++;
  }
  return Buffer.concat([u32(count), ...parts]);
}

/** Reads an uncompressed block; throws SpdyProtocolError as Go's framer refuses one. */
export function decodeNameValues(b: Buffer): HeaderMap {
  if (b.length < 4) throw new SpdyProtocolError('header block too short');
  const count = b.readUInt32BE(0);
  // Each header needs at least its two length fields: a count the block cannot hold is refused
  // before anything is allocated for it.
  if (count > (b.length - 4) / 8) throw new SpdyProtocolError(`header block announces ${count} headers in ${b.length} bytes`);
  const out: HeaderMap = new Map();
  let at = 4;
  const field = (what: string): string => {
    if (at + 4 > b.length) throw new SpdyProtocolError(`header block ends inside a ${what} length`);
    const len = b.readUInt32BE(at);
    at += 4;
    if (len > b.length - at) throw new SpdyProtocolError(`header ${what} of ${len} bytes overruns the block`);
    const s = b.toString('utf8', at, at + len);
    at += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = field('name');
    const value = field('value');
    if (!name) throw new SpdyProtocolError('empty header name');
    if (name !== name.toLowerCase()) throw new SpdyProtocolError(`header ${JSON.stringify(name)} was not lowercased`);
    if (out.has(name)) throw new SpdyProtocolError(`multiple headers named ${JSON.stringify(name)}`);
    out.set(name, value.split('\0'));
  }
  if (at !== b.length) throw new SpdyProtocolError(`${b.length - at} bytes after the last header`);
  return out;
}

/** One direction's compression context (what this side sends). */
export class HeaderDeflater {
  private window: Buffer = SPDY3_DICTIONARY;
  private started = false;

  compress(headers: Iterable<[string, string | string[]]>): Buffer {
    const raw = encodeNameValues(headers);
    const body = zlib.deflateRawSync(raw, { dictionary: this.window, finishFlush: zlib.constants.Z_SYNC_FLUSH, level: 9 });
    this.window = slide(this.window, raw);
    if (this.started) return body;
    this.started = true;
    return Buffer.concat([zlibHeader(), body]);
  }
}

/** The other direction's context (what the peer sends); any failure poisons it for good. */
export class HeaderInflater {
  private window: Buffer = SPDY3_DICTIONARY;
  private started = false;
  private failed = false;

  constructor(private readonly maxBlock = MAX_HEADER_BLOCK) {}

  decompress(block: Buffer): HeaderMap {
    if (this.failed) throw new SpdyProtocolError('header compression state is broken');
    try {
      let body = block;
      if (!this.started) {
        if (block.length < 2) throw new SpdyProtocolError('header block too short for a zlib header');
        const cmf = block[0]!;
        const flg = block[1]!;
        if ((cmf & 0x0f) !== 8 || (cmf >> 4) > 7 || (cmf * 256 + flg) % 31 !== 0) throw new SpdyProtocolError('header block does not start a zlib stream');
        if (flg & 0x20) {
          if (block.length < 6) throw new SpdyProtocolError('header block too short for a zlib dictionary id');
          if (block.readUInt32BE(2) !== DICTIONARY_ID) throw new SpdyProtocolError('header block uses a dictionary other than SPDY/3\'s');
          body = block.subarray(6);
        } else {
          body = block.subarray(2);
        }
        this.started = true;
      }
      let raw: Buffer;
      try {
        raw = zlib.inflateRawSync(body, { dictionary: this.window, finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: this.maxBlock });
      } catch (e) {
        throw new SpdyProtocolError(`header block does not inflate: ${(e as Error).message}`);
      }
      this.window = slide(this.window, raw);
      return decodeNameValues(raw);
    } catch (e) {
      this.failed = true;
      throw e;
    }
  }
}
