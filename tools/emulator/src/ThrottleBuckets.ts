import type { BucketSettings, ThrottlingSettings } from "./settings";

/** ARM's operation kinds for throttling (docs/service.md#arm-throttling): GET/list, PUT/PATCH/POST, DELETE. */
export type OperationKind = "reads" | "writes" | "deletes";

export type ThrottleResult =
  { allowed: true; remaining: number } | { allowed: false; remaining: 0; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  refilledAt: number;
}

/**
 * ARM's token buckets, one per scope (a subscription, or the tenant for `GET /subscriptions`) and operation
 * kind. They refill on real time, not on the emulator clock: jumping the clock a day ahead must not hand out a
 * day of requests.
 */
export class ThrottleBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private settings: false | ThrottlingSettings,
    private readonly realNow: () => number = Date.now,
  ) {}

  configure(settings: false | ThrottlingSettings): void {
    this.settings = settings;
    this.buckets.clear();
  }

  /** Takes one token for a request, or says how long to wait. */
  take(scope: string, kind: OperationKind): ThrottleResult {
    if (this.settings === false) return { allowed: true, remaining: UNTHROTTLED_REMAINING[kind] };
    const config = this.settings[kind];
    const bucket = this.refill(`${scope.toLowerCase()}|${kind}`, config);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / config.refillPerSecond));
    return { allowed: false, remaining: 0, retryAfterSeconds };
  }

  private refill(key: string, config: BucketSettings): Bucket {
    const now = this.realNow();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: config.capacity, refilledAt: now };
      this.buckets.set(key, bucket);
      return bucket;
    }
    const elapsedSeconds = Math.max(0, now - bucket.refilledAt) / 1000;
    bucket.tokens = Math.min(config.capacity, bucket.tokens + elapsedSeconds * config.refillPerSecond);
    bucket.refilledAt = now;
    return bucket;
  }
}

/** What the remaining-headers say when throttling is off: ARM's full buckets, never shrinking. */
const UNTHROTTLED_REMAINING: Record<OperationKind, number> = { reads: 250, writes: 200, deletes: 200 };
