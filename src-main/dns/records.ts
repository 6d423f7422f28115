import { recordCodec } from './packetCodec.js';
import { CLASS_IN, QType, encodeName, type ResourceRecord } from './wire.js';
import type { ParsedIP } from './ip.js';

// Building the records the server answers with. Record data is encoded with dns-packet where it
// has no name in it; names go through wire.ts (escapes, latin1 octets).

const txtCodec = recordCodec('TXT');

function rr(name: string, type: number, ttl: number, data: Buffer): ResourceRecord {
  return { name, type, class: CLASS_IN, ttl, data };
}

export function addressRecord(name: string, ttl: number, ip: ParsedIP): ResourceRecord {
  return rr(name, ip.family === 4 ? QType.A : QType.AAAA, ttl, ip.bytes);
}

export function cnameRecord(name: string, ttl: number, target: string): ResourceRecord {
  return rr(name, QType.CNAME, ttl, encodeName(target));
}

export function ptrRecord(name: string, ttl: number, target: string): ResourceRecord {
  return rr(name, QType.PTR, ttl, encodeName(target));
}

export function nsRecord(name: string, ttl: number, target: string): ResourceRecord {
  return rr(name, QType.NS, ttl, encodeName(target));
}

export function srvRecord(name: string, ttl: number, priority: number, weight: number, port: number, target: string): ResourceRecord {
  const head = Buffer.alloc(6);
  head.writeUInt16BE(priority & 0xffff, 0);
  head.writeUInt16BE(weight & 0xffff, 2);
  head.writeUInt16BE(port & 0xffff, 4);
  return rr(name, QType.SRV, ttl, Buffer.concat([head, encodeName(target)]));
}

export function txtRecord(name: string, ttl: number, texts: string[]): ResourceRecord {
  return rr(name, QType.TXT, ttl, Buffer.from(txtCodec.encode(texts).subarray(2)));
}

export interface SoaFields {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export function soaRecord(name: string, ttl: number, s: SoaFields): ResourceRecord {
  const tail = Buffer.alloc(20);
  tail.writeUInt32BE(s.serial >>> 0, 0);
  tail.writeUInt32BE(s.refresh >>> 0, 4);
  tail.writeUInt32BE(s.retry >>> 0, 8);
  tail.writeUInt32BE(s.expire >>> 0, 12);
  tail.writeUInt32BE(s.minimum >>> 0, 16);
  return rr(name, QType.SOA, ttl, Buffer.concat([encodeName(s.mname), encodeName(s.rname), tail]));
}
