import type { StoreEvent } from './events.js';

// A bounded, per-resource history of committed changes (the watch cache's role in
// kube-apiserver). A watch from resourceVersion R is served by replaying every event after R;
// that is only possible while R is at or above `floor`, the newest resourceVersion that is no
// longer fully covered. Below it the caller must answer 410 Expired so that clients relist.

export class WatchHistory {
  private readonly ring: (StoreEvent | undefined)[];
  private start = 0;
  private size = 0;
  floor: number;

  constructor(
    private readonly capacity: number,
    startRV: number,
  ) {
    this.ring = new Array(capacity);
    this.floor = startRV;
  }

  push(ev: StoreEvent): void {
    if (this.size === this.capacity) {
      const evicted = this.ring[this.start]!;
      this.floor = evicted.rv;
      this.ring[this.start] = ev;
      this.start = (this.start + 1) % this.capacity;
    } else {
      this.ring[(this.start + this.size) % this.capacity] = ev;
      this.size++;
    }
  }

  /** Events with rv > fromRV in order, or null when fromRV is older than the history covers. */
  since(fromRV: number): StoreEvent[] | null {
    if (fromRV < this.floor) return null;
    const out: StoreEvent[] = [];
    // Binary search would be faster, but replays are rare and short compared with the ring.
    for (let i = this.size - 1; i >= 0; i--) {
      const ev = this.ring[(this.start + i) % this.capacity]!;
      if (ev.rv <= fromRV) break;
      out.push(ev);
    }
    return out.reverse();
  }
}
