// Services (core ValidateService / ValidateServiceUpdate). Cluster IPs and node ports are allocated
// by the registry after validation, so an omitted clusterIP on update means "keep the old one"
// (kube's patchAllocatedValues does the same before validating); changing it is an error.

import type { KubeObject } from '../types.js';
import { fieldErr, rendered, type FieldError } from './fieldErrors.js';
import { validatePortNumOrName } from './container.js';
import { goIntOrString, goQuote, goStrings } from './goRender.js';
import { isIPv6String, validateCIDR, validateIP, validateNonSpecialIP } from './ip.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortNum, nameIsDNS1035Label } from './names.js';
import { arr, child, index, isNum, isObj, obj, str, type Obj } from './util.js';

const META = { nameFn: nameIsDNS1035Label, requiresNamespace: true };
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const KUBELET_PORT = 10250;
const MAX_AFFINITY_SECONDS = 86400;

/** clusterIPs as kube's strategy normalises them: derived from clusterIP when only that was given. */
export function effectiveClusterIPs(spec: Obj): string[] {
  const ips = arr(spec.clusterIPs).map(str);
  const ip = str(spec.clusterIP);
  if (ips.length === 0 && ip) return [ip];
  if (ip && ips[0] !== ip) return [ip, ...ips.slice(1)];
  return ips;
}

function isHeadless(spec: Obj): boolean {
  const ips = effectiveClusterIPs(spec);
  return ips.length === 1 && ips[0] === 'None';
}

/** ServicePort rendered with %#v, as kube prints a duplicate (protocol, port) pair. */
function goServicePort(protocol: string, port: number): string {
  return `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:${goIntOrString(0)}, NodePort:0}`;
}

function validateServicePort(sp: Obj, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name);
  if (requireName && !name) errs.push(fieldErr.required(child(path, 'name'), ''));
  else if (name) {
    isDNS1123Label(name).forEach((m) => errs.push(fieldErr.invalid(child(path, 'name'), name, m)));
    if (names.has(name)) errs.push(fieldErr.duplicate(child(path, 'name'), name));
    else names.add(name);
  }
  const port = isNum(sp.port) ? sp.port : 0;
  isValidPortNum(port).forEach((m) => errs.push(fieldErr.invalid(child(path, 'port'), port, m)));
  const proto = str(sp.protocol);
  if (!proto) errs.push(fieldErr.required(child(path, 'protocol'), ''));
  else if (!PROTOCOLS.includes(proto)) errs.push(fieldErr.notSupported(child(path, 'protocol'), proto, PROTOCOLS));
  errs.push(...validatePortNumOrName(sp.targetPort, child(path, 'targetPort')));
  if (typeof sp.appProtocol === 'string') isQualifiedName(sp.appProtocol).forEach((m) => errs.push(fieldErr.invalid(child(path, 'appProtocol'), sp.appProtocol, m)));
  return errs;
}

/** ValidateServiceClusterIPsRelatedFields (not for ExternalName). */
function validateClusterIPFields(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const ips = effectiveClusterIPs(spec);
  const families = arr(spec.ipFamilies).map(str);
  const seen = new Set<string>();
  families.forEach((f, i) => {
    const p = index('spec.ipFamilies', i);
    if (!IP_FAMILIES.includes(f)) errs.push(fieldErr.notSupported(p, f, IP_FAMILIES));
    if (seen.has(f)) errs.push(fieldErr.duplicate(p, f));
    seen.add(f);
  });
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
    const pol = str(spec.ipFamilyPolicy);
    if (!IP_FAMILY_POLICIES.includes(pol)) errs.push(fieldErr.notSupported('spec.ipFamilyPolicy', pol, IP_FAMILY_POLICIES));
  }
  let invalid = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        invalid = true;
        errs.push(fieldErr.invalid('spec.clusterIPs', rendered(goStrings(ips)), "'None' must be the first and only value"));
      }
      return;
    }
    const e = validateIP(index('spec.clusterIPs', i), ip);
    if (e.length) invalid = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(fieldErr.invalid('spec.clusterIPs', rendered(goStrings(ips)), 'may only hold up to 2 values'));
  if (invalid) return errs;
  if (ips.length > 1 && isIPv6String(ips[0]) === isIPv6String(ips[1])) {
    errs.push(fieldErr.invalid('spec.clusterIPs', rendered(goStrings(ips)), 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(spec)) {
    ips.forEach((ip, i) => {
      if (i >= families.length) return;
      if (families[i] === 'IPv4' && isIPv6String(ip)) errs.push(fieldErr.invalid(index('spec.clusterIPs', i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (families[i] === 'IPv6' && !isIPv6String(ip)) errs.push(fieldErr.invalid(index('spec.clusterIPs', i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

/** ValidateService (create and, after the update-only checks, update). */
function validateServiceSpec(svc: KubeObject): FieldError[] {
  const spec = obj(svc.spec);
  const type = str(spec.type);
  const ports = arr(spec.ports).map(obj);
  const errs: FieldError[] = [];
  if (ports.length === 0 && !isHeadless(spec) && type !== 'ExternalName') errs.push(fieldErr.required('spec.ports', ''));
  if (type === 'LoadBalancer') {
    ports.forEach((p, i) => {
      if (p.port === KUBELET_PORT) errs.push(fieldErr.invalid(index('spec.ports', i), KUBELET_PORT, `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`));
    });
    if (isHeadless(spec)) errs.push(fieldErr.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"));
  } else if (type === 'NodePort') {
    if (isHeadless(spec)) errs.push(fieldErr.invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
  } else if (type === 'ExternalName') {
    if (effectiveClusterIPs(spec).length > 0) errs.push(fieldErr.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (arr(spec.ipFamilies).length > 0) errs.push(fieldErr.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) errs.push(fieldErr.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    // The value is a CNAME and may carry a trailing dot.
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (cname) isDNS1123Subdomain(cname).forEach((m) => errs.push(fieldErr.invalid('spec.externalName', cname, m)));
    else errs.push(fieldErr.required('spec.externalName', ''));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, index('spec.ports', i))));
  if (spec.selector !== undefined && spec.selector !== null) errs.push(...validateLabels(spec.selector, 'spec.selector'));

  const affinity = str(spec.sessionAffinity);
  if (!affinity) errs.push(fieldErr.required('spec.sessionAffinity', ''));
  else if (!SESSION_AFFINITIES.includes(affinity)) errs.push(fieldErr.notSupported('spec.sessionAffinity', affinity, SESSION_AFFINITIES));
  if (affinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig;
    const why = 'when session affinity type is ClientIP';
    if (!isObj(cfg)) errs.push(fieldErr.required('spec.sessionAffinityConfig', why));
    else if (!isObj(cfg.clientIP)) errs.push(fieldErr.required('spec.sessionAffinityConfig.clientIP', why));
    else if (!isNum(cfg.clientIP.timeoutSeconds)) errs.push(fieldErr.required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', why));
    else if (cfg.clientIP.timeoutSeconds <= 0 || cfg.clientIP.timeoutSeconds > MAX_AFFINITY_SECONDS) {
      errs.push(fieldErr.invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', cfg.clientIP.timeoutSeconds, `must be greater than 0 and less than ${MAX_AFFINITY_SECONDS}`));
    }
  } else if (affinity === 'None' && spec.sessionAffinityConfig !== undefined && spec.sessionAffinityConfig !== null) {
    errs.push(fieldErr.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }

  if (type !== 'ExternalName') errs.push(...validateClusterIPFields(spec));

  arr(spec.externalIPs).forEach((ip, i) => {
    const p = index('spec.externalIPs', i);
    const e = validateIP(p, str(ip));
    errs.push(...(e.length ? e : validateNonSpecialIP(p, str(ip))));
  });

  if (!type) errs.push(fieldErr.required('spec.type', ''));
  else if (!SERVICE_TYPES.includes(type)) errs.push(fieldErr.notSupported('spec.type', type, SERVICE_TYPES));

  // Node ports belong to NodePort/LoadBalancer Services only (their range is the allocator's business).
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (isNum(p.nodePort) && p.nodePort !== 0) errs.push(fieldErr.forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!isNum(p.nodePort) || p.nodePort === 0) return;
    const k = `${str(p.protocol)}/${p.nodePort}`;
    if (nodePorts.has(k)) errs.push(fieldErr.duplicate(child(index('spec.ports', i), 'nodePort'), p.nodePort));
    nodePorts.add(k);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const port = isNum(p.port) ? p.port : 0;
    const k = `${str(p.protocol)}/${port}`;
    if (portKeys.has(k)) errs.push(fieldErr.duplicate(index('spec.ports', i), rendered(goServicePort(str(p.protocol), port))));
    portKeys.add(k);
  });

  const ranges = arr(spec.loadBalancerSourceRanges).map(str);
  if (ranges.length) {
    if (type !== 'LoadBalancer') errs.push(fieldErr.forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...validateCIDR(index('spec.LoadBalancerSourceRanges', i), r.trim())));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null && type !== 'LoadBalancer') {
    errs.push(fieldErr.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  // kube reports this one without the "spec." prefix.
  if (type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    errs.push(fieldErr.required('allocateLoadBalancerNodePorts', ''));
  }
  if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
    if (type === 'LoadBalancer') isQualifiedName(str(spec.loadBalancerClass)).forEach((m) => errs.push(fieldErr.invalid('spec.loadBalancerClass', str(spec.loadBalancerClass), m)));
    else errs.push(fieldErr.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }

  // External traffic policy applies to externally reachable Services only.
  const external = type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && arr(spec.externalIPs).length > 0);
  const etp = str(spec.externalTrafficPolicy);
  if (!external) {
    if (etp) errs.push(fieldErr.invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(fieldErr.required('spec.externalTrafficPolicy', ''));
  else if (!TRAFFIC_POLICIES.includes(etp)) errs.push(fieldErr.notSupported('spec.externalTrafficPolicy', etp, TRAFFIC_POLICIES));
  const needsHealthCheck = type === 'LoadBalancer' && etp === 'Local';
  if (!needsHealthCheck && isNum(spec.healthCheckNodePort) && spec.healthCheckNodePort !== 0) {
    errs.push(fieldErr.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  if (needsHealthCheck && isNum(spec.healthCheckNodePort) && spec.healthCheckNodePort !== 0) {
    isValidPortNum(spec.healthCheckNodePort).forEach((m) => errs.push(fieldErr.invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, m)));
  }

  const itp = spec.internalTrafficPolicy;
  if ((itp === undefined || itp === null) && (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP')) {
    errs.push(fieldErr.required('spec.internalTrafficPolicy', ''));
  }
  if (itp !== undefined && itp !== null && !TRAFFIC_POLICIES.includes(str(itp))) errs.push(fieldErr.notSupported('spec.internalTrafficPolicy', str(itp), TRAFFIC_POLICIES));
  if (spec.trafficDistribution !== undefined && spec.trafficDistribution !== null && spec.trafficDistribution !== 'PreferClose') {
    errs.push(fieldErr.notSupported('spec.trafficDistribution', str(spec.trafficDistribution), ['PreferClose']));
  }
  return errs;
}

/**
 * validateUpgradeDowngradeClusterIPs: once set, the primary cluster IP never changes. An omitted
 * clusterIP keeps the allocated one (the registry restores it), so only a different value errs.
 */
function validateClusterIPUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  if (str(spec.type) === 'ExternalName' || str(oldSpec.type) === 'ExternalName') return [];
  const oldIPs = effectiveClusterIPs(oldSpec);
  const newIPs = str(spec.clusterIP) || arr(spec.clusterIPs).length ? effectiveClusterIPs(spec) : oldIPs;
  if (isHeadless(oldSpec) && newIPs.length === 1 && newIPs[0] === 'None') return [];
  const shown = rendered(goStrings(newIPs));
  const errs: FieldError[] = [];
  if (oldIPs.length === newIPs.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== newIPs[i]) errs.push(fieldErr.invalid(index('spec.clusterIPs', i), shown, 'may not change once set'));
    });
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length > 0 && newIPs[0] !== oldIPs[0]) errs.push(fieldErr.invalid('spec.clusterIPs[0]', shown, 'may not change once set'));
    if (newIPs.length === 1 && str(spec.ipFamilyPolicy) !== 'SingleStack') {
      errs.push(fieldErr.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null ? rendered('"null"') : str(spec.ipFamilyPolicy), "must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(fieldErr.invalid('spec.clusterIPs[0]', shown, 'may not change once set'));
  }
  return errs;
}

/** validateUpgradeDowngradeIPFamilies: the primary family is fixed (headless Services may change). */
function validateIPFamiliesUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  if (str(spec.type) === 'ExternalName' || str(oldSpec.type) === 'ExternalName') return [];
  if (isHeadless(spec) || isHeadless(oldSpec)) return [];
  const oldF = arr(oldSpec.ipFamilies).map(str);
  const newF = arr(spec.ipFamilies).map(str);
  if (newF.length === 0 || oldF.length === 0) return [];
  const shown = rendered(goStrings(newF, 'core.IPFamily'));
  if (newF[0] !== oldF[0]) return [fieldErr.invalid('spec.ipFamilies[0]', shown, 'may not change once set')];
  if (oldF.length === newF.length && oldF[1] !== undefined && oldF[1] !== newF[1]) return [fieldErr.invalid('spec.ipFamilies[0]', shown, 'may not change once set')];
  return [];
}

export function validateServiceCreate(svc: KubeObject): FieldError[] {
  return [...validateObjectMeta(svc, META), ...validateServiceSpec(svc)];
}

export function validateServiceUpdate(svc: KubeObject, old: KubeObject): FieldError[] {
  const spec = obj(svc.spec);
  const oldSpec = obj(old.spec);
  const errs = validateObjectMetaUpdate(svc, old);
  errs.push(...validateClusterIPUpdate(spec, oldSpec));
  errs.push(...validateIPFamiliesUpdate(spec, oldSpec));
  if (str(spec.type) === 'LoadBalancer' && str(oldSpec.type) === 'LoadBalancer' && (spec.loadBalancerClass ?? null) !== (oldSpec.loadBalancerClass ?? null)) {
    errs.push(fieldErr.invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? rendered('"null"'), 'may not change once set'));
  }
  const hc = (s: Obj) => str(s.type) === 'LoadBalancer' && str(s.externalTrafficPolicy) === 'Local';
  if (hc(spec) && hc(oldSpec) && isNum(spec.healthCheckNodePort) && spec.healthCheckNodePort !== oldSpec.healthCheckNodePort) {
    errs.push(fieldErr.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  errs.push(...validateServiceSpec(svc));
  return errs;
}
