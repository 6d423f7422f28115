import { createHash } from 'node:crypto';
import { categorizeEndpoints, type ProxyEndpoint, type ServicePortInfo } from './servicePorts.js';

// kube-proxy's iptables rules (pkg/proxy/iptables/proxier.go syncProxyRules), rendered as
// iptables-restore input. The chain shape is kube's, so `iptables-save` reads as it does on any
// Kubernetes node:
//   nat    KUBE-SERVICES  -d <clusterIP> --dport <port>  -> KUBE-SVC-<hash>   (or KUBE-SVL-<hash>
//                                                            for internalTrafficPolicy: Local)
//          KUBE-SVC-<hash> [ClientIP affinity: -m recent --rcheck per endpoint]
//                          -m statistic --mode random --probability 1/(n-i) -> KUBE-SEP-<hash>
//          KUBE-SEP-<hash> -s <own ip> -> KUBE-MARK-MASQ; [-m recent --set] DNAT --to <ip:port>
//          KUBE-NODEPORTS  --dport <nodePort> -> KUBE-EXT-<hash> -> KUBE-MARK-MASQ, KUBE-SVC-<hash>
//   filter KUBE-SERVICES / KUBE-EXTERNAL-SERVICES: REJECT for a service with no endpoints at all
//          (a client is refused at once, never left to time out), DROP where a Local policy has
//          no endpoint on this node.
// Rendering is pure: the same service ports give the same text.

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
/** kube-proxy's default --iptables-masquerade-bit 14. */
const MASQ_MARK = '0x4000';

/** Prefixes of the per-service and per-endpoint chains: stale ones with these are deleted. */
const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-SEP-', 'KUBE-FW-'];

export function isServiceChain(chain: string): boolean {
  return SERVICE_CHAIN_PREFIXES.some((p) => chain.startsWith(p));
}

/** kube's portProtoHash: base32 of sha256, first 16 characters. */
function hash16(s: string): string {
  const digest = createHash('sha256').update(s).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 16) break;
  }
  return out;
}

export const serviceChain = (sp: ServicePortInfo) => `KUBE-SVC-${hash16(sp.name + sp.protocol)}`;
export const localServiceChain = (sp: ServicePortInfo) => `KUBE-SVL-${hash16(sp.name + sp.protocol)}`;
export const externalChain = (sp: ServicePortInfo) => `KUBE-EXT-${hash16(sp.name + sp.protocol)}`;
export const endpointChain = (sp: ServicePortInfo, e: ProxyEndpoint) => `KUBE-SEP-${hash16(sp.name + sp.protocol + `${e.ip}:${e.port}`)}`;

export interface RenderOptions {
  /** The node's own namespace: NodePorts, masquerade; pods' namespaces need only ClusterIPs. */
  nodePorts: boolean;
}

export interface RenderedRules {
  filter: string[];
  nat: string[];
  /** Every per-service/per-endpoint nat chain the rules use (the rest of ours are stale). */
  natChains: Set<string>;
}

const comment = (text: string) => `-m comment --comment "${text.replace(/["\\]/g, '')}"`;

/** kube formats probabilities with %0.10f. */
const probability = (n: number) => (1 / n).toFixed(10);

function serviceToEndpointRules(nat: string[], sp: ServicePortInfo, chain: string, endpoints: ProxyEndpoint[]): void {
  if (sp.stickySeconds !== undefined) {
    for (const e of endpoints) {
      nat.push(`-A ${chain} ${comment(`${sp.name} -> ${e.ip}:${e.port}`)} -m recent --name ${endpointChain(sp, e)} --rcheck --seconds ${sp.stickySeconds} --reap -j ${endpointChain(sp, e)}`);
    }
  }
  endpoints.forEach((e, i) => {
    const rest = endpoints.length - i;
    const pick = rest > 1 ? ` -m statistic --mode random --probability ${probability(rest)}` : '';
    nat.push(`-A ${chain} ${comment(`${sp.name} -> ${e.ip}:${e.port}`)}${pick} -j ${endpointChain(sp, e)}`);
  });
}

export function renderRules(ports: ServicePortInfo[], opts: RenderOptions): RenderedRules {
  const filterChains = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD].map((c) => `:${c} - [0:0]`);
  const filter: string[] = [];
  const natChainLines = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ].map((c) => `:${c} - [0:0]`);
  const nat: string[] = [];
  const natChains = new Set<string>();
  const declare = (c: string) => {
    if (natChains.has(c)) return;
    natChains.add(c);
    natChainLines.push(`:${c} - [0:0]`);
  };

  nat.push(`-A ${KUBE_POSTROUTING} -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  nat.push(`-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${MASQ_MARK}`);
  nat.push(`-A ${KUBE_POSTROUTING} ${comment('kubernetes service traffic requiring SNAT')} -j MASQUERADE`);
  nat.push(`-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${MASQ_MARK}`);

  for (const sp of ports) {
    const proto = sp.protocol;
    const match = `-m ${proto} -p ${proto}`;
    const { cluster, local, hasEndpoints } = categorizeEndpoints(sp);
    const useNodePort = opts.nodePorts && sp.nodePort !== undefined;
    // Which policy chains this port needs (kube's UsesClusterEndpoints / UsesLocalEndpoints).
    const usesCluster = !sp.internalPolicyLocal || (useNodePort && !sp.externalPolicyLocal);
    const usesLocal = sp.internalPolicyLocal || (useNodePort && sp.externalPolicyLocal);
    const clusterChain = serviceChain(sp);
    const localChain = localServiceChain(sp);
    const clusterEndpoints = usesCluster ? cluster : [];
    const localEndpoints = usesLocal ? local : [];
    const noEndpoints = () => (hasEndpoints ? { target: 'DROP', why: `${sp.name} has no local endpoints` } : { target: 'REJECT', why: `${sp.name} has no endpoints` });

    // ClusterIP.
    const internal = sp.internalPolicyLocal ? localEndpoints : clusterEndpoints;
    if (hasEndpoints && internal.length) {
      nat.push(`-A ${KUBE_SERVICES} ${comment(`${sp.name} cluster IP`)} ${match} -d ${sp.clusterIP}/32 --dport ${sp.port} -j ${sp.internalPolicyLocal ? localChain : clusterChain}`);
    } else {
      const { target, why } = noEndpoints();
      filter.push(`-A ${KUBE_SERVICES} ${comment(why)} ${match} -d ${sp.clusterIP}/32 --dport ${sp.port} -j ${target}`);
    }

    // NodePort, in the node's own namespace.
    if (useNodePort) {
      const external = sp.externalPolicyLocal ? localEndpoints : clusterEndpoints;
      if (hasEndpoints) {
        const ext = externalChain(sp);
        declare(ext);
        nat.push(`-A ${KUBE_NODEPORTS} ${comment(sp.name)} ${match} --dport ${sp.nodePort} -j ${ext}`);
        if (!sp.externalPolicyLocal) nat.push(`-A ${ext} ${comment(`masquerade traffic for ${sp.name} external destinations`)} -j ${KUBE_MARK_MASQ}`);
        else nat.push(`-A ${ext} ${comment(`masquerade LOCAL traffic for ${sp.name} external destinations`)} -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`);
        if (external.length) nat.push(`-A ${ext} -j ${sp.externalPolicyLocal ? localChain : clusterChain}`);
      }
      if (!external.length) {
        const { target, why } = noEndpoints();
        filter.push(`-A ${KUBE_EXTERNAL_SERVICES} ${comment(why)} -m addrtype --dst-type LOCAL ${match} --dport ${sp.nodePort} -j ${target}`);
      }
    }

    // The policy chains and the endpoint chains they pick from.
    if (clusterEndpoints.length) {
      declare(clusterChain);
      serviceToEndpointRules(nat, sp, clusterChain, clusterEndpoints);
    }
    if (localEndpoints.length) {
      declare(localChain);
      serviceToEndpointRules(nat, sp, localChain, localEndpoints);
    }
    const reachable = new Map<string, ProxyEndpoint>();
    for (const e of [...clusterEndpoints, ...localEndpoints]) reachable.set(`${e.ip}:${e.port}`, e);
    for (const e of reachable.values()) {
      const sep = endpointChain(sp, e);
      declare(sep);
      nat.push(`-A ${sep} ${comment(sp.name)} -s ${e.ip}/32 -j ${KUBE_MARK_MASQ}`);
      const affinity = sp.stickySeconds !== undefined ? ` -m recent --name ${sep} --set` : '';
      nat.push(`-A ${sep} ${comment(sp.name)}${affinity} ${match} -j DNAT --to-destination ${e.ip}:${e.port}`);
    }
  }

  // NodePorts last: only addresses of this namespace, after every ClusterIP rule.
  if (opts.nodePorts) nat.push(`-A ${KUBE_SERVICES} ${comment('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL -j ${KUBE_NODEPORTS}`);
  filter.push(`-A ${KUBE_FORWARD} ${comment('kubernetes forwarding rules')} -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`);
  filter.push(`-A ${KUBE_FORWARD} ${comment('kubernetes forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);

  return { filter: [...filterChains, ...filter], nat: [...natChainLines, ...nat], natChains };
}

/**
 * The iptables-restore input (for `--noflush`): our chains are declared, which flushes them, and
 * refilled; stale per-service chains found in the namespace are declared and deleted.
 */
export function restoreInput(rules: RenderedRules, existingNatChains: Iterable<string>): string {
  const stale = [...existingNatChains].filter((c) => isServiceChain(c) && !rules.natChains.has(c)).sort();
  return [
    '*filter',
    ...rules.filter,
    'COMMIT',
    '*nat',
    ...rules.nat.filter((l) => l.startsWith(':')),
    ...stale.map((c) => `:${c} - [0:0]`),
    ...rules.nat.filter((l) => !l.startsWith(':')),
    ...stale.map((c) => `-X ${c}`),
    'COMMIT',
    '',
  ].join('\n');
}

/** The rules that hook our chains into the built-in ones (kube's iptablesJumpChains). */
export interface JumpRule {
  table: 'filter' | 'nat';
  chain: string;
  args: string;
}

export function jumpRules(opts: RenderOptions): JumpRule[] {
  const rules: JumpRule[] = [
    { table: 'filter', chain: 'OUTPUT', args: `-m conntrack --ctstate NEW ${comment('kubernetes service portals')} -j ${KUBE_SERVICES}` },
    { table: 'nat', chain: 'OUTPUT', args: `${comment('kubernetes service portals')} -j ${KUBE_SERVICES}` },
  ];
  if (opts.nodePorts) {
    rules.push(
      { table: 'filter', chain: 'INPUT', args: `-m conntrack --ctstate NEW ${comment('kubernetes externally-visible service portals')} -j ${KUBE_EXTERNAL_SERVICES}` },
      { table: 'filter', chain: 'FORWARD', args: `-m conntrack --ctstate NEW ${comment('kubernetes externally-visible service portals')} -j ${KUBE_EXTERNAL_SERVICES}` },
      { table: 'filter', chain: 'FORWARD', args: `-m conntrack --ctstate NEW ${comment('kubernetes service portals')} -j ${KUBE_SERVICES}` },
      { table: 'filter', chain: 'FORWARD', args: `${comment('kubernetes forwarding rules')} -j ${KUBE_FORWARD}` },
      { table: 'nat', chain: 'PREROUTING', args: `${comment('kubernetes service portals')} -j ${KUBE_SERVICES}` },
      { table: 'nat', chain: 'POSTROUTING', args: `${comment('kubernetes postrouting rules')} -j ${KUBE_POSTROUTING}` },
    );
  }
  return rules;
}

/** A shell script that inserts each jump rule at the top of its chain unless it is there. */
export function ensureJumpsScript(rules: JumpRule[]): string {
  return rules.map((r) => `iptables -w 5 -t ${r.table} -C ${r.chain} ${r.args} 2>/dev/null || iptables -w 5 -t ${r.table} -I ${r.chain} 1 ${r.args}`).join('\n');
}

/** Our chain names in `iptables-save` output. */
export function chainsIn(save: string): Set<string> {
  const out = new Set<string>();
  for (const line of save.split('\n')) {
    const m = /^:(KUBE-[A-Z0-9-]+) /.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}
