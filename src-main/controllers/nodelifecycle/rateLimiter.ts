// A token bucket (client-go's flowcontrol.TokenBucketRateLimiter, non-blocking): `qps` tokens a
// second up to `burst`; a rate of 0 lets nothing through. The clock is passed in so tests can
// drive it.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private qps: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = qps > 0 ? burst : 0;
    this.last = now;
  }

  get rate(): number {
    return this.qps;
  }

  /** Changes the rate (kube's SwapLimiter): a fresh bucket, full unless the rate is 0. */
  setRate(qps: number, now: number): void {
    if (qps === this.qps) return;
    this.qps = qps;
    this.tokens = qps > 0 ? this.burst : 0;
    this.last = now;
  }

  tryTake(now: number): boolean {
    if (this.qps <= 0) return false;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
