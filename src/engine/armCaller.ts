import type { ArmOperationKind, ArmResult } from "./ports";
import { ArmPacer, realSleep, type Sleep } from "./pacing/armPacer";

export interface ArmRetryPolicy {
  /** Attempts in all, first one included. */
  maxAttempts: number;
  /** Backoff for transient errors and for a 429 without Retry-After: base * 2^(attempt-1), with jitter. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** The longest single Retry-After we wait out; a longer one defers the subscription's remaining work. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: ArmRetryPolicy = {
  maxAttempts: 4,
  backoffBaseMs: 1_000,
  backoffMaxMs: 16_000,
  maxRetryAfterMs: 120_000,
};

/** Figures of one run's ARM traffic (reported by the CLI and the benchmark). */
export interface ArmStats {
  requests: Record<ArmOperationKind, number>;
  throttled: number;
  transientErrors: number;
  retries: number;
  /** Requests that waited for a token of the janitor's own buckets (pacing, instead of a 429). */
  pacingWaits: number;
}

export function newArmStats(): ArmStats {
  return {
    requests: { read: 0, write: 0, delete: 0 },
    throttled: 0,
    transientErrors: 0,
    retries: 0,
    pacingWaits: 0,
  };
}

/**
 * Every ARM request of a run goes through here: paced by the subscription's buckets, learning from the
 * remaining-headers, waiting out a 429's Retry-After only when it fits the run's deadline (the SDK would wait
 * uncapped), and backing off on transient errors.
 */
export class ArmCaller {
  readonly stats: ArmStats = newArmStats();

  constructor(
    readonly pacer: ArmPacer,
    private readonly deadlineMs: number,
    private readonly retry: ArmRetryPolicy = DEFAULT_RETRY,
    private readonly sleep: Sleep = realSleep,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * `retryTransient: false` for actions: after a timeout or reset we do not know whether a delete or cancel
   * happened, so the engine re-reads the job instead of sending the action again.
   */
  async call<T>(
    subscriptionId: string,
    kind: ArmOperationKind,
    send: (signal?: AbortSignal) => Promise<ArmResult<T>>,
    options: { signal?: AbortSignal; retryTransient?: boolean; retryThrottled?: boolean } = {},
  ): Promise<ArmResult<T>> {
    const retryTransient = options.retryTransient ?? true;
    const retryThrottled = options.retryThrottled ?? true;
    for (let attempt = 1; ; attempt++) {
      if (await this.pacer.acquire(subscriptionId, kind, options.signal)) this.stats.pacingWaits++;
      this.stats.requests[kind]++;
      const result = await send(options.signal);
      this.pacer.observe(subscriptionId, kind, result.remaining);
      if (result.ok) return result;

      const failure = result.failure;
      let waitMs: number;
      if (failure.kind === "throttled") {
        this.stats.throttled++;
        this.pacer.throttled(subscriptionId, kind);
        if (!retryThrottled) return result;
        waitMs = failure.retryAfterMs ?? this.backoff(attempt);
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > this.retry.maxRetryAfterMs)
          return result;
      } else if (failure.kind === "transient") {
        this.stats.transientErrors++;
        if (!retryTransient) return result;
        waitMs = this.backoff(attempt);
      } else {
        return result;
      }
      if (attempt >= this.retry.maxAttempts || !this.fitsDeadline(waitMs)) return result;
      this.stats.retries++;
      await this.sleep(waitMs, options.signal);
    }
  }

  /**
   * After a 429 on an action (sent with `retryThrottled: false`): waits as asked when that fits the retry policy
   * and the deadline, and resolves true; the caller then re-reads the job before sending anything again, since
   * it may have changed state meanwhile.
   */
  async waitOutThrottle(
    failure: { retryAfterMs?: number },
    attempt: number,
    keepMs: number,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const waitMs = failure.retryAfterMs ?? this.backoff(attempt);
    if (attempt >= this.retry.maxAttempts || waitMs > this.retry.maxRetryAfterMs) return false;
    if (this.timeLeftMs() - waitMs < keepMs) return false;
    this.stats.retries++;
    await this.sleep(waitMs, signal);
    return true;
  }

  /** Milliseconds left before the run must stop starting new work. */
  timeLeftMs(): number {
    return this.deadlineMs - this.nowMs();
  }

  private fitsDeadline(waitMs: number): boolean {
    return this.nowMs() + waitMs < this.deadlineMs;
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.retry.backoffMaxMs, this.retry.backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(exp * (0.5 + Math.random() * 0.5));
  }
}
