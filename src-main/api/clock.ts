// The one source of time for code whose decisions or timers depend on it: back-off, deadlines,
// rate limits, delayed re-queues, periodic passes. Components take a Clock instead of reading
// Date.now() or calling setTimeout, so their tests move time by hand (ManualClock) instead of
// sleeping. The split follows k8s.io/utils/clock: a PassiveClock only tells the time (enough for
// code that decides), a Clock also runs timers (code that schedules).

export interface PassiveClock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
}

/** A pending timer, to pass back to clearTimeout. Opaque: its shape belongs to the clock. */
export interface TimerHandle {
  readonly __timerHandle: never;
}

export interface Clock extends PassiveClock {
  /** Calls fn once, ms from now (a ManualClock: once it is advanced that far). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer that has not fired; a handle that already fired (or none) is ignored. */
  clearTimeout(handle: TimerHandle | undefined): void;
}

/** The wall clock and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimeout: (handle) => {
    if (handle) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to, for tests. Timers fire inside advance()/set(), in order of
 * their due time (then of creation), each with now() at its due time; a timer set by a firing
 * timer fires in the same call if it falls due within it.
 */
export class ManualClock implements Clock {
  private readonly timers = new Set<ManualTimer>();
  private seq = 0;

  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return timer as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle as unknown as ManualTimer);
  }

  /** Moves time forward by ms, firing the timers that fall due. */
  advance(ms: number): void {
    this.runUntil(this.t + ms);
  }

  /** Moves time to ms: forward fires the timers that fall due, backward fires none. */
  set(ms: number): void {
    if (ms >= this.t) this.runUntil(ms);
    else this.t = ms;
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** When the next timer falls due, if any is pending. */
  nextTimerAt(): number | undefined {
    return this.earliest()?.at;
  }

  private earliest(): ManualTimer | undefined {
    let first: ManualTimer | undefined;
    for (const t of this.timers) if (!first || t.at < first.at || (t.at === first.at && t.seq < first.seq)) first = t;
    return first;
  }

  private runUntil(target: number): void {
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > target) break;
      this.timers.delete(next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = target;
  }
}
