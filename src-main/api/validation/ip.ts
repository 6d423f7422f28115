// IP and CIDR checks with the semantics of k8s.io/utils/net ParseIPSloppy (IPv4 octets may have
// leading zeros) and Go's net.IP predicates, plus kube's ValidateNonSpecialIP messages.

import { isIPv6 } from 'node:net';
import { fieldErr, type FieldError } from './fieldErrors.js';

/** The 16-byte form of an address (IPv4 as ::ffff:a.b.c.d), or null when it does not parse. */
export function parseIP(s: string): { v4: boolean; bytes: number[] } | null {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const octets = v4.slice(1).map((x) => parseInt(x, 10));
    if (octets.some((o) => o > 255)) return null;
    return { v4: true, bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...octets] };
  }
  if (!isIPv6(s) || s.includes('%')) return null;
  return { v4: false, bytes: ipv6Bytes(s) };
}

function ipv6Bytes(s: string): number[] {
  let text = s;
  let tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail = dotted[1].split('.').map((x) => parseInt(x, 10));
    text = `${text.slice(0, -dotted[1].length)}0:0`;
  }
  const [head, rest] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').filter((g) => g !== '').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  const fill = new Array(8 - h.length - r.length).fill(0);
  const words = rest === undefined ? h : [...h, ...fill, ...r];
  const bytes = words.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

export function isValidIP(s: string): boolean {
  return parseIP(s) !== null;
}

/** Whether the address is IPv6 (an IPv4-mapped IPv6 address counts as IPv4, like Go's To4()). */
export function isIPv6String(s: string): boolean {
  const ip = parseIP(s);
  if (!ip) return false;
  return !(ip.bytes.slice(0, 10).every((b) => b === 0) && ip.bytes[10] === 0xff && ip.bytes[11] === 0xff);
}

export function isValidCIDR(s: string): boolean {
  const m = /^(.+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const ip = parseIP(m[1]);
  if (!ip) return false;
  const bits = Number(m[2]);
  return bits <= (ip.v4 ? 32 : 128);
}

/** validation.IsValidIP as a field error. */
export function validateIP(path: string, value: string): FieldError[] {
  return isValidIP(value) ? [] : [fieldErr.invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
}

export function validateCIDR(path: string, value: string): FieldError[] {
  return isValidCIDR(value) ? [] : [fieldErr.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
}

/**
 * ValidateNonSpecialIP (endpoints, external IPs): unspecified, loopback and link-local addresses
 * make no sense as service backends.
 */
export function validateNonSpecialIP(path: string, value: string): FieldError[] {
  const ip = parseIP(value);
  if (!ip) return [fieldErr.invalid(path, value, 'must be a valid IP address')];
  const b = ip.bytes;
  const isV4 = !isIPv6String(value);
  const errs: FieldError[] = [];
  const unspecified = isV4 ? b.slice(12).every((x) => x === 0) : b.every((x) => x === 0);
  const loopback = isV4 ? b[12] === 127 : b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
  const linkLocalUnicast = isV4 ? b[12] === 169 && b[13] === 254 : b[0] === 0xfe && (b[1] & 0xc0) === 0x80;
  const linkLocalMulticast = isV4 ? b[12] === 224 && b[13] === 0 && b[14] === 0 : b[0] === 0xff && (b[1] & 0x0f) === 0x02;
  if (unspecified) errs.push(fieldErr.invalid(path, value, `may not be unspecified (${value})`));
  if (loopback) errs.push(fieldErr.invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (linkLocalUnicast) errs.push(fieldErr.invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (linkLocalMulticast) errs.push(fieldErr.invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}
