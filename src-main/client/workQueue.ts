import { systemClock, type Clock, type TimerHandle } from '../api/clock.js';

// A work queue as controllers use it in client-go: a key is queued at most once, a key being
// processed is never processed by two workers at once (a re-add while busy runs it again after),
// failures are retried with per-key exponential backoff until forget(), and a key added for later
// waits for the earliest time asked (client-go's delaying queue). Delays run on the injected
// clock, so tests advance a ManualClock instead of sleeping.

export interface WorkQueueOptions {
  /** First retry delay of a failing key; doubles per failure (client-go: 5 ms). */
  baseDelayMs?: number;
  /** Longest retry delay. */
  maxDelayMs?: number;
  clock?: Clock;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  /** Keys waiting to be added: when, and the timer that will add them. */
  private readonly timers = new Map<string, { at: number; handle: TimerHandle }>();
  private readonly clock: Clock;
  private readonly waiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(private readonly opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // picked up again when the current run finishes
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Adds the key after ms; a key already waiting keeps the earlier of the two times. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const existing = this.timers.get(key);
    if (existing) {
      if (existing.at <= at) return;
      this.clock.clearTimeout(existing.handle);
    }
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { at, handle });
  }

  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const base = this.opts.baseDelayMs ?? 5;
    this.addAfter(key, Math.min(this.opts.maxDelayMs ?? 30_000, base * 2 ** n));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  private async next(): Promise<string | undefined> {
    while (this.head >= this.queue.length) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const key = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.queue.push(key);
      this.waiters.shift()?.();
    }
  }

  /**
   * Runs `workers` loops calling `sync(key)`; a sync that throws is retried with backoff, one
   * that returns is forgotten. Resolves after shutDown() once the loops have drained.
   */
  async run(workers: number, sync: (key: string) => Promise<void>, onError?: (key: string, err: unknown) => void): Promise<void> {
    const loop = async () => {
      for (;;) {
        const key = await this.next();
        if (key === undefined) return;
        try {
          await sync(key);
          this.forget(key);
        } catch (err) {
          onError?.(key, err);
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t.handle);
    this.timers.clear();
    // Wake every waiting worker so it can see the shutdown.
    for (const w of this.waiters.splice(0)) w();
  }
}
