import type { KubeObject, OwnerReference } from '../../api/types.js';
import type { ApiClient } from '../../client/apiClient.js';
import { isNotFound } from '../../client/apiClient.js';
import { controllerRef } from './ownerRefs.js';

// Adoption and release (kube's ControllerRefManager): a controller owns what carries its
// controller ownerReference. An orphan its selector matches is adopted; something it owns that
// its selector no longer matches is released. Both are strategic merge patches of
// metadata.ownerReferences (merged by uid), so they never clobber other owners.
//
// Before the first adoption of a sync the owner is re-read from the API server: adopting on
// behalf of an owner that was deleted (or deleted and recreated under the same name) a moment
// ago would leave orphans with a dangling controller reference.

export interface ClaimSpec<T extends KubeObject> {
  client: ApiClient;
  /** Resource key of the owner, e.g. "replicasets.apps". */
  ownerResource: string;
  /** Resource key of the claimed objects, e.g. "pods". */
  resource: string;
  owner: KubeObject;
  ownerRef: OwnerReference;
  matches(obj: T): boolean;
}

export interface ClaimResult<T> {
  claimed: T[];
  errors: unknown[];
}

export function adoptPatch(ref: OwnerReference, uid: string | undefined): Record<string, unknown> {
  return { metadata: { ownerReferences: [ref], ...(uid ? { uid } : {}) } };
}

export function releasePatch(ownerUid: string, uid: string | undefined): Record<string, unknown> {
  return { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], ...(uid ? { uid } : {}) } };
}

export class ControllerRefManager<T extends KubeObject> {
  private canAdoptChecked: Promise<void> | undefined;

  constructor(private readonly spec: ClaimSpec<T>) {}

  /** Returns the objects this owner controls after adopting and releasing; objects of other controllers are skipped. */
  async claim(objs: T[]): Promise<ClaimResult<T>> {
    const keep: boolean[] = new Array(objs.length).fill(false);
    const errors: unknown[] = [];
    await Promise.all(
      objs.map(async (obj, i) => {
        try {
          keep[i] = await this.claimOne(obj);
        } catch (e) {
          errors.push(e);
        }
      }),
    );
    const claimed = objs.filter((_o, i) => keep[i]);
    return { claimed, errors };
  }

  private async claimOne(obj: T): Promise<boolean> {
    const { owner, client, resource } = this.spec;
    const ref = controllerRef(obj);
    if (ref) {
      if (ref.uid !== owner.metadata.uid) return false; // someone else's
      if (this.spec.matches(obj)) return true;
      // Ours but no longer selected: let it go, unless the owner is going away anyway.
      if (owner.metadata.deletionTimestamp) return false;
      try {
        await client.patch(resource, obj.metadata.namespace, obj.metadata.name!, releasePatch(owner.metadata.uid!, obj.metadata.uid), 'strategic');
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return false;
    }
    if (owner.metadata.deletionTimestamp || !this.spec.matches(obj)) return false;
    if (obj.metadata.deletionTimestamp) return false;
    if (owner.metadata.namespace && owner.metadata.namespace !== obj.metadata.namespace) return false;
    await this.canAdopt();
    try {
      await client.patch(resource, obj.metadata.namespace, obj.metadata.name!, adoptPatch(this.spec.ownerRef, obj.metadata.uid), 'strategic');
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    return true;
  }

  private canAdopt(): Promise<void> {
    this.canAdoptChecked ??= (async () => {
      const { owner } = this.spec;
      const fresh = await this.spec.client.get(this.spec.ownerResource, owner.metadata.namespace, owner.metadata.name!);
      if (fresh.metadata.uid !== owner.metadata.uid) {
        throw new Error(`original ${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${owner.metadata.uid}`);
      }
      if (fresh.metadata.deletionTimestamp) {
        throw new Error(`${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      }
    })();
    return this.canAdoptChecked;
  }
}
