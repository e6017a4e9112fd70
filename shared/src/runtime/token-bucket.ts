import type { Clock } from '../domain/ids.ts';

/**
 * `ratePerSecond` tokens refill continuously up to `burst`. The dispatcher paces launches with one
 * (ECS throttles RunTask with a token bucket of its own, documented as a sustained rate with a
 * burst, so pacing here keeps us under it instead of learning it from ThrottlingException;
 * `penalize` drains the bucket after a throttle so the next launches back off). The API limits each
 * tenant's submissions with one per tenant.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly clock: Clock;

  constructor(ratePerSecond: number, burst: number, clock: Clock) {
    this.rate = ratePerSecond;
    this.burst = burst;
    this.clock = clock;
    this.tokens = burst;
    this.last = clock.now().getTime();
  }

  private refill(): void {
    const now = this.clock.now().getTime();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Takes a token if one is there. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Tokens there now (a fraction while one refills). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Whole seconds until `count` tokens will be there (0 if they are). */
  secondsUntil(count: number): number {
    this.refill();
    return Math.max(0, Math.ceil((count - this.tokens) / this.rate));
  }

  /** Milliseconds until a token will be there (0 if one is). */
  msUntilNext(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** After a throttle: empty the bucket and owe `seconds` more of refill. */
  penalize(seconds: number): void {
    this.refill();
    this.tokens = -seconds * this.rate;
  }
}
