import type { ArmOperationKind, RateLimitRemaining } from "../ports";
import { TokenBucket } from "./tokenBucket";

export interface BucketShape {
  capacity: number;
  refillPerSecond: number;
}

export type PacingLimits = Record<ArmOperationKind, BucketShape>;

/**
 * ARM's per-subscription, per-principal buckets (docs/service.md#arm-throttling), less a small margin so that
 * clock skew and the service's own rounding never push us into a 429.
 */
export const ARM_LIMITS: PacingLimits = {
  read: { capacity: 240, refillPerSecond: 24 },
  write: { capacity: 190, refillPerSecond: 9.5 },
  delete: { capacity: 190, refillPerSecond: 9.5 },
};

const HEADER_OF: Record<ArmOperationKind, keyof RateLimitRemaining> = {
  read: "reads",
  write: "writes",
  delete: "deletes",
};

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Paces ARM requests per subscription and operation kind, and learns from the remaining-headers. */
export class ArmPacer {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: PacingLimits | false = ARM_LIMITS,
    private readonly sleep: Sleep = realSleep,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Waits for a token; resolves to true when it had to wait. */
  async acquire(subscriptionId: string, kind: ArmOperationKind, signal?: AbortSignal): Promise<boolean> {
    if (!this.limits) return false;
    const bucket = this.bucket(subscriptionId, kind);
    let waited = false;
    for (;;) {
      const waitMs = bucket.tryTake();
      if (waitMs === 0) return waited;
      waited = true;
      await this.sleep(waitMs, signal);
    }
  }

  observe(subscriptionId: string, kind: ArmOperationKind, remaining: RateLimitRemaining): void {
    if (!this.limits) return;
    const value = remaining[HEADER_OF[kind]];
    if (typeof value === "number" && Number.isFinite(value)) this.bucket(subscriptionId, kind).capAt(value);
  }

  throttled(subscriptionId: string, kind: ArmOperationKind): void {
    if (!this.limits) return;
    this.bucket(subscriptionId, kind).drain();
  }

  /** Forget a finished subscription's buckets so memory does not grow with the number of subscriptions. */
  forget(subscriptionId: string): void {
    for (const kind of ["read", "write", "delete"] as const) this.buckets.delete(`${subscriptionId}|${kind}`);
  }

  private bucket(subscriptionId: string, kind: ArmOperationKind): TokenBucket {
    const key = `${subscriptionId}|${kind}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const shape = (this.limits as PacingLimits)[kind];
      bucket = new TokenBucket(shape.capacity, shape.refillPerSecond, this.nowMs);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
