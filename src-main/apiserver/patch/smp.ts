// Strategic merge patch (Content-Type application/strategic-merge-patch+json), written from the
// documented Kubernetes semantics (docs/devel/sig-api-machinery/strategic-merge-patch.md):
//
// - Maps merge recursively; a `null` value deletes the key.
// - Lists listed in mergeKeys.ts merge item by item on their merge key (or, for primitive lists
//   such as finalizers, as a set union); every other list is replaced as a whole.
// - Directives: `$patch: replace|delete|merge` in a map or list item, a `{"$patch":"replace"}`
//   item (the list becomes exactly the other items), `$setElementOrder/<list>`,
//   `$deleteFromPrimitiveList/<list>` and `$retainKeys`. None of them reaches the result.
// - Order of a merged list follows kube's normalizeElementOrder: the items named by the patch (or
//   by `$setElementOrder`) come in that order and the server-only items are interleaved by their
//   original position. So a new item lands *before* the existing ones, as in the kubectl docs.
//
// Deliberate differences from kube-apiserver: a map removed with `$patch: delete` disappears
// instead of becoming `{}`; a `$patch: merge` list item is accepted (kube rejects it); errors that
// kube reports as 500 (e.g. a missing merge key) are 400 here.

import { PatchError } from './errors.js';
import { fieldSchema, schemaForResource, type Schema } from './mergeKeys.js';
import { clone, deepEqual, isObject, type JsonObject } from './util.js';
import { getOwn, setOwn } from '../../api/ownProps.js';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

/** Returned by mergeMap for `$patch: delete`: the parent drops the key. */
const DELETE = Symbol('delete');

function isDirectiveKey(k: string): boolean {
  return k === PATCH || k === RETAIN_KEYS || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE);
}

export function strategicMergePatch(original: unknown, patch: unknown, resourceKey: string): unknown {
  if (!isObject(patch)) throw new PatchError('strategic merge patch must be a JSON object');
  // Work on a private copy of the original; values taken from the patch are rebuilt by mergeMap,
  // so neither input is shared with (or mutated through) the result.
  const base = isObject(original) ? clone(original) : {};
  const out = mergeMap(base, patch, schemaForResource(resourceKey));
  return out === DELETE ? {} : out;
}

/** Merges `patch` into `orig`, which is a private copy and is modified in place. */
function mergeMap(orig: JsonObject, patch: JsonObject, schema: Schema | undefined): JsonObject | typeof DELETE {
  const directive = getOwn(patch, PATCH);
  if (directive === 'delete') return DELETE;
  if (directive === 'replace') orig = {};
  else if (directive !== undefined && directive !== 'merge') {
    throw new PatchError(`invalid $patch directive ${JSON.stringify(directive)}: must be replace, delete or merge`);
  }

  const retain = getOwn(patch, RETAIN_KEYS);
  if (retain !== undefined) applyRetainKeys(orig, patch, retain);

  for (const [k, values] of Object.entries(patch)) {
    if (!k.startsWith(DELETE_PRIMITIVE)) continue;
    if (!Array.isArray(values)) throw new PatchError(`${k} must be a list`);
    const field = k.slice(DELETE_PRIMITIVE.length);
    const cur = getOwn(orig, field);
    if (Array.isArray(cur)) setOwn(orig, field, cur.filter((x) => !values.some((v) => deepEqual(v, x))));
  }

  for (const [k, pv] of Object.entries(patch)) {
    if (isDirectiveKey(k)) continue;
    const fs = fieldSchema(schema, k);
    if (pv === null) {
      delete orig[k];
    } else if (isObject(pv)) {
      const cur = getOwn(orig, k);
      const merged = mergeMap(isObject(cur) ? cur : {}, pv, fs);
      if (merged === DELETE) delete orig[k];
      else setOwn(orig, k, merged);
    } else if (Array.isArray(pv)) {
      const cur = getOwn(orig, k);
      setOwn(orig, k, mergeList(Array.isArray(cur) ? cur : [], pv, fs, orderFor(patch, k)));
    } else {
      setOwn(orig, k, pv);
    }
  }

  // `$setElementOrder/x` without `x` in the patch only reorders the existing list.
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const field = k.slice(SET_ORDER.length);
    if (Object.prototype.hasOwnProperty.call(patch, field)) continue;
    const cur = getOwn(orig, field);
    const list = fieldSchema(schema, field)?.list;
    if (Array.isArray(cur) && list) setOwn(orig, field, normalizeOrder(cur, orderFor(patch, field)!, cur, keyFn(list)));
  }
  return orig;
}

function applyRetainKeys(orig: JsonObject, patch: JsonObject, retain: unknown): void {
  if (!Array.isArray(retain) || !retain.every((x) => typeof x === 'string')) {
    throw new PatchError('$retainKeys must be a list of strings');
  }
  for (const k of Object.keys(patch)) {
    if (!isDirectiveKey(k) && !retain.includes(k)) {
      throw new PatchError(`the patch has field ${JSON.stringify(k)} that is not present in $retainKeys list`, 422);
    }
  }
  for (const k of Object.keys(orig)) if (!retain.includes(k)) delete orig[k];
}

function orderFor(patch: JsonObject, field: string): unknown[] | undefined {
  const order = getOwn(patch, SET_ORDER + field);
  if (order === undefined) return undefined;
  if (!Array.isArray(order)) throw new PatchError(`${SET_ORDER}${field} must be a list`);
  return order;
}

/** The value an item is identified by: its merge key for map lists, itself for primitive sets. */
function keyFn(list: NonNullable<Schema['list']>): (item: unknown) => unknown {
  return list.type === 'map' ? (item) => (isObject(item) ? getOwn(item, list.key) : undefined) : (item) => item;
}

function mergeList(orig: unknown[], patch: unknown[], schema: Schema | undefined, order?: unknown[]): unknown[] {
  // A `{"$patch":"replace"}` item: the list becomes exactly the patch's ordinary items.
  if (patch.some((it) => isObject(it) && it[PATCH] === 'replace')) {
    return cleanItems(patch.filter((it) => !(isObject(it) && PATCH in it)), schema?.items);
  }
  const list = schema?.list;
  if (!list) return cleanItems(patch, schema?.items);

  let merged: unknown[];
  if (list.type === 'set') {
    if (patch.some((it) => typeof it === 'object' && it !== null)) {
      throw new PatchError('a merging primitive list may only contain strings, numbers or booleans');
    }
    merged = [];
    for (const v of [...orig, ...patch]) if (!merged.some((x) => deepEqual(x, v))) merged.push(v);
  } else {
    merged = mergeKeyedItems([...orig], patch, list.key, schema?.items);
  }
  const key = keyFn(list);
  const ordinary = patch.filter((it) => !(isObject(it) && PATCH in it));
  return normalizeOrder(merged, order ?? ordinary, orig, key);
}

function mergeKeyedItems(orig: unknown[], patch: unknown[], mergeKey: string, items: Schema | undefined): unknown[] {
  const findIndex = (keyValue: unknown) =>
    orig.findIndex((o) => isObject(o) && o[mergeKey] !== undefined && deepEqual(o[mergeKey], keyValue));
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`list items must be maps with the merge key ${JSON.stringify(mergeKey)}`);
    const directive = getOwn(item, PATCH);
    const keyValue = getOwn(item, mergeKey);
    if (keyValue === undefined || keyValue === null) {
      if (directive === 'merge' && Object.keys(item).length === 1) continue;
      throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
    }
    if (directive === 'delete') {
      orig = orig.filter((o) => !(isObject(o) && deepEqual(o[mergeKey], keyValue)));
      continue;
    }
    if (directive !== undefined && directive !== 'merge') {
      throw new PatchError(`invalid $patch directive ${JSON.stringify(directive)} in a list item`);
    }
    const i = findIndex(keyValue);
    const merged = mergeMap(i >= 0 ? (orig[i] as JsonObject) : {}, item, items);
    if (merged === DELETE) continue; // unreachable: `delete` was handled above
    if (i >= 0) orig[i] = merged;
    else orig.push(merged);
  }
  return orig;
}

/** Items of an atomic (or replaced) list, rebuilt so that nulls in maps and directives are gone. */
function cleanItems(items: unknown[], schema: Schema | undefined): unknown[] {
  const out: unknown[] = [];
  for (const it of items) {
    if (isObject(it)) {
      const m = mergeMap({}, it, schema);
      if (m !== DELETE) out.push(m);
    } else if (Array.isArray(it)) {
      out.push(cleanItems(it, undefined));
    } else {
      out.push(it);
    }
  }
  return out;
}

/**
 * Kube's normalizeElementOrder: items whose key appears in `order` are sorted by it; the other
 * (server-only) items keep their original order and are interleaved where the original list had
 * them relative to the ordered items. An item unknown to the original goes before server-only ones.
 */
function normalizeOrder(merged: unknown[], order: unknown[], original: unknown[], key: (x: unknown) => unknown): unknown[] {
  const orderKeys = order.map(key);
  const indexIn = (keys: unknown[], item: unknown) => {
    const k = key(item);
    return keys.findIndex((x) => deepEqual(x, k));
  };
  const originalKeys = original.map(key);
  const byIndex = (keys: unknown[]) => (a: unknown, b: unknown) => rank(indexIn(keys, a)) - rank(indexIn(keys, b));
  const rank = (i: number) => (i < 0 ? Number.MAX_SAFE_INTEGER : i);

  const patchItems = merged.filter((it) => indexIn(orderKeys, it) >= 0).sort(byIndex(orderKeys));
  const serverOnly = merged.filter((it) => indexIn(orderKeys, it) < 0).sort(byIndex(originalKeys));

  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(patchItems[j++]);
    else {
      const li = indexIn(originalKeys, serverOnly[i]);
      const ri = indexIn(originalKeys, patchItems[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(patchItems[j++]);
    }
  }
  return out;
}
