// coordination.k8s.io/v1 Leases (coordination ValidateLease): only the two numbers need care.

import type { KubeObject } from '../types.js';
import { fieldErr, type FieldError } from './fieldErrors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { nameIsDNSSubdomain } from './names.js';
import { isNum, obj } from './util.js';

function validateLeaseSpec(specIn: unknown): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  if (isNum(spec.leaseDurationSeconds) && spec.leaseDurationSeconds <= 0) {
    errs.push(fieldErr.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (isNum(spec.leaseTransitions) && spec.leaseTransitions < 0) {
    errs.push(fieldErr.invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validateLeaseCreate(lease: KubeObject): FieldError[] {
  return [...validateObjectMeta(lease, { nameFn: nameIsDNSSubdomain, requiresNamespace: true }), ...validateLeaseSpec(lease.spec)];
}

export function validateLeaseUpdate(lease: KubeObject, old: KubeObject): FieldError[] {
  return [...validateObjectMetaUpdate(lease, old), ...validateLeaseSpec(lease.spec)];
}
