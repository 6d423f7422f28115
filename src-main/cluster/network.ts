import type Docker from 'dockerode';
import { LABEL, labelFilters, networkName } from './labels.js';

// The cluster's own Docker bridge network. Its subnet is split in two:
//   - the first /24 holds the gateway (the host, where the API relay listens) and the nodes,
//     each pinned to a fixed address, so a node keeps its InternalIP across stop/start and a
//     partition can drop "every other node" with one rule that also covers nodes added later;
//   - the upper half is Docker's dynamic range (IPRange), used by pod sandboxes.
// The subnet itself comes from Docker's own allocator (which honours the daemon's
// default-address-pools and skips subnets in use): we create the network once without IPAM
// settings, read the subnet Docker picked, and recreate it with that subnet plus the split.

export interface NetworkLayout {
  id: string;
  name: string;
  /** e.g. 172.18.0.0/16 */
  subnet: string;
  /** e.g. 172.18.0.1: the host end of the bridge */
  gateway: string;
  /** e.g. 172.18.0.0/24: gateway + nodes */
  nodeRange: string;
  /** e.g. 172.18.128.0/17: Docker's dynamic range, where pod sandboxes get their addresses */
  podRange: string;
  /** The port nodes dial, fixed when the network was made (see ClusterManager: the relay keeps it). */
  apiPort?: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const [ip, p] = cidr.split('/');
  const prefix = Number(p);
  if (!ip || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ipToInt(ip) & mask) >>> 0, prefix };
}

export function cidrContains(cidr: string, ip: string): boolean {
  const { base, prefix } = parseCidr(cidr);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((ipToInt(ip) & mask) >>> 0) === base;
}

/** The node/pod split of a subnet; needs at least a /23 so that the two halves do not meet. */
export function splitSubnet(subnet: string): { nodeRange: string; podRange: string } {
  const { base, prefix } = parseCidr(subnet);
  if (prefix > 23) {
    throw new Error(
      `the Docker engine gave the cluster network a /${prefix} subnet (${subnet}); Flotilla needs /23 or larger: ` +
        'set "default-address-pools" with "size" 23 or less in the Docker daemon configuration',
    );
  }
  const half = 2 ** (32 - prefix - 1);
  return { nodeRange: `${intToIp(base)}/24`, podRange: `${intToIp(base + half)}/${prefix + 1}` };
}

/** The lowest address of the node range that is neither the gateway nor taken. */
export function pickNodeAddress(layout: NetworkLayout, taken: Iterable<string>): string {
  const used = new Set(taken);
  used.add(layout.gateway);
  const { base } = parseCidr(layout.nodeRange);
  for (let i = 2; i < 255; i++) {
    const ip = intToIp(base + i);
    if (!used.has(ip)) return ip;
  }
  throw new Error(`no free node address left in ${layout.nodeRange} (at most 252 nodes per cluster)`);
}

function layoutOf(info: Docker.NetworkInspectInfo): NetworkLayout {
  const cfg = info.IPAM?.Config?.find((c) => c.Subnet && !c.Subnet.includes(':'));
  if (!cfg?.Subnet) throw new Error(`Docker network ${info.Name} has no IPv4 subnet`);
  const gateway = cfg.Gateway || intToIp(parseCidr(cfg.Subnet).base + 1);
  const split = splitSubnet(cfg.Subnet);
  const apiPort = Number(info.Labels?.[LABEL.apiPort]) || undefined;
  return { id: info.Id, name: info.Name, subnet: cfg.Subnet, gateway, nodeRange: split.nodeRange, podRange: cfg.IPRange || split.podRange, apiPort };
}

export async function findClusterNetwork(docker: Docker, cluster: string): Promise<NetworkLayout | null> {
  const nets = await docker.listNetworks({ filters: labelFilters({ [LABEL.cluster]: cluster }) });
  const mine = nets.find((n) => n.Name === networkName(cluster)) ?? nets[0];
  if (!mine) return null;
  return layoutOf(await docker.getNetwork(mine.Id).inspect());
}

/** A network we made has its pod range set; a left-over probe (see above) has none and no containers. */
async function isFinished(docker: Docker, id: string): Promise<boolean> {
  const info = await docker.getNetwork(id).inspect();
  const hasRange = !!info.IPAM?.Config?.some((c) => c.IPRange);
  return hasRange || Object.keys(info.Containers ?? {}).length > 0;
}

function isConflict(e: unknown): boolean {
  const err = e as { statusCode?: number; message?: string };
  return err.statusCode === 409 || /already exists|overlaps/i.test(err.message ?? '');
}

/**
 * Finds the cluster's network or creates it (see the comment at the top), labelled with
 * `ownerLabels` (which control plane made it: identity.ts). Idempotent.
 */
export async function ensureClusterNetwork(docker: Docker, cluster: string, apiPort?: number, ownerLabels: Record<string, string> = {}): Promise<NetworkLayout> {
  const labels: Record<string, string> = { ...ownerLabels, [LABEL.cluster]: cluster, ...(apiPort ? { [LABEL.apiPort]: String(apiPort) } : {}) };
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await findClusterNetwork(docker, cluster);
    if (existing && (await isFinished(docker, existing.id))) return existing;
    if (existing) {
      // The probe network of a creation that crashed half-way (no dynamic range): redo it.
      await docker.getNetwork(existing.id).remove();
      continue;
    }
    const name = networkName(cluster);
    let probe: Docker.Network;
    try {
      probe = await docker.createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
    } catch (e) {
      if (isConflict(e)) continue; // someone else is creating it: look again
      throw e;
    }
    const picked = layoutOf(await probe.inspect());
    await probe.remove();
    try {
      await docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: labels,
        IPAM: { Driver: 'default', Config: [{ Subnet: picked.subnet, Gateway: picked.gateway, IPRange: picked.podRange }] },
      });
    } catch (e) {
      if (isConflict(e)) continue; // the subnet was taken in between: start over
      throw e;
    }
  }
  throw new Error(`could not create the Docker network ${networkName(cluster)}: it kept conflicting with other networks`);
}
