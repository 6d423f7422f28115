// ObjectMeta validation (apimachinery/pkg/api/validation/objectmeta.go plus core's finalizer rule).
// The registry fills namespace, generated names, uid and timestamps before calling us, exactly as
// kube's rest.BeforeCreate/BeforeUpdate do, so these checks see what kube's would.

import type { KubeObject } from '../types.js';
import { fieldErr, type FieldError } from './fieldErrors.js';
import { goStrings } from './goRender.js';
import { rendered } from './fieldErrors.js';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, type NameFn } from './names.js';
import { arr, byteLen, child, deepEqual, index, isNum, isObj, obj, str } from './util.js';

export const FieldImmutableErrorMsg = 'field is immutable';
export const IsNegativeErrorMsg = 'must be greater than or equal to 0';
const TotalAnnotationSizeLimitB = 256 * 1024;
const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** ValidateNonnegativeField. */
export function validateNonnegative(value: unknown, path: string): FieldError[] {
  return isNum(value) && value < 0 ? [fieldErr.invalid(path, value, IsNegativeErrorMsg)] : [];
}

/** ValidateImmutableField: a change reports the new value with "field is immutable". */
export function validateImmutable(newVal: unknown, oldVal: unknown, path: string, shown: unknown = newVal): FieldError[] {
  return deepEqual(newVal ?? null, oldVal ?? null) ? [] : [fieldErr.invalid(path, shown, FieldImmutableErrorMsg)];
}

/** ValidateLabelName: a qualified name. */
export function validateLabelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((m) => fieldErr.invalid(path, name, m));
}

/** ValidateLabels: keys are qualified names, values at most 63 chars of the label alphabet. */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (!isObj(labels)) return [];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    const value = str(v);
    for (const m of isValidLabelValue(value)) errs.push(fieldErr.invalid(path, value, m));
  }
  return errs;
}

/** ValidateAnnotations: keys are (lower-cased) qualified names; keys+values at most 256 KiB. */
export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (!isObj(annotations)) return [];
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErr.invalid(path, k, m));
    total += byteLen(k) + byteLen(str(v));
  }
  if (total > TotalAnnotationSizeLimitB) errs.push(fieldErr.tooLong(path, '', TotalAnnotationSizeLimitB));
  return errs;
}

function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const r of arr(refs)) {
    const ref = obj(r);
    const apiVersion = str(ref.apiVersion);
    // schema.FromAPIVersionAndKind: the version is the part after the last "/" (or all of it).
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.lastIndexOf('/') + 1) : apiVersion;
    if (!version) errs.push(fieldErr.invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (!str(ref.kind)) errs.push(fieldErr.invalid(child(path, 'kind'), str(ref.kind), 'kind must not be empty'));
    if (!str(ref.name)) errs.push(fieldErr.invalid(child(path, 'name'), str(ref.name), 'name must not be empty'));
    if (!str(ref.uid)) errs.push(fieldErr.invalid(child(path, 'uid'), str(ref.uid), 'uid must not be empty'));
    if (apiVersion === 'v1' && ref.kind === 'Event') {
      errs.push(fieldErr.invalid(path, rendered('v1.OwnerReference{...}'), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const cur = `${str(ref.kind)}/${str(ref.name)}`;
      if (firstController) {
        errs.push(
          fieldErr.invalid(path, rendered('[]v1.OwnerReference{...}'), `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`),
        );
      } else firstController = cur;
    }
  }
  return errs;
}

/** Finalizers: qualified names (at metadata.finalizers), and core's rule that unprefixed ones be standard. */
function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = arr(finalizers).map(str);
  for (const f of list) for (const m of isQualifiedName(f)) errs.push(fieldErr.invalid(path, f, m));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(fieldErr.invalid(path, rendered(goStrings(list)), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  list.forEach((f, i) => errs.push(...validateKubeFinalizerName(f, index(path, i))));
  return errs;
}

/** validateKubeFinalizerName: an unqualified finalizer must be one kube knows. */
export function validateKubeFinalizerName(f: string, path: string): FieldError[] {
  if (!f.includes('/') && !standardFinalizers.has(f)) {
    return [fieldErr.invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

export interface MetaOptions {
  /** Name rules of the kind (DNS subdomain for most, DNS label for namespaces, DNS-1035 for services). */
  nameFn: NameFn;
  /** Namespaced kinds require metadata.namespace (the registry sets it from the URL). */
  requiresNamespace: boolean;
}

/** ValidateObjectMeta (create). */
export function validateObjectMeta(o: KubeObject, opts: MetaOptions, path = 'metadata'): FieldError[] {
  const meta = obj(o?.metadata);
  const errs: FieldError[] = [];
  const generateName = str(meta.generateName);
  const name = str(meta.name);
  if (generateName) for (const m of opts.nameFn(generateName, true)) errs.push(fieldErr.invalid(child(path, 'generateName'), generateName, m));
  if (!name) {
    // kube generates the name before validating; with only generateName there is nothing to report.
    if (!generateName) errs.push(fieldErr.required(child(path, 'name'), 'name or generateName is required'));
  } else {
    for (const m of opts.nameFn(name, false)) errs.push(fieldErr.invalid(child(path, 'name'), name, m));
  }
  // Cluster-scoped kinds: kube clears a namespace sent by the client before validating, so none is reported.
  if (opts.requiresNamespace) {
    const ns = str(meta.namespace);
    if (!ns) errs.push(fieldErr.required(child(path, 'namespace'), ''));
    else for (const m of nameIsDNSLabel(ns, false)) errs.push(fieldErr.invalid(child(path, 'namespace'), ns, m));
  }
  errs.push(...validateNonnegative(meta.generation, child(path, 'generation')));
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, child(path, 'finalizers')));
  return errs;
}

/**
 * ValidateObjectMetaUpdate. Fields the registry restores from the old object (uid, timestamps,
 * resourceVersion, generation) are compared only when the client actually sent them.
 */
export function validateObjectMetaUpdate(o: KubeObject, old: KubeObject, path = 'metadata'): FieldError[] {
  const meta = obj(o?.metadata);
  const oldMeta = obj(old?.metadata);
  const errs: FieldError[] = [];
  if (oldMeta.deletionTimestamp) {
    const oldF = new Set(arr(oldMeta.finalizers).map(str));
    const added = [...new Set(arr(meta.finalizers).map(str))].filter((f) => !oldF.has(f)).sort();
    if (added.length) {
      errs.push(fieldErr.forbidden(child(path, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${goStrings(added)}`));
    }
  }
  if (isNum(meta.generation) && isNum(oldMeta.generation) && meta.generation < oldMeta.generation) {
    errs.push(fieldErr.invalid(child(path, 'generation'), meta.generation, 'must not be decremented'));
  }
  errs.push(...validateImmutable(str(meta.name), str(oldMeta.name), child(path, 'name')));
  errs.push(...validateImmutable(str(meta.namespace), str(oldMeta.namespace), child(path, 'namespace')));
  if (str(meta.uid)) errs.push(...validateImmutable(str(meta.uid), str(oldMeta.uid), child(path, 'uid')));
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(path, 'ownerReferences')));
  arr(meta.finalizers).forEach((f, i) => errs.push(...validateKubeFinalizerName(str(f), index(child(path, 'finalizers'), i))));
  return errs;
}
