// metadata.managedFields bookkeeping shared by server-side apply and ordinary writes.
//
// Kubernetes keys an entry by manager name + operation + subresource, and for Update entries
// also by apiVersion (an Apply entry keeps one identity across versions). The ownership rules
// mirror structured-merge-diff's Updater:
//   - fields an operation modifies or adds are taken from every other manager (for Apply without
//     force, that is a conflict instead);
//   - fields an operation removes are removed from every manager's set;
//   - managers left with no fields lose their entry.

import type { ManagedFieldsEntry } from '../../api/types.js';
import { FieldSet, fieldSetOf, formatPath, membersOf, type Path } from './fieldsV1.js';
import type { Schema } from './mergeKeys.js';
import { deepEqual, isObject, type JsonObject } from './util.js';
import { setOwn } from '../../api/ownProps.js';

export interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
  /** The FieldsV1 `set` was decoded from, reused when encoding while `set` is still that set. */
  raw?: { set: FieldSet; fieldsV1: JsonObject };
}

export function sameIdentity(a: Omit<Entry, 'set'>, b: Omit<Entry, 'set'>): boolean {
  return (
    a.manager === b.manager &&
    a.operation === b.operation &&
    (a.subresource ?? '') === (b.subresource ?? '') &&
    (a.operation === 'Apply' || (a.apiVersion ?? '') === (b.apiVersion ?? ''))
  );
}

/**
 * `stored`: the entries are the stored object's, whose FieldsV1 this module encoded (canonical),
 * so an entry a write leaves unchanged is encoded again as the very same FieldsV1.
 */
export function decodeEntries(raw: unknown, stored = false): Entry[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isObject).map((e) => {
    const set = FieldSet.fromFieldsV1(e.fieldsV1);
    return {
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation === 'Apply' ? 'Apply' : 'Update',
      ...(typeof e.apiVersion === 'string' ? { apiVersion: e.apiVersion } : {}),
      ...(typeof e.time === 'string' ? { time: e.time } : {}),
      ...(typeof e.subresource === 'string' && e.subresource ? { subresource: e.subresource } : {}),
      set,
      ...(stored && isObject(e.fieldsV1) ? { raw: { set, fieldsV1: e.fieldsV1 } } : {}),
    };
  });
}

/** Entries in kube's order: Apply entries first, then by time, then by manager name. */
export function encodeEntries(entries: Entry[]): ManagedFieldsEntry[] {
  const sorted = entries
    .filter((e) => e.set.size > 0)
    .sort((a, b) => {
      if (a.operation !== b.operation) return a.operation === 'Apply' ? -1 : 1;
      const t = (a.time ?? '').localeCompare(b.time ?? '');
      return t !== 0 ? t : a.manager.localeCompare(b.manager);
    });
  return sorted.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    ...(e.apiVersion !== undefined ? { apiVersion: e.apiVersion } : {}),
    ...(e.time !== undefined ? { time: e.time } : {}),
    fieldsType: 'FieldsV1',
    fieldsV1: e.raw?.set === e.set ? e.raw.fieldsV1 : e.set.toFieldsV1(),
    ...(e.subresource ? { subresource: e.subresource } : {}),
  }));
}

/** Server-maintained metadata: never merged from an apply body, never owned by a manager. */
export const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

/**
 * The part of an object whose fields are tracked for a write to `subresource` ('' = the main
 * resource): for the main resource everything but apiVersion, kind, `status`, the object's name
 * and the server metadata; for the status subresource only `status`.
 */
export function trackedView(obj: unknown, subresource: string): JsonObject {
  if (!isObject(obj)) return {};
  if (subresource === 'status') return obj.status === undefined ? {} : { status: obj.status };
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k !== 'apiVersion' && k !== 'kind' && k !== 'status') setOwn(out, k, v);
  }
  if (isObject(out.metadata)) {
    const meta = { ...out.metadata };
    for (const k of [...SERVER_METADATA, 'name', 'namespace', 'generateName']) delete meta[k];
    if (Object.keys(meta).length === 0) delete out.metadata;
    else out.metadata = meta;
  }
  return out;
}

export interface Changes {
  /** Fields added or whose value changed (leaves and new list items). */
  changed: FieldSet;
  /** Fields present before and gone after. */
  removed: FieldSet;
  /** Every member of the new object. */
  after: FieldSet;
}

export function compareObjects(before: unknown, after: unknown, schema: Schema): Changes {
  // Each member carries its value, so a leaf is compared without looking its path up again.
  const a = membersOf(before, schema);
  const b = membersOf(after, schema);
  const changed = new FieldSet();
  const removed = new FieldSet();
  for (const [k, f] of b) {
    const old = a.get(k);
    if (!old) changed.addMember(k, f.path);
    else if ((f.leaf || old.leaf) && !deepEqual(old.value, f.value)) changed.addMember(k, f.path);
  }
  for (const [k, f] of a) if (!b.has(k)) removed.addMember(k, f.path);
  return { changed, removed, after: fieldSetOf(b.values()) };
}

export interface Conflict {
  entry: Entry;
  path: Path;
}

/**
 * Applies the ownership consequences of `changes` to every entry except `acting`, returning the
 * conflicts found (fields another manager owns that this write changes). When `force` is false
 * and there are conflicts, nothing is modified. Entries in `exempt` give up fields silently.
 */
export function transferOwnership(
  entries: Entry[],
  acting: Omit<Entry, 'set'>,
  changes: Changes,
  force: boolean,
  exempt: Set<Entry> = new Set(),
): Conflict[] {
  const conflicts: Conflict[] = [];
  for (const e of entries) {
    if (sameIdentity(e, acting) || exempt.has(e)) continue;
    for (const p of e.set.intersection(changes.changed).paths()) conflicts.push({ entry: e, path: p });
  }
  if (conflicts.length > 0 && !force) return conflicts;
  for (const e of entries) {
    if (sameIdentity(e, acting)) continue;
    // An entry that loses nothing keeps its set (and so its encoding).
    if (e.set.intersects(changes.changed) || e.set.intersects(changes.removed)) e.set = e.set.difference(changes.changed).difference(changes.removed);
  }
  return conflicts;
}

/** kube's printManager: `"name"` for appliers, `"name" using apps/v1` for updaters. */
export function describeManager(e: Entry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion ?? ''}`;
  return s;
}

/** kube's apply conflict message (fieldmanager/internal/conflict.go). */
export function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0];
    return `Apply failed with 1 conflict: conflict with ${describeManager(c.entry)}: ${formatPath(c.path)}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const m = describeManager(c.entry);
    byManager.set(m, [...(byManager.get(m) ?? []), formatPath(c.path)]);
  }
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${m}:`);
    for (const p of byManager.get(m)!) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}
