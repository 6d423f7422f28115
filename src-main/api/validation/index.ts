// Entry points of Kubernetes-style validation. The registry calls these after applyDefaults()
// (kube validates defaulted objects, so e.g. a missing restartPolicy is only an error when
// defaulting was skipped). Each returns field errors in kube's order with kube's paths and texts;
// an empty list means valid. Resources without specific rules get metadata validation only.

import type { KubeObject } from '../types.js';
import type { FieldError } from './fieldErrors.js';
import { validateNamespaceCreate, validateNamespaceUpdate, validateNodeCreate, validateNodeUpdate } from './cluster.js';
import { validateConfigMapCreate, validateConfigMapUpdate, validateSecretCreate, validateSecretUpdate } from './configData.js';
import { validateEndpointSliceCreate, validateEndpointSliceUpdate, validateEndpointsCreate, validateEndpointsUpdate } from './endpoints.js';
import { validateEventCreate, validateEventUpdate } from './events.js';
import { validateLeaseCreate, validateLeaseUpdate } from './leases.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { nameIsDNSSubdomain } from './names.js';
import { validateIngressClassCreate, validateIngressClassUpdate, validateIngressCreate, validateIngressUpdate } from './network.js';
import { validatePodCreate, validatePodUpdate } from './pod.js';
import { validateServiceCreate, validateServiceUpdate } from './service.js';
import { validateDeploymentCreate, validateDeploymentUpdate, validateReplicaSetCreate, validateReplicaSetUpdate } from './workloads.js';

interface Validator {
  create(obj: KubeObject): FieldError[];
  update(obj: KubeObject, old: KubeObject): FieldError[];
}

const serviceAccountMeta = { nameFn: nameIsDNSSubdomain, requiresNamespace: true };

const VALIDATORS: Record<string, Validator> = {
  pods: { create: validatePodCreate, update: validatePodUpdate },
  services: { create: validateServiceCreate, update: validateServiceUpdate },
  nodes: { create: validateNodeCreate, update: validateNodeUpdate },
  namespaces: { create: validateNamespaceCreate, update: validateNamespaceUpdate },
  events: { create: validateEventCreate, update: validateEventUpdate },
  endpoints: { create: validateEndpointsCreate, update: validateEndpointsUpdate },
  configmaps: { create: validateConfigMapCreate, update: validateConfigMapUpdate },
  secrets: { create: validateSecretCreate, update: validateSecretUpdate },
  serviceaccounts: {
    create: (o) => validateObjectMeta(o, serviceAccountMeta),
    update: (o, old) => [...validateObjectMetaUpdate(o, old), ...validateObjectMeta(o, serviceAccountMeta)],
  },
  'deployments.apps': { create: validateDeploymentCreate, update: validateDeploymentUpdate },
  'replicasets.apps': { create: validateReplicaSetCreate, update: validateReplicaSetUpdate },
  'ingresses.networking.k8s.io': { create: validateIngressCreate, update: validateIngressUpdate },
  'ingressclasses.networking.k8s.io': { create: validateIngressClassCreate, update: validateIngressClassUpdate },
  'endpointslices.discovery.k8s.io': { create: validateEndpointSliceCreate, update: validateEndpointSliceUpdate },
  'leases.coordination.k8s.io': { create: validateLeaseCreate, update: validateLeaseUpdate },
};

/**
 * Unknown resources: their scope is unknown here, so the namespace is not required (the registry
 * has already placed the object correctly); names follow the common DNS-subdomain rule.
 */
const genericMeta = { nameFn: nameIsDNSSubdomain, requiresNamespace: false };

/**
 * Drops repeated errors. Like kube's update validators, ours run both the update and the create
 * metadata checks, so a bad label would be reported twice; kube's ErrorList.ToAggregate() removes
 * such repeats from the message users see.
 */
function dedupe(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = `${e.type}\u0000${e.field}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Validates a new object (after defaulting). */
export function validateCreate(resourceKey: string, obj: KubeObject): FieldError[] {
  const v = VALIDATORS[resourceKey];
  return dedupe(v ? v.create(obj) : validateObjectMeta(obj, genericMeta));
}

/** Validates a replacement of `old` by `obj` (after defaulting), including immutability rules. */
export function validateUpdate(resourceKey: string, obj: KubeObject, old: KubeObject): FieldError[] {
  const v = VALIDATORS[resourceKey];
  return dedupe(v ? v.update(obj, old) : [...validateObjectMetaUpdate(obj, old), ...validateObjectMeta(obj, genericMeta)]);
}

export type { FieldError } from './fieldErrors.js';
