import { systemClock, type PassiveClock } from '../api/clock.js';

// Per-key exponential backoff, as kube's flowcontrol.Backoff drives CrashLoopBackOff and
// ImagePullBackOff: the first failure of a key is retried at once and sets its delay to `base`;
// each retry after that doubles it up to `max`. A key that stayed quiet for twice `max`
// starts over, so a container that ran fine for a while does not pay for old crashes.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

interface Entry {
  delayMs: number;
  /** When Next() last ran for the key (ms). */
  lastUpdate: number;
}

/**
 * What the pod planner reads of a back-off: no clock inside, the caller says when "now" is, so a
 * plan is a pure function of its inputs.
 */
export interface BackoffView {
  /** The current delay of a key (0 when it has none). */
  get(key: string): number;
  /** How long a key must still wait at `now` when its last failure happened at `since`. */
  remaining(key: string, since: number, now: number): number;
}

export class Backoff implements BackoffView {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly opts: BackoffOptions,
    private readonly clock: PassiveClock = systemClock,
  ) {}

  /** The current delay of a key (0 when it has none). */
  get(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  /**
   * Records a retry happening now: the first one gets `base`, later ones double. Called when
   * the kubelet actually restarts the container (or pulls again).
   */
  next(key: string): number {
    const now = this.clock.now();
    const e = this.entries.get(key);
    if (!e || now - e.lastUpdate > 2 * this.opts.maxMs) {
      this.entries.set(key, { delayMs: this.opts.baseMs, lastUpdate: now });
      return this.opts.baseMs;
    }
    e.delayMs = Math.min(e.delayMs * 2, this.opts.maxMs);
    e.lastUpdate = now;
    return e.delayMs;
  }

  /**
   * How long a key must still wait when its last failure happened at `since` (ms): 0 when it may
   * be retried now. A key with no entry never waits (the first restart is immediate).
   */
  remaining(key: string, since: number, now = this.clock.now()): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    if (now - e.lastUpdate > 2 * this.opts.maxMs) return 0;
    return Math.max(0, since + e.delayMs - now);
  }

  /** How long a key must still wait counted from its last next() (kube's IsInBackOffSinceUpdate). */
  remainingSinceUpdate(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    return Math.max(0, e.lastUpdate + e.delayMs - this.clock.now());
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every key that starts with prefix (a pod's keys when the pod goes away). */
  resetPrefix(prefix: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  /** Forgets keys idle for more than twice max. */
  gc(): void {
    const now = this.clock.now();
    for (const [k, e] of this.entries) if (now - e.lastUpdate > 2 * this.opts.maxMs) this.entries.delete(k);
  }
}
