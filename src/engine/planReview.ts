// A saved plan's review (docs/operations.md#9-plans-and-approval): approve (with exclusions) or reject, expire,
// and the claim that lets exactly one run apply an approved plan, given back when that run ends without having
// acted. Every step is a conditional write on the plan record (its ETag), so of two approvers, or two applies,
// one wins and the other gets a conflict.
import { isFinal } from "../domain/runTransitions";
import {
  approvePlan,
  claimPlanForApply,
  claimReleasable,
  commentText,
  effectiveStatus,
  expirePlan,
  recordApplyResult,
  rejectPlan,
  releasePlanClaim,
  type ApprovalRule,
  type PlanRecord,
  type PlanStep,
  type ProposedAction,
} from "../domain/plans";
import type { AuditEntry, RunRecord } from "../domain/records";
import type { Trigger } from "../domain/vocabulary";
import { auditSafe } from "../domain/auditText";
import {
  AuditWriteError,
  ConflictError,
  ForbiddenError,
  JanitorError,
  NotFoundError,
  ValidationError,
} from "../errors";
import { SEQ_BLOCK } from "./auditTrail";
import type { AuditStore, PlanStore, RunStore, StoredPlan } from "./ports";

/**
 * The review entries of a plan go in a seq block of the plan run that no subscription uses (the last one), so
 * they never collide with the run's own entries. A plan is approved, rejected or expired once: the first entry's
 * key is the same for all three.
 */
const REVIEW_SEQ = 999_999 * SEQ_BLOCK;
/** Applying a plan acts on the proposed actions, at most the policy's caps; an exclusion list is bounded too. */
export const MAX_EXCLUSIONS = 1000;
/** The subscriptionId of entries about a whole plan. */
const WHOLE_PLAN = "*";
/** A released claim's entry: after the review's (its approval and up to MAX_EXCLUSIONS exclusions), one each. */
const RELEASE_SEQ = REVIEW_SEQ + MAX_EXCLUSIONS + 2;
/** The janitor itself, as the actor of the entries it writes about a plan. */
const JANITOR: Reviewer = { name: "janitor", trigger: "timer", authenticated: false };

export interface Reviewer {
  /** The caller's name (a principal, `http:function-key`, `cli:<user>`). */
  name: string;
  trigger: Trigger;
  /** Easy Auth vouched for the name (HTTP); the CLI's user is known by the machine. */
  authenticated: boolean;
}

export interface ReviewServices {
  plans: PlanStore;
  runs: RunStore;
  audit: AuditStore;
}

export class PlanReview {
  constructor(
    private readonly services: ReviewServices,
    private readonly now: () => Date,
  ) {}

  /** The plan as stored, with an expiry that is due applied (and recorded). */
  async get(planId: string): Promise<StoredPlan> {
    const stored = await this.services.plans.get(planId);
    if (!stored) throw new NotFoundError(`no plan ${planId}`);
    return stored;
  }

  async approve(
    planId: string,
    reviewer: Reviewer,
    request: { comment?: string; exclude?: string[]; rule: ApprovalRule; ifMatch?: string },
  ): Promise<PlanRecord> {
    const stored = await this.current(planId, request.ifMatch);
    const run = await this.services.runs.get(planId);
    if (request.rule === "four-eyes" && reviewer.trigger === "http" && !reviewer.authenticated)
      throw new ForbiddenError(
        "four-eyes approval over HTTP needs Easy Auth (every function-key caller is the same http:function-key); " +
          "approve with the CLI, or turn on Easy Auth",
      );
    const exclude = [...new Set((request.exclude ?? []).map((id) => id.toLowerCase()))];
    const comment = commentText(request.comment);
    const step = approvePlan(stored.plan, {
      by: reviewer.name,
      now: this.now(),
      rule: request.rule,
      comment,
      excluded: exclude,
      run: {
        finished: run !== undefined && isFinal(run),
        usable: run?.status === "succeeded" || run?.status === "partial",
        status: run?.status ?? "missing",
      },
    });
    const approved = this.taken(step);
    // Every exclusion must name a job the plan proposes: read page by page, keeping only those asked for.
    const excludedActions = await this.findInPlan(planId, exclude);
    const missing = exclude.filter((id) => !excludedActions.has(id));
    if (missing.length > 0)
      throw new ValidationError([
        {
          field: "exclude",
          message: `not in the plan: ${missing.slice(0, 20).join(", ")}${missing.length > 20 ? ", ..." : ""}`,
        },
      ]);
    const selfApproved = reviewer.name === stored.plan.requestedBy;
    const entries = [
      this.entry(approved, reviewer, 1, {
        subscriptionId: WHOLE_PLAN,
        action: "none",
        outcome: "succeeded",
        reason: "plan-approved",
        errorMessage:
          `approved with ${exclude.length} exclusion(s)` +
          (selfApproved
            ? "; self-approved: JANITOR_APPROVAL=self-allowed"
            : `; approval rule ${request.rule}`),
        ...(comment && { comment }),
      }),
      ...[...excludedActions.values()].map((a, i) =>
        this.entry(approved, reviewer, i + 2, {
          subscriptionId: a.subscriptionId,
          resourceGroup: a.resourceGroup,
          jobName: a.jobName,
          jobId: a.jobId,
          jobType: a.jobType,
          stateBefore: a.state,
          ...(a.cancelRequested !== undefined && { cancelRequestedBefore: a.cancelRequested }),
          rule: a.rule,
          action: a.action,
          outcome: "skipped",
          reason: "plan-excluded",
          errorMessage: "excluded from the plan by its approver",
        }),
      ),
    ];
    await this.record(planId, entries);
    return this.write(approved, stored.etag);
  }

  async reject(
    planId: string,
    reviewer: Reviewer,
    request: { comment?: string; ifMatch?: string },
  ): Promise<PlanRecord> {
    const stored = await this.current(planId, request.ifMatch);
    const comment = commentText(request.comment);
    const rejected = this.taken(rejectPlan(stored.plan, { by: reviewer.name, now: this.now(), comment }));
    await this.record(planId, [
      this.entry(rejected, reviewer, 1, {
        subscriptionId: WHOLE_PLAN,
        action: "none",
        outcome: "succeeded",
        reason: "plan-rejected",
        ...(comment && { comment }),
      }),
    ]);
    return this.write(rejected, stored.etag);
  }

  /**
   * approved -> applied by `runId`: the one step that lets a run apply the plan. Refused (ConflictError) when the
   * plan is not approved, expired, or another apply claimed it first. A claim whose run has ended without acting
   * (and was not given back then, e.g. the process stopped first) is given back here before claiming.
   */
  async claimForApply(planId: string, runId: string): Promise<PlanRecord> {
    let stored = await this.current(planId);
    const holder = stored.plan.status === "applied" ? stored.plan.appliedRunId : undefined;
    if (holder !== undefined) {
      const previous = await this.services.runs.get(holder);
      if (previous && isFinal(previous) && (await this.settleApply(previous)) === "released")
        stored = await this.current(planId);
    }
    const claimed = this.taken(claimPlanForApply(stored.plan, { runId, now: this.now() }));
    return this.write(claimed, stored.etag);
  }

  /** Gives a claimed plan back (its run could not be recorded or queued): approved again, if still ours. */
  async unclaim(planId: string, runId: string): Promise<void> {
    const stored = await this.services.plans.get(planId);
    if (!stored) return;
    await this.release(stored, runId, `apply run ${runId} could not be recorded or queued`, JANITOR.trigger);
  }

  /**
   * What becomes of a plan's claim when its apply run has ended: given back when the run ended failed or paused
   * without having acted (no intent of it in the audit log: the plan is approved again, recorded in the audit
   * and on the plan), else the plan stays applied with the run's outcome recorded on it. `nothingRunning`: the
   * caller ran the whole run itself and saw every worker of it stop.
   */
  async settleApply(
    run: RunRecord,
    options: { nothingRunning?: boolean } = {},
  ): Promise<"released" | "applied" | "not-claimed"> {
    if (run.planId === undefined || !isFinal(run)) return "not-claimed";
    const stored = await this.services.plans.get(run.planId);
    if (!stored || stored.plan.status !== "applied" || stored.plan.appliedRunId !== run.runId)
      return "not-claimed";
    if (claimReleasable(run, options.nothingRunning) && !(await this.actedIn(run.runId))) {
      const why = `apply run ${run.runId} ended ${run.status} before acting${run.error ? `: ${run.error}` : ""}`;
      return (await this.release(stored, run.runId, why, run.trigger)) ? "released" : "not-claimed";
    }
    if (stored.plan.applyResult?.runId !== run.runId)
      await this.services.plans.replace(recordApplyResult(stored.plan, run), stored.etag);
    return "applied";
  }

  /**
   * applied by `runId` -> approved: the entry first (a release nobody can find in the audit log never takes
   * effect), then the conditional write. True when the plan was given back, by this call or a concurrent one.
   */
  private async release(stored: StoredPlan, runId: string, why: string, trigger: Trigger): Promise<boolean> {
    const released = releasePlanClaim(stored.plan, { runId, now: this.now(), why });
    if (released === stored.plan) return false;
    const seq = RELEASE_SEQ + (stored.plan.claimsReleased ?? 0);
    const entry = this.entry(released, { ...JANITOR, trigger }, seq - REVIEW_SEQ, {
      subscriptionId: WHOLE_PLAN,
      action: "none",
      outcome: "succeeded",
      reason: "plan-released",
      errorMessage: released.releasedClaims!.at(-1)!.why,
    });
    try {
      await this.services.audit.append([entry]);
    } catch (err) {
      // The entry's key is the plan's n-th release: taken means this release was recorded by an earlier try
      // (whose plan write did not happen) or a concurrent one; anything else fails closed, the plan stays applied.
      if (!(err instanceof AuditWriteError) || !(await this.hasEntry(stored.plan.planId, seq))) throw err;
    }
    if (await this.services.plans.replace(released, stored.etag)) return true;
    const now = await this.services.plans.get(stored.plan.planId);
    return now !== undefined && now.plan.appliedRunId !== runId;
  }

  /** Whether the run wrote any intent (the audit entry written before every delete or cancel is sent). */
  private async actedIn(runId: string): Promise<boolean> {
    for (const action of ["delete", "cancel"] as const) {
      let cursor: string | undefined;
      do {
        const page = await this.services.audit.query({ runId, action, limit: 1000, cursor });
        if (page.items.some((e) => e.phase === "intent")) return true;
        cursor = page.nextCursor;
      } while (cursor);
    }
    return false;
  }

  private async hasEntry(planId: string, seq: number): Promise<boolean> {
    let cursor: string | undefined;
    do {
      const page = await this.services.audit.query({
        runId: planId,
        action: "none",
        outcome: "succeeded",
        limit: 1000,
        cursor,
      });
      if (page.items.some((e) => e.seq === seq)) return true;
      cursor = page.nextCursor;
    } while (cursor);
    return false;
  }

  /** Records the expiry of a plan that is due (pending or approved past expiresAt); true when it expired now. */
  async expireIfDue(planId: string): Promise<boolean> {
    const stored = await this.services.plans.get(planId);
    if (!stored) return false;
    return (await this.expire(stored)) !== undefined;
  }

  /** Reads the plan; records a due expiry first (so the caller sees `expired`); checks `If-Match`. */
  private async current(planId: string, ifMatch?: string): Promise<StoredPlan> {
    const stored = await this.get(planId);
    if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== stored.etag)
      throw new ConflictError(`plan ${planId} changed since it was read (If-Match does not match its ETag)`);
    const expired = await this.expire(stored);
    return expired ?? stored;
  }

  private async expire(stored: StoredPlan): Promise<StoredPlan | undefined> {
    const now = this.now();
    if (effectiveStatus(stored.plan, now) !== "expired" || stored.plan.status === "expired") return undefined;
    const expired = expirePlan(stored.plan, now);
    const entry = this.entry(expired, { name: "janitor", trigger: "timer", authenticated: false }, 1, {
      subscriptionId: WHOLE_PLAN,
      action: "none",
      outcome: "skipped",
      reason: "plan-expired",
      errorMessage: `expired at ${stored.plan.expiresAt}`,
    });
    // Another reviewer's entry at the same key means they acted first: the plan is read again by the caller.
    await this.services.audit.append([entry]).catch(() => undefined);
    await this.services.plans.replace(expired, stored.etag);
    const fresh = await this.services.plans.get(stored.plan.planId);
    return fresh;
  }

  private taken(step: PlanStep): PlanRecord {
    if (step.ok) return step.plan;
    if (step.refusal.kind === "forbidden") throw new ForbiddenError(step.refusal.message);
    throw new ConflictError(step.refusal.message);
  }

  /** The conditional write: a lost race is a conflict, never a second winner. */
  private async write(plan: PlanRecord, etag: string): Promise<PlanRecord> {
    if (!(await this.services.plans.replace(plan, etag)))
      throw new ConflictError(
        `plan ${plan.planId} was changed by someone else at the same time; read it again`,
      );
    return plan;
  }

  /**
   * The review entries, stored before the plan record changes (an approval nobody can find in the audit log
   * never takes effect). Their keys are fixed per plan, so a competing review's entries collide: the plan is
   * read again and the loser gets a conflict.
   */
  private async record(planId: string, entries: AuditEntry[]): Promise<void> {
    try {
      await this.services.audit.append(entries);
    } catch (err) {
      const again = await this.services.plans.get(planId).catch(() => undefined);
      if (again && again.plan.status !== "pending")
        throw new ConflictError(`plan ${planId} was ${again.plan.status} by someone else at the same time`);
      throw err instanceof JanitorError
        ? err
        : new JanitorError("the review could not be recorded in the audit log");
    }
  }

  private async findInPlan(planId: string, ids: string[]): Promise<Map<string, ProposedAction>> {
    const wanted = new Set(ids);
    const found = new Map<string, ProposedAction>();
    if (wanted.size === 0) return found;
    let cursor: string | undefined;
    do {
      const page = await this.services.plans.readActions(planId, { limit: 1000, cursor });
      for (const a of page.items) if (wanted.has(a.jobId.toLowerCase())) found.set(a.jobId.toLowerCase(), a);
      cursor = page.nextCursor;
    } while (cursor && found.size < wanted.size);
    return found;
  }

  private entry(
    plan: PlanRecord,
    reviewer: Reviewer,
    n: number,
    fields: Omit<
      AuditEntry,
      "timestamp" | "runId" | "seq" | "trigger" | "mode" | "actor" | "policyHash" | "phase"
    >,
  ): AuditEntry {
    return auditSafe({
      timestamp: this.now().toISOString(),
      runId: plan.planId,
      seq: REVIEW_SEQ + n,
      trigger: reviewer.trigger,
      mode: "plan",
      actor: reviewer.name,
      policyHash: plan.policyHash,
      planId: plan.planId,
      phase: "outcome",
      ...fields,
    });
  }
}
