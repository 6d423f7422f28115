import type { KubeObject } from '../../api/types.js';
import type { Informer } from '../../client/informer.js';
import { controllerRef } from './ownerRefs.js';

// Informer indexes the workload controllers share. Informers are shared by every controller of a
// process, so an index is added once per informer and under a name no other loop uses for
// something else.

/** Objects by the uid of their controller (ownerReference with controller: true). */
export const CONTROLLER_UID_INDEX = 'flotilla/controller-uid';
/** Objects without a controller, by namespace: the candidates for adoption. */
export const ORPHAN_NAMESPACE_INDEX = 'flotilla/orphan-namespace';

const added = new WeakMap<object, Set<string>>();

function ensureIndex<T extends KubeObject>(inf: Informer<T>, name: string, fn: (o: T) => string[]): void {
  let names = added.get(inf);
  if (!names) added.set(inf, (names = new Set()));
  if (names.has(name)) return;
  names.add(name);
  inf.addIndex(name, fn);
}

export function ensureOwnershipIndexes<T extends KubeObject>(inf: Informer<T>): void {
  ensureIndex(inf, CONTROLLER_UID_INDEX, (o) => {
    const ref = controllerRef(o);
    return ref ? [ref.uid] : [];
  });
  ensureIndex(inf, ORPHAN_NAMESPACE_INDEX, (o) => (controllerRef(o) ? [] : [o.metadata.namespace ?? '']));
}

/** What `owner` controls plus the orphans of its namespace, from an informer with ownership indexes. */
export function ownedAndOrphans<T extends KubeObject>(inf: Informer<T>, owner: KubeObject): T[] {
  return [...inf.byIndex(CONTROLLER_UID_INDEX, owner.metadata.uid!), ...inf.byIndex(ORPHAN_NAMESPACE_INDEX, owner.metadata.namespace ?? '')];
}
