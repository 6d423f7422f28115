// Server-side apply (Content-Type application/apply-patch+yaml) with real field ownership.
//
// 1. The applied config (minus nulls, server metadata and, on the main resource, status) is
//    merged into the live object: maps key by key, keyed lists item by item (mergeKeys.ts),
//    set lists as a union, everything else replaced.
// 2. Fields this manager owned in its previous Apply but no longer sets are removed, unless some
//    other manager owns them (or something below them); maps emptied that way are removed too.
// 3. Every field the apply adds or changes that another manager owns is a conflict: 409 unless
//    `force`, in which case the other managers lose those fields.
// 4. The manager's Apply entry becomes exactly the set of fields in the config.
//
// An object with no managedFields at all (created before tracking) is treated like kube does:
// its existing fields belong to an Update manager "before-first-apply", which loses the fields
// the first apply changes without reporting a conflict.
//
// Limits: no defaulting or validation happens here (the caller does both), so a field that kube
// would default into the applied config is not owned by the applier; applied nulls are treated
// as absent; keyed lists use the single strategic-merge key (see mergeKeys.ts).

import { PatchError } from './errors.js';
import { FieldSet, fieldsOf, formatPath, getAt, listItemElements, removeAt, type Path } from './fieldsV1.js';
import {
  compareObjects,
  conflictMessage,
  decodeEntries,
  describeManager,
  encodeEntries,
  sameIdentity,
  SERVER_METADATA,
  trackedView,
  transferOwnership,
  type Entry,
} from './managedFields.js';
import { fieldSchema, schemaForResource, type Schema } from './mergeKeys.js';
import { clone, isObject, withoutNulls, type JsonObject } from './util.js';
import { getOwn, setOwn } from '../../api/ownProps.js';

export interface ApplyResult {
  object: Record<string, unknown>;
}

export interface ApplyOptions {
  manager: string;
  force: boolean;
  /** e.g. 'deployments.apps', or 'deployments.apps/status' for an apply to the status subresource. */
  resourceKey: string;
  apiVersion: string;
  /** RFC 3339 time recorded in the manager's entry. */
  now: string;
}

const BEFORE_FIRST_APPLY = 'before-first-apply';

export function serverSideApply(
  live: Record<string, unknown> | undefined,
  applied: Record<string, unknown>,
  opts: ApplyOptions,
): ApplyResult {
  if (!isObject(applied)) throw new PatchError('apply patch must be a JSON object');
  const sentManaged = isObject(applied.metadata) ? applied.metadata.managedFields : undefined;
  if (Array.isArray(sentManaged) ? sentManaged.length > 0 : sentManaged != null) {
    throw new PatchError('metadata.managedFields must be nil');
  }
  const subresource = opts.resourceKey.split('/')[1] ?? '';
  const schema = schemaForResource(opts.resourceKey);
  const config = applicablePart(withoutNulls(applied) as JsonObject, subresource);
  const appliedSet = toSet(trackedView(config, subresource), schema);
  const acting = {
    manager: opts.manager,
    operation: 'Apply' as const,
    apiVersion: opts.apiVersion,
    ...(subresource ? { subresource } : {}),
  };

  if (!live) {
    const object = clone(config);
    setManagedFields(object, [{ ...acting, time: opts.now, set: appliedSet }]);
    return { object };
  }

  let entries = decodeEntries(isObject(live.metadata) ? live.metadata.managedFields : undefined);
  const exempt = new Set<Entry>();
  if (entries.length === 0) {
    const seed: Entry = {
      manager: BEFORE_FIRST_APPLY,
      operation: 'Update',
      apiVersion: typeof live.apiVersion === 'string' ? live.apiVersion : opts.apiVersion,
      time: opts.now,
      set: toSet(trackedView(live, ''), schema),
    };
    entries = [seed];
    exempt.add(seed);
  }
  const previous = entries.find((e) => sameIdentity(e, acting));

  const merged = mergeInto(clone(live), config, schema) as JsonObject;
  prune(merged, previous?.set.difference(appliedSet) ?? new FieldSet(), appliedSet, entries, previous);

  const changes = compareObjects(trackedView(live, subresource), trackedView(merged, subresource), schema);
  const conflicts = transferOwnership(entries, acting, changes, opts.force, exempt);
  if (conflicts.length > 0 && !opts.force) {
    conflicts.sort((a, b) => describeManager(a.entry).localeCompare(describeManager(b.entry)) || formatPath(a.path).localeCompare(formatPath(b.path)));
    throw new PatchError(
      conflictMessage(conflicts),
      409,
      conflicts.map((c) => ({
        reason: 'FieldManagerConflict',
        message: `conflict with ${describeManager(c.entry)}`,
        field: formatPath(c.path),
      })),
    );
  }

  // Like kube, only touch the timestamp when the apply changed something.
  const touched =
    !previous || changes.changed.size > 0 || changes.removed.size > 0 || !sameSet(previous.set, appliedSet);
  const entry: Entry = { ...acting, time: touched ? opts.now : (previous?.time ?? opts.now), set: appliedSet };
  setManagedFields(merged, [...entries.filter((e) => e !== previous), entry]);
  return { object: merged };
}

/** The applied config without what apply may not set: server metadata, and status or spec. */
function applicablePart(applied: JsonObject, subresource: string): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(applied)) {
    if (subresource === 'status' ? k === 'status' : k !== 'status') setOwn(out, k, v);
  }
  if (isObject(out.metadata)) {
    const meta = { ...out.metadata };
    for (const k of SERVER_METADATA) delete meta[k];
    out.metadata = meta;
  }
  return out;
}

function toSet(view: unknown, schema: Schema): FieldSet {
  return new FieldSet([...fieldsOf(view, schema).values()].map((f) => f.path));
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  return a.size === b.size && a.difference(b).size === 0;
}

/** Merges `config` into `target` (a private copy, modified in place); returns the new value. */
function mergeInto(target: unknown, config: unknown, s: Schema | undefined): unknown {
  if (isObject(config)) {
    const out = isObject(target) ? target : {};
    for (const [k, v] of Object.entries(config)) setOwn(out, k, mergeInto(getOwn(out, k), v, fieldSchema(s, k)));
    return out;
  }
  if (Array.isArray(config)) {
    const cfgEls = listItemElements(config, s);
    const liveEls = Array.isArray(target) ? listItemElements(target, s) : undefined;
    if (!cfgEls || !liveEls || !Array.isArray(target)) return clone(config);
    const out = [...target];
    config.forEach((item, i) => {
      const j = liveEls.indexOf(cfgEls[i]);
      if (j < 0) out.push(clone(item));
      else out[j] = s?.list?.type === 'map' ? mergeInto(out[j], item, s.items) : item;
    });
    return out;
  }
  return config;
}

/**
 * Removes from `obj` the fields in `dropped` (owned by the applier before, not any more) that no
 * one else still holds: neither the new applied set nor any other manager owns the path itself
 * or anything below it.
 */
function prune(obj: JsonObject, dropped: FieldSet, appliedSet: FieldSet, entries: Entry[], previous?: Entry): void {
  let keep = appliedSet;
  for (const e of entries) if (e !== previous) keep = keep.union(e.set);
  const paths = dropped.paths().sort((a, b) => a.length - b.length);
  for (const p of paths) {
    if (keep.coversOrContains(p) || isItemKey(p)) continue;
    if (removeAt(obj, p)) removeEmptiedParents(obj, p, keep);
  }
}

/**
 * Whether `p` is a merge-key field of a keyed list item (…/k:{"name":"a"}/f:name). Such a field is
 * only removed together with its item: an item kept alive by another manager's fields must keep
 * its key, even if the applier that created it was the only owner of the key field.
 */
function isItemKey(p: Path): boolean {
  const item = p[p.length - 2];
  const field = p[p.length - 1];
  if (!item?.startsWith('k:') || !field.startsWith('f:')) return false;
  try {
    return Object.prototype.hasOwnProperty.call(JSON.parse(item.slice(2)), field.slice(2));
  } catch {
    return false;
  }
}

/** After a removal, drop the maps/lists it left empty, unless someone owns them as a value. */
function removeEmptiedParents(obj: JsonObject, removed: Path, keep: FieldSet): void {
  for (let p = removed.slice(0, -1); p.length > 0; p = p.slice(0, -1)) {
    if (!p[p.length - 1].startsWith('f:')) return; // never drop a list item implicitly
    const v = getAt(obj, p);
    const empty = (isObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
    if (!empty || keep.coversOrContains(p)) return;
    removeAt(obj, p);
  }
}

function setManagedFields(obj: JsonObject, entries: Entry[]): void {
  const meta = isObject(obj.metadata) ? obj.metadata : (obj.metadata = {});
  const encoded = encodeEntries(entries);
  if (encoded.length > 0) meta.managedFields = encoded;
  else delete meta.managedFields;
}
