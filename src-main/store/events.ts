import type { KubeObject } from '../api/types.js';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed change. `object` is the new state (for DELETED: the last state, at the deletion's rv). */
export interface StoreEvent {
  type: StoreEventType;
  rv: number;
  resource: string;
  key: string;
  object: KubeObject;
  /** The state before this change (undefined for ADDED): lets filtered watches see objects leave a selector. */
  prev?: KubeObject;
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
