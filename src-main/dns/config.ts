import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import type { Upstream } from './forwarder.js';

// The DNS server's settings from its environment (main.ts lists them), checked up front so a
// bad value stops the process with a message naming the variable.

type Env = Record<string, string | undefined>;

export interface DnsConfig {
  host: string;
  port: number;
  /** Lower case, absolute. */
  zone: string;
  ttl: number;
  upstreams: Upstream[];
  forwardTimeoutMs: number;
  localIPs: string[];
}

export const DEFAULT_RESOLV_CONF = '/etc/resolv.conf';

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}=${v}: a whole number from ${min} to ${max}`);
  return n;
}

/** "ip", "ip:port" or "[ipv6]:port" (port 53 when absent). */
export function parseHostPort(s: string, what: string, dfltPort = 53): Upstream {
  const t = s.trim();
  let host = t;
  let port = dfltPort;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (t.split(':').length === 2) {
    [host, port] = [t.split(':')[0]!, Number(t.split(':')[1])];
  }
  if (!net.isIP(host) || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${what}: "${s}" is not an IP address with an optional port`);
  return { host, port };
}

/** The nameserver lines of a resolv.conf (what CoreDNS's `forward . /etc/resolv.conf` uses). */
export function resolvConfNameservers(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && net.isIP(m[1]!.split('%')[0]!)) out.push({ host: m[1]!.split('%')[0]!, port: 53 });
  }
  return out;
}

/** CoreDNS's boundIPs: the listen address unless it is a wildcard, else every non-loopback address. */
export function localAddresses(host: string): string[] {
  if (host !== '0.0.0.0' && host !== '::') return net.isIP(host) && !host.startsWith('127.') && host !== '::1' ? [host] : [];
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (!a.internal) out.push(a.address.split('%')[0]!);
  return out;
}

export function dnsConfigFromEnv(env: Env): DnsConfig {
  const listen = parseHostPort(env.FLOTILLA_DNS_LISTEN || '0.0.0.0:53', 'FLOTILLA_DNS_LISTEN');
  const zone = (env.FLOTILLA_DNS_ZONE || env.FLOTILLA_CLUSTER_DOMAIN || 'cluster.local').toLowerCase().replace(/\.?$/, '.');
  if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+$/.test(zone)) throw new Error(`FLOTILLA_DNS_ZONE: "${zone}" is not a domain name`);
  let upstreams: Upstream[];
  if (env.FLOTILLA_DNS_UPSTREAMS) {
    upstreams = env.FLOTILLA_DNS_UPSTREAMS.split(',')
      .filter((s) => s.trim())
      .map((s) => parseHostPort(s, 'FLOTILLA_DNS_UPSTREAMS'));
  } else {
    const file = env.FLOTILLA_DNS_RESOLV_CONF || DEFAULT_RESOLV_CONF;
    upstreams = resolvConfNameservers(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  }
  const localIPs = env.FLOTILLA_DNS_LOCAL_IPS
    ? env.FLOTILLA_DNS_LOCAL_IPS.split(',').map((s) => parseHostPort(s, 'FLOTILLA_DNS_LOCAL_IPS').host)
    : localAddresses(listen.host);
  return {
    host: listen.host,
    port: listen.port,
    zone,
    ttl: int(env, 'FLOTILLA_DNS_TTL', 30, 0, 3600),
    upstreams,
    forwardTimeoutMs: int(env, 'FLOTILLA_DNS_FORWARD_TIMEOUT_MS', 5000, 1, 60_000),
    localIPs,
  };
}
