import { systemClock, type PassiveClock } from '../../api/clock.js';
import type { KubeObject } from '../../api/types.js';

// The objects a controller wrote itself, kept until its informer catches up. A controller that
// scaled a ReplicaSet and is synced again before the watch event arrives would otherwise decide
// from the old replica count (and, for a Deployment, break maxSurge/maxUnavailable by scaling a
// second ReplicaSet on top). Entries are dropped once the informer has the same or a newer
// resourceVersion, when the object is deleted, or after a TTL so a lost event cannot pin a copy.

export function rvNewer(a: string | undefined, b: string | undefined): boolean {
  if (!a) return false;
  if (!b) return true;
  try {
    return BigInt(a) > BigInt(b);
  } catch {
    return a !== b;
  }
}

export class RecentWrites<T extends KubeObject> {
  private readonly byUid = new Map<string, { obj: T; at: number }>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly clock: PassiveClock = systemClock,
  ) {}

  remember(obj: T): void {
    if (obj.metadata.uid) this.byUid.set(obj.metadata.uid, { obj, at: this.clock.now() });
  }

  forget(uid: string | undefined): void {
    if (uid) this.byUid.delete(uid);
  }

  /** The fresher of the informer's copy and ours. */
  view(cached: T): T {
    const uid = cached.metadata.uid;
    if (!uid) return cached;
    const w = this.byUid.get(uid);
    if (!w) return cached;
    if (this.clock.now() - w.at > this.ttlMs || !rvNewer(w.obj.metadata.resourceVersion, cached.metadata.resourceVersion)) {
      this.byUid.delete(uid);
      return cached;
    }
    return w.obj;
  }

  /** The informer's objects with our fresher copies swapped in, plus what we created that it has not seen yet. */
  merge(cached: T[], include: (obj: T) => boolean): T[] {
    const out = cached.map((o) => this.view(o));
    const seen = new Set(cached.map((o) => o.metadata.uid));
    for (const [uid, w] of [...this.byUid]) {
      if (seen.has(uid)) continue;
      if (this.clock.now() - w.at > this.ttlMs) {
        this.byUid.delete(uid);
        continue;
      }
      if (include(w.obj)) out.push(w.obj);
    }
    return out;
  }
}
