// Deployments and ReplicaSets (apps ValidateDeploymentSpec / ValidateReplicaSetSpec, plus the
// apps/v1 registry rule that spec.selector is immutable).

import type { KubeObject } from '../types.js';
import { fieldErr, rendered, type FieldError } from './fieldErrors.js';
import { go, goIntOrString, goQuote } from './goRender.js';
import { selectorConversionFails, selectorIsEmpty, selectorMatches, validateLabelSelector } from './labelSelector.js';
import { FieldImmutableErrorMsg, validateNonnegative, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isValidPercent, nameIsDNSSubdomain } from './names.js';
import { validatePodTemplateSpec } from './podSpec.js';
import { child, isNum, isObj, obj, semanticEqual, str, type Obj } from './util.js';

const META = { nameFn: nameIsDNSSubdomain, requiresNamespace: true };

/** ValidatePodTemplateSpecForReplicaSet: template matches the selector, is a valid pod template, restarts Always. */
function validateTemplateForReplicaSet(spec: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const template = obj(spec.template);
  const labels = obj(template.metadata).labels;
  // A nil selector selects nothing (so the template cannot match); an empty one selects everything.
  const selector = spec.selector;
  const selects = isObj(selector) ? selectorIsEmpty(selector) || selectorMatches(selector, labels) : false;
  if (!selects) errs.push(fieldErr.invalid(child(path, 'metadata', 'labels'), go.map(labels), '`selector` does not match template `labels`'));
  errs.push(...validatePodTemplateSpec(template, path));
  const tspec = obj(template.spec);
  const rp = str(tspec.restartPolicy);
  if (rp !== 'Always') errs.push(fieldErr.notSupported(child(path, 'spec', 'restartPolicy'), rp, ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(fieldErr.forbidden(child(path, 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return errs;
}

/** Replicas, selector and template: the part Deployments and ReplicaSets share. */
function validateReplicatedSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateNonnegative(spec.replicas, 'spec.replicas'));
  if (!isObj(spec.selector)) {
    errs.push(fieldErr.required('spec.selector', ''));
  } else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    // kube's text says "deployment" for ReplicaSets too.
    if (selectorIsEmpty(spec.selector)) errs.push(fieldErr.invalid('spec.selector', go.selector(spec.selector), 'empty selector is invalid for deployment'));
  }
  if (selectorConversionFails(spec.selector)) errs.push(fieldErr.invalid('spec.selector', go.selector(spec.selector), 'invalid label selector'));
  else errs.push(...validateTemplateForReplicaSet(spec, 'spec.template'));
  return errs;
}

function percentValue(v: unknown): number | null {
  return typeof v === 'string' && isValidPercent(v).length === 0 ? parseInt(v.slice(0, -1), 10) : null;
}

/** getIntOrPercentValue: percent strings by their number, ints as is, anything else 0. */
function intOrPercentValue(v: unknown): number {
  const p = percentValue(v);
  if (p !== null) return p;
  if (isNum(v)) return v;
  return typeof v === 'string' && /^-?\d+$/.test(v) ? parseInt(v, 10) : 0;
}

/** ValidatePositiveIntOrPercent. */
function validateIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => fieldErr.invalid(path, rendered(goIntOrString(v)), m));
  return validateNonnegative(isNum(v) ? v : 0, path);
}

function validateStrategy(strategy: unknown, path: string): FieldError[] {
  const s = obj(strategy);
  const type = str(s.type);
  const ru = s.rollingUpdate;
  if (type === 'Recreate') {
    return ru !== undefined && ru !== null ? [fieldErr.forbidden(child(path, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
  }
  if (type === 'RollingUpdate') {
    if (!isObj(ru)) return [fieldErr.required(child(path, 'rollingUpdate'), 'this should be defaulted and never be nil')];
    const rp = child(path, 'rollingUpdate');
    const errs = [...validateIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')), ...validateIntOrPercent(ru.maxSurge, child(rp, 'maxSurge'))];
    if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
      errs.push(fieldErr.invalid(child(rp, 'maxUnavailable'), rendered(goIntOrString(ru.maxUnavailable)), 'may not be 0 when `maxSurge` is 0'));
    }
    const pct = percentValue(ru.maxUnavailable);
    if (pct !== null && pct > 100) errs.push(fieldErr.invalid(child(rp, 'maxUnavailable'), rendered(goIntOrString(ru.maxUnavailable)), 'must not be greater than 100%'));
    return errs;
  }
  // NotSupported prints the whole (internal) strategy struct with %#v.
  const ruText = isObj(ru) ? '(*apps.RollingUpdateDeployment)(0xc000000000)' : '(*apps.RollingUpdateDeployment)(nil)';
  return [fieldErr.notSupported(path, rendered(`apps.DeploymentStrategy{Type:${goQuote(type)}, RollingUpdate:${ruText}}`), ['Recreate', 'RollingUpdate'])];
}

function validateDeploymentSpec(specIn: unknown): FieldError[] {
  const spec = obj(specIn);
  const errs = validateReplicatedSpec(spec);
  errs.push(...validateStrategy(spec.strategy, 'spec.strategy'));
  errs.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (isNum(spec.progressDeadlineSeconds)) {
    errs.push(...validateNonnegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    const minReady = isNum(spec.minReadySeconds) ? spec.minReadySeconds : 0;
    if (spec.progressDeadlineSeconds <= minReady) {
      errs.push(fieldErr.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

function validateReplicaSetSpec(specIn: unknown): FieldError[] {
  const spec = obj(specIn);
  const errs = validateNonnegative(spec.replicas, 'spec.replicas');
  errs.push(...validateNonnegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  // validateReplicatedSpec repeats the replicas check; drop its copy to keep kube's single error.
  errs.push(...validateReplicatedSpec(spec).filter((e) => e.field !== 'spec.replicas'));
  return errs;
}

/** apps/v1 makes spec.selector immutable (the registry strategy adds this to ValidateUpdate). */
function selectorImmutable(o: KubeObject, old: KubeObject): FieldError[] {
  const n = obj(o.spec).selector;
  return semanticEqual(n, obj(old.spec).selector) ? [] : [fieldErr.invalid('spec.selector', go.selector(n), FieldImmutableErrorMsg)];
}

export const validateDeploymentCreate = (o: KubeObject): FieldError[] => [...validateObjectMeta(o, META), ...validateDeploymentSpec(o.spec)];
export const validateDeploymentUpdate = (o: KubeObject, old: KubeObject): FieldError[] => [
  ...validateObjectMetaUpdate(o, old),
  ...validateDeploymentSpec(o.spec),
  ...selectorImmutable(o, old),
];
export const validateReplicaSetCreate = (o: KubeObject): FieldError[] => [...validateObjectMeta(o, META), ...validateReplicaSetSpec(o.spec)];
export const validateReplicaSetUpdate = (o: KubeObject, old: KubeObject): FieldError[] => [
  ...validateObjectMetaUpdate(o, old),
  ...validateReplicaSetSpec(o.spec),
  ...selectorImmutable(o, old),
];
