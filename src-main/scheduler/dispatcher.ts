// Runs async tasks with a bound on how many are in flight. Bindings use it for back-pressure
// (the scheduling loop waits for a free slot); status writes and events use it fire-and-forget
// with a bounded backlog, so that they can never pile up without limit or crowd out bindings.
// The bound may be a function (re-read whenever a slot frees or kick() is called), which lets
// low-priority writes throttle themselves while bindings are busy.

export class DroppedError extends Error {
  constructor() {
    super('dropped: too many writes waiting');
  }
}

// One shared instance: drops come in floods, and capturing a stack for each costs real time.
const DROPPED = new DroppedError();

export class Dispatcher {
  private inFlight = 0;
  private readonly backlog: { start: () => void; drop: () => void }[] = [];
  private slotWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  dropped = 0;

  constructor(
    readonly limit: number,
    private readonly maxBacklog = Infinity,
    private readonly currentLimit: () => number = () => limit,
  ) {}

  get running(): number {
    return this.inFlight;
  }

  get waiting(): number {
    return this.backlog.length;
  }

  get full(): boolean {
    return this.inFlight + this.backlog.length >= this.limit;
  }

  /** Runs task when a slot is free; resolves/rejects with it. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.inFlight++;
        let p: Promise<T>;
        try {
          p = task();
        } catch (e) {
          p = Promise.reject(e);
        }
        p.then(resolve, reject).finally(() => this.release());
      };
      if (this.inFlight < this.currentLimit() && !this.backlog.length) start();
      else {
        this.backlog.push({ start, drop: () => reject(DROPPED) });
        if (this.backlog.length > this.maxBacklog) {
          // Drop the oldest waiting task: for best-effort writes the newest matter most.
          this.backlog.shift()!.drop();
          this.dropped++;
        }
      }
    });
  }

  /** Fire-and-forget: errors go to onError. */
  submit(task: () => Promise<unknown>, onError?: (e: unknown) => void): void {
    this.run(task).catch((e) => onError?.(e));
  }

  whenSlot(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((r) => this.slotWaiters.push(r));
  }

  /** Resolves when nothing is running or waiting. */
  whenIdle(): Promise<void> {
    if (!this.inFlight && !this.backlog.length) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Starts waiting tasks up to the current limit (call when the limit may have grown). */
  kick(): void {
    while (this.backlog.length && this.inFlight < this.currentLimit()) this.backlog.shift()!.start();
  }

  private release(): void {
    this.inFlight--;
    this.kick();
    if (!this.full && this.slotWaiters.length) for (const w of this.slotWaiters.splice(0)) w();
    if (!this.inFlight && !this.backlog.length && this.idleWaiters.length) for (const w of this.idleWaiters.splice(0)) w();
  }
}
