import net from 'node:net';
import { recordCodec } from './packetCodec.js';

// IP addresses as CoreDNS reads them (Go's net.ParseIP): dotted IPv4 without leading zeros, IPv6
// without a zone, and an IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as IPv4 (ip.To4()).

export interface ParsedIP {
  family: 4 | 6;
  /** 4 or 16 octets. */
  bytes: Buffer;
  /** Go's ip.String(): dotted for IPv4, RFC 5952 for IPv6. */
  text: string;
}

const aaaa = recordCodec('AAAA');
const MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

export function parseIP(s: string): ParsedIP | undefined {
  const family = net.isIP(s);
  if (family === 4) {
    const bytes = Buffer.from(s.split('.').map(Number));
    return { family: 4, bytes, text: s };
  }
  if (family !== 6 || s.includes('%')) return undefined;
  const bytes = Buffer.from(aaaa.encode(s).subarray(2));
  if (bytes.subarray(0, 12).equals(MAPPED_PREFIX)) {
    const v4 = Buffer.from(bytes.subarray(12));
    return { family: 4, bytes: v4, text: [...v4].join('.') };
  }
  return { family: 6, bytes, text: formatV6(bytes) };
}

/** RFC 5952: lower-case hex, the longest run (first of equals) of two or more zero groups as "::". */
function formatV6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

/** The canonical text of an address, or the input when it is not one (for index keys). */
export function canonicalIP(s: string): string {
  return parseIP(s)?.text ?? s;
}
