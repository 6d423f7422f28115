// Pods: create validation and kube's ValidatePodUpdate, which freezes almost the whole spec once a
// pod exists (only images, activeDeadlineSeconds and added tolerations may change).

import type { KubeObject } from '../types.js';
import { fieldErr, type FieldError } from './fieldErrors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { nameIsDNSSubdomain } from './names.js';
import { validatePodSpecForPod, validateTolerations } from './podSpec.js';
import { go } from './goRender.js';
import { arr, child, index, isNum, obj, semanticEqual, str, type Obj } from './util.js';

const META = { nameFn: nameIsDNSSubdomain, requiresNamespace: true };

/** The list kube 1.32 prints (InPlacePodVerticalScaling is off by default, so resources are not in it). */
const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

export function validatePodCreate(pod: KubeObject): FieldError[] {
  const errs = validateObjectMeta(pod, META);
  errs.push(...validatePodSpecForPod(pod.spec));
  // Ephemeral containers can only be added later through the ephemeralcontainers subresource.
  if (arr(obj(pod.spec).ephemeralContainers).length) errs.push(fieldErr.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  return errs;
}

function validateContainerUpdates(newC: unknown, oldC: unknown, path: string): { errs: FieldError[]; stop: boolean } {
  const n = arr(newC);
  const o = arr(oldC);
  if (n.length !== o.length) return { errs: [fieldErr.forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    const image = str(obj(c).image);
    if (!image) errs.push(fieldErr.required(child(index(path, i), 'image'), ''));
    if (image.trim().length !== image.length) errs.push(fieldErr.invalid(child(index(path, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

/** Existing tolerations may only change their tolerationSeconds; new ones may be appended. */
function validateOnlyAddedTolerations(newT: unknown, oldT: unknown, path: string): FieldError[] {
  const news = arr(newT).map(obj);
  for (const old of arr(oldT).map(obj)) {
    const found = news.some((n) => semanticEqual({ ...old, tolerationSeconds: undefined }, { ...n, tolerationSeconds: undefined }));
    if (!found) return [fieldErr.forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(newT, path);
}

/** A short cmp.Diff-like listing of what changed (kube prints a full Go diff; this keeps the gist). */
function specDiff(oldSpec: Obj, newSpec: Obj): string {
  const lines: string[] = ['  core.PodSpec{'];
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  for (const k of keys) {
    if (semanticEqual(oldSpec[k], newSpec[k])) continue;
    if (oldSpec[k] !== undefined) lines.push(`- \t${k}: ${JSON.stringify(oldSpec[k])},`);
    if (newSpec[k] !== undefined) lines.push(`+ \t${k}: ${JSON.stringify(newSpec[k])},`);
  }
  lines.push('  }');
  return lines.join('\n');
}

export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateObjectMetaUpdate(pod, old);
  errs.push(...validateObjectMeta(pod, META));
  errs.push(...validatePodSpecForPod(pod.spec));
  const spec = obj(pod.spec);
  const oldSpec = obj(old.spec);

  for (const f of ['containers', 'initContainers']) {
    const r = validateContainerUpdates(spec[f], oldSpec[f], child('spec', f));
    errs.push(...r.errs);
    if (r.stop) return errs;
  }

  // activeDeadlineSeconds may be set once, then only lowered.
  const nd = spec.activeDeadlineSeconds;
  const od = oldSpec.activeDeadlineSeconds;
  if (nd !== undefined && nd !== null) {
    const v = isNum(nd) ? nd : 0;
    if (v < 0 || v > 2147483647) {
      errs.push(fieldErr.invalid('spec.activeDeadlineSeconds', v, 'must be between 0 and 2147483647, inclusive'));
      return errs;
    }
    if (isNum(od) && od < v) {
      errs.push(fieldErr.invalid('spec.activeDeadlineSeconds', v, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (od !== undefined && od !== null) {
    errs.push(fieldErr.invalid('spec.activeDeadlineSeconds', go.nil(), 'must not update from a positive integer to nil value'));
  }

  errs.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations, 'spec.tolerations'));

  if (semanticEqual(spec, oldSpec)) return errs;

  // Put back everything that may change, then any remaining difference is forbidden.
  const munged: Obj = { ...spec };
  for (const f of ['containers', 'initContainers']) {
    const olds = arr(oldSpec[f]);
    if (Array.isArray(spec[f])) munged[f] = (spec[f] as unknown[]).map((c, i) => ({ ...obj(c), image: obj(olds[i]).image }));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.tolerations = oldSpec.tolerations;
  munged.schedulingGates = oldSpec.schedulingGates;
  const og = oldSpec.terminationGracePeriodSeconds;
  if (isNum(og) && og < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = og;
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(fieldErr.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${specDiff(oldSpec, munged)}`));
  }
  return errs;
}

