import type { Lease, LeaseStore } from "../ports";

export interface LeaseOptions {
  leases: LeaseStore;
  /** Unique per delivery of a work item; starts with `partPrefix`. */
  holder: string;
  /** Shared by every delivery of the same work item of the same run. */
  partPrefix: string;
  ttlMs: number;
  /** How long we may wait for an earlier delivery of our own part to let go. */
  maxWaitMs: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What a sweep asks of its lease: whether it is still held (nothing more is started otherwise), and letting go. */
export interface HeldLease {
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * A plan run that is the only worker of its run (the CLI) takes no lease: nothing can be acted on, and no other
 * delivery of its part writes the same audit seq numbers. Apply, plan-apply and queued work keep their leases.
 */
export const NO_LEASE: HeldLease = {
  stillHeld: () => Promise.resolve(true),
  release: () => Promise.resolve(),
};

/**
 * A subscription's lease, held while it is swept so two runs never act on it at once, and renewed as the sweep
 * goes (a third of its life at the latest): a crashed worker's lease runs out soon while a live one keeps it.
 */
export class SubscriptionLease implements HeldLease {
  private renewedAt = Date.now();
  private lost = false;
  private renewing: Promise<boolean> | undefined;
  /** Renews in the background too: one action (a slow request and its check reads) may outlast the lease. */
  private readonly heartbeat: ReturnType<typeof setInterval>;

  private constructor(
    private readonly lease: Lease,
    private readonly options: LeaseOptions,
  ) {
    this.heartbeat = setInterval(
      () => void this.renew().catch(() => undefined),
      Math.max(50, options.ttlMs / 3),
    );
    this.heartbeat.unref?.();
  }

  /**
   * Takes the subscription's lease. Held by an earlier delivery of this same part (a worker that died, or one
   * still finishing): waits for it to be released or to expire, never takes it over. Held by another run:
   * undefined, and the subscription is deferred to a later run.
   */
  static async acquire(
    subscriptionId: string,
    options: LeaseOptions,
  ): Promise<SubscriptionLease | "held-by-another-run" | "held-by-this-part"> {
    const key = `subscription:${subscriptionId}`;
    const { leases, holder, ttlMs } = options;
    let lease = await leases.acquire(key, holder, ttlMs);
    if (lease) return new SubscriptionLease(lease, options);
    if (!(await leases.holderOf(key))?.startsWith(options.partPrefix)) return "held-by-another-run";
    const until = Date.now() + Math.min(ttlMs + 1_000, options.maxWaitMs());
    while (!lease && Date.now() < until) {
      await options.sleep(Math.min(1_000, Math.max(1, until - Date.now())));
      lease = await leases.acquire(key, holder, ttlMs);
    }
    // Still held by a delivery of this part: its audit trail may be open, so this delivery must not finish the
    // part; it stops and is delivered again later.
    return lease ? new SubscriptionLease(lease, options) : "held-by-this-part";
  }

  /** False once the lease is found lost: nothing more may be started under it. */
  async stillHeld(): Promise<boolean> {
    if (this.lost) return false;
    if (Date.now() - this.renewedAt < this.options.ttlMs / 3) return true;
    return this.renew();
  }

  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.renewing?.catch(() => undefined);
    await this.options.leases.release(this.lease).catch(() => undefined);
  }

  private renew(): Promise<boolean> {
    if (this.lost) return Promise.resolve(false);
    this.renewing ??= this.options.leases
      .renew(this.lease, this.options.ttlMs)
      .then((held) => {
        if (held) this.renewedAt = Date.now();
        else this.lost = true;
        return held;
      })
      .finally(() => (this.renewing = undefined));
    return this.renewing;
  }
}
