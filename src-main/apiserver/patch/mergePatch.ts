// JSON merge patch, RFC 7386 (Content-Type application/merge-patch+json): used by
// `kubectl patch --type merge`, `kubectl annotate` and `kubectl scale`. Objects merge recursively,
// `null` deletes, and anything else (including every list) replaces the target value.

import { PatchError } from './errors.js';
import { clone, isObject, type JsonObject } from './util.js';
import { getOwn, setOwn } from '../../api/ownProps.js';

export function jsonMergePatch(original: unknown, patch: unknown): unknown {
  // RFC 7386 would let a non-object patch replace the whole document; kube-apiserver rejects it
  // (the result could not be an object), and so do we.
  if (!isObject(patch)) throw new PatchError('merge patch must be a JSON object');
  return mergeValue(original, patch);
}

function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, mergeValue(getOwn(out, k), v));
  }
  return out;
}
