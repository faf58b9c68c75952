import { breakerTrips } from "../domain/actionLimits";
import type { Policy } from "../domain/policy";
import { ZERO_COUNTS, type Observation, type RunCounts } from "../domain/records";
import { matchesSubscriptionScope } from "../domain/subscriptionScope";
import { SCANNED_SUBSCRIPTION_STATES, type Mode, type Reason } from "../domain/vocabulary";
import { AuditWriteError, describeError, JanitorError } from "../errors";
import type { ActionBudget } from "./actionBudget";
import type { ArmCaller } from "./armCaller";
import { SEQ_ATTEMPT, SEQ_BLOCK, shortMessage, type AuditTrail } from "./auditTrail";
import { emitSafely } from "./engineEvents";
import type {
  AuditStore,
  EngineEvents,
  EngineTelemetry,
  JobsGateway,
  LeaseStore,
  ObservationStore,
  RunStore,
  SubscriptionDiscovery,
} from "./ports";
import { closeDanglingIntents, NO_EARLIER_ATTEMPT, readEarlierAttempt } from "./recoverAttempt";
import { actOnCandidates, LEFT_FOR_LATER } from "./sweep/actOnCandidates";
import { failureCode, failureText } from "./sweep/armFailures";
import { jobDecisionEntry, subscriptionEntry } from "./sweep/decisionEntries";
import { listAndDecide, type Candidate, type Listing } from "./sweep/listAndDecide";
import { keepToPlan, proposedFor, writeProposed, type SweepPlan } from "./sweep/planApply";
import { NO_LEASE, SubscriptionLease, type HeldLease } from "./sweep/subscriptionLease";
import { SweepTally, type DecisionReport } from "./sweep/sweepTally";

export type { DecisionReport } from "./sweep/sweepTally";

export interface SweepContext {
  runId: string;
  mode: Mode;
  policy: Policy;
  gateway: JobsGateway;
  audit: AuditStore;
  observations: ObservationStore;
  leases: LeaseStore;
  arm: ArmCaller;
  budget: ActionBudget;
  now: () => Date;
  /** The audit trail of one subscription (its seq `slot`) in one delivery `attempt`. */
  trailFor: (slot: number, attempt: number) => AuditTrail;
  /** Lease holder name, unique per delivery of a work item, starting with `partPrefix`. */
  holder: string;
  /** Holder names of every delivery of this run's work item share this prefix. */
  partPrefix: string;
  leaseTtlMs: number;
  /** An action is started only when at least this much time is left before the deadline. */
  actionMarginMs: number;
  pageSize: number;
  /** How long an ARM request may take before it is abandoned (plus a margin): see recoverAttempt. */
  inFlightMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  onDecision?: (report: DecisionReport) => void;
  /** Set for queued work: the subscription's state is read again before it is swept. */
  subscriptions?: SubscriptionDiscovery;
  /**
   * Where a part's swept subscriptions are recorded, so no delivery of the part sweeps one twice. Queue workers
   * set it (a part may be delivered twice at once); the CLI, the only worker of its run, does not.
   */
  progress?: {
    runs: RunStore;
    partIndex: number;
  };
  /** Notifications and telemetry: upcoming actions, tripped breakers, failed actions. */
  events?: EngineEvents;
  /** Spans and metrics of actions (optional). */
  telemetry?: EngineTelemetry;
  /** Saved plans: the one this plan run writes, or the approved one this run applies. */
  plan?: SweepPlan;
}

/** Another delivery of the same part still holds a subscription: this delivery stops and is retried later. */
export class PartBusyError extends JanitorError {}

export interface SweepTarget {
  subscriptionId: string;
  /** The subscription's seq block in the run. */
  slot: number;
  /** This delivery's attempt number (the queue's dequeue count less one). */
  attempt: number;
}

export interface SubscriptionSweepResult {
  subscriptionId: string;
  counts: RunCounts;
  reasons: Record<string, number>;
  error?: string;
  /** "before": an earlier delivery of the part swept it to the end; this is its recorded result. */
  swept?: "before";
}

/**
 * Sweeps one subscription, in named steps: hold its lease; finish what earlier deliveries of the run left
 * open; check the subscription is still one to sweep; list and decide page by page; fail closed on an
 * incomplete listing; the breaker; then plan or act within the caps. Plan and apply share this path; only the
 * last step differs. An AuditWriteError is thrown (the run must stop acting); anything else fails this
 * subscription only, keeping the counts of what was already done and recorded.
 */
export async function sweepSubscription(
  ctx: SweepContext,
  target: SweepTarget,
): Promise<SubscriptionSweepResult> {
  const { subscriptionId } = target;
  const tally = new SweepTally(ctx.onDecision);
  const result = (error?: string): SubscriptionSweepResult => ({
    subscriptionId,
    counts: tally.counts,
    reasons: tally.reasons,
    ...(error && { error }),
  });
  // Reading the observations needs no lease; doing it alongside saves a round trip per subscription.
  const loading = ctx.observations.loadSubscription(subscriptionId);
  loading.catch(() => undefined); // awaited below, or dropped with the lease
  const lease = needsLease(ctx)
    ? await SubscriptionLease.acquire(subscriptionId, {
        leases: ctx.leases,
        holder: ctx.holder,
        partPrefix: ctx.partPrefix,
        ttlMs: ctx.leaseTtlMs,
        maxWaitMs: () => ctx.arm.timeLeftMs() - ctx.actionMarginMs,
        sleep: ctx.sleep,
      })
    : NO_LEASE;
  if (lease === "held-by-this-part")
    throw new PartBusyError(`subscription ${subscriptionId} is still held by another delivery of this part`);
  if (lease === "held-by-another-run") {
    tally.add({ subscriptionsDeferred: 1 });
    tally.reason("lease-held");
    const trail = ctx.trailFor(target.slot, target.attempt);
    await trail.write([subscriptionEntry(trail, subscriptionId, "deferred", "lease-held")]);
    return result("deferred: the subscription's lease is held by another run");
  }

  let saving: Promise<void> | undefined;
  try {
    // Swept to the end by another delivery of this part (a duplicate, or one whose part merge failed): its
    // result stands, and nothing is listed or sent again.
    const progress = ctx.progress;
    const done = await progress?.runs.loadSweptSubscription(ctx.runId, progress.partIndex, target.slot);
    if (done)
      return { ...done, counts: { ...ZERO_COUNTS, ...done.counts }, reasons: done.reasons, swept: "before" };
    const finished = await sweepUnderLease(ctx, target, tally, lease, loading, (s) => (saving = s));
    await progress?.runs.saveSweptSubscription(ctx.runId, progress.partIndex, target.slot, finished);
    return finished;
  } catch (err) {
    if (err instanceof AuditWriteError) throw err;
    tally.add({ subscriptionsFailed: 1 });
    return result(`sweep stopped: ${shortMessage(describeError(err))}`);
  } finally {
    await saving?.catch(() => undefined);
    await lease.release();
    ctx.arm.pacer.forget(subscriptionId);
  }
}

/**
 * Whether this sweep takes the subscription's lease. Acting always does (apply, and apply of a saved plan), and so
 * does queued work of any mode: two deliveries of one part may run at once and must not share seq numbers. A plan
 * run in one process (the CLI, `progress` unset) acts on nothing and is its run's only worker, so it needs none:
 * that saves three storage round trips per subscription. What it writes besides its own audit trail and plan is
 * the observations, and only those it changed; racing an apply run of the same subscription can at worst keep a
 * grace mark the apply dropped a moment before, and that mark's owner was told when it was set (docs/operations.md#sizing).
 */
function needsLease(ctx: Pick<SweepContext, "mode" | "progress">): boolean {
  return ctx.mode !== "plan" || ctx.progress !== undefined;
}

/** The sweep proper, once the lease is held and no earlier delivery finished the subscription. */
async function sweepUnderLease(
  ctx: SweepContext,
  target: SweepTarget,
  tally: SweepTally,
  lease: HeldLease,
  loading: Promise<Map<string, Observation>>,
  onSaving: (saving: Promise<void>) => void,
): Promise<SubscriptionSweepResult> {
  const { subscriptionId } = target;
  const result = (error?: string): SubscriptionSweepResult => ({
    subscriptionId,
    counts: tally.counts,
    reasons: tally.reasons,
    ...(error && { error }),
  });
  {
    const { trail, earlier } = await resumeEarlierDeliveries(ctx, target, tally);
    const notToSweep = await subscriptionStateProblem(ctx, subscriptionId);
    if (!notToSweep) tally.add({ subscriptionsScanned: 1 });
    else {
      tally.add(notToSweep.counts);
      tally.reason(notToSweep.reason);
      await trail.write([
        subscriptionEntry(trail, subscriptionId, notToSweep.outcome, notToSweep.reason, notToSweep.extra),
      ]);
      return result(notToSweep.error);
    }

    const stored = await loading;
    const listing = await listAndDecide(ctx, lease, trail, tally, subscriptionId, stored, earlier.acted);
    // Applying a plan: only its proposed actions stay candidates; the others it proposed are recorded here.
    const applying = ctx.plan?.applying;
    if (applying) {
      const proposed = await proposedFor(ctx.plan!.store, applying.planId, subscriptionId);
      await keepToPlan(trail, tally, listing, proposed, applying.excluded, earlier.acted);
    }
    // Saved while the actions go on; awaited before the lease is released.
    const saving = ctx.observations.save(subscriptionId, {
      upserts: listing.upserts,
      removals: listing.removals,
    });
    saving.catch(() => undefined);
    onSaving(saving);
    if (listing.marked.length > 0)
      emitSafely(ctx.events, { type: "upcoming", runId: ctx.runId, mode: ctx.mode, jobs: listing.marked });

    const stopped = listing.problem
      ? await failClosed(trail, tally, subscriptionId, listing)
      : await tripBreaker(ctx, trail, tally, subscriptionId, listing);
    if (stopped) {
      await propose(ctx, target, []);
      await saving;
      return result(stopped);
    }
    const { deleted, planned } = await actOnCandidates(
      ctx,
      ctx.mode,
      lease,
      trail,
      tally,
      listing.candidates,
      earlier.started,
    );
    // A plan run: this subscription's proposed actions, written before the sweep is recorded as done.
    await propose(ctx, target, planned);
    await saving;
    // A deleted job is forgotten at once, so a new job under the same id never inherits its first sighting.
    if (deleted.length > 0) await ctx.observations.save(subscriptionId, { upserts: [], removals: deleted });
    if (Object.keys(tally.reasons).some((r) => LEFT_FOR_LATER.has(r as Reason))) {
      tally.add({ subscriptionsDeferred: 1 });
      return result("deferred: some actions were left for a later run (time, throttling or lease)");
    }
    return result();
  }
}

/**
 * Under the lease: reads what earlier deliveries of the run left in this subscription's trail, picks this
 * delivery's own seq block after theirs, closes their open intents (by reading the jobs) and carries their counts.
 */
async function resumeEarlierDeliveries(ctx: SweepContext, target: SweepTarget, tally: SweepTally) {
  const earlier = firstDelivery(ctx, target)
    ? { ...NO_EARLIER_ATTEMPT, acted: new Set<string>() }
    : await readEarlierAttempt(ctx.audit, ctx.runId, target.subscriptionId, target.slot);
  const attempt = Math.max(target.attempt, earlier.nextAttempt);
  if (attempt >= SEQ_BLOCK / SEQ_ATTEMPT)
    throw new JanitorError(`no audit seq numbers left after ${attempt} deliveries`);
  const trail = ctx.trailFor(target.slot, attempt);
  tally.add(earlier.carried);
  const closed = await closeDanglingIntents(earlier.dangling, { ...ctx, trail });
  tally.add(closed.counts);
  // Every job with an intent in this run now has its one outcome: none is decided or acted on again this run
  // (one read back unchanged is decided afresh by the next run).
  const acted = new Set(earlier.acted);
  for (const intent of earlier.dangling) if (intent.jobId) acted.add(intent.jobId.toLowerCase());
  return { trail, earlier: { ...earlier, acted } };
}

/**
 * The CLI's first delivery is the only worker its run has had: nothing earlier to read, nothing of an earlier
 * delivery to replace (a round trip saved per subscription each). Queue work always reads: a coordinator delivered
 * twice hands out its parts twice, each with dequeueCount 1 (attempt 0), and both may run at once.
 */
function firstDelivery(ctx: Pick<SweepContext, "progress">, target: SweepTarget): boolean {
  return target.attempt === 0 && !ctx.progress;
}

/** A plan run's proposed actions of one subscription; nothing is written where none are and none can be stored. */
async function propose(ctx: SweepContext, target: SweepTarget, planned: Candidate[]): Promise<void> {
  if (!ctx.plan || (planned.length === 0 && firstDelivery(ctx, target))) return;
  await writeProposed(ctx.plan, target.subscriptionId, planned);
}

interface StateProblem {
  outcome: "skipped" | "failed";
  reason: Reason;
  counts: Partial<RunCounts>;
  extra?: { httpStatus?: number; errorCode?: string; errorMessage?: string };
  error: string;
}

/** A queued part's subscription may have been disabled, removed or put out of scope since the run was planned. */
async function subscriptionStateProblem(
  ctx: SweepContext,
  subscriptionId: string,
): Promise<StateProblem | undefined> {
  if (!matchesSubscriptionScope(ctx.policy, subscriptionId))
    return {
      outcome: "skipped",
      reason: "out-of-scope",
      counts: { subscriptionsSkipped: 1 },
      extra: { errorMessage: "excluded by the policy's scope" },
      error: "skipped: outside the policy's scope",
    };
  if (!ctx.subscriptions) return undefined;
  const discovery = ctx.subscriptions;
  const read = await ctx.arm.call(
    subscriptionId,
    "read",
    (s) => discovery.getSubscription(subscriptionId, s),
    {
      signal: ctx.signal,
    },
  );
  if (!read.ok)
    return {
      outcome: "failed",
      reason: "listing-failed",
      counts: { subscriptionsScanned: 1, subscriptionsFailed: 1 },
      extra: {
        httpStatus: read.failure.status,
        errorCode: failureCode(read.failure),
        errorMessage: `the subscription could not be read: ${failureText(read.failure)}`,
      },
      error: `the subscription could not be read: ${failureText(read.failure)}`,
    };
  const state = read.value?.state;
  const scannable = SCANNED_SUBSCRIPTION_STATES.some((s) => s.toLowerCase() === state?.toLowerCase());
  if (scannable) return undefined;
  const detail = state === undefined ? "no longer visible to the janitor" : `state ${state}`;
  return {
    outcome: "skipped",
    reason: "subscription-state",
    counts: { subscriptionsSkipped: 1 },
    extra: { errorMessage: detail },
    error: `skipped: ${detail}`,
  };
}

/** An incomplete listing gets no actions this run; its candidates are recorded with the reason. */
async function failClosed(
  trail: AuditTrail,
  tally: SweepTally,
  subscriptionId: string,
  listing: Listing,
): Promise<string> {
  const problem = listing.problem!;
  // Out of time or lease: the work waits for the next run. A failed listing is a failure.
  const later = problem.reason === "deadline" || problem.reason === "lease-held";
  tally.add(later ? { subscriptionsDeferred: 1 } : { subscriptionsFailed: 1 });
  const entries = [
    subscriptionEntry(trail, subscriptionId, later ? "deferred" : "failed", problem.reason, {
      httpStatus: problem.failure?.status,
      errorCode: failureCode(problem.failure),
      errorMessage: shortMessage(problem.message),
    }),
  ];
  const outcome = later ? "deferred" : "skipped";
  for (const c of listing.candidates) {
    tally.decided(c.job, c.decision, outcome, problem.reason);
    entries.push(jobDecisionEntry(trail, c.job, c.decision, outcome, problem.reason));
  }
  await trail.write(entries);
  return problem.message;
}

/** The breaker: a suspicious share of eligible jobs stops the whole subscription. */
async function tripBreaker(
  ctx: Pick<SweepContext, "policy" | "runId" | "events">,
  trail: AuditTrail,
  tally: SweepTally,
  subscriptionId: string,
  listing: Listing,
): Promise<string | undefined> {
  const eligible = listing.candidates.length;
  const jobsSeen = tally.counts.jobsSeen;
  if (!breakerTrips(eligible, jobsSeen, ctx.policy.limits)) return undefined;
  tally.add({ breakersTripped: 1 });
  emitSafely(ctx.events, { type: "breaker-tripped", runId: ctx.runId, subscriptionId, eligible, jobsSeen });
  const message = `breaker tripped: ${eligible} of ${jobsSeen} jobs eligible`;
  const entries = [
    subscriptionEntry(trail, subscriptionId, "skipped", "breaker-tripped", { errorMessage: message }),
  ];
  for (const c of listing.candidates) {
    tally.decided(c.job, c.decision, "skipped", "breaker-tripped");
    entries.push(jobDecisionEntry(trail, c.job, c.decision, "skipped", "breaker-tripped"));
  }
  await trail.write(entries);
  return message;
}
