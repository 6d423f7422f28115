// What a controller has asked the API server to do and not yet seen through its informers
// (kube's ControllerExpectations + UIDTrackingControllerExpectations). A ReplicaSet that has just
// asked for three pods must not count its pods again until those three creations show up in the
// cache, or it would create them twice. Creations are counted (their names are not known before
// the API server answers); deletions are tracked by pod key, so the deletionTimestamp update and
// the final DELETED event of one pod are counted once.
//
// Expectations expire (kube: 5 minutes) so a lost event can only delay a controller, never wedge it.

import { systemClock, type PassiveClock } from '../../api/clock.js';

export const DEFAULT_EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Pending {
  adds: number;
  deletes: Set<string>;
  since: number;
}

export class ControllerExpectations {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly ttlMs = DEFAULT_EXPECTATIONS_TTL_MS,
    private readonly clock: PassiveClock = systemClock,
  ) {}

  /** True when nothing is in flight for `key` (or what was in flight is too old to wait for). */
  satisfied(key: string): boolean {
    const p = this.pending.get(key);
    if (!p) return true;
    if (p.adds <= 0 && p.deletes.size === 0) return true;
    return this.clock.now() - p.since > this.ttlMs;
  }

  expectCreations(key: string, count: number): void {
    this.pending.set(key, { adds: count, deletes: new Set(), since: this.clock.now() });
  }

  expectDeletions(key: string, podKeys: string[]): void {
    this.pending.set(key, { adds: 0, deletes: new Set(podKeys), since: this.clock.now() });
  }

  creationObserved(key: string): void {
    const p = this.pending.get(key);
    if (p) p.adds--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.pending.get(key)?.deletes.delete(podKey);
  }

  forget(key: string): void {
    this.pending.delete(key);
  }

  /** For tests and logs: what is still awaited. */
  describe(key: string): { adds: number; deletes: string[] } | undefined {
    const p = this.pending.get(key);
    return p ? { adds: p.adds, deletes: [...p.deletes] } : undefined;
  }
}
