import type { EndpointSlice } from '../../api/types.js';
import { rvOlder } from '../util/serviceEndpoints.js';

// Remembers the resourceVersion of every slice this controller wrote (kube's
// EndpointSliceTracker). Two uses:
//  - a sync must not plan from an informer cache that has not yet seen our last writes (it would
//    create duplicate slices or PUT stale versions): isStale() says "wait and retry";
//  - the watch events of our own writes must not trigger another sync of the Service, while a
//    change or deletion by someone else must: shouldSync().

const DELETED = null;

export class SliceTracker {
  /** service key -> slice uid -> resourceVersion we wrote, or DELETED when we deleted it. */
  private readonly expected = new Map<string, Map<string, string | null>>();

  private forService(serviceKey: string): Map<string, string | null> {
    let m = this.expected.get(serviceKey);
    if (!m) this.expected.set(serviceKey, (m = new Map()));
    return m;
  }

  wrote(serviceKey: string, slice: EndpointSlice): void {
    if (slice.metadata.uid && slice.metadata.resourceVersion) this.forService(serviceKey).set(slice.metadata.uid, slice.metadata.resourceVersion);
  }

  deleted(serviceKey: string, slice: EndpointSlice): void {
    if (slice.metadata.uid) this.forService(serviceKey).set(slice.metadata.uid, DELETED);
  }

  /** True while the cached slices lag behind a write of ours. */
  isStale(serviceKey: string, cached: readonly EndpointSlice[]): boolean {
    const m = this.expected.get(serviceKey);
    if (!m?.size) return false;
    const byUid = new Map(cached.map((s) => [s.metadata.uid, s]));
    for (const [uid, rv] of m) {
      const s = byUid.get(uid);
      if (rv === DELETED) {
        if (s) return true;
      } else if (!s || rvOlder(s.metadata.resourceVersion, rv)) {
        return true;
      }
    }
    return false;
  }

  /** For an added/updated slice: is this someone else's change (or one we know nothing of)? */
  shouldSyncOnChange(serviceKey: string, slice: EndpointSlice): boolean {
    const rv = this.expected.get(serviceKey)?.get(slice.metadata.uid ?? '');
    if (rv === undefined) return true;
    if (rv === DELETED) return false; // an old event of a slice we have since deleted
    return rvOlder(rv, slice.metadata.resourceVersion ?? '');
  }

  /** For a deleted slice: was it deleted by someone else? Forgets the slice either way. */
  shouldSyncOnDelete(serviceKey: string, slice: EndpointSlice): boolean {
    const m = this.expected.get(serviceKey);
    const rv = m?.get(slice.metadata.uid ?? '');
    m?.delete(slice.metadata.uid ?? '');
    if (m && !m.size) this.expected.delete(serviceKey);
    return rv !== DELETED;
  }

  forgetService(serviceKey: string): void {
    this.expected.delete(serviceKey);
  }
}
