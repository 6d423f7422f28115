// Container resource requirements (core ValidateResourceRequirements): names must be standard or
// fully qualified, quantities must parse and be non-negative, requests may not exceed limits, and
// extended resources (which cannot be overcommitted) need requests equal to limits.

import { fieldErr, type FieldError } from './fieldErrors.js';
import { isQualifiedName } from './names.js';
import { cmpQuantity, isQuantity, parseQuantity, quantityIsInteger, quantitySign, quantityString, type Quantity } from './quantity.js';
import { child, isObj, key, obj } from './util.js';

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const standardResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);

const isHugePages = (name: string) => name.startsWith('hugepages-');
const isNative = (name: string) => !name.includes('/') || name.includes('kubernetes.io/');
/** Extended resources (vendor.com/gpu) are counted in whole units and cannot be overcommitted. */
const isExtended = (name: string) => !isNative(name) && !name.startsWith('requests.') && isQualifiedName(`requests.${name}`).length === 0;
const overcommitAllowed = (name: string) => isNative(name) && !isHugePages(name);
const isIntegerResource = (name: string) => isExtended(name);

function validateContainerResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => fieldErr.invalid(path, name, m));
  const unqualified = !name.includes('/');
  // kube's validateResourceName stops after a malformed name; the container check still runs.
  if (errs.length === 0 && unqualified && !standardResources.has(name) && !isHugePages(name)) {
    errs.push(fieldErr.invalid(path, name, 'must be a standard resource type or fully qualified'));
  }
  if (unqualified) {
    if (!standardContainerResources.has(name) && !isHugePages(name)) errs.push(fieldErr.invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNative(name) && !isExtended(name)) {
    errs.push(fieldErr.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** Parses one quantity and applies ValidateResourceQuantityValue; null when it does not parse. */
function quantityAt(name: string, raw: unknown, path: string, errs: FieldError[]): Quantity | null {
  const q = parseQuantity(raw);
  if (!isQuantity(q)) {
    errs.push(fieldErr.invalid(path, typeof raw === 'string' ? raw : String(raw), q.error));
    return null;
  }
  if (quantitySign(q) < 0) errs.push(fieldErr.invalid(path, quantityString(q), 'must be greater than or equal to 0'));
  if (isIntegerResource(name) && !quantityIsInteger(q)) errs.push(fieldErr.invalid(path, quantityString(q), 'must be an integer'));
  return q;
}

export function validateResourceRequirements(resources: unknown, path: string): FieldError[] {
  if (!isObj(resources)) return [];
  const errs: FieldError[] = [];
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = new Map<string, Quantity | null>();
  for (const [name, raw] of Object.entries(obj(resources.limits))) {
    const p = key(limPath, name);
    errs.push(...validateContainerResourceName(name, p));
    limits.set(name, quantityAt(name, raw, p, errs));
  }
  for (const [name, raw] of Object.entries(obj(resources.requests))) {
    const p = key(reqPath, name);
    errs.push(...validateContainerResourceName(name, p));
    const q = quantityAt(name, raw, p, errs);
    if (limits.has(name)) {
      const lim = limits.get(name);
      if (q && lim) {
        const c = cmpQuantity(q, lim);
        if (c !== 0 && !overcommitAllowed(name)) {
          errs.push(fieldErr.invalid(reqPath, quantityString(q), `must be equal to ${name} limit of ${quantityString(lim)}`));
        } else if (c > 0) {
          errs.push(fieldErr.invalid(reqPath, quantityString(q), `must be less than or equal to ${name} limit of ${quantityString(lim)}`));
        }
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(fieldErr.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}
