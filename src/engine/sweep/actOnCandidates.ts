import { capReason, subscriptionAllowance } from "../../domain/actionLimits";
import type { Policy } from "../../domain/policy";
import type { AuditEntry } from "../../domain/records";
import type { Mode, Outcome, Reason } from "../../domain/vocabulary";
import type { ActionBudget } from "../actionBudget";
import type { ArmCaller } from "../armCaller";
import type { AuditTrail } from "../auditTrail";
import { SPANS } from "../../domain/telemetryNames";
import { emitSafely } from "../engineEvents";
import { recordSafely, withSpan } from "../engineTelemetry";
import type { EngineEvents, EngineTelemetry, JobsGateway } from "../ports";
import { actOnJob } from "./actOnJob";
import { jobDecisionEntry } from "./decisionEntries";
import type { Candidate } from "./listAndDecide";
import type { HeldLease } from "./subscriptionLease";
import type { SweepTally } from "./sweepTally";

export interface ActingContext {
  policy: Policy;
  gateway: JobsGateway;
  arm: ArmCaller;
  budget: ActionBudget;
  actionMarginMs: number;
  inFlightMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => Date;
  /** Aborted when another subscription of the part could not write its audit entries. */
  signal?: AbortSignal;
  /** Told of each action that failed or was refused (notifications, telemetry). */
  events?: EngineEvents;
  /** Told of each action planned or sent, and spans each one sent. */
  telemetry?: EngineTelemetry;
  runId?: string;
}

/** Reasons that leave work for a later run for want of time, lease or audit log (not by the policy's caps). */
export const LEFT_FOR_LATER: ReadonlySet<Reason> = new Set<Reason>([
  "deadline",
  "lease-held",
  "throttled",
  "audit-failed",
]);

/**
 * Plans or acts on a subscription's candidates in decision order, within the caps: the subscription's
 * allowance (its cap less what earlier deliveries of the run started there) and what the run-wide budget
 * grants. The rest is deferred with its reason. Returns the ids (lower-cased) of jobs deleted, and in plan mode
 * the candidates planned (the plan's proposed actions).
 */
export async function actOnCandidates(
  ctx: ActingContext,
  mode: Mode,
  lease: HeldLease,
  trail: AuditTrail,
  tally: SweepTally,
  candidates: Candidate[],
  startedBefore: number,
): Promise<{ deleted: string[]; planned: Candidate[] }> {
  const allowance = subscriptionAllowance(candidates.length, startedBefore, ctx.policy.limits);
  const granted = allowance > 0 ? await ctx.budget.reserve(allowance) : 0;
  const deleted: string[] = [];
  const planned: Candidate[] = [];
  let stopReason: Reason | undefined;
  // Planned and deferred entries need not precede an action, so they wait and go out with the next intent
  // (one append), or at the end. An action's outcome waits the same way, but is stored before the next action.
  const waiting: AuditEntry[] = [];
  try {
    for (const [index, c] of candidates.entries()) {
      const deferReason = stopReason ?? (await whyNotNow(ctx, mode, lease, index, allowance, granted));
      if (deferReason) {
        if (deferReason === "lease-held") stopReason = deferReason;
        tally.decided(c.job, c.decision, "deferred", deferReason);
        waiting.push(jobDecisionEntry(trail, c.job, c.decision, "deferred", deferReason));
        continue;
      }
      if (mode === "plan") {
        reportAction(ctx, mode, c, "planned", "rule-matched");
        tally.decided(c.job, c.decision, "planned", "rule-matched");
        planned.push(c);
        waiting.push(jobDecisionEntry(trail, c.job, c.decision, "planned", "rule-matched"));
        continue;
      }
      const span = {
        runId: ctx.runId ?? "",
        subscriptionId: c.job.subscriptionId,
        action: c.decision.action,
      };
      const acted = await withSpan(ctx.telemetry, SPANS.action, span, () => actOnJob(ctx, trail, c, waiting));
      waiting.push(acted.entry);
      reportAction(ctx, mode, c, acted.outcome.outcome, acted.outcome.reason, acted.entry.httpStatus);
      tally.decided(c.job, c.decision, acted.outcome.outcome, acted.outcome.reason);
      if (acted.outcome.outcome === "succeeded" && c.decision.action === "delete")
        deleted.push(c.job.id.toLowerCase());
      // Throttled past what the run can wait: the rest of the subscription waits for the next run too.
      if (acted.outcome.outcome === "deferred" && acted.outcome.reason === "throttled")
        stopReason = "throttled";
    }
  } finally {
    // Also after an error between actions; entries of a failed write are tried once more here.
    await trail.write(waiting.splice(0));
  }
  return { deleted, planned };
}

/** Tells telemetry of a planned or finished action, and notifications of one that failed or was refused. */
function reportAction(
  ctx: ActingContext,
  mode: Mode,
  c: Candidate,
  outcome: Outcome,
  reason: Reason,
  httpStatus?: number,
): void {
  const where = {
    runId: ctx.runId ?? "",
    subscriptionId: c.job.subscriptionId,
    resourceGroup: c.job.resourceGroup,
    jobName: c.job.name,
    action: c.decision.action,
    outcome,
    reason,
    ...(httpStatus !== undefined && { httpStatus }),
  };
  recordSafely(ctx.telemetry, (t) => t.action({ ...where, mode }));
  if (outcome === "failed" || outcome === "refused")
    emitSafely(ctx.events, { type: "action-failed", ...where, jobId: c.job.id, outcome });
}

/** Why the candidate at `index` is not planned or acted on now, if it is not. */
async function whyNotNow(
  ctx: ActingContext,
  mode: Mode,
  lease: HeldLease,
  index: number,
  allowance: number,
  granted: number,
): Promise<Reason | undefined> {
  if (ctx.signal?.aborted) return "audit-failed";
  const capped = capReason(index, allowance, granted);
  if (capped) return capped;
  if (ctx.arm.timeLeftMs() < ctx.actionMarginMs) return "deadline";
  if (mode === "apply" && !(await lease.stillHeld())) return "lease-held";
  return undefined;
}
