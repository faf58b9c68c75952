/**
 * A token bucket like ARM's (docs/service.md#arm-throttling): `capacity` tokens, refilled continuously at
 * `refillPerSecond`. The janitor keeps one per subscription and operation kind so it stays under ARM's own
 * buckets instead of learning about them from 429s.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.tokens = capacity;
    this.updatedAt = nowMs();
  }

  /** Takes one token if there is one and returns 0; otherwise returns how long to wait before trying again. */
  tryTake(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000);
  }

  /** Never believe we have more than the service says remains (other callers share ARM's bucket). */
  capAt(remaining: number): void {
    this.refill();
    if (remaining < this.tokens) this.tokens = Math.max(0, remaining);
  }

  /** Empties the bucket, e.g. after a 429: the service says there is nothing left. */
  drain(): void {
    this.refill();
    this.tokens = 0;
  }

  available(): number {
    this.refill();
    return this.tokens;
  }

  private refill(): void {
    const now = this.nowMs();
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillPerSecond);
    this.updatedAt = now;
  }
}
