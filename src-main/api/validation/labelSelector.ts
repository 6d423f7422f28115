// metav1.LabelSelector: validation (apimachinery meta/v1/validation) and matching (labels.Selector),
// used by Deployments and ReplicaSets to check their template against their selector.

import { fieldErr, type FieldError } from './fieldErrors.js';
import { isValidLabelValue } from './names.js';
import { validateLabelName, validateLabels } from './meta.js';
import { arr, child, index, isObj, obj, str } from './util.js';

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** ValidateLabelSelector (strict: label values in matchExpressions must be valid label values). */
export function validateLabelSelector(sel: unknown, path: string): FieldError[] {
  if (!isObj(sel)) return [];
  const errs: FieldError[] = [...validateLabels(sel.matchLabels, child(path, 'matchLabels'))];
  arr(sel.matchExpressions).forEach((e, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const r = obj(e);
    const op = str(r.operator);
    const values = arr(r.values);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(fieldErr.required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(fieldErr.forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(fieldErr.invalid(child(p, 'operator'), op, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(str(r.key), child(p, 'key')));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(str(v))) errs.push(fieldErr.invalid(index(child(p, 'values'), j), str(v), m));
    });
  });
  return errs;
}

/**
 * Whether metav1.LabelSelectorAsSelector would fail on this selector (kube then reports
 * "invalid label selector" and skips the template checks).
 */
export function selectorConversionFails(sel: unknown): boolean {
  if (!isObj(sel)) return false;
  return validateLabelSelector(sel, 'x').length > 0 || arr(sel.matchExpressions).some((e) => !OPERATORS.has(str(obj(e).operator)));
}

/** True when the selector selects nothing in particular (kube: selector.Empty()). */
export function selectorIsEmpty(sel: unknown): boolean {
  if (!isObj(sel)) return true;
  return Object.keys(obj(sel.matchLabels)).length + arr(sel.matchExpressions).length === 0;
}

/** labels.Selector.Matches for a LabelSelector. A nil selector matches nothing, an empty one everything. */
export function selectorMatches(sel: unknown, labels: unknown): boolean {
  if (!isObj(sel)) return false;
  const l = obj(labels);
  const has = (k: string) => Object.prototype.hasOwnProperty.call(l, k);
  for (const [k, v] of Object.entries(obj(sel.matchLabels))) if (!has(k) || str(l[k]) !== str(v)) return false;
  for (const e of arr(sel.matchExpressions)) {
    const r = obj(e);
    const k = str(r.key);
    const values = arr(r.values).map(str);
    switch (str(r.operator)) {
      case 'In':
        if (!has(k) || !values.includes(str(l[k]))) return false;
        break;
      case 'NotIn':
        if (has(k) && values.includes(str(l[k]))) return false;
        break;
      case 'Exists':
        if (!has(k)) return false;
        break;
      case 'DoesNotExist':
        if (has(k)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
