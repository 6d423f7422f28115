import { categorizeEndpoints, type ServicePortInfo } from './servicePorts.js';

// Stale UDP flows (kube's pkg/proxy/conntrack CleanStaleEntries). A TCP connection to a ClusterIP
// that lost its endpoint fails and the client reconnects through the new rules, but a UDP "flow"
// is only a conntrack entry: while a client keeps sending from the same port, the kernel keeps
// translating to the endpoint it picked first, even after that pod is gone, and a flow created
// while the Service had no endpoint keeps going nowhere. So after each sync, in every namespace,
// the flows to a UDP service port whose reply source is no longer one of its endpoints are
// deleted: per removed endpoint, and the untranslated ones once a Service gains its first.

/** Per UDP service port (`clusterIP:port`): the endpoint IPs its rules send to. */
export type UdpFlows = Map<string, Set<string>>;

export function udpFlows(ports: ServicePortInfo[]): UdpFlows {
  const out: UdpFlows = new Map();
  for (const sp of ports) {
    if (sp.protocol !== 'udp') continue;
    const { cluster, local } = categorizeEndpoints(sp);
    const used = sp.internalPolicyLocal ? local : cluster;
    out.set(`${sp.clusterIP}:${sp.port}`, new Set(used.map((e) => e.ip)));
  }
  return out;
}

/** The `conntrack -D` commands that remove flows `before` allowed and `after` does not. */
export function staleFlowCommands(before: UdpFlows, after: UdpFlows): string[] {
  const cmds: string[] = [];
  const del = (vip: string, port: string, replySrc?: string) =>
    // Exit status 1 only means no flow matched.
    cmds.push(`conntrack -D -p udp --orig-dst ${vip} --orig-port-dst ${port}${replySrc ? ` --reply-src ${replySrc}` : ''} >/dev/null 2>&1 || true`);
  for (const [key, old] of before) {
    const [vip, port] = key.split(':') as [string, string];
    const now = after.get(key);
    if (!now) {
      if (old.size) del(vip, port); // the service port is gone: every flow to it
      continue;
    }
    for (const ip of old) if (!now.has(ip)) del(vip, port, ip);
    if (!old.size && now.size) del(vip, port, vip);
  }
  for (const [key, now] of after) {
    if (before.has(key) || !now.size) continue;
    const [vip, port] = key.split(':') as [string, string];
    // A new service port may have flows from before it existed (sent while it was REJECTed or
    // to nothing): untranslated ones reply from the VIP itself.
    del(vip, port, vip);
  }
  return cmds;
}
