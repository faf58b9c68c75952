import { recheckBeforeAction } from "../../domain/decideJob";
import { jobRefOf, type JobSnapshot } from "../../domain/job";
import { cancelReason, showsCancelled } from "../../domain/jobStates";
import { planEvidenceChange, type ProposedAction } from "../../domain/plans";
import type { Policy } from "../../domain/policy";
import type { AuditEntry } from "../../domain/records";
import type { ArmCaller } from "../armCaller";
import { jobAuditFields, shortMessage, type AuditTrail } from "../auditTrail";
import type { ArmFailure, ArmResult, DeleteStarted, JobsGateway } from "../ports";
import { failureCode, failureOutcome, failureText, type ActOutcome } from "./armFailures";
import type { Candidate } from "./listAndDecide";

export interface ActContext {
  policy: Policy;
  gateway: JobsGateway;
  arm: ArmCaller;
  /** An action is started only with at least half this margin left: a request and its check must fit. */
  actionMarginMs: number;
  /** How long a request may still be carried out after we stopped waiting for its answer (ARM timeout + margin). */
  inFlightMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => Date;
}

/**
 * One action, in the order the contract asks: the intent entry (stored together with `waiting` entries, before
 * anything is sent), a fresh read and a new decision, the request, a check of the result by reading. Returns the
 * outcome entry, which the caller stores before anything else is sent.
 */
export async function actOnJob(
  ctx: ActContext,
  trail: AuditTrail,
  candidate: Candidate,
  waiting: AuditEntry[],
): Promise<{ outcome: ActOutcome; entry: AuditEntry }> {
  const { job, decision } = candidate;
  const base = { ageDays: decision.ageDays, ageBasis: decision.ageBasis, rule: decision.rule };
  const action = decision.action;
  await trail.write([
    ...waiting,
    trail.entry({ ...jobAuditFields(job), ...base, action, phase: "intent", reason: "rule-matched" }),
  ]);
  // Only once they are stored: entries of a failed write stay waiting and are tried again by the caller.
  waiting.length = 0;

  const started = Date.now();
  let outcome: ActOutcome;
  try {
    outcome = await sendAction(ctx, candidate, trail.run.runId);
  } catch (err) {
    outcome = {
      outcome: "failed",
      reason: "transient-error",
      errorMessage: shortMessage(`the action stopped unexpectedly (${(err as Error)?.name ?? "error"})`),
    };
  }
  const entry = trail.entry({
    ...jobAuditFields(job),
    ...base,
    action,
    ...outcome,
    phase: "outcome",
    durationMs: Date.now() - started,
  });
  return { outcome, entry };
}

/**
 * Re-reads, re-decides, sends, checks. No abort signal from here on: once an intent is written the action runs
 * to a recorded outcome, even when another part of the run asked everyone to stop starting new work.
 */
async function sendAction(ctx: ActContext, candidate: Candidate, runId: string): Promise<ActOutcome> {
  const ref = jobRefOf(candidate.job);
  const sub = ref.subscriptionId;
  for (let attempt = 1; ; attempt++) {
    const fresh = await ctx.arm.call(sub, "read", (s) => ctx.gateway.getJob(ref, s));
    if (!fresh.ok) return failureOutcome(fresh.failure, "read");
    const recheck = recheckBeforeAction(candidate.decision, fresh.value, {
      policy: ctx.policy,
      now: ctx.now(),
    });
    // Applying a plan: the job must still be the one the plan proposed, and still eligible under its policy.
    const stale = candidate.proposed && planStaleness(candidate.proposed, fresh.value, recheck);
    if (stale)
      return { outcome: "skipped", reason: "plan-stale", stateAfter: fresh.value.state, errorMessage: stale };
    if (!recheck.proceed)
      return { outcome: "skipped", reason: recheck.reason, stateAfter: fresh.value.state };
    // A request may take up to the ARM timeout, and its check another: do not start one that could outlive the run.
    if (ctx.arm.timeLeftMs() < ctx.actionMarginMs / 2)
      return { outcome: "deferred", reason: "deadline", stateAfter: fresh.value.state };

    const once = { retryTransient: false, retryThrottled: false };
    const sentAt = Date.now();
    const sent =
      candidate.decision.action === "cancel"
        ? await ctx.arm.call(
            sub,
            "write",
            (s) => ctx.gateway.cancelJob(ref, cancelReason(candidate.decision.rule, runId), s),
            once,
          )
        : await ctx.arm.call(sub, "delete", (s) => ctx.gateway.deleteJob(ref, s), once);
    // A 429 means nothing was done: wait if it fits, then start again from the re-read.
    if (!sent.ok && sent.failure.kind === "throttled") {
      if (await ctx.arm.waitOutThrottle(sent.failure, attempt, ctx.actionMarginMs)) continue;
      return failureOutcome(sent.failure, "action");
    }
    return candidate.decision.action === "cancel"
      ? checkCancel(ctx, candidate.job, sent as ArmResult<JobSnapshot | undefined>, sentAt)
      : checkDelete(ctx, candidate.job, sent as ArmResult<DeleteStarted | undefined>, sentAt);
  }
}

/**
 * A refusal or a 404 is the service's clear answer (nothing was done); anything else, a 204 on delete included,
 * is settled by reading the job.
 */
function needsCheckRead(sent: ArmResult<unknown>): boolean {
  if (sent.ok) return true;
  const { kind, status } = sent.failure;
  return kind === "transient" || kind === "malformed" || (kind === "gone" && status === 204);
}

/**
 * Best effort by the service's own terms: success means the job now shows the cancel (`showsCancelled`: a classic
 * job reports `cancelRequested: true`; a Data Box job is Cancelled or no longer cancellable). The reply says so,
 * or (a Data Box 204 without a body, an unreadable reply, a timeout) a read afterwards does.
 */
async function checkCancel(
  ctx: ActContext,
  job: JobSnapshot,
  sent: ArmResult<JobSnapshot | undefined>,
  sentAt: number,
): Promise<ActOutcome> {
  if (!needsCheckRead(sent)) return withStateAfter(ctx, job, failureOutcome(failureOf(sent), "action"));
  const httpStatus = sent.ok ? sent.status : sent.failure.status;
  if (sent.ok && sent.value && showsCancelled(sent.value))
    return { outcome: "succeeded", reason: "rule-matched", httpStatus, stateAfter: sent.value.state };
  const after = await checkRead(ctx, job, sent, sentAt, (r) => r.ok && showsCancelled(r.value));
  if (after.ok && showsCancelled(after.value))
    return {
      outcome: "succeeded",
      reason: "rule-matched",
      httpStatus,
      stateAfter: after.value.state,
      ...(!sent.ok && {
        errorMessage: `${failureText(sent.failure)}; a read afterwards shows the cancel`,
      }),
    };
  return unconfirmed(
    sent,
    after,
    httpStatus,
    job.source === "importexport"
      ? "the cancel is not confirmed: the job does not report cancelRequested"
      : "the cancel is not confirmed: the job is neither Cancelled nor reported not cancellable",
  );
}

/**
 * After a delete answered 200, or anything unclear (202, 204, a timeout, an unreadable reply), the job must be
 * gone. A long-running delete (Data Box, 202) is followed first: to its end within the run's time, then checked
 * by a read; one still running at the deadline is `deferred` (the next run sees the job again and decides anew).
 */
async function checkDelete(
  ctx: ActContext,
  job: JobSnapshot,
  sent: ArmResult<DeleteStarted | undefined>,
  sentAt: number,
): Promise<ActOutcome> {
  if (!needsCheckRead(sent)) return withStateAfter(ctx, job, failureOutcome(failureOf(sent), "action"));
  const httpStatus = sent.ok ? sent.status : sent.failure.status;
  if (sent.ok && sent.value !== undefined) {
    const followed = await followDelete(ctx, job, sent.value);
    if (followed.status !== "succeeded") {
      const read = await readJob(ctx, job);
      if (!read.ok && read.failure.kind === "gone")
        return {
          outcome: "succeeded",
          reason: "rule-matched",
          httpStatus,
          stateAfter: "Deleted",
          errorMessage: `the delete operation ${followed.said}; a read afterwards shows the job gone`,
        };
      const stateAfter = read.ok ? read.value.state : undefined;
      return followed.status === "running"
        ? {
            outcome: "deferred",
            reason: "deadline",
            httpStatus,
            stateAfter,
            errorMessage: shortMessage(
              `the delete operation ${followed.said}; the next run checks the job again`,
            ),
          }
        : {
            outcome: "failed",
            reason: followed.status === "failed" ? "service-refused" : "transient-error",
            httpStatus,
            stateAfter,
            errorMessage: shortMessage(`the delete operation ${followed.said}; the job is still there`),
          };
    }
  }
  const after = await checkRead(ctx, job, sent, sentAt, (r) => !r.ok && r.failure.kind === "gone");
  if (!after.ok && after.failure.kind === "gone")
    return {
      outcome: "succeeded",
      reason: "rule-matched",
      httpStatus,
      stateAfter: "Deleted",
      ...(!sent.ok && { errorMessage: `${failureText(sent.failure)}; a read afterwards shows the job gone` }),
    };
  return unconfirmed(sent, after, httpStatus, "the job is still there after the delete");
}

/**
 * Reads the job to check an action. After a clear answer (2xx) one read tells. After no usable answer (a
 * timeout, a dropped connection) the request may still be carried out: keep reading until it shows the action
 * done or the request can no longer be under way, so it is never recorded as not done while it is in flight.
 */
async function checkRead(
  ctx: ActContext,
  job: JobSnapshot,
  sent: ArmResult<unknown>,
  sentAt: number,
  done: (read: ArmResult<JobSnapshot>) => boolean,
): Promise<ArmResult<JobSnapshot>> {
  let read = await readJob(ctx, job);
  if (sent.ok || sent.failure.kind !== "transient") return read;
  const until = sentAt + ctx.inFlightMs;
  while (!done(read) && Date.now() < until) {
    await ctx.sleep(Math.min(1_000, Math.max(1, until - Date.now())));
    read = await readJob(ctx, job);
  }
  return read;
}

/** Longest a long-running delete is followed, whatever the run's deadline (a 202 forever must end). */
const MAX_FOLLOW_MS = 10 * 60_000;
/** Waits between looks at the operation: the service's `Retry-After`, within these bounds. */
const FOLLOW_MIN_WAIT_MS = 250;
const FOLLOW_MAX_WAIT_MS = 15_000;

type Followed = { status: "succeeded" } | { status: "running" | "failed" | "unknown"; said: string };

/**
 * Follows a long-running delete until it ends, the run's time for it runs out, or the operation cannot be read.
 * Without an operation to follow (a 202 that named none on the endpoint), the job itself is read until it is gone.
 * Every look is a read through the paced caller.
 */
async function followDelete(ctx: ActContext, job: JobSnapshot, started: DeleteStarted): Promise<Followed> {
  const ref = jobRefOf(job);
  const until = Date.now() + MAX_FOLLOW_MS;
  let waitMs = started.retryAfterMs;
  for (let attempt = 1; ; attempt++) {
    const wait = Math.min(FOLLOW_MAX_WAIT_MS, Math.max(FOLLOW_MIN_WAIT_MS, waitMs ?? 1_000));
    // Stop while one more look and the check read still fit before the run must stop.
    if (ctx.arm.timeLeftMs() - wait < ctx.actionMarginMs / 4 || Date.now() + wait > until)
      return { status: "running", said: "was still running when the run's time for it ran out" };
    await ctx.sleep(wait);
    if (started.operationUrl === undefined) {
      const read = await readJob(ctx, job);
      if (!read.ok && read.failure.kind === "gone") return { status: "succeeded" };
      if (!read.ok && read.failure.kind !== "transient" && read.failure.kind !== "throttled")
        return { status: "unknown", said: `could not be checked (${failureText(read.failure)})` };
      waitMs = undefined;
      continue;
    }
    const url = started.operationUrl;
    const look = await ctx.arm.call(ref.subscriptionId, "read", (s) => ctx.gateway.pollDelete(ref, url, s));
    if (look.ok) {
      if (look.value.status === "succeeded") return { status: "succeeded" };
      if (look.value.status === "failed") return { status: "failed", said: "ended Failed" };
      waitMs = look.value.retryAfterMs;
      continue;
    }
    // A transient failure (after the caller's own retries) or a throttle: look again while there is time.
    if (look.failure.kind === "transient" || look.failure.kind === "throttled") {
      if (attempt >= 20)
        return { status: "unknown", said: `could not be read (${failureText(look.failure)})` };
      waitMs = look.failure.kind === "throttled" ? look.failure.retryAfterMs : undefined;
      continue;
    }
    return { status: "unknown", said: `could not be read (${failureText(look.failure)})` };
  }
}

/** What the check read showed when it did not confirm the action. */
function unconfirmed(
  sent: ArmResult<unknown>,
  after: ArmResult<JobSnapshot>,
  httpStatus: number | undefined,
  stillThere: string,
): ActOutcome {
  if (!after.ok)
    return {
      outcome: "failed",
      reason: "transient-error",
      httpStatus,
      errorCode: sent.ok ? undefined : failureCode(sent.failure),
      errorMessage: shortMessage(`the result could not be checked: ${failureText(after.failure)}`),
    };
  return {
    outcome: "failed",
    reason: sent.ok ? "service-refused" : "transient-error",
    httpStatus,
    errorCode: sent.ok ? undefined : failureCode(sent.failure),
    stateAfter: after.value.state,
    errorMessage: sent.ok ? stillThere : `${failureText(sent.failure)}; ${stillThere}`,
  };
}

/** After a refusal the service's rule is what counts: record the state the job is in now. */
async function withStateAfter(ctx: ActContext, job: JobSnapshot, outcome: ActOutcome): Promise<ActOutcome> {
  if (outcome.outcome !== "refused") return outcome;
  const again = await readJob(ctx, job);
  return {
    ...outcome,
    stateAfter: again.ok ? again.value.state : again.failure.kind === "gone" ? "Deleted" : undefined,
  };
}

/** Why a plan's proposed action no longer holds on the fresh read, if it does not. */
function planStaleness(
  proposed: ProposedAction,
  fresh: JobSnapshot,
  recheck: ReturnType<typeof recheckBeforeAction>,
): string | undefined {
  const changed = planEvidenceChange(proposed, fresh);
  if (changed) return shortMessage(`changed since the plan: ${changed}`);
  if (!recheck.proceed) return shortMessage(`no longer eligible under the plan's policy (${recheck.reason})`);
  if (recheck.decision.action !== proposed.action || recheck.decision.rule !== proposed.rule)
    return shortMessage(
      `the plan's policy now decides ${recheck.decision.action} by ${recheck.decision.rule}`,
    );
  return undefined;
}

function readJob(ctx: ActContext, job: JobSnapshot): Promise<ArmResult<JobSnapshot>> {
  const ref = jobRefOf(job);
  return ctx.arm.call(ref.subscriptionId, "read", (s) => ctx.gateway.getJob(ref, s));
}

function failureOf(result: ArmResult<unknown>): ArmFailure {
  if (result.ok) throw new Error("not a failure");
  return result.failure;
}
