// networking.k8s.io/v1 Ingresses and IngressClasses (networking ValidateIngressCreate/Update and
// ValidateIngressClass): hosts, paths, path types and backends.

import type { KubeObject } from '../types.js';
import { fieldErr, rendered, type FieldError } from './fieldErrors.js';
import { isValidIP } from './ip.js';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import {
  domainPrefixedPathProblems,
  isDNS1123Subdomain,
  isValidPathSegmentName,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from './names.js';
import { arr, byteLen, child, index, isNum, isObj, obj, str, type Obj } from './util.js';
import { LEGACY_INGRESS_CLASS_ANNOTATION } from '../ingressClasses.js';

const INGRESS_META = { nameFn: nameIsDNSSubdomain, requiresNamespace: true };
const CLASS_META = { nameFn: nameIsDNSSubdomain, requiresNamespace: false };
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const MAX_CONTROLLER_LEN = 250;

/** TypedLocalObjectReference of resource backends and IngressClass parameters. */
function validateTypedLocalObjectReference(ref: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof ref.apiGroup === 'string') isDNS1123Subdomain(ref.apiGroup).forEach((m) => errs.push(fieldErr.invalid(child(path, 'apiGroup'), ref.apiGroup, m)));
  for (const f of ['kind', 'name']) {
    const v = str(ref[f]);
    if (!v) errs.push(fieldErr.required(child(path, f), `${f} is required`));
    else isValidPathSegmentName(v).forEach((m) => errs.push(fieldErr.invalid(child(path, f), v, m)));
  }
  return errs;
}

function validateBackend(b: Obj, path: string): FieldError[] {
  const hasResource = isObj(b.resource);
  const hasService = isObj(b.service);
  if (hasResource && hasService) return [fieldErr.invalid(path, '', 'cannot set both resource and service backends')];
  if (hasResource) return validateTypedLocalObjectReference(b.resource as Obj, child(path, 'resource'));
  if (!hasService) return [fieldErr.invalid(path, '', 'resource or service backend is required')];
  const svc = b.service as Obj;
  const errs: FieldError[] = [];
  const name = str(svc.name);
  if (!name) errs.push(fieldErr.required(child(path, 'service', 'name'), ''));
  else nameIsDNS1035Label(name, false).forEach((m) => errs.push(fieldErr.invalid(child(path, 'service', 'name'), name, m)));
  const port = obj(svc.port);
  const portName = str(port.name);
  const portNumber = isNum(port.number) ? port.number : 0;
  if (portName && portNumber) errs.push(fieldErr.invalid(path, '', 'cannot set both port name & port number'));
  else if (portName) isValidPortName(portName).forEach((m) => errs.push(fieldErr.invalid(child(path, 'service', 'port', 'name'), portName, m)));
  else if (portNumber) isValidPortNum(portNumber).forEach((m) => errs.push(fieldErr.invalid(child(path, 'service', 'port', 'number'), portNumber, m)));
  else errs.push(fieldErr.required(path, 'port name or number is required'));
  return errs;
}

function validateHTTPPath(hp: Obj, path: string): FieldError[] {
  if (hp.pathType === undefined || hp.pathType === null) return [fieldErr.required(child(path, 'pathType'), 'pathType must be specified')];
  const errs: FieldError[] = [];
  const pathType = str(hp.pathType);
  const p = str(hp.path);
  if (pathType === 'Exact' || pathType === 'Prefix') {
    if (!p.startsWith('/')) errs.push(fieldErr.invalid(child(path, 'path'), p, 'must be an absolute path'));
    if (p) {
      for (const seq of INVALID_PATH_SEQUENCES) if (p.includes(seq)) errs.push(fieldErr.invalid(child(path, 'path'), p, `must not contain '${seq}'`));
      for (const suf of INVALID_PATH_SUFFIXES) if (p.endsWith(suf)) errs.push(fieldErr.invalid(child(path, 'path'), p, `cannot end with '${suf}'`));
    }
  } else if (pathType === 'ImplementationSpecific') {
    if (p && !p.startsWith('/')) errs.push(fieldErr.invalid(child(path, 'path'), p, 'must be an absolute path'));
  } else {
    errs.push(fieldErr.notSupported(child(path, 'pathType'), pathType, PATH_TYPES));
  }
  errs.push(...validateBackend(obj(hp.backend), child(path, 'backend')));
  return errs;
}

function validateRules(rules: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  rules.forEach((r, i) => {
    const rule = obj(r);
    const rp = index(path, i);
    const host = str(rule.host);
    if (host) {
      if (isValidIP(host)) errs.push(fieldErr.invalid(child(rp, 'host'), host, 'must be a DNS name, not an IP address'));
      // A leading "*." label is allowed and means "any single label".
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      msgs.forEach((m) => errs.push(fieldErr.invalid(child(rp, 'host'), host, m)));
    }
    if (isObj(rule.http)) {
      const paths = arr(rule.http.paths);
      if (paths.length === 0) errs.push(fieldErr.required(child(rp, 'http', 'paths'), ''));
      paths.forEach((hp, j) => errs.push(...validateHTTPPath(obj(hp), index(child(rp, 'http', 'paths'), j))));
    }
  });
  return errs;
}

function validateIngressSpec(specIn: unknown): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  const rules = arr(spec.rules);
  if (rules.length === 0 && !isObj(spec.defaultBackend)) {
    errs.push(fieldErr.invalid('spec', rendered(Array.isArray(spec.rules) ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)'), 'either `defaultBackend` or `rules` must be specified'));
  }
  if (isObj(spec.defaultBackend)) errs.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  if (rules.length) errs.push(...validateRules(rules, 'spec.rules'));
  arr(spec.tls).forEach((t, i) => {
    const tls = obj(t);
    arr(tls.hosts).forEach((h, j) => {
      const host = str(h);
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
      msgs.forEach((m) => errs.push(fieldErr.invalid(index(child(index('spec.tls', i), 'hosts'), j), host, m)));
    });
    const secret = str(tls.secretName);
    if (secret) nameIsDNSSubdomain(secret, false).forEach((m) => errs.push(fieldErr.invalid(child(index('spec.tls', i), 'secretName'), secret, m)));
  });
  if (typeof spec.ingressClassName === 'string') {
    nameIsDNSSubdomain(spec.ingressClassName, false).forEach((m) => errs.push(fieldErr.invalid('spec.ingressClassName', spec.ingressClassName, m)));
  }
  return errs;
}

export function validateIngressCreate(ing: KubeObject): FieldError[] {
  const errs = [...validateObjectMeta(ing, INGRESS_META), ...validateIngressSpec(ing.spec)];
  // The legacy class annotation and the field must agree when both are set.
  const annotation = obj(ing.metadata?.annotations)[LEGACY_INGRESS_CLASS_ANNOTATION];
  const className = obj(ing.spec).ingressClassName;
  if (typeof annotation === 'string' && typeof className === 'string' && annotation !== className) {
    errs.push(fieldErr.invalid(`annotations.${LEGACY_INGRESS_CLASS_ANNOTATION}`, annotation, 'must match `ingressClassName` when both are specified'));
  }
  return errs;
}

export function validateIngressUpdate(ing: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(ing, old), ...validateObjectMeta(ing, INGRESS_META), ...validateIngressSpec(ing.spec)];
}

function validateIngressClassSpec(specIn: unknown): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  const controller = str(spec.controller);
  if (byteLen(controller) > MAX_CONTROLLER_LEN) errs.push(fieldErr.tooLong('spec.controller', '', MAX_CONTROLLER_LEN));
  if (!controller) errs.push(fieldErr.required('spec.controller', ''));
  else domainPrefixedPathProblems(controller).forEach(([bad, m]) => errs.push(fieldErr.invalid('spec.controller', bad, m)));
  if (isObj(spec.parameters)) {
    const params = spec.parameters;
    errs.push(...validateTypedLocalObjectReference(params, 'spec.parameters'));
    if (params.scope === undefined || params.scope === null) errs.push(fieldErr.required('spec.parameters.scope', ''));
    else {
      const scope = str(params.scope);
      if (scope !== 'Cluster' && scope !== 'Namespace') errs.push(fieldErr.notSupported('spec.parameters.scope', scope, ['Cluster', 'Namespace']));
      else if (scope === 'Namespace') {
        if (typeof params.namespace !== 'string') errs.push(fieldErr.required('spec.parameters.namespace', "`parameters.scope` is set to 'Namespace'"));
        else nameIsDNSLabel(params.namespace, false).forEach((m) => errs.push(fieldErr.invalid('spec.parameters.namespace', params.namespace, m)));
      } else if (params.namespace !== undefined && params.namespace !== null) {
        errs.push(fieldErr.forbidden('spec.parameters.namespace', "`parameters.scope` is set to 'Cluster'"));
      }
    }
  }
  return errs;
}

export function validateIngressClassCreate(ic: KubeObject): FieldError[] {
  return [...validateObjectMeta(ic, CLASS_META), ...validateIngressClassSpec(ic.spec)];
}

export function validateIngressClassUpdate(ic: KubeObject, old: KubeObject): FieldError[] {
  return [
    ...validateObjectMetaUpdate(ic, old),
    ...validateImmutable(str(obj(ic.spec).controller), str(obj(old.spec).controller), 'spec.controller'),
    ...validateIngressClassCreate(ic),
  ];
}
