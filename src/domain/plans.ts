// Saved plans (docs/operations.md#9-plans-and-approval): what a plan run proposes, kept for review, approved or
// rejected by a person, and applied at most once, exactly as proposed. Pure: the record's life as transitions,
// the check that a job is still the one the plan saw, and the cleaning of an approver's comment.
import { cleanText, cutAtCodePoint } from "./auditText";
import type { JobSnapshot, JobSource } from "./job";
import type { Policy } from "./policy/schema";
import type { RunCounts, RunRecord } from "./records";
import type { AgeBasis, JobAction, RunStatus } from "./vocabulary";

export const PLAN_STATUSES = ["pending", "approved", "rejected", "expired", "applied"] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/** `JANITOR_APPROVAL`: whether the principal that requested a plan may approve it. */
export const APPROVAL_RULES = ["four-eyes", "self-allowed"] as const;
export type ApprovalRule = (typeof APPROVAL_RULES)[number];

/** One job a plan would act on, with what the plan saw of it (the evidence an apply compares against). */
export interface ProposedAction {
  jobId: string;
  source: JobSource;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  jobType: string;
  state: string;
  cancelRequested?: boolean;
  rule: string;
  action: JobAction;
  ageDays?: number;
  ageBasis?: AgeBasis;
  /** The job's `systemData.lastModifiedAt` when the service gave one: its version evidence. */
  lastModifiedAt?: string;
}

export interface PlanCounts {
  /** Proposed actions (the plan run's `planned`). */
  actions: number;
  deletes: number;
  cancels: number;
  /** Subscriptions with at least one proposed action. */
  subscriptions: number;
  jobsSeen: number;
}

export interface PlanRecord {
  /** The id of the plan run that made it. */
  planId: string;
  status: PlanStatus;
  trigger: string;
  requestedBy: string;
  createdAt: string;
  expiresAt: string;
  /** The effective policy the plan was made with: an apply decides under it, whatever is in force then. */
  policy: Policy;
  policyHash: string;
  counts?: PlanCounts;
  approvedBy?: string;
  approvedAt?: string;
  rejectedBy?: string;
  rejectedAt?: string;
  /** The approver's or rejecter's comment, cleaned (commentText). */
  comment?: string;
  /** Lower-cased ids of jobs the approver took out of the plan. */
  excluded?: string[];
  /** The approval rule in force when it was approved (self-approval only under `self-allowed`). */
  approvalRule?: ApprovalRule;
  /** The run that applies it; set when the plan becomes `applied` (at most once). */
  appliedRunId?: string;
  appliedAt?: string;
  expiredAt?: string;
  /** How the applying run ended (its status and what it did, as its audit entries count them). */
  applyResult?: ApplyResult;
  /** Claims given back by apply runs that ended without acting: how many, and the latest few. */
  claimsReleased?: number;
  releasedClaims?: ReleasedClaim[];
}

export interface ApplyResult {
  runId: string;
  status: RunStatus;
  finishedAt?: string;
  counts: Pick<RunCounts, "deleted" | "cancelled" | "skipped" | "refused" | "failed" | "deferred">;
}

export interface ReleasedClaim {
  runId: string;
  releasedAt: string;
  /** Why: how the run ended, e.g. its error (kept short). */
  why: string;
}

/** The released claims a plan record keeps (the count goes on: it numbers the audit entries). */
export const RELEASED_CLAIMS_KEPT = 10;

export const COMMENT_MAX = 500;

/** An operator's own words, made safe to store: control characters become spaces, at most 500 characters. */
export function commentText(comment: string | undefined): string | undefined {
  if (comment === undefined) return undefined;
  const text = cleanText(comment, COMMENT_MAX, " ").replace(/\s+/g, " ").trim();
  return text === "" ? undefined : text;
}

/** Pending or approved past `expiresAt` reads as expired (stored lazily, at the next write). */
export function effectiveStatus(plan: PlanRecord, now: Date): PlanStatus {
  if (
    (plan.status === "pending" || plan.status === "approved") &&
    Date.parse(plan.expiresAt) <= now.getTime()
  )
    return "expired";
  return plan.status;
}

/** Why a plan cannot take a step: an HTTP edge maps `conflict` to 409 and `forbidden` to 403. */
export type PlanRefusal = { kind: "conflict" | "forbidden" | "not-ready"; message: string };
export type PlanStep = { ok: true; plan: PlanRecord } | { ok: false; refusal: PlanRefusal };

function refuse(kind: PlanRefusal["kind"], message: string): PlanStep {
  return { ok: false, refusal: { kind, message } };
}

function statusConflict(plan: PlanRecord, status: PlanStatus, step: string): PlanStep {
  const why: Record<PlanStatus, string> = {
    pending: "it is still pending",
    approved: "it is already approved",
    rejected: "it was rejected",
    expired: `it expired at ${plan.expiresAt}`,
    applied: `it was already applied${plan.appliedRunId ? ` by run ${plan.appliedRunId}` : ""}`,
  };
  return refuse("conflict", `plan ${plan.planId} cannot be ${step}: ${why[status]}`);
}

/**
 * The expiry transition, if due (pending or approved past `expiresAt`); the plan unchanged otherwise.
 */
export function expirePlan(plan: PlanRecord, now: Date): PlanRecord {
  if (effectiveStatus(plan, now) !== "expired" || plan.status === "expired") return plan;
  return { ...plan, status: "expired", expiredAt: now.toISOString() };
}

/**
 * pending -> approved. `runFinished` says the plan run has ended and its actions are all written (`ready` means
 * its status lets the plan be acted on); `excluded` are lower-cased job ids already checked to be in the plan.
 */
export function approvePlan(
  plan: PlanRecord,
  step: {
    by: string;
    now: Date;
    rule: ApprovalRule;
    comment?: string;
    excluded: string[];
    run: { finished: boolean; usable: boolean; status: string };
  },
): PlanStep {
  const status = effectiveStatus(plan, step.now);
  if (status !== "pending") return statusConflict(plan, status, "approved");
  if (!step.run.finished)
    return refuse("not-ready", `plan ${plan.planId} is still being made (its run is ${step.run.status})`);
  if (!step.run.usable)
    return refuse("conflict", `plan ${plan.planId} cannot be approved: its run ended ${step.run.status}`);
  if (step.rule === "four-eyes" && step.by === plan.requestedBy)
    return refuse(
      "forbidden",
      `four-eyes approval: ${step.by} requested this plan and cannot approve it (JANITOR_APPROVAL=self-allowed turns this off)`,
    );
  return {
    ok: true,
    plan: {
      ...plan,
      status: "approved",
      approvedBy: step.by,
      approvedAt: step.now.toISOString(),
      approvalRule: step.rule,
      excluded: [...new Set(step.excluded.map((id) => id.toLowerCase()))],
      ...(step.comment !== undefined && { comment: step.comment }),
    },
  };
}

/** pending -> rejected (an approved plan is not rejected: it is left to expire, or applied). */
export function rejectPlan(plan: PlanRecord, step: { by: string; now: Date; comment?: string }): PlanStep {
  const status = effectiveStatus(plan, step.now);
  if (status !== "pending") return statusConflict(plan, status, "rejected");
  return {
    ok: true,
    plan: {
      ...plan,
      status: "rejected",
      rejectedBy: step.by,
      rejectedAt: step.now.toISOString(),
      ...(step.comment !== undefined && { comment: step.comment }),
    },
  };
}

/** approved -> applied, naming the run that applies it: the one step that makes a plan applied at most once. */
export function claimPlanForApply(plan: PlanRecord, step: { runId: string; now: Date }): PlanStep {
  const status = effectiveStatus(plan, step.now);
  if (status !== "approved") return statusConflict(plan, status, "applied");
  return {
    ok: true,
    plan: { ...plan, status: "applied", appliedRunId: step.runId, appliedAt: step.now.toISOString() },
  };
}

/**
 * Whether the apply run that claimed a plan may give the claim back: it ended failed or paused, and no part of it
 * can still be sweeping (none was planned, every one was merged, or the caller ran the whole run and saw it
 * stop). The caller must also have found no intent of the run in the audit log: a run that wrote one may have
 * acted, and its plan stays applied.
 */
export function claimReleasable(run: RunRecord, nothingRunning = false): boolean {
  if (run.mode !== "apply" || run.planId === undefined) return false;
  if (run.status !== "failed" && run.status !== "paused") return false;
  return nothingRunning || run.partsTotal === undefined || (run.partsDone ?? 0) >= run.partsTotal;
}

/** applied by `runId` -> approved again, the release recorded on the plan; the plan unchanged if not its claim. */
export function releasePlanClaim(
  plan: PlanRecord,
  step: { runId: string; now: Date; why: string },
): PlanRecord {
  if (plan.status !== "applied" || plan.appliedRunId !== step.runId) return plan;
  const { appliedRunId: _run, appliedAt: _at, applyResult: _result, ...rest } = plan;
  const released: ReleasedClaim = {
    runId: step.runId,
    releasedAt: step.now.toISOString(),
    why: step.why.length > 250 ? `${cutAtCodePoint(step.why, 247)}...` : step.why,
  };
  return {
    ...rest,
    status: "approved",
    claimsReleased: (plan.claimsReleased ?? 0) + 1,
    releasedClaims: [...(plan.releasedClaims ?? []), released].slice(-RELEASED_CLAIMS_KEPT),
  };
}

/** The applying run's end, recorded on its plan (which stays applied: the run may have acted). */
export function recordApplyResult(plan: PlanRecord, run: RunRecord): PlanRecord {
  if (plan.status !== "applied" || plan.appliedRunId !== run.runId) return plan;
  const { deleted, cancelled, skipped, refused, failed, deferred } = run.counts;
  return {
    ...plan,
    applyResult: {
      runId: run.runId,
      status: run.status,
      ...(run.finishedAt !== undefined && { finishedAt: run.finishedAt }),
      counts: { deleted, cancelled, skipped, refused, failed, deferred },
    },
  };
}

/** The proposed action for a job the plan run decided to act on. */
export function proposedAction(
  job: JobSnapshot,
  decision: { rule?: string; action: string; ageDays?: number; ageBasis?: AgeBasis },
): ProposedAction {
  return {
    jobId: job.id,
    source: job.source,
    subscriptionId: job.subscriptionId.toLowerCase(),
    resourceGroup: job.resourceGroup,
    jobName: job.name,
    jobType: job.jobType,
    state: job.state,
    ...(job.cancelRequested !== undefined && { cancelRequested: job.cancelRequested }),
    rule: decision.rule ?? "",
    action: decision.action as JobAction,
    ...(decision.ageDays !== undefined && { ageDays: decision.ageDays }),
    ...(decision.ageBasis !== undefined && { ageBasis: decision.ageBasis }),
    ...(job.lastModifiedAt !== undefined && { lastModifiedAt: job.lastModifiedAt }),
  };
}

/**
 * What differs between the job as the plan saw it and as it is now, if anything: its state (exact, as sent),
 * `cancelRequested`, or its version evidence. Any difference makes the proposed action stale.
 */
export function planEvidenceChange(action: ProposedAction, job: JobSnapshot): string | undefined {
  if (job.state !== action.state) return `state is ${job.state}, the plan saw ${action.state}`;
  if (job.source !== action.source) return `the job is a ${job.source} job, the plan saw ${action.source}`;
  if ((job.cancelRequested ?? false) !== (action.cancelRequested ?? false))
    return `cancelRequested is ${job.cancelRequested ?? false}, the plan saw ${action.cancelRequested ?? false}`;
  if (job.lastModifiedAt !== action.lastModifiedAt)
    return `lastModifiedAt is ${job.lastModifiedAt ?? "absent"}, the plan saw ${action.lastModifiedAt ?? "absent"}`;
  return undefined;
}
