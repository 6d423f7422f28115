// Cluster-scoped core kinds: Nodes (core ValidateNode/ValidateNodeUpdate) and Namespaces.

import type { KubeObject } from '../types.js';
import { fieldErr, rendered, type FieldError } from './fieldErrors.js';
import { goQuote, goStrings } from './goRender.js';
import { isIPv6String, validateCIDR } from './ip.js';
import { validateKubeFinalizerName, validateLabelName, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, nameIsDNSSubdomain } from './names.js';
import { isQuantity, parseQuantity, quantitySign, quantityString } from './quantity.js';
import { arr, child, index, obj, str } from './util.js';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** validateNodeTaints. kube passes metadata's path here, so errors read `metadata.taints[0]...`. */
function validateTaints(taints: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  arr(taints).forEach((t, i) => {
    const p = index(path, i);
    const taint = obj(t);
    const k = str(taint.key);
    errs.push(...validateLabelName(k, child(p, 'key')));
    const msgs = isValidLabelValue(str(taint.value));
    if (msgs.length) errs.push(fieldErr.invalid(child(p, 'value'), str(taint.value), msgs.join(';')));
    const effect = str(taint.effect);
    if (!effect) errs.push(fieldErr.required(child(p, 'effect'), ''));
    else if (!TAINT_EFFECTS.includes(effect)) errs.push(fieldErr.notSupported(child(p, 'effect'), effect, TAINT_EFFECTS));
    const id = `${effect}\u0000${k}`;
    if (seen.has(id)) {
      // kube overrides the Duplicate error's detail here, so the message carries an explanation.
      const shown = `core.Taint{Key:${goQuote(k)}, Value:${goQuote(str(taint.value))}, Effect:${goQuote(effect)}, TimeAdded:(*v1.Time)(nil)}`;
      errs.push({ type: 'FieldValueDuplicate', field: p, message: `Duplicate value: ${shown}: taints must be unique by key and effect pair` });
    } else seen.add(id);
  });
  return errs;
}

function validateNodeResources(node: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const section of ['capacity', 'allocatable']) {
    for (const [k, v] of Object.entries(obj(obj(node.status)[section]))) {
      const p = `status.${section}.${k}`;
      const q = parseQuantity(v);
      if (!isQuantity(q)) errs.push(fieldErr.invalid(p, String(v), q.error));
      else if (quantitySign(q) < 0) errs.push(fieldErr.invalid(p, quantityString(q), 'must be greater than or equal to 0'));
    }
  }
  return errs;
}

export function validateNodeCreate(node: KubeObject): FieldError[] {
  const errs = validateObjectMeta(node, { nameFn: nameIsDNSSubdomain, requiresNamespace: false });
  const spec = obj(node.spec);
  errs.push(...validateTaints(spec.taints, 'metadata.taints'));
  errs.push(...validateNodeResources(node));
  const cidrs = arr(spec.podCIDRs).map(str);
  cidrs.forEach((c, i) => errs.push(...validateCIDR(index('spec.podCIDRs', i), c)));
  if (cidrs.length > 1) {
    const fam = (c: string) => isIPv6String(c.split('/')[0]);
    if (cidrs.length > 2 || fam(cidrs[0]) === fam(cidrs[1])) {
      errs.push(fieldErr.invalid('spec.podCIDRs', rendered(goStrings(cidrs)), 'may specify no more than one CIDR for each IP family'));
    }
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(fieldErr.duplicate(index('spec.podCIDRs', i), c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNodeUpdate(node: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(node, old);
  errs.push(...validateNodeResources(node));
  const spec = obj(node.spec);
  const oldSpec = obj(old.spec);
  // The controller manager may assign a CIDR once; after that it is fixed.
  const oldCidrs = arr(oldSpec.podCIDRs).map(str);
  const newCidrs = arr(spec.podCIDRs).map(str);
  if (oldCidrs.length > 0 && (oldCidrs.length !== newCidrs.length || oldCidrs.some((c, i) => c !== newCidrs[i]))) {
    errs.push(fieldErr.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  const oldProvider = str(oldSpec.providerID);
  if (oldProvider && oldProvider !== str(spec.providerID)) {
    errs.push(fieldErr.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  errs.push(...validateTaints(spec.taints, 'metadata.taints'));
  return errs;
}

export function validateNamespaceCreate(ns: KubeObject): FieldError[] {
  const errs = validateObjectMeta(ns, { nameFn: nameIsDNSLabel, requiresNamespace: false });
  for (const f of arr(obj(ns.spec).finalizers).map(str)) {
    for (const m of isQualifiedName(f)) errs.push(fieldErr.invalid('spec.finalizers', f, m));
    errs.push(...validateKubeFinalizerName(f, 'spec.finalizers'));
  }
  return errs;
}

export function validateNamespaceUpdate(ns: KubeObject, old: KubeObject): FieldError[] {
  // kube validates only metadata here; spec.finalizers change through the finalize subresource.
  return validateObjectMetaUpdate(ns, old);
}
