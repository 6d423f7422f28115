import type Docker from 'dockerode';
import { execIn } from './exec.js';
import type { NetworkLayout } from './network.js';

// A network partition of one node: the node container can no longer reach the API server or
// any other node (and they cannot reach it), while its pods, which are sibling containers with
// network namespaces of their own, keep running and keep talking to everything.
//
// We drop packets with iptables in the node container's own network namespace (run through
// `docker exec`, so it works wherever the engine runs, Docker Desktop included). Why not
// `docker network disconnect`? It removes the node's interface, so the kubelet sees instant
// "network unreachable" errors instead of the silence of a real partition, the node loses its
// address and its DNS, and reconnecting must restore them. DROP rules are silent (established
// watches just stall, leases time out), keep the node's address, and heal in milliseconds.
//
// The rules live in two chains of their own, hooked first into INPUT and OUTPUT of the filter
// table (kube-proxy works in the nat table), and they allow:
//   - loopback (the node talking to itself, Docker's embedded DNS at 127.0.0.11);
//   - the pod range of the cluster network, so the kubelet can still probe its pods;
// and drop the node range (gateway = the host's API relay, and every other node, including
// nodes added later) and everything outside the cluster network (the host on Docker Desktop).
// A container restart creates a fresh namespace without the rules, so the manager re-applies
// them on start and on adoption.

export const CHAIN_IN = 'FLOTILLA-PARTITION-IN';
export const CHAIN_OUT = 'FLOTILLA-PARTITION-OUT';

export function partitionScript(layout: Pick<NetworkLayout, 'nodeRange' | 'subnet'>): string {
  return [
    'set -e',
    `iptables -w -N ${CHAIN_IN} 2>/dev/null || true`,
    `iptables -w -N ${CHAIN_OUT} 2>/dev/null || true`,
    `iptables -w -F ${CHAIN_IN}`,
    `iptables -w -F ${CHAIN_OUT}`,
    `iptables -w -A ${CHAIN_IN} -i lo -j RETURN`,
    `iptables -w -A ${CHAIN_IN} -s ${layout.nodeRange} -j DROP`,
    `iptables -w -A ${CHAIN_IN} ! -s ${layout.subnet} -j DROP`,
    `iptables -w -A ${CHAIN_OUT} -o lo -j RETURN`,
    `iptables -w -A ${CHAIN_OUT} -d ${layout.nodeRange} -j DROP`,
    `iptables -w -A ${CHAIN_OUT} ! -d ${layout.subnet} -j DROP`,
    `iptables -w -C INPUT -j ${CHAIN_IN} 2>/dev/null || iptables -w -I INPUT 1 -j ${CHAIN_IN}`,
    `iptables -w -C OUTPUT -j ${CHAIN_OUT} 2>/dev/null || iptables -w -I OUTPUT 1 -j ${CHAIN_OUT}`,
  ].join('\n');
}

export const HEAL_SCRIPT = [
  `while iptables -w -D INPUT -j ${CHAIN_IN} 2>/dev/null; do :; done`,
  `while iptables -w -D OUTPUT -j ${CHAIN_OUT} 2>/dev/null; do :; done`,
  `iptables -w -F ${CHAIN_IN} 2>/dev/null || true`,
  `iptables -w -F ${CHAIN_OUT} 2>/dev/null || true`,
  `iptables -w -X ${CHAIN_IN} 2>/dev/null || true`,
  `iptables -w -X ${CHAIN_OUT} 2>/dev/null || true`,
].join('\n');

async function runScript(docker: Docker, containerId: string, what: string, script: string): Promise<void> {
  const r = await execIn(docker, containerId, ['sh', '-c', script]);
  if (r.exitCode !== 0) {
    throw new Error(`${what} failed in node container ${containerId.slice(0, 12)} (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`);
  }
}

export function applyPartition(docker: Docker, containerId: string, layout: NetworkLayout): Promise<void> {
  return runScript(docker, containerId, 'partition', partitionScript(layout));
}

export function removePartition(docker: Docker, containerId: string): Promise<void> {
  return runScript(docker, containerId, 'heal', HEAL_SCRIPT);
}
