import type { KubeObject, OwnerReference } from '../../api/types.js';
import { RESOURCES, type ResourceDef } from '../../api/resources.js';

// The garbage collector's decisions as pure functions (kube's garbagecollector.go
// attemptToDeleteItem / classifyReferences, and operations.go's patches), so they can be tested
// without an API server. The controller feeds them live objects and applies what they return.

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

/** What the GC remembers about an object in its queues: enough to GET it and to check its uid. */
export interface ObjectIdentity {
  resource: string;
  namespace?: string;
  name: string;
  uid: string;
}

export function identityOf(resource: string, obj: KubeObject): ObjectIdentity {
  return { resource, namespace: obj.metadata.namespace || undefined, name: obj.metadata.name!, uid: obj.metadata.uid! };
}

// Names, namespaces and resource keys never contain '|', so it separates the fields safely.
export function identityKey(id: ObjectIdentity): string {
  return `${id.resource}|${id.namespace ?? ''}|${id.name}|${id.uid}`;
}

export function parseIdentityKey(key: string): ObjectIdentity {
  const [resource = '', namespace = '', name = '', uid = ''] = key.split('|');
  return { resource, namespace: namespace || undefined, name, uid };
}

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

export function isBeingDeleted(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp;
}

/** An owner in foreground deletion: it waits for its blocking dependents to go first. */
export function isDeletingDependents(obj: KubeObject): boolean {
  return isBeingDeleted(obj) && hasFinalizer(obj, FINALIZER_FOREGROUND);
}

const byGroupKind = new Map(RESOURCES.map((r) => [`${r.group}/${r.kind}`, r]));

/** The catalogue entry an ownerReference points at (group and kind; any version of the group). */
export function resourceForOwnerRef(ref: Pick<OwnerReference, 'apiVersion' | 'kind'>): ResourceDef | undefined {
  const slash = ref.apiVersion?.indexOf('/') ?? -1;
  const group = slash >= 0 ? ref.apiVersion.slice(0, slash) : '';
  return byGroupKind.get(`${group}/${ref.kind}`);
}

/**
 * solid: the owner exists and is not being deleted in the foreground; dangling: it is gone (or a
 * different object now has its name); waiting: it is being deleted in the foreground and waits
 * for its dependents.
 */
export type OwnerState = 'solid' | 'dangling' | 'waiting';

export function ownerStateOf(owner: KubeObject | undefined, ref: Pick<OwnerReference, 'uid'>): OwnerState {
  if (!owner || owner.metadata.uid !== ref.uid) return 'dangling';
  return isDeletingDependents(owner) ? 'waiting' : 'solid';
}

export type DependentAction =
  | { kind: 'none' }
  /** Some owners are alive: drop only the references to the gone and the waiting ones. */
  | { kind: 'removeOwnerRefs'; uids: string[] }
  /** An owner waits for us and we have dependents ourselves: pass the foreground deletion down. */
  | { kind: 'deleteForeground'; unblockFirst: boolean }
  /** No owner is alive: collect the object, honouring its own propagation finalizers. */
  | { kind: 'delete'; policy: 'Background' | 'Foreground' | 'Orphan' };

export interface DependentFacts {
  refs: readonly OwnerReference[];
  states: ReadonlyMap<string, OwnerState>;
  /** The dependent's own finalizers (a user may have asked for orphan/foreground beforehand). */
  finalizers: readonly string[];
  hasDependents: boolean;
  /** One of the dependent's own dependents is itself deleting dependents (a possible cycle). */
  dependentIsDeletingDependents: boolean;
}

export function decideDependentAction(f: DependentFacts): DependentAction {
  if (!f.refs.length) return { kind: 'none' };
  const solid: string[] = [];
  const dangling: string[] = [];
  const waiting: string[] = [];
  for (const ref of f.refs) {
    const s = f.states.get(ref.uid) ?? 'solid';
    (s === 'solid' ? solid : s === 'dangling' ? dangling : waiting).push(ref.uid);
  }
  if (solid.length) {
    // Waiting owners must be dropped too, or they would wait for this object forever.
    const uids = [...dangling, ...waiting];
    return uids.length ? { kind: 'removeOwnerRefs', uids } : { kind: 'none' };
  }
  if (waiting.length && f.hasDependents) return { kind: 'deleteForeground', unblockFirst: f.dependentIsDeletingDependents };
  const policy = f.finalizers.includes(FINALIZER_ORPHAN) ? 'Orphan' : f.finalizers.includes(FINALIZER_FOREGROUND) ? 'Foreground' : 'Background';
  return { kind: 'delete', policy };
}

/** Dependents whose reference to the owner blocks the owner's foreground deletion. */
export function blockingDependents<T extends KubeObject>(ownerUID: string, dependents: readonly T[]): T[] {
  return dependents.filter((d) => d.metadata.ownerReferences?.some((r) => r.uid === ownerUID && r.blockOwnerDeletion));
}

/** Strategic merge patch removing the references with these uids (ownerReferences merge on uid). */
export function removeOwnerRefsPatch(uids: readonly string[]): Record<string, unknown> {
  return { metadata: { ownerReferences: uids.map((uid) => ({ $patch: 'delete', uid })) } };
}

/** Strategic merge patch turning every blocking reference into a non-blocking one. */
export function unblockOwnerRefsPatch(refs: readonly OwnerReference[]): Record<string, unknown> | undefined {
  const blocking = refs.filter((r) => r.blockOwnerDeletion);
  if (!blocking.length) return undefined;
  return { metadata: { ownerReferences: blocking.map((r) => ({ uid: r.uid, blockOwnerDeletion: false })) } };
}

/** Same owners, same blocking flags? (Updates that do not touch ownership are the common case.) */
export function sameOwnerRefs(a: readonly OwnerReference[] | undefined, b: readonly OwnerReference[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p.uid !== q.uid || !!p.blockOwnerDeletion !== !!q.blockOwnerDeletion || p.name !== q.name || p.kind !== q.kind || p.apiVersion !== q.apiVersion) return false;
  }
  return true;
}
