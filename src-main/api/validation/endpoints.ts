// Endpoints (core ValidateEndpoints) and discovery.k8s.io/v1 EndpointSlices (ValidateEndpointSlice):
// backend addresses must be real, routable IPs (or FQDNs for FQDN slices), ports well formed.

import type { KubeObject } from '../types.js';
import { fieldErr, type FieldError } from './fieldErrors.js';
import { isIPv6String, isValidIP, validateIP, validateNonSpecialIP } from './ip.js';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortNum, nameIsDNSSubdomain } from './names.js';
import { arr, child, index, isNum, obj, str, type Obj } from './util.js';

const META = { nameFn: nameIsDNSSubdomain, requiresNamespace: true };
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ADDRESSES = 100;
const MAX_ENDPOINTS = 1000;
const MAX_PORTS = 20000;

function validateEndpointAddress(a: Obj, path: string): FieldError[] {
  const ip = str(a.ip);
  const errs = validateIP(child(path, 'ip'), ip);
  const hostname = str(a.hostname);
  if (hostname) isDNS1123Label(hostname).forEach((m) => errs.push(fieldErr.invalid(child(path, 'hostname'), hostname, m)));
  if (typeof a.nodeName === 'string') nameIsDNSSubdomain(a.nodeName, false).forEach((m) => errs.push(fieldErr.invalid(child(path, 'nodeName'), a.nodeName, m)));
  errs.push(...validateNonSpecialIP(child(path, 'ip'), ip));
  return errs;
}

function validateEndpointPort(p: Obj, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(p.name);
  if (requireName && !name) errs.push(fieldErr.required(child(path, 'name'), ''));
  else if (name) isDNS1123Label(name).forEach((m) => errs.push(fieldErr.invalid(child(path, 'name'), name, m)));
  const port = isNum(p.port) ? p.port : 0;
  isValidPortNum(port).forEach((m) => errs.push(fieldErr.invalid(child(path, 'port'), port, m)));
  const proto = str(p.protocol);
  if (!proto) errs.push(fieldErr.required(child(path, 'protocol'), ''));
  else if (!PROTOCOLS.includes(proto)) errs.push(fieldErr.notSupported(child(path, 'protocol'), proto, PROTOCOLS));
  if (typeof p.appProtocol === 'string') isQualifiedName(p.appProtocol).forEach((m) => errs.push(fieldErr.invalid(child(path, 'appProtocol'), p.appProtocol, m)));
  return errs;
}

export function validateEndpointsCreate(ep: KubeObject): FieldError[] {
  const errs = validateObjectMeta(ep, META);
  arr(ep.subsets).forEach((s, i) => {
    const ss = obj(s);
    const p = index('subsets', i);
    const addrs = arr(ss.addresses);
    const notReady = arr(ss.notReadyAddresses);
    if (addrs.length === 0 && notReady.length === 0) errs.push(fieldErr.required(p, 'must specify `addresses` or `notReadyAddresses`'));
    addrs.forEach((a, j) => errs.push(...validateEndpointAddress(obj(a), index(child(p, 'addresses'), j))));
    notReady.forEach((a, j) => errs.push(...validateEndpointAddress(obj(a), index(child(p, 'notReadyAddresses'), j))));
    const ports = arr(ss.ports);
    ports.forEach((pp, j) => errs.push(...validateEndpointPort(obj(pp), ports.length > 1, index(child(p, 'ports'), j))));
  });
  return errs;
}

export function validateEndpointsUpdate(ep: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(ep, old), ...validateEndpointsCreate(ep)];
}

/** IsFullyQualifiedDomainName: a DNS subdomain with at least two labels (a trailing dot is fine). */
function validateFQDN(name: string, path: string): FieldError[] {
  if (!name) return [fieldErr.required(path, '')];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const msgs = isDNS1123Subdomain(n);
  if (msgs.length) return [fieldErr.invalid(path, name, msgs.join(','))];
  if (n.split('.').length < 2) return [fieldErr.invalid(path, n, 'should be a domain with at least two segments separated by dots')];
  return [];
}

export function validateEndpointSliceCreate(es: KubeObject): FieldError[] {
  const errs = validateObjectMeta(es, META);
  const addressType = str(es.addressType);
  if (!addressType) errs.push(fieldErr.required('addressType', ''));
  else if (!ADDRESS_TYPES.includes(addressType)) errs.push(fieldErr.notSupported('addressType', addressType, ADDRESS_TYPES));

  const endpoints = arr(es.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) errs.push(fieldErr.tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  else {
    endpoints.forEach((e, i) => {
      const ep = obj(e);
      const p = index('endpoints', i);
      const ap = child(p, 'addresses');
      const addrs = arr(ep.addresses).map(str);
      if (addrs.length === 0) errs.push(fieldErr.required(ap, 'must contain at least 1 address'));
      else if (addrs.length > MAX_ADDRESSES) errs.push(fieldErr.tooMany(ap, addrs.length, MAX_ADDRESSES));
      addrs.forEach((a, j) => {
        const aip = index(ap, j);
        if (addressType === 'IPv4') {
          if (!isValidIP(a) || isIPv6String(a)) errs.push(fieldErr.invalid(aip, a, 'must be a valid IPv4 address'));
          errs.push(...validateNonSpecialIP(aip, a));
        } else if (addressType === 'IPv6') {
          if (!isValidIP(a) || !isIPv6String(a)) errs.push(fieldErr.invalid(aip, a, 'must be a valid IPv6 address'));
          errs.push(...validateNonSpecialIP(aip, a));
        } else if (addressType === 'FQDN') {
          errs.push(...validateFQDN(a, aip));
        }
      });
      if (typeof ep.nodeName === 'string') nameIsDNSSubdomain(ep.nodeName, false).forEach((m) => errs.push(fieldErr.invalid(child(p, 'nodeName'), ep.nodeName, m)));
      if (typeof ep.hostname === 'string') isDNS1123Label(ep.hostname).forEach((m) => errs.push(fieldErr.invalid(child(p, 'hostname'), ep.hostname, m)));
    });
  }

  const ports = arr(es.ports);
  if (ports.length > MAX_PORTS) errs.push(fieldErr.tooMany('ports', ports.length, MAX_PORTS));
  else {
    const names = new Set<string>();
    ports.forEach((pp, i) => {
      const port = obj(pp);
      const p = index('ports', i);
      const name = str(port.name);
      if (name) isDNS1123Label(name).forEach((m) => errs.push(fieldErr.invalid(child(p, 'name'), name, m)));
      if (names.has(name)) errs.push(fieldErr.duplicate(child(p, 'name'), name));
      else names.add(name);
      if (port.protocol === undefined || port.protocol === null) errs.push(fieldErr.required(child(p, 'protocol'), ''));
      else if (!PROTOCOLS.includes(str(port.protocol))) errs.push(fieldErr.notSupported(child(p, 'protocol'), str(port.protocol), PROTOCOLS));
      if (typeof port.appProtocol === 'string') isQualifiedName(port.appProtocol).forEach((m) => errs.push(fieldErr.invalid(child(p, 'appProtocol'), port.appProtocol, m)));
    });
  }
  return errs;
}

export function validateEndpointSliceUpdate(es: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(es, old), ...validateEndpointSliceCreate(es), ...validateImmutable(str(es.addressType), str(old.addressType), 'addressType')];
}
