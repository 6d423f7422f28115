import { systemClock, type PassiveClock } from './clock.js';

// A token bucket, as client-go's flowcontrol token-bucket limiter used without blocking
// (TryAccept): `qps` tokens a second, at most `burst` held, full at the start; a rate of 0 lets
// nothing through. The one copy for every component: the node lifecycle controller paces
// NoExecute taints per zone with it, the event recorder filters event spam, the scheduler
// trickles informational events while its process is saturated.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private qps: number,
    private readonly burst = qps,
    private readonly clock: PassiveClock = systemClock,
  ) {
    this.tokens = qps > 0 ? burst : 0;
    this.last = clock.now();
  }

  get rate(): number {
    return this.qps;
  }

  /** Changes the rate (kube's SwapLimiter): a fresh bucket, full unless the rate is 0. */
  setRate(qps: number): void {
    if (qps === this.qps) return;
    this.qps = qps;
    this.tokens = qps > 0 ? this.burst : 0;
    this.last = this.clock.now();
  }

  /** Takes a token if one is there. */
  take(): boolean {
    if (this.qps <= 0) return false;
    const now = this.clock.now();
    // A clock stepped backwards adds nothing (and takes nothing away).
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
