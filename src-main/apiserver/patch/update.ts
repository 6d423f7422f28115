// Field ownership for ordinary writes (create, PUT, and the JSON/merge/strategic patch types):
// the manager named by ?fieldManager= (or derived from the User-Agent by the caller) gets an
// Update entry for the fields it added or changed, takes those fields from every other manager,
// and fields the write removed leave every manager's set. This is what lets a later
// server-side apply see, and conflict with, edits made by `kubectl edit`, `scale`, `label`…
//
// Like kube, the entries the client sent win (a PUT may rewrite managedFields, and `[{}]` clears
// them); when it sent none, the stored object's entries are carried over.

import { FieldSet } from './fieldsV1.js';
import { compareObjects, decodeEntries, encodeEntries, sameIdentity, trackedView, transferOwnership, type Entry } from './managedFields.js';
import { schemaForKind, schemaForResource } from './mergeKeys.js';
import { isObject } from './util.js';

export interface UpdateManagerOptions {
  manager: string;
  operation: 'Update';
  apiVersion: string;
  now: string;
  /** 'status' for writes to the status subresource. */
  subresource?: string;
  /** e.g. 'deployments.apps'; when absent the list merge keys are looked up from newObj.kind. */
  resourceKey?: string;
}

/** Records the write oldObj → newObj in newObj.metadata.managedFields (newObj is modified). */
export function recordUpdateManager(
  oldObj: Record<string, unknown> | undefined,
  newObj: Record<string, unknown>,
  opts: UpdateManagerOptions,
): void {
  const schema = opts.resourceKey ? schemaForResource(opts.resourceKey) : schemaForKind(newObj.kind ?? oldObj?.kind);
  const subresource = opts.subresource ?? '';
  const meta = isObject(newObj.metadata) ? newObj.metadata : (newObj.metadata = {});

  const sent = meta.managedFields;
  let entries: Entry[];
  if (Array.isArray(sent) && sent.length === 1 && isObject(sent[0]) && Object.keys(sent[0]).length === 0) {
    entries = [];
  } else if (Array.isArray(sent) && sent.length > 0) {
    // The registry carries the stored entries over as the very same array.
    entries = decodeEntries(sent, isObject(oldObj?.metadata) && sent === oldObj.metadata.managedFields);
  } else {
    entries = decodeEntries(isObject(oldObj?.metadata) ? oldObj.metadata.managedFields : undefined, true);
  }

  const acting = {
    manager: opts.manager,
    operation: 'Update' as const,
    apiVersion: opts.apiVersion,
    ...(subresource ? { subresource } : {}),
  };
  const changes = compareObjects(trackedView(oldObj, subresource), trackedView(newObj, subresource), schema);
  transferOwnership(entries, acting, changes, true);

  const previous = entries.find((e) => sameIdentity(e, acting));
  const touched = changes.changed.size > 0 || changes.removed.size > 0;
  // Untouched, the manager's entry stays as it was (set, encoding and time).
  const set = previous && !touched ? previous.set : (previous?.set ?? new FieldSet()).difference(changes.removed).union(changes.changed);
  const entry: Entry = { ...acting, time: touched || !previous?.time ? opts.now : previous.time, set, ...(previous?.raw ? { raw: previous.raw } : {}) };
  const encoded = encodeEntries([...entries.filter((e) => e !== previous), entry]);
  if (encoded.length > 0) meta.managedFields = encoded;
  else delete meta.managedFields;
}
