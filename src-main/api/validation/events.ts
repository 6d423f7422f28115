// core/v1 Events. kube applies only its "legacy" checks to core/v1 writes (events.k8s.io/v1 gets
// stricter ones): namespaces must agree, and new-style events (eventTime set) need reporting data.
// Flotilla additionally requires involvedObject, which every real event carries.

import type { KubeObject } from '../types.js';
import { fieldErr, type FieldError } from './fieldErrors.js';
import { isDNS1123Subdomain, isQualifiedName } from './names.js';
import { validateObjectMetaUpdate } from './meta.js';
import { isObj, obj, str } from './util.js';

const CLUSTER_SCOPED_KINDS = new Set(['Node', 'Namespace', 'PersistentVolume', 'IngressClass', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'CustomResourceDefinition']);

export function validateEventCreate(ev: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const meta = obj(ev.metadata);
  if (!str(meta.name) && !str(meta.generateName)) errs.push(fieldErr.required('metadata.name', 'name or generateName is required'));
  if (!isObj(ev.involvedObject)) errs.push(fieldErr.required('involvedObject', ''));
  const inv = obj(ev.involvedObject);
  const ns = str(meta.namespace);
  const invNs = str(inv.namespace);
  if (!ev.eventTime) {
    // Old-style events: the event lives in its object's namespace ("default" for cluster-scoped ones).
    if (!invNs) {
      if (ns !== '' && ns !== 'default') errs.push(fieldErr.invalid('involvedObject.namespace', invNs, 'does not match event.namespace'));
    } else if (ns !== invNs) errs.push(fieldErr.invalid('involvedObject.namespace', invNs, 'does not match event.namespace'));
  } else {
    if (!invNs && ns !== 'default' && ns !== 'kube-system') errs.push(fieldErr.invalid('involvedObject.namespace', invNs, 'does not match event.namespace'));
    // core/v1 spells the field reportingComponent; kube reports it under its internal name.
    const controller = str(ev.reportingComponent);
    if (!controller) errs.push(fieldErr.required('reportingController', ''));
    for (const m of isQualifiedName(controller)) errs.push(fieldErr.invalid('reportingController', controller, m));
    const instance = str(ev.reportingInstance);
    if (!instance) errs.push(fieldErr.required('reportingInstance', ''));
    if (instance.length > 128) errs.push(fieldErr.invalid('reportingInstance', '', 'can have at most 128 characters'));
    const action = str(ev.action);
    if (!action) errs.push(fieldErr.required('action', ''));
    if (action.length > 128) errs.push(fieldErr.invalid('action', '', 'can have at most 128 characters'));
    const reason = str(ev.reason);
    if (!reason) errs.push(fieldErr.required('reason', ''));
    if (reason.length > 128) errs.push(fieldErr.invalid('reason', '', 'can have at most 128 characters'));
    if (str(ev.message).length > 1024) errs.push(fieldErr.invalid('message', '', 'can have at most 1024 characters'));
  }
  const kind = str(inv.kind);
  if (kind && CLUSTER_SCOPED_KINDS.has(kind) && invNs) errs.push(fieldErr.invalid('involvedObject.namespace', invNs, `not allowed for kind ${kind}`));
  for (const m of isDNS1123Subdomain(ns)) errs.push(fieldErr.invalid('namespace', ns, m));
  return errs;
}

export function validateEventUpdate(ev: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(ev, old), ...validateEventCreate(ev)];
}
