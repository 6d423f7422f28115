// The one source of "now" for code whose decisions depend on time (back-off, deadlines,
// restart timing). Components take a Clock instead of reading Date.now() so that their tests
// move time by hand instead of sleeping. Timers (setTimeout) stay as they are: they schedule
// work, they do not decide anything.

export interface Clock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to, for tests. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  /** Moves time forward by ms. */
  advance(ms: number): void {
    this.t += ms;
  }

  set(ms: number): void {
    this.t = ms;
  }
}
