import type { JobDecision } from "../../domain/decideJob";
import type { JobSnapshot } from "../../domain/job";
import { planEvidenceChange, proposedAction, type ProposedAction } from "../../domain/plans";
import type { AuditEntry } from "../../domain/records";
import type { Reason } from "../../domain/vocabulary";
import { shortMessage, type AuditTrail } from "../auditTrail";
import type { PlanStore } from "../ports";
import { jobDecisionEntry } from "./decisionEntries";
import type { Candidate, Listing } from "./listAndDecide";
import type { SweepTally } from "./sweepTally";

/** What a sweep does with saved plans: writes the plan it makes (plan runs), or keeps to the one it applies. */
export interface SweepPlan {
  store: PlanStore;
  /** A plan run: its proposed actions are written here (the plan id is the run id). */
  writing?: { planId: string };
  /** A run applying an approved plan: only its proposed actions, less the excluded jobs (lower-cased ids). */
  applying?: { planId: string; excluded: ReadonlySet<string> };
}

const READ_PAGE = 1000;

/** One subscription's proposed actions in the plan, keyed by lower-cased job id, read page by page. */
export async function proposedFor(
  store: PlanStore,
  planId: string,
  subscriptionId: string,
): Promise<Map<string, ProposedAction>> {
  const out = new Map<string, ProposedAction>();
  let cursor: string | undefined;
  do {
    const page = await store.readActions(planId, { subscriptionId, limit: READ_PAGE, cursor });
    for (const action of page.items) out.set(action.jobId.toLowerCase(), action);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

/** Writes the planned candidates of one subscription as the plan's proposed actions. */
export function writeProposed(plan: SweepPlan, subscriptionId: string, planned: Candidate[]): Promise<void> {
  if (!plan.writing) return Promise.resolve();
  return plan.store.writeActions(
    plan.writing.planId,
    subscriptionId,
    planned.map((c) => proposedAction(c.job, c.decision)),
  );
}

/**
 * Applying a plan: narrows the listing's candidates to the plan's proposed actions (never anything outside the
 * plan) and records, for each proposed action that will not be sent, why: `plan-excluded` (the approver took it
 * out), `plan-stale` (the job changed or is no longer eligible under the plan's policy), `gone` (a complete
 * listing no longer has it). Jobs an earlier delivery of the run already acted on (`acted`) have their outcome.
 */
export async function keepToPlan(
  trail: AuditTrail,
  tally: SweepTally,
  listing: Listing,
  proposed: ReadonlyMap<string, ProposedAction>,
  excluded: ReadonlySet<string>,
  acted: ReadonlySet<string>,
): Promise<void> {
  const entries: AuditEntry[] = [];
  const record = (p: ProposedAction, reason: Reason, message: string, job?: JobSnapshot) => {
    const subject = job ?? jobOfProposed(p);
    const decision = decisionOfProposed(p, reason);
    tally.decided(subject, decision, "skipped", reason);
    entries.push(
      jobDecisionEntry(trail, subject, decision, "skipped", reason, { errorMessage: shortMessage(message) }),
    );
  };

  const kept: Candidate[] = [];
  const handled = new Set<string>();
  for (const c of listing.candidates) {
    const key = c.job.id.toLowerCase();
    const p = proposed.get(key);
    if (!p) continue; // not in the plan: never acted on
    handled.add(key);
    if (excluded.has(key)) continue; // recorded below with the other exclusions
    const changed = planEvidenceChange(p, c.job);
    if (changed) record(p, "plan-stale", `changed since the plan: ${changed}`, c.job);
    else if (c.decision.action !== p.action || c.decision.rule !== p.rule)
      record(
        p,
        "plan-stale",
        `the plan's policy now decides ${c.decision.action} by ${c.decision.rule}`,
        c.job,
      );
    else kept.push({ ...c, proposed: p });
  }
  for (const [key, p] of proposed) {
    if (acted.has(key)) continue;
    if (excluded.has(key)) record(p, "plan-excluded", "excluded from the plan by its approver");
    else if (handled.has(key) || listing.problem)
      continue; // a failed listing: fail closed says why
    else if (!listing.seen.has(key)) record(p, "gone", "the job is no longer listed");
    else record(p, "plan-stale", "no longer eligible under the plan's policy");
  }
  listing.candidates = kept;
  await trail.write(entries);
}

/** The job as the plan saw it, for an entry about a job this sweep has no fresh snapshot of. */
function jobOfProposed(p: ProposedAction): JobSnapshot {
  return {
    source: p.source,
    id: p.jobId,
    subscriptionId: p.subscriptionId,
    resourceGroup: p.resourceGroup,
    name: p.jobName,
    tags: {},
    jobType: p.jobType,
    state: p.state,
    ...(p.cancelRequested !== undefined && { cancelRequested: p.cancelRequested }),
    hasDeliveryTrackingNumber: false,
  };
}

function decisionOfProposed(p: ProposedAction, reason: Reason): JobDecision {
  return {
    action: p.action,
    reason,
    rule: p.rule,
    eligible: false,
    ageDays: p.ageDays,
    ageBasis: p.ageBasis,
    state: p.state,
    detail: "",
    observation: undefined,
  };
}
