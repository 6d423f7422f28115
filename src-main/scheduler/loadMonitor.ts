import { performance } from 'node:perf_hooks';

// Tells whether this process's event loop is saturated, from the share of recent time it spent
// busy. In Flotilla the API server, the store and the controllers usually share the scheduler's
// process, so a saturated loop means the API server is the bottleneck: the scheduler then holds
// back writes that only inform (annotations, events) in favour of the ones that do the work.

export class LoadMonitor {
  private last = performance.eventLoopUtilization();
  private utilization = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs = 250,
    private readonly threshold = 0.85,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.utilization = performance.eventLoopUtilization(now, this.last).utilization;
      this.last = now;
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.utilization = 0;
  }

  /** Busy share of the last interval, 0..1. */
  get recent(): number {
    return this.utilization;
  }

  get saturated(): boolean {
    return this.utilization >= this.threshold;
  }
}
