// The DNS message as the server handles it, and its wire format (RFC 1035 section 4).
//
// dns-packet (used for record data, see records.ts) decodes labels as UTF-8 and encodes names
// without compression. A server needs both other ways: a query's name must come back byte for
// byte (a label may hold any octet, and a '.' inside a label), and a UDP answer must be compressed
// before it is truncated, as CoreDNS (miekg/dns Msg.Truncate) does, or far fewer records fit in
// 512 bytes than a client of CoreDNS gets. So names and message framing are done here: a name is
// a string of labels joined by '.', each octet one char (latin1), '.' and '\' inside a label
// escaped with '\' (miekg's presentation), always ending in '.' (the root is ".").
//
// Record data is kept uncompressed (names expanded), so a record read from an upstream can be
// written into any other message. Names in the data of the RFC 1035 types are compressed again
// when written, as miekg does; every other type's data is written as it is.

export enum Rcode {
  NoError = 0,
  FormErr = 1,
  ServFail = 2,
  NXDomain = 3,
  NotImp = 4,
  Refused = 5,
  BadVers = 16,
}

export enum QType {
  A = 1,
  NS = 2,
  CNAME = 5,
  SOA = 6,
  PTR = 12,
  MX = 15,
  TXT = 16,
  AAAA = 28,
  SRV = 33,
  OPT = 41,
  IXFR = 251,
  AXFR = 252,
}

export const CLASS_IN = 1;

// Header flag bits (the 16 bits after the ID).
export const QR = 0x8000;
export const AA = 0x0400;
export const TC = 0x0200;
export const RD = 0x0100;
export const RA = 0x0080;
export const Z = 0x0040;
export const AD = 0x0020;
export const CD = 0x0010;
export const DO = 0x8000; // in the OPT record's flags

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface ResourceRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** Uncompressed record data. */
  data: Buffer;
}

export interface EdnsOption {
  code: number;
  data: Buffer;
}

/** The OPT pseudo-record (RFC 6891), kept apart from the additional section. */
export interface Edns {
  udpSize: number;
  extendedRcode: number;
  version: number;
  /** The 16 flag bits (DO and Z). */
  flags: number;
  options: EdnsOption[];
}

export interface Message {
  id: number;
  /** The header's flag bits, opcode and rcode (low 4 bits) as on the wire. */
  flags: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
  edns?: Edns;
}

export class WireError extends Error {}

export function opcodeOf(flags: number): number {
  return (flags >> 11) & 0xf;
}

export function rcodeOf(m: Message): number {
  return (m.flags & 0xf) | ((m.edns?.extendedRcode ?? 0) << 4);
}

export function setRcode(m: Message, rcode: number): void {
  m.flags = (m.flags & ~0xf) | (rcode & 0xf);
  if (rcode > 0xf) {
    if (!m.edns) throw new WireError('an extended rcode needs an OPT record');
    m.edns.extendedRcode = rcode >> 4;
  } else if (m.edns) {
    m.edns.extendedRcode = 0;
  }
}

export function hasFlag(m: Message, bit: number): boolean {
  return (m.flags & bit) !== 0;
}

export function setFlag(m: Message, bit: number, on: boolean): void {
  m.flags = on ? m.flags | bit : m.flags & ~bit;
}

// ---- names ----

const MAX_NAME_WIRE = 255;
const MAX_POINTER_JUMPS = 126;

function labelText(buf: Buffer, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x2e || c === 0x5c) s += '\\';
    s += String.fromCharCode(c);
  }
  return s;
}

/** Reads a (possibly compressed) name at off; returns it and the offset after it. */
export function readName(buf: Buffer, off: number): [string, number] {
  let name = '';
  let wire = 0;
  let jumps = 0;
  let next = -1;
  let pos = off;
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the message');
    const len = buf[pos]!;
    if (len === 0) {
      pos++;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('pointer runs past the message');
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (next < 0) next = pos + 2;
      if (++jumps > MAX_POINTER_JUMPS || target >= pos) throw new WireError('bad compression pointer');
      pos = target;
      continue;
    }
    if (kind !== 0) throw new WireError('unknown label type');
    if (pos + 1 + len > buf.length) throw new WireError('label runs past the message');
    wire += len + 1;
    if (wire + 1 > MAX_NAME_WIRE) throw new WireError('name too long');
    name += labelText(buf, pos + 1, pos + 1 + len) + '.';
    pos += 1 + len;
  }
  return [name || '.', next >= 0 ? next : pos];
}

/** The labels of a name (unescaped octets as latin1 strings), without the root. */
export function nameLabels(name: string): string[] {
  const labels: string[] = [];
  let cur = '';
  let any = false;
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '\\' && i + 1 < name.length) {
      cur += name[++i];
      any = true;
    } else if (c === '.') {
      if (any || cur.length) labels.push(cur);
      cur = '';
      any = false;
    } else {
      cur += c;
      any = true;
    }
  }
  if (any || cur.length) labels.push(cur);
  return labels;
}

/** Makes a name absolute (adds the trailing dot; "" is the root). */
export function fqdn(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') && !name.endsWith('\\.') ? name : `${name}.`;
}

/** ASCII lower case (DNS names compare case-insensitively in ASCII only, RFC 4343). */
export function lowerName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(name) ? name.replace(/[A-Z]/g, (c) => c.toLowerCase()) : name.toLowerCase();
}

class Writer {
  buf: Buffer;
  off = 0;
  private readonly names = new Map<string, number>();
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(bigger, 0, 0, this.off);
    this.buf = bigger;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.off++] = v;
  }
  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v & 0xffff, this.off);
    this.off += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.off);
    this.off += b.length;
  }
  name(name: string, compress: boolean): void {
    const labels = nameLabels(name);
    let wire = 1;
    for (const l of labels) {
      if (l.length === 0 || l.length > 63) throw new WireError(`bad label length in ${name}`);
      wire += l.length + 1;
    }
    if (wire > MAX_NAME_WIRE) throw new WireError(`name too long: ${name}`);
    for (let i = 0; i < labels.length; i++) {
      // Suffixes are matched as written (case preserved), as miekg's compression map does.
      const suffix = labels.slice(i).join('\0');
      if (compress) {
        const at = this.names.get(suffix);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          return;
        }
        if (this.off < 0x4000) this.names.set(suffix, this.off);
      }
      const l = labels[i]!;
      this.ensure(l.length + 1);
      this.buf[this.off++] = l.length;
      this.off += this.buf.write(l, this.off, 'latin1');
    }
    this.u8(0);
  }
  /** Forgets compression targets at or after off (the bytes there are being dropped). */
  rewind(off: number): void {
    this.off = off;
    for (const [k, v] of this.names) if (v >= off) this.names.delete(k);
  }
}

// Types whose data names may be compressed (RFC 3597 section 4: the RFC 1035 types), as the layout
// of their data: 'n' a name, a number a run of that many octets.
const COMPRESSIBLE: Record<number, (string | number)[]> = {
  2: ['n'], // NS
  3: ['n'], // MD
  4: ['n'], // MF
  5: ['n'], // CNAME
  6: ['n', 'n', 20], // SOA
  7: ['n'], // MB
  8: ['n'], // MG
  9: ['n'], // MR
  12: ['n'], // PTR
  14: ['n', 'n'], // MINFO
  15: [2, 'n'], // MX
};
// Types with names in their data that a (lenient) server may still have compressed: read with
// pointers, written uncompressed.
const NAMED: Record<number, (string | number)[]> = {
  ...COMPRESSIBLE,
  17: ['n', 'n'], // RP
  18: [2, 'n'], // AFSDB
  21: [2, 'n'], // RT
  33: [6, 'n'], // SRV
  36: [2, 'n'], // KX
  39: ['n'], // DNAME
};

function expandData(buf: Buffer, off: number, end: number, layout: (string | number)[]): Buffer {
  const w = new Writer(end - off + 64);
  let pos = off;
  for (const part of layout) {
    if (part === 'n') {
      const [n, after] = readName(buf, pos);
      if (after > end) throw new WireError('record data name runs past its length');
      w.name(n, false);
      pos = after;
    } else {
      if (pos + (part as number) > end) throw new WireError('record data too short');
      w.bytes(buf.subarray(pos, pos + (part as number)));
      pos += part as number;
    }
  }
  if (pos !== end) throw new WireError('record data longer than its layout');
  return Buffer.from(w.buf.subarray(0, w.off));
}

function writeData(w: Writer, type: number, data: Buffer): void {
  const layout = COMPRESSIBLE[type];
  if (!layout) {
    w.bytes(data);
    return;
  }
  let pos = 0;
  for (const part of layout) {
    if (part === 'n') {
      const [n, after] = readName(data, pos);
      w.name(n, true);
      pos = after;
    } else {
      w.bytes(data.subarray(pos, pos + (part as number)));
      pos += part as number;
    }
  }
}

/** A name in uncompressed wire format (for record data). */
export function encodeName(name: string): Buffer {
  const w = new Writer(64);
  w.name(name, false);
  return Buffer.from(w.buf.subarray(0, w.off));
}

// ---- decoding ----

export interface Header {
  id: number;
  flags: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export function readHeader(buf: Buffer): Header | undefined {
  if (buf.length < 12) return undefined;
  return {
    id: buf.readUInt16BE(0),
    flags: buf.readUInt16BE(2),
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

/**
 * Decodes a whole message. `partial` receives what was read before an error (miekg answers a
 * query it cannot read with FORMERR and the question it did read).
 */
export function decodeMessage(buf: Buffer, partial?: (m: Message) => void): Message {
  const h = readHeader(buf);
  if (!h) throw new WireError('message shorter than its header');
  const m: Message = { id: h.id, flags: h.flags, questions: [], answers: [], authorities: [], additionals: [] };
  try {
    let off = 12;
    for (let i = 0; i < h.qdcount; i++) {
      const [name, after] = readName(buf, off);
      if (after + 4 > buf.length) throw new WireError('question runs past the message');
      m.questions.push({ name, type: buf.readUInt16BE(after), class: buf.readUInt16BE(after + 2) });
      off = after + 4;
    }
    const sections: [ResourceRecord[], number][] = [
      [m.answers, h.ancount],
      [m.authorities, h.nscount],
      [m.additionals, h.arcount],
    ];
    for (const [list, count] of sections) {
      for (let i = 0; i < count; i++) {
        const [name, after] = readName(buf, off);
        if (after + 10 > buf.length) throw new WireError('record header runs past the message');
        const type = buf.readUInt16BE(after);
        const klass = buf.readUInt16BE(after + 2);
        const ttl = buf.readUInt32BE(after + 4);
        const len = buf.readUInt16BE(after + 8);
        const start = after + 10;
        const end = start + len;
        if (end > buf.length) throw new WireError('record data runs past the message');
        if (type === QType.OPT) {
          if (list !== m.additionals || m.edns) throw new WireError('misplaced or second OPT record');
          if (name !== '.') throw new WireError('OPT owner is not the root');
          m.edns = { udpSize: klass, extendedRcode: ttl >>> 24, version: (ttl >>> 16) & 0xff, flags: ttl & 0xffff, options: readOptions(buf, start, end) };
        } else {
          const layout = NAMED[type];
          const data = layout ? expandData(buf, start, end, layout) : Buffer.from(buf.subarray(start, end));
          list.push({ name, type, class: klass, ttl, data });
        }
        off = end;
      }
    }
    // Trailing octets after the last record are ignored, as miekg does.
  } catch (e) {
    partial?.(m);
    throw e;
  }
  return m;
}

function readOptions(buf: Buffer, start: number, end: number): EdnsOption[] {
  const out: EdnsOption[] = [];
  let pos = start;
  while (pos < end) {
    if (pos + 4 > end) throw new WireError('EDNS option header runs past the OPT record');
    const code = buf.readUInt16BE(pos);
    const len = buf.readUInt16BE(pos + 2);
    if (pos + 4 + len > end) throw new WireError('EDNS option runs past the OPT record');
    out.push({ code, data: Buffer.from(buf.subarray(pos + 4, pos + 4 + len)) });
    pos += 4 + len;
  }
  return out;
}

// ---- encoding ----

function ednsLength(e: Edns): number {
  let n = 11;
  for (const o of e.options) n += 4 + o.data.length;
  return n;
}

function writeEdns(w: Writer, e: Edns): void {
  w.u8(0);
  w.u16(QType.OPT);
  w.u16(e.udpSize);
  w.u32(((e.extendedRcode & 0xff) << 24) | ((e.version & 0xff) << 16) | (e.flags & 0xffff));
  let len = 0;
  for (const o of e.options) len += 4 + o.data.length;
  w.u16(len);
  for (const o of e.options) {
    w.u16(o.code);
    w.u16(o.data.length);
    w.bytes(o.data);
  }
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name, true);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lenAt = w.off;
  w.u16(0);
  writeData(w, rr.type, rr.data);
  const len = w.off - lenAt - 2;
  if (len > 0xffff) throw new WireError('record data too long');
  w.buf.writeUInt16BE(len, lenAt);
}

/**
 * Encodes m with name compression. With maxSize, records that do not fit are left out, in order
 * (answer, authority, additional), and TC is set if any was: miekg's Msg.Truncate, which keeps
 * room for the OPT record and adds no record after the first that does not fit.
 */
export function encodeMessage(m: Message, maxSize = 0xffff): Buffer {
  const size = Math.max(512, maxSize);
  const budget = size - (m.edns ? ednsLength(m.edns) : 0);
  const w = new Writer(512);
  w.u16(m.id);
  const flagsAt = w.off;
  w.u16(m.flags);
  w.u16(m.questions.length);
  const countsAt = w.off;
  w.u16(0);
  w.u16(0);
  w.u16(0);
  for (const q of m.questions) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  const counts = [0, 0, 0];
  let full = false;
  const sections = [m.answers, m.authorities, m.additionals];
  for (let s = 0; s < 3 && !full; s++) {
    for (const rr of sections[s]!) {
      const before = w.off;
      writeRecord(w, rr);
      if (w.off > budget) {
        w.rewind(before);
        full = true;
        break;
      }
      counts[s]!++;
    }
  }
  let flags = m.flags;
  if (full) flags |= TC;
  w.buf.writeUInt16BE(flags, flagsAt);
  w.buf.writeUInt16BE(counts[0]!, countsAt);
  w.buf.writeUInt16BE(counts[1]!, countsAt + 2);
  w.buf.writeUInt16BE(counts[2]! + (m.edns ? 1 : 0), countsAt + 4);
  if (m.edns) writeEdns(w, m.edns);
  return Buffer.from(w.buf.subarray(0, w.off));
}

/** The message as encodeMessage(m, maxSize) sends it (records left out, TC set), for in-process use. */
export function truncated(m: Message, maxSize: number): Message {
  const wire = encodeMessage(m, maxSize);
  const h = readHeader(wire)!;
  return {
    ...m,
    flags: h.flags,
    answers: m.answers.slice(0, h.ancount),
    authorities: m.authorities.slice(0, h.nscount),
    additionals: m.additionals.slice(0, h.arcount - (m.edns ? 1 : 0)),
  };
}
