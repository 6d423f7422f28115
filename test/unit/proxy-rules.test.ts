import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../../src-main/api/types.js';
import { chainsIn, endpointChain, ensureJumpsScript, jumpRules, renderRules, restoreInput, serviceChain } from '../../src-main/proxy/iptablesRules.js';
import { buildServicePorts, categorizeEndpoints, type ProxyEndpoint, type ServicePortInfo } from '../../src-main/proxy/servicePorts.js';
import { staleFlowCommands, udpFlows, type UdpFlows } from '../../src-main/proxy/conntrack.js';

// kube-proxy's model and rules, as pkg/proxy (endpointslicecache, topology.go) and
// pkg/proxy/iptables/proxier.go build them. The Docker test (test/integration/kube-proxy.test.ts)
// shows the rules work in real pods; these pin down the decisions.

const svc = (name: string, spec: Record<string, unknown>): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: { clusterIP: '10.96.0.20', ...spec } }) as Service;

function slice(svcName: string, name: string, ports: { name?: string; port: number; protocol?: string }[], endpoints: { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean }[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'ns', labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    ports,
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      nodeName: e.node ?? 'n1',
      conditions: { ...(e.ready !== undefined ? { ready: e.ready } : {}), ...(e.serving !== undefined ? { serving: e.serving } : {}), ...(e.terminating !== undefined ? { terminating: e.terminating } : {}) },
    })),
  };
}

const ep = (ip: string, o: Partial<ProxyEndpoint> = {}): ProxyEndpoint => ({ ip, port: 80, ready: true, serving: true, terminating: false, local: false, ...o });
const port = (o: Partial<ServicePortInfo> = {}): ServicePortInfo => ({ name: 'ns/web:http', protocol: 'tcp', clusterIP: '10.96.0.20', port: 80, internalPolicyLocal: false, externalPolicyLocal: false, endpoints: [], ...o });

describe('buildServicePorts', () => {
  it('joins each service port with the slice port of the same name and protocol, merging slices', () => {
    const s = svc('web', { ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'dns', port: 53, protocol: 'UDP' }] });
    const ports = buildServicePorts(
      [s],
      [
        slice('web', 'web-a', [{ name: 'http', port: 8080 }, { name: 'dns', port: 5353, protocol: 'UDP' }], [{ ip: '10.0.0.2' }, { ip: '10.0.0.3', node: 'n2' }]),
        slice('web', 'web-b', [{ name: 'http', port: 8080 }], [{ ip: '10.0.0.3', node: 'n2' }, { ip: '10.0.0.4', ready: false }]),
        slice('other', 'other-a', [{ name: 'http', port: 1 }], [{ ip: '10.0.0.9' }]),
      ],
      'n1',
    );
    expect(ports.map((p) => [p.name, p.protocol, p.port])).toEqual([
      ['ns/web:dns', 'udp', 53],
      ['ns/web:http', 'tcp', 80],
    ]);
    expect(ports[1]!.endpoints).toEqual([
      { ip: '10.0.0.2', port: 8080, ready: true, serving: true, terminating: false, local: true },
      { ip: '10.0.0.3', port: 8080, ready: true, serving: true, terminating: false, local: false },
      { ip: '10.0.0.4', port: 8080, ready: false, serving: false, terminating: false, local: true },
    ]);
    expect(ports[0]!.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual(['10.0.0.2:5353', '10.0.0.3:5353']);
  });

  it('skips headless and ExternalName services, names an unnamed port ns/name, defaults ClientIP affinity to 10800 s', () => {
    const ports = buildServicePorts(
      [
        svc('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        svc('ext', { type: 'ExternalName', externalName: 'example.invalid', clusterIP: undefined, ports: [{ port: 80 }] }),
        svc('plain', { ports: [{ port: 80 }], sessionAffinity: 'ClientIP' }),
        svc('short', { ports: [{ port: 80 }], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, internalTrafficPolicy: 'Local' }),
      ],
      [],
      'n1',
    );
    expect(ports.map((p) => [p.name, p.stickySeconds, p.internalPolicyLocal])).toEqual([
      ['ns/plain', 10800, false],
      ['ns/short', 60, true],
    ]);
  });
});

describe('categorizeEndpoints', () => {
  it('uses ready endpoints, else serving terminating ones, for Cluster and Local independently', () => {
    const sp = port({ endpoints: [ep('1.1.1.1', { local: true, ready: false, serving: true, terminating: true }), ep('2.2.2.2'), ep('3.3.3.3', { ready: false, serving: false })] });
    const c = categorizeEndpoints(sp);
    expect(c.cluster.map((e) => e.ip)).toEqual(['2.2.2.2']);
    expect(c.local.map((e) => e.ip)).toEqual(['1.1.1.1']);
    expect(c.hasEndpoints).toBe(true);
    expect(categorizeEndpoints(port({ endpoints: [ep('1.1.1.1', { ready: false, serving: false, terminating: true })] })).hasEndpoints).toBe(false);
  });
});

describe('renderRules', () => {
  it('spreads over n endpoints with probabilities 1/n, 1/(n-1), ... and DNATs in per-endpoint chains', () => {
    const sp = port({ endpoints: [ep('10.0.0.1'), ep('10.0.0.2'), ep('10.0.0.3')] });
    const r = renderRules([sp], { nodePorts: false });
    const svcLines = r.nat.filter((l) => l.startsWith(`-A ${serviceChain(sp)} `));
    expect(svcLines.map((l) => /--probability (\S+)/.exec(l)?.[1] ?? 'last')).toEqual(['0.3333333333', '0.5000000000', 'last']);
    expect(r.nat).toContain(`-A KUBE-SERVICES -m comment --comment "ns/web:http cluster IP" -m tcp -p tcp -d 10.96.0.20/32 --dport 80 -j ${serviceChain(sp)}`);
    expect(r.nat).toContain(`-A ${endpointChain(sp, sp.endpoints[1]!)} -m comment --comment "ns/web:http" -m tcp -p tcp -j DNAT --to-destination 10.0.0.2:80`);
    expect(serviceChain(sp)).toMatch(/^KUBE-SVC-[A-Z2-7]{16}$/);
    expect(r.filter.some((l) => l.includes('REJECT'))).toBe(false);
  });

  it('REJECTs a service with no endpoints, DROPs a Local one with none on this node', () => {
    const none = renderRules([port()], { nodePorts: false });
    expect(none.filter).toContain('-A KUBE-SERVICES -m comment --comment "ns/web:http has no endpoints" -m tcp -p tcp -d 10.96.0.20/32 --dport 80 -j REJECT');
    expect(none.natChains.size).toBe(0);
    const remoteOnly = renderRules([port({ internalPolicyLocal: true, endpoints: [ep('10.0.0.1')] })], { nodePorts: false });
    expect(remoteOnly.filter).toContain('-A KUBE-SERVICES -m comment --comment "ns/web:http has no local endpoints" -m tcp -p tcp -d 10.96.0.20/32 --dport 80 -j DROP');
    const local = renderRules([port({ internalPolicyLocal: true, endpoints: [ep('10.0.0.1'), ep('10.0.0.2', { local: true })] })], { nodePorts: false });
    expect(local.nat.filter((l) => l.includes('DNAT')).map((l) => /--to-destination (\S+)/.exec(l)![1])).toEqual(['10.0.0.2:80']);
    expect([...local.natChains].some((c) => c.startsWith('KUBE-SVL-'))).toBe(true);
  });

  it('checks ClientIP affinity first and records it in the endpoint chain', () => {
    const sp = port({ stickySeconds: 60, endpoints: [ep('10.0.0.1'), ep('10.0.0.2')] });
    const r = renderRules([sp], { nodePorts: false });
    const sep = endpointChain(sp, sp.endpoints[0]!);
    const svcLines = r.nat.filter((l) => l.startsWith(`-A ${serviceChain(sp)} `));
    expect(svcLines[0]).toContain(`-m recent --name ${sep} --rcheck --seconds 60 --reap -j ${sep}`);
    expect(r.nat).toContain(`-A ${sep} -m comment --comment "ns/web:http" -m recent --name ${sep} --set -m tcp -p tcp -j DNAT --to-destination 10.0.0.1:80`);
  });

  it('adds NodePorts (with masquerade) only in the node namespace, after every ClusterIP rule', () => {
    const sp = port({ nodePort: 30080, endpoints: [ep('10.0.0.1')] });
    expect(renderRules([sp], { nodePorts: false }).nat.some((l) => l.includes('30080'))).toBe(false);
    const r = renderRules([sp], { nodePorts: true });
    const ext = [...r.natChains].find((c) => c.startsWith('KUBE-EXT-'))!;
    expect(r.nat).toContain(`-A KUBE-NODEPORTS -m comment --comment "ns/web:http" -m tcp -p tcp --dport 30080 -j ${ext}`);
    expect(r.nat).toContain(`-A ${ext} -j ${serviceChain(sp)}`);
    const services = r.nat.filter((l) => l.startsWith('-A KUBE-SERVICES '));
    expect(services.at(-1)).toContain('-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
    const none = renderRules([port({ nodePort: 30080 })], { nodePorts: true });
    expect(none.filter).toContain('-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns/web:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT');
  });
});

describe('restoreInput', () => {
  it('declares our chains (flushing them) and deletes stale service chains, leaving foreign chains alone', () => {
    const r = renderRules([port({ endpoints: [ep('10.0.0.1')] })], { nodePorts: false });
    const existing = chainsIn(':DOCKER_OUTPUT - [0:0]\n:KUBE-SVC-OLDOLDOLDOLDOLD1 - [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SEP-OLDOLDOLDOLDOLD2 - [0:0]\n');
    expect([...existing].sort()).toEqual(['KUBE-SEP-OLDOLDOLDOLDOLD2', 'KUBE-SERVICES', 'KUBE-SVC-OLDOLDOLDOLDOLD1']);
    const text = restoreInput(r, existing);
    expect(text).toContain(':KUBE-SVC-OLDOLDOLDOLDOLD1 - [0:0]');
    expect(text).toContain('-X KUBE-SVC-OLDOLDOLDOLDOLD1');
    expect(text).toContain('-X KUBE-SEP-OLDOLDOLDOLDOLD2');
    expect(text).not.toContain('-X KUBE-SERVICES');
    expect(text).not.toContain('DOCKER');
    expect(text.split('\n').filter((l) => l === 'COMMIT')).toHaveLength(2);
    // Deletions come after every rule, so no remaining rule can still jump to a deleted chain.
    expect(text.indexOf('-X ')).toBeGreaterThan(text.lastIndexOf('-A '));
  });

  it('hooks pods through OUTPUT only, the node also through PREROUTING, INPUT, FORWARD and POSTROUTING', () => {
    expect(jumpRules({ nodePorts: false }).map((j) => `${j.table}/${j.chain}`)).toEqual(['filter/OUTPUT', 'nat/OUTPUT']);
    expect(new Set(jumpRules({ nodePorts: true }).map((j) => `${j.table}/${j.chain}`))).toEqual(new Set(['filter/OUTPUT', 'nat/OUTPUT', 'filter/INPUT', 'filter/FORWARD', 'nat/PREROUTING', 'nat/POSTROUTING']));
    expect(ensureJumpsScript(jumpRules({ nodePorts: false })).split('\n')[1]).toBe(
      'iptables -w 5 -t nat -C OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES 2>/dev/null || iptables -w 5 -t nat -I OUTPUT 1 -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    );
  });
});

describe('stale UDP flows', () => {
  const flows = (m: Record<string, string[]>): UdpFlows => new Map(Object.entries(m).map(([k, v]) => [k, new Set(v)]));
  it('deletes flows to removed endpoints, untranslated flows once a Service gains endpoints, and every flow of a removed port', () => {
    const cmds = staleFlowCommands(
      flows({ '10.96.0.10:53': ['10.0.0.1', '10.0.0.2'], '10.96.0.20:53': [], '10.96.0.30:53': ['10.0.0.9'] }),
      flows({ '10.96.0.10:53': ['10.0.0.2', '10.0.0.3'], '10.96.0.20:53': ['10.0.0.4'], '10.96.0.40:53': ['10.0.0.5'] }),
    );
    expect(cmds.map((c) => c.replace(' >/dev/null 2>&1 || true', ''))).toEqual([
      'conntrack -D -p udp --orig-dst 10.96.0.10 --orig-port-dst 53 --reply-src 10.0.0.1',
      'conntrack -D -p udp --orig-dst 10.96.0.20 --orig-port-dst 53 --reply-src 10.96.0.20',
      'conntrack -D -p udp --orig-dst 10.96.0.30 --orig-port-dst 53',
      'conntrack -D -p udp --orig-dst 10.96.0.40 --orig-port-dst 53 --reply-src 10.96.0.40',
    ]);
    expect(staleFlowCommands(flows({ '10.96.0.10:53': ['10.0.0.1'] }), flows({ '10.96.0.10:53': ['10.0.0.1'] }))).toEqual([]);
  });

  it('counts only the endpoints the rules use: UDP ports, Local policy on this node', () => {
    const f = udpFlows([port({ protocol: 'tcp', endpoints: [ep('1.1.1.1')] }), port({ name: 'ns/dns:dns', protocol: 'udp', port: 53, internalPolicyLocal: true, endpoints: [ep('2.2.2.2'), ep('3.3.3.3', { local: true })] })]);
    expect([...f.entries()].map(([k, v]) => [k, [...v]])).toEqual([['10.96.0.20:53', ['3.3.3.3']]]);
  });
});
