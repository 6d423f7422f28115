// Service defaulting: core/v1 SetDefaults_Service plus what kube's Service registry fills in
// before validation (clusterIPs mirroring clusterIP, IP family fields on a single-stack IPv4
// cluster). Cluster IPs and node ports themselves are allocated by the registry, not here.

import type { KubeObject } from '../types.js';
import { isIPv6String } from '../validation/ip.js';
import { ensureObj, isObj, objects, setDefault, unset, type Obj } from './util.js';

export function defaultService(svc: KubeObject): void {
  const spec = ensureObj(svc as Obj, 'spec');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = isObj(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : undefined;
    const clientIP = cfg && isObj(cfg.clientIP) ? cfg.clientIP : undefined;
    if (!clientIP || unset(clientIP.timeoutSeconds)) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  setDefault(spec, 'type', 'ClusterIP');
  for (const p of objects(spec.ports)) {
    setDefault(p, 'protocol', 'TCP');
    if (unset(p.targetPort) || p.targetPort === 0) p.targetPort = p.port;
  }
  const type = spec.type;
  const external = type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (external) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if ((type === 'ClusterIP' || type === 'NodePort' || type === 'LoadBalancer') && unset(spec.internalTrafficPolicy)) spec.internalTrafficPolicy = 'Cluster';
  if (type === 'LoadBalancer' && unset(spec.allocateLoadBalancerNodePorts)) spec.allocateLoadBalancerNodePorts = true;

  if (type === 'ExternalName') return;
  // The registry keeps clusterIPs[0] equal to clusterIP.
  const ip = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
  if (ip && (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0)) spec.clusterIPs = [ip];
  // Flotilla is a single-stack IPv4 cluster. Headless Services without a selector may serve any
  // family, so kube gives them RequireDualStack; everything else is SingleStack.
  const headless = ip === 'None';
  const selectorless = !isObj(spec.selector) || Object.keys(spec.selector).length === 0;
  if (unset(spec.ipFamilyPolicy)) spec.ipFamilyPolicy = headless && selectorless ? 'RequireDualStack' : 'SingleStack';
  if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) {
    spec.ipFamilies = ip && !headless && isIPv6String(ip) ? ['IPv6'] : ['IPv4'];
  }
}

/**
 * What kube's Service registry does to an update before validating it, for the registry to call
 * ahead of validateUpdate: an omitted clusterIP/clusterIPs, IP families and node ports keep their
 * allocated values, and fields that no longer apply after a type change are dropped when the
 * client merely carried the old values along (patchAllocatedValues + dropTypeDependentFields).
 */
export function prepareServiceUpdate(svc: KubeObject, old: KubeObject): void {
  const spec = ensureObj(svc as Obj, 'spec');
  const oldSpec = isObj(old.spec) ? old.spec : {};
  const needsClusterIP = (s: Obj) => s.type !== 'ExternalName';
  const needsNodePorts = (s: Obj) => s.type === 'NodePort' || s.type === 'LoadBalancer';
  if (needsClusterIP(oldSpec) && needsClusterIP(spec)) {
    if (unset(spec.clusterIP)) spec.clusterIP = oldSpec.clusterIP;
    if (!Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) {
      if (spec.clusterIP === oldSpec.clusterIP && Array.isArray(oldSpec.clusterIPs)) spec.clusterIPs = [...oldSpec.clusterIPs];
    }
    if ((!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) && Array.isArray(oldSpec.ipFamilies)) spec.ipFamilies = [...oldSpec.ipFamilies];
    if (unset(spec.ipFamilyPolicy) && !unset(oldSpec.ipFamilyPolicy)) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
  }
  if (needsNodePorts(oldSpec) && needsNodePorts(spec)) {
    // A port keeps its node port when the client left it out (matched by name, else by port).
    const oldPorts = objects(oldSpec.ports);
    for (const p of objects(spec.ports)) {
      if (!unset(p.nodePort) && p.nodePort !== 0) continue;
      const match = oldPorts.find((o) => (p.name ? o.name === p.name : o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP')));
      if (match && !unset(match.nodePort)) p.nodePort = match.nodePort;
    }
  }
  if (oldSpec.type === 'LoadBalancer' && spec.type === 'LoadBalancer' && oldSpec.externalTrafficPolicy === 'Local' && spec.externalTrafficPolicy === 'Local') {
    if (unset(spec.healthCheckNodePort) || spec.healthCheckNodePort === 0) spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
  // Leaving ClusterIP-based types: drop the old IP fields if they are unchanged.
  if (needsClusterIP(oldSpec) && !needsClusterIP(spec)) {
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    if (same(spec.clusterIP, oldSpec.clusterIP) || unset(spec.clusterIP)) {
      delete spec.clusterIP;
      if (same(spec.clusterIPs, oldSpec.clusterIPs) || !Array.isArray(spec.clusterIPs) || spec.clusterIPs.length === 0) delete spec.clusterIPs;
    }
    if (same(spec.ipFamilies, oldSpec.ipFamilies)) delete spec.ipFamilies;
    if (same(spec.ipFamilyPolicy, oldSpec.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
  }
  // Leaving NodePort/LoadBalancer: node ports the client carried over are released.
  if (needsNodePorts(oldSpec) && !needsNodePorts(spec)) {
    const oldByNodePort = new Set(objects(oldSpec.ports).map((p) => p.nodePort));
    for (const p of objects(spec.ports)) if (!unset(p.nodePort) && oldByNodePort.has(p.nodePort)) delete p.nodePort;
    if (spec.healthCheckNodePort === oldSpec.healthCheckNodePort) delete spec.healthCheckNodePort;
  }
  if (oldSpec.type === 'LoadBalancer' && spec.type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) {
    delete spec.allocateLoadBalancerNodePorts;
  }
  if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer' && !(spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length)) {
    if (spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  }
}
