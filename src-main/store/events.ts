import type { KubeObject } from '../api/types.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One committed change. The watch history keeps these, so they hold the object as its JSON
 * (shared with the store while the object is current) and the small selector views, not a parsed
 * copy of every version.
 */
export class StoreEvent {
  constructor(
    readonly type: StoreEventType,
    readonly rv: number,
    readonly resource: string,
    readonly key: string,
    /** The new state as JSON (for DELETED: the last state, at the deletion's rv). */
    readonly json: string,
    /** What label and field selectors see of the new state (selectableView). */
    readonly sel: KubeObject,
    /**
     * For MODIFIED, what selectors saw of the state before this change: lets filtered watches
     * see objects leave a selector.
     */
    readonly prev?: KubeObject,
  ) {}

  /** The new state, parsed afresh on each call (the caller may keep or modify it). */
  get object(): KubeObject {
    return JSON.parse(this.json) as KubeObject;
  }
}

export type StoreErrorReason = 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired';

export class StoreError extends Error {
  constructor(
    readonly reason: StoreErrorReason,
    message: string,
  ) {
    super(message);
  }
}
