import { decideJob, recheckBeforeAction, type JobDecision } from "../domain/decideJob";
import { jobRefOf, type JobSnapshot } from "../domain/job";
import type { Policy } from "../domain/policy";
import { addCounts, ZERO_COUNTS, type AuditEntry, type Observation, type RunCounts } from "../domain/records";
import type { Outcome, Reason } from "../domain/vocabulary";
import type { ArmCaller } from "./armCaller";
import { jobAuditFields, shortMessage, type AuditTrail } from "./auditTrail";
import type { ActionBudget } from "./actionBudget";
import { closeDanglingIntents, type EarlierAttempt } from "./recoverAttempt";
import { AuditWriteError } from "../errors";
import type { ArmFailure, ArmResult, JobsGateway, LeaseStore, ObservationStore } from "./ports";

/** One job's decision as the CLI's `--json` and progress output show it (PRODUCT.md section 6). */
export interface DecisionReport {
  jobId: string;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  jobType: string;
  state: string;
  action: JobDecision["action"];
  outcome: Outcome;
  reason: Reason;
  rule?: string;
  ageDays?: number;
  ageBasis?: JobDecision["ageBasis"];
}

export interface SweepContext {
  policy: Policy;
  gateway: JobsGateway;
  observations: ObservationStore;
  leases: LeaseStore;
  arm: ArmCaller;
  budget: ActionBudget;
  now: () => Date;
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
}

export interface SubscriptionSweepResult {
  subscriptionId: string;
  counts: RunCounts;
  reasons: Record<string, number>;
  error?: string;
}

/**
 * Reasons written to the audit log one by one when a job is not acted on. The rest (no-rule, too-young,
 * out-of-scope) are only counted: they are most jobs, and say nothing an auditor needs job by job.
 */
const AUDITED_SKIPS: ReadonlySet<Reason> = new Set<Reason>([
  "exempt-tag",
  "exempt-name",
  "unknown-state",
  "tracking-number-present",
  "already-cancel-requested",
  "grace-period",
]);

interface Candidate {
  job: JobSnapshot;
  decision: JobDecision;
}

/**
 * Sweeps one subscription: hold its lease, list every page and decide, and only when the listing is complete
 * apply the breaker and the caps, then plan or act job by job. Plan and apply share this path; only the last
 * step differs.
 */
export async function sweepSubscription(
  ctx: SweepContext,
  trail: AuditTrail,
  subscriptionId: string,
  earlier?: EarlierAttempt,
): Promise<SubscriptionSweepResult> {
  const result: SubscriptionSweepResult = {
    subscriptionId,
    counts: { ...ZERO_COUNTS },
    reasons: {},
  };
  const mode = trail.run.mode;
  const count = (outcome: Outcome) => {
    const key = outcomeCounter(outcome, "none");
    if (key) result.counts[key]++;
  };
  const tally = (reason: Reason) => (result.reasons[reason] = (result.reasons[reason] ?? 0) + 1);
  const report = (job: JobSnapshot, d: JobDecision, outcome: Outcome, reason: Reason = d.reason) =>
    ctx.onDecision?.({
      jobId: job.id,
      subscriptionId: job.subscriptionId,
      resourceGroup: job.resourceGroup,
      jobName: job.name,
      jobType: job.jobType,
      state: job.state,
      action: d.action,
      outcome,
      reason,
      rule: d.rule,
      ageDays: d.ageDays,
      ageBasis: d.ageBasis,
    });
  const decisionEntry = (
    job: JobSnapshot,
    d: JobDecision,
    outcome: Outcome,
    reason: Reason,
    extra: Partial<AuditEntry> = {},
  ) =>
    trail.entry({
      ...jobAuditFields(job),
      ageDays: d.ageDays,
      ageBasis: d.ageBasis,
      rule: d.rule,
      action: d.action,
      phase: "outcome",
      outcome,
      reason,
      ...extra,
    });

  const leaseKey = `subscription:${subscriptionId}`;
  // Reading the observations needs no lease; doing it alongside saves a round trip per subscription.
  const loading = ctx.observations.loadSubscription(subscriptionId);
  loading.catch(() => undefined); // awaited below, or dropped with the lease
  let lease = await ctx.leases.acquire(leaseKey, ctx.holder, ctx.leaseTtlMs);
  // Held by an earlier delivery of this same part (a worker that died, or one still finishing): wait for its
  // lease to be released or to expire, never take it over. Held by another run: deferred to the next run.
  if (!lease && (await ctx.leases.holderOf(leaseKey))?.startsWith(ctx.partPrefix)) {
    const until = Date.now() + Math.min(ctx.leaseTtlMs + 1_000, ctx.arm.timeLeftMs() - ctx.actionMarginMs);
    while (!lease && Date.now() < until) {
      await ctx.sleep(Math.min(1_000, Math.max(1, until - Date.now())));
      lease = await ctx.leases.acquire(leaseKey, ctx.holder, ctx.leaseTtlMs);
    }
  }
  if (!lease) {
    result.counts.subscriptionsSkipped = 1;
    tally("lease-held");
    await trail.write([
      trail.entry({
        subscriptionId,
        action: "none",
        phase: "outcome",
        outcome: "deferred",
        reason: "lease-held",
      }),
    ]);
    return result;
  }

  // The lease is renewed as the sweep goes (a third of its life at the latest), so a crashed worker's lease
  // runs out soon while a live one keeps it; a lease found lost stops acting here.
  const held = lease;
  let renewedAt = Date.now();
  const stillHeld = async (): Promise<boolean> => {
    if (Date.now() - renewedAt < ctx.leaseTtlMs / 3) return true;
    if (!(await ctx.leases.renew(held, ctx.leaseTtlMs))) return false;
    renewedAt = Date.now();
    return true;
  };

  let saving: Promise<void> | undefined;
  try {
    result.counts.subscriptionsScanned = 1;
    if (earlier) {
      result.counts = addCounts(result.counts, earlier.carried);
      const closed = await closeDanglingIntents(earlier.dangling, {
        gateway: ctx.gateway,
        arm: ctx.arm,
        trail,
        signal: ctx.signal,
        inFlightMs: ctx.inFlightMs,
        now: ctx.now,
        sleep: ctx.sleep,
      });
      result.counts = addCounts(result.counts, closed);
    }
    const stored = await loading;
    const seen = new Set<string>();
    const upserts: Observation[] = [];
    const removals: string[] = [];
    const candidates: Candidate[] = [];
    let listingProblem: { reason: Reason; failure?: ArmFailure; message: string } | undefined;

    // 1. List and decide, page by page. Only the candidates are kept; everything else is counted and let go.
    let nextLink: string | undefined;
    do {
      if (ctx.arm.timeLeftMs() < ctx.actionMarginMs) {
        listingProblem = { reason: "deadline", message: "run deadline reached while listing" };
        break;
      }
      if (!(await stillHeld())) {
        listingProblem = { reason: "lease-held", message: "the subscription's lease was lost while listing" };
        break;
      }
      const page = await ctx.arm.call(
        subscriptionId,
        "read",
        (signal) => ctx.gateway.listJobsPage(subscriptionId, nextLink, { pageSize: ctx.pageSize, signal }),
        { signal: ctx.signal },
      );
      if (!page.ok) {
        listingProblem = {
          reason: "listing-failed",
          failure: page.failure,
          message: failureText(page.failure),
        };
        break;
      }
      const now = ctx.now();
      const entries: AuditEntry[] = [];
      for (const job of page.value.jobs) {
        const key = job.id.toLowerCase();
        // A job that moved between pages while we listed is decided once.
        if (seen.has(key)) continue;
        seen.add(key);
        result.counts.jobsSeen++;
        const previous = stored.get(key);
        const decision = decideJob(job, { policy: ctx.policy, now, observation: previous });
        if (decision.observation) {
          if (!sameObservation(decision.observation, previous)) upserts.push(decision.observation);
        } else if (previous) removals.push(key);

        if (decision.eligible) {
          candidates.push({ job, decision });
          continue;
        }
        result.counts.skipped++;
        tally(decision.reason);
        report(job, decision, "skipped");
        if (AUDITED_SKIPS.has(decision.reason))
          entries.push(decisionEntry(job, decision, "skipped", decision.reason));
      }
      for (const bad of page.value.malformed) {
        result.counts.jobsSeen++;
        result.counts.skipped++;
        tally("malformed-job");
        entries.push(
          trail.entry({
            subscriptionId,
            jobId: bad.id,
            jobName: bad.name,
            action: "none",
            phase: "outcome",
            outcome: "skipped",
            reason: "malformed-job",
            errorMessage: shortMessage(bad.reason),
          }),
        );
      }
      await trail.write(entries);
      nextLink = page.value.nextLink;
    } while (nextLink);

    // Observations of jobs no longer listed are dropped, but only when we know the listing was complete.
    if (!listingProblem) for (const key of stored.keys()) if (!seen.has(key)) removals.push(key);
    // Saved while the actions go on; awaited before the lease is released.
    saving = ctx.observations.save(subscriptionId, { upserts, removals });
    saving.catch(() => undefined);

    // 2. Fail closed: an incomplete listing gets no actions this run.
    if (listingProblem) {
      result.counts.subscriptionsFailed = 1;
      result.error = listingProblem.message;
      // Out of time or lease: the work waits for the next run. A failed listing is a failure.
      const later = listingProblem.reason === "deadline" || listingProblem.reason === "lease-held";
      const outcome: Outcome = later ? "deferred" : "skipped";
      const entries = [
        trail.entry({
          subscriptionId,
          action: "none",
          phase: "outcome",
          outcome: later ? "deferred" : "failed",
          reason: listingProblem.reason,
          httpStatus: listingProblem.failure?.status,
          errorCode: failureCode(listingProblem.failure),
          errorMessage: shortMessage(listingProblem.message),
        }),
      ];
      for (const c of candidates) {
        count(outcome);
        tally(listingProblem.reason);
        report(c.job, c.decision, outcome, listingProblem.reason);
        entries.push(decisionEntry(c.job, c.decision, outcome, listingProblem.reason));
      }
      await trail.write(entries);
      await saving;
      return result;
    }

    // 3. The breaker: a suspicious share of eligible jobs stops the whole subscription.
    const limits = ctx.policy.limits;
    const jobsInSubscription = result.counts.jobsSeen;
    if (
      jobsInSubscription >= limits.minJobsForFraction &&
      candidates.length / jobsInSubscription > limits.maxEligibleFraction
    ) {
      result.counts.breakersTripped = 1;
      result.error = `breaker tripped: ${candidates.length} of ${jobsInSubscription} jobs eligible`;
      const entries = [
        trail.entry({
          subscriptionId,
          action: "none",
          phase: "outcome",
          outcome: "skipped",
          reason: "breaker-tripped",
          errorMessage: result.error,
        }),
      ];
      for (const c of candidates) {
        count("skipped");
        tally("breaker-tripped");
        report(c.job, c.decision, "skipped", "breaker-tripped");
        entries.push(decisionEntry(c.job, c.decision, "skipped", "breaker-tripped"));
      }
      await trail.write(entries);
      await saving;
      return result;
    }

    // 4. Caps, then plan or act.
    const wanted = Math.min(candidates.length, limits.maxActionsPerSubscription);
    const granted = wanted > 0 ? await ctx.budget.reserve(wanted) : 0;
    let deferRest: Reason | undefined;
    // Entries that need not precede an action (planned, deferred) are written in batches; an action's intent
    // is written on its own, after everything before it.
    // An action's outcome entry goes out with the next action's intent, in one append, before that action
    // starts: the same order, half the writes. What is left is written at the end.
    const pending: AuditEntry[] = [];
    try {
      for (const [index, c] of candidates.entries()) {
        let deferReason: Reason | undefined = deferRest;
        // Another part of the run could not write its audit entries: stop starting actions everywhere.
        if (!deferReason && ctx.signal?.aborted) deferReason = "audit-failed";
        if (!deferReason && index >= limits.maxActionsPerSubscription) deferReason = "cap-subscription";
        else if (!deferReason && index >= granted) deferReason = "cap-run";
        else if (!deferReason && ctx.arm.timeLeftMs() < ctx.actionMarginMs) deferReason = "deadline";
        if (!deferReason && mode === "apply" && !(await stillHeld())) deferRest = deferReason = "lease-held";
        if (deferReason) {
          count("deferred");
          tally(deferReason);
          report(c.job, c.decision, "deferred", deferReason);
          pending.push(decisionEntry(c.job, c.decision, "deferred", deferReason));
          continue;
        }
        if (mode === "plan") {
          count("planned");
          tally("rule-matched");
          report(c.job, c.decision, "planned");
          pending.push(decisionEntry(c.job, c.decision, "planned", "rule-matched"));
          continue;
        }
        const acted = await actOnJob(ctx, trail, c, pending);
        pending.push(acted.entry);
        const key = outcomeCounter(acted.outcome, c.decision.action);
        if (key) result.counts[key]++;
        tally(acted.reason);
        report(c.job, c.decision, acted.outcome, acted.reason);
        if (acted.outcome === "deferred" && acted.reason === "throttled") deferRest = "throttled";
      }
    } finally {
      // Also after an error between actions; entries of a failed audit write are tried once more here.
      await trail.write(pending.splice(0));
    }
    await saving;
    return result;
  } catch (err) {
    // The audit log failing stops the whole run (the caller's business). Anything else fails this
    // subscription only, keeping the counts of what was already done and recorded.
    if (err instanceof AuditWriteError) throw err;
    result.counts.subscriptionsFailed = 1;
    result.error = `sweep stopped: ${shortMessage((err as Error)?.message ?? String(err))}`;
    return result;
  } finally {
    await saving?.catch(() => undefined);
    await ctx.leases.release(lease).catch(() => undefined);
    ctx.arm.pacer.forget(subscriptionId);
  }
}

interface ActResult {
  outcome: Outcome;
  reason: Reason;
}

/**
 * One action, in the order the contract asks: intent entry (written together with `earlier` entries that were
 * waiting), fresh read and a new decision, the request, a check of the result. Returns the outcome entry, which
 * the caller writes before anything else is sent.
 */
async function actOnJob(
  ctx: SweepContext,
  trail: AuditTrail,
  c: Candidate,
  earlier: AuditEntry[],
): Promise<ActResult & { entry: AuditEntry }> {
  const { job, decision } = c;
  const action = decision.action;
  const base = { ageDays: decision.ageDays, ageBasis: decision.ageBasis, rule: decision.rule, action };
  await trail.write([
    ...earlier,
    trail.entry({ ...jobAuditFields(job), ...base, phase: "intent", reason: "rule-matched" }),
  ]);
  // Only once they are stored: entries of a failed write stay pending and are tried again at the end.
  earlier.length = 0;

  const started = Date.now();
  let outcome: ActResult & Partial<AuditEntry>;
  try {
    outcome = await sendAction(ctx, c);
  } catch (err) {
    outcome = {
      outcome: "failed",
      reason: "transient-error",
      errorMessage: shortMessage((err as Error)?.message),
    };
  }
  const { outcome: o, reason, ...details } = outcome;
  const entry = trail.entry({
    ...jobAuditFields(job),
    ...base,
    ...details,
    phase: "outcome",
    outcome: o,
    reason,
    durationMs: Date.now() - started,
  });
  return { outcome: o, reason, entry };
}

async function sendAction(ctx: SweepContext, c: Candidate): Promise<ActResult & Partial<AuditEntry>> {
  const ref = jobRefOf(c.job);
  const sub = ref.subscriptionId;
  // No abort signal from here on: once an intent is written the action runs to a recorded outcome, even when
  // another part of the run asked everyone to stop starting new work.
  for (let attempt = 1; ; attempt++) {
    // Re-read right before acting and decide again on what the service says now.
    const fresh = await ctx.arm.call(sub, "read", (s) => ctx.gateway.getJob(ref, s));
    if (!fresh.ok) return failureOutcome(fresh.failure, "read");
    const recheck = recheckBeforeAction(c.decision, fresh.value, { policy: ctx.policy, now: ctx.now() });
    if (!recheck.proceed)
      return { outcome: "skipped", reason: recheck.reason, stateAfter: fresh.value.state };
    // A request may take up to the ARM timeout, and its check another: do not start one that could outlive the run.
    if (ctx.arm.timeLeftMs() < ctx.actionMarginMs / 2)
      return { outcome: "deferred", reason: "deadline", stateAfter: fresh.value.state };

    const sent =
      c.decision.action === "cancel"
        ? await ctx.arm.call(sub, "write", (s) => ctx.gateway.cancelJob(ref, s), {
            retryTransient: false,
            retryThrottled: false,
          })
        : await ctx.arm.call(sub, "delete", (s) => ctx.gateway.deleteJob(ref, s), {
            retryTransient: false,
            retryThrottled: false,
          });
    // A 429 means nothing was done: wait if it fits, then start again from the re-read.
    if (!sent.ok && sent.failure.kind === "throttled") {
      if (await ctx.arm.waitOutThrottle(sent.failure, attempt, ctx.actionMarginMs)) continue;
      return failureOutcome(sent.failure, "action");
    }
    return c.decision.action === "cancel"
      ? checkCancel(ctx, c, sent as ArmResult<JobSnapshot>)
      : checkDelete(ctx, c, sent as ArmResult<void>);
  }
}

async function checkCancel(
  ctx: SweepContext,
  c: Candidate,
  sent: ArmResult<JobSnapshot>,
): Promise<ActResult & Partial<AuditEntry>> {
  if (!sent.ok) return withStateAfter(ctx, c, failureOutcome(sent.failure, "action"));
  // Best effort by the service's own terms: success means the job now reports cancelRequested.
  if (sent.value.cancelRequested === true)
    return {
      outcome: "succeeded",
      reason: "rule-matched",
      httpStatus: sent.status,
      stateAfter: sent.value.state,
    };
  return {
    outcome: "failed",
    reason: "service-refused",
    httpStatus: sent.status,
    stateAfter: sent.value.state,
    errorMessage: "cancel answered without cancelRequested: true",
  };
}

async function checkDelete(
  ctx: SweepContext,
  c: Candidate,
  sent: ArmResult<void>,
): Promise<ActResult & Partial<AuditEntry>> {
  if (!sent.ok && sent.failure.kind !== "transient")
    return withStateAfter(ctx, c, failureOutcome(sent.failure, "action"));
  // Check the result: after a 200, or after a timeout that may or may not have deleted it, the job must be gone.
  const ref = jobRefOf(c.job);
  const after = await ctx.arm.call(ref.subscriptionId, "read", (s) => ctx.gateway.getJob(ref, s));
  if (!after.ok && after.failure.kind === "gone")
    return {
      outcome: "succeeded",
      reason: "rule-matched",
      httpStatus: sent.ok ? sent.status : undefined,
      stateAfter: "Deleted",
    };
  if (!sent.ok)
    return {
      ...failureOutcome(sent.failure, "action"),
      stateAfter: after.ok ? after.value.state : undefined,
    };
  if (!after.ok)
    return {
      outcome: "failed",
      reason: "transient-error",
      httpStatus: sent.status,
      errorMessage: shortMessage(
        `delete answered ${sent.status}, but the check failed: ${failureText(after.failure)}`,
      ),
    };
  return {
    outcome: "failed",
    reason: "service-refused",
    httpStatus: sent.status,
    stateAfter: after.value.state,
    errorMessage: "job still present after delete answered 200",
  };
}

/** After a refusal the service's rule is what counts: record the state the job is in now. */
async function withStateAfter(
  ctx: SweepContext,
  c: Candidate,
  outcome: ActResult & Partial<AuditEntry>,
): Promise<ActResult & Partial<AuditEntry>> {
  if (outcome.outcome !== "refused") return outcome;
  const ref = jobRefOf(c.job);
  const again = await ctx.arm.call(ref.subscriptionId, "read", (s) => ctx.gateway.getJob(ref, s));
  return {
    ...outcome,
    stateAfter: again.ok ? again.value.state : again.failure.kind === "gone" ? "Deleted" : undefined,
  };
}

function failureOutcome(failure: ArmFailure, during: "read" | "action"): ActResult & Partial<AuditEntry> {
  const details = {
    httpStatus: failure.status,
    errorCode: failureCode(failure),
    errorMessage: shortMessage(failureText(failure)),
  };
  switch (failure.kind) {
    case "gone":
      return { outcome: "skipped", reason: "gone", stateAfter: "Deleted", ...details };
    case "throttled":
      return { outcome: "deferred", reason: "throttled", ...details };
    case "not-allowed":
      return during === "action"
        ? { outcome: "refused", reason: "service-refused", ...details }
        : { outcome: "failed", reason: "service-refused", ...details };
    case "malformed":
      return { outcome: "skipped", reason: "malformed-job", ...details };
    case "transient":
      return { outcome: "failed", reason: "transient-error", ...details };
  }
}

function failureCode(failure: ArmFailure | undefined): string | undefined {
  if (!failure) return undefined;
  return "code" in failure ? failure.code : undefined;
}

function failureText(failure: ArmFailure): string {
  const status = failure.status ? ` (HTTP ${failure.status})` : "";
  const detail = "message" in failure && failure.message ? `: ${failure.message}` : "";
  return `${failure.kind}${status}${detail}`;
}

function outcomeCounter(outcome: Outcome, action: JobDecision["action"]): keyof RunCounts | undefined {
  switch (outcome) {
    case "planned":
      return "planned";
    case "succeeded":
      return action === "cancel" ? "cancelled" : action === "delete" ? "deleted" : undefined;
    case "skipped":
      return "skipped";
    case "refused":
      return "refused";
    case "failed":
      return "failed";
    case "deferred":
      return "deferred";
  }
}

function sameObservation(a: Observation, b: Observation | undefined): boolean {
  return (
    b !== undefined &&
    a.state === b.state &&
    a.firstSeenInStateAt === b.firstSeenInStateAt &&
    a.firstEligibleAt === b.firstEligibleAt
  );
}
