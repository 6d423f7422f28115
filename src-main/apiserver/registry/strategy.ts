import type { KubeObject } from '../../api/types.js';
import type { FieldError } from '../../api/validation/fieldErrors.js';

// What differs between kinds around a write, as kube-apiserver's registry strategies
// (rest.RESTCreateStrategy, RESTUpdateStrategy, RESTDeleteStrategy and the status strategies) say
// it: the generic registry calls these hooks and never branches on a resource's name. One object
// per kind lives in ./strategies/; kinds with nothing special use the default.

/** Side allocations a kind holds outside its object (a Service's cluster IP and node ports). */
export interface Allocation {
  /** Allocates for a new object (mutating it); on error takes nothing. */
  onCreate(obj: KubeObject): FieldError[];
  /** Adjusts for an update: takes what the new version needs, releases what the old one no longer holds. */
  onUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Releases everything the object held. */
  onDelete(obj: KubeObject): void;
}

export interface ResourceStrategy {
  /** metadata.generation starts at 1 and grows with every spec change. */
  readonly tracksGeneration: boolean;
  /** DELETE answers with the deleted object rather than a Status (kube's ReturnDeletedObject). */
  readonly returnsDeletedObject: boolean;
  /** May still be created in a namespace that is being deleted (kube lets Events through). */
  readonly allowedInTerminatingNamespace: boolean;
  /** PrepareForCreate: resets what clients may not set on create (status) and applies admission defaults. */
  prepareForCreate(obj: KubeObject): void;
  /** PrepareForUpdate of the main resource: what only subresources or the server change is kept from `old`. */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  /** The status strategy: `obj` is the stored object carrying the new status; copies what else /status may change. */
  prepareForStatusUpdate(obj: KubeObject, body: KubeObject): void;
  /** After defaulting and validation, before the write: a deleting object's own markers (a Terminating phase). */
  afterUpdate(obj: KubeObject): void;
  /** The grace period of a delete; 0 removes the object at once (unless finalizers hold it). */
  gracePeriod(obj: KubeObject, requested: number | undefined): number;
  /** Deletion blockers other than metadata.finalizers (a namespace's spec.finalizers). */
  pendingFinalizers(obj: KubeObject): string[];
  /** Marks an object whose graceful deletion starts or continues. */
  onGracefulDelete(obj: KubeObject): void;
  /** Why an object may never be deleted, or undefined. */
  deleteForbidden(name: string): string | undefined;
  /** Removal once the grace period is 0 and nothing else holds it, even while deletion is under way. */
  readonly removeOnZeroGrace: boolean;
  readonly allocation?: Allocation;
}

export const defaultStrategy: ResourceStrategy = {
  tracksGeneration: false,
  returnsDeletedObject: false,
  allowedInTerminatingNamespace: false,
  prepareForCreate() {},
  prepareForUpdate() {},
  prepareForStatusUpdate() {},
  afterUpdate() {},
  gracePeriod: () => 0,
  pendingFinalizers: () => [],
  onGracefulDelete() {},
  deleteForbidden: () => undefined,
  removeOnZeroGrace: false,
};

/**
 * A kind with a status subresource: clients set status only through /status, so a create starts
 * from `initial` and an update of the main resource keeps the stored status.
 */
export function statusSubresource(initial: (obj: KubeObject) => unknown = () => ({})): Pick<ResourceStrategy, 'prepareForCreate' | 'prepareForUpdate'> {
  return {
    prepareForCreate(obj) {
      obj.status = initial(obj);
    },
    prepareForUpdate(obj, old) {
      obj.status = structuredClone(old.status);
    },
  };
}
