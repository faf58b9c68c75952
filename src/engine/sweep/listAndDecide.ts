import { decideJob, type JobDecision } from "../../domain/decideJob";
import type { JobSnapshot } from "../../domain/job";
import { observationChanged } from "../../domain/observation";
import type { UpcomingJob } from "../../domain/notifications/events";
import { parseDurationMs } from "../../domain/duration";
import type { ProposedAction } from "../../domain/plans";
import type { Policy } from "../../domain/policy";
import type { AuditEntry, Observation } from "../../domain/records";
import type { Reason } from "../../domain/vocabulary";
import type { ArmCaller } from "../armCaller";
import { shortMessage, type AuditTrail } from "../auditTrail";
import { failureText } from "./armFailures";
import type { ArmFailure, JobsGateway } from "../ports";
import type { HeldLease } from "./subscriptionLease";
import type { SweepTally } from "./sweepTally";
import { jobDecisionEntry } from "./decisionEntries";

export interface Candidate {
  job: JobSnapshot;
  decision: JobDecision;
  /** When a saved plan is applied: the plan's proposed action for this job, checked again on the fresh read. */
  proposed?: ProposedAction;
}

/** Why a listing did not reach its end: the subscription then gets no actions this run (fail closed). */
export interface ListingProblem {
  reason: Extract<Reason, "listing-failed" | "deadline" | "lease-held">;
  failure?: ArmFailure;
  message: string;
}

export interface Listing {
  candidates: Candidate[];
  problem?: ListingProblem;
  /** Observation changes to save: new or changed ones, and ids (lower-cased) to forget. */
  upserts: Observation[];
  removals: string[];
  /** Jobs whose grace mark was set in this listing (first eligible under a rule and action): `upcoming`. */
  marked: UpcomingJob[];
  /** Lower-cased ids of every job the listing returned (a plan's job missing from a complete listing is gone). */
  seen: ReadonlySet<string>;
}

export interface ListingContext {
  policy: Policy;
  gateway: JobsGateway;
  arm: ArmCaller;
  pageSize: number;
  actionMarginMs: number;
  now: () => Date;
  signal?: AbortSignal;
}

/**
 * Jobs not acted on for these reasons are only counted: they are most jobs, and say nothing an auditor needs
 * job by job. Every other reason is written to the audit log one by one.
 */
const COUNTED_ONLY: ReadonlySet<Reason> = new Set<Reason>(["no-rule", "too-young", "out-of-scope"]);

/**
 * Lists every page of a subscription's jobs and decides each one as its page arrives. Only the candidates are
 * kept; everything else is counted (and audited where its reason asks) and let go, so memory stays flat.
 * Jobs an earlier delivery of this run already acted on (`acted`) are left alone: their outcome is recorded.
 */
export async function listAndDecide(
  ctx: ListingContext,
  lease: HeldLease,
  trail: AuditTrail,
  tally: SweepTally,
  subscriptionId: string,
  stored: Map<string, Observation>,
  acted: ReadonlySet<string>,
): Promise<Listing> {
  const seen = new Set<string>();
  const listing: Listing = { candidates: [], upserts: [], removals: [], marked: [], seen };
  let nextLink: string | undefined;
  do {
    listing.problem = await pageMayStart(ctx, lease);
    if (listing.problem) break;
    const page = await ctx.arm.call(
      subscriptionId,
      "read",
      (signal) => ctx.gateway.listJobsPage(subscriptionId, nextLink, { pageSize: ctx.pageSize, signal }),
      { signal: ctx.signal },
    );
    if (!page.ok) {
      listing.problem = {
        reason: "listing-failed",
        failure: page.failure,
        message: failureText(page.failure),
      };
      break;
    }
    const entries: AuditEntry[] = [];
    const now = ctx.now();
    for (const job of page.value.jobs) {
      const key = job.id.toLowerCase();
      // A job that moved between pages while we listed is decided once.
      if (seen.has(key)) continue;
      seen.add(key);
      if (acted.has(key)) continue;
      tally.counts.jobsSeen++;
      const previous = stored.get(key);
      const decision = decideJob(job, { policy: ctx.policy, now, observation: previous });
      if (decision.observation) {
        if (observationChanged(previous, decision.observation)) listing.upserts.push(decision.observation);
      } else if (previous) listing.removals.push(key);
      const mark = newGraceMark(ctx.policy, job, previous, decision);
      if (mark) listing.marked.push(mark);

      if (decision.eligible) {
        listing.candidates.push({ job, decision });
        continue;
      }
      tally.decided(job, decision, "skipped");
      if (!COUNTED_ONLY.has(decision.reason))
        entries.push(jobDecisionEntry(trail, job, decision, "skipped", decision.reason));
    }
    for (const bad of page.value.malformed) {
      tally.counts.jobsSeen++;
      tally.counts.skipped++;
      tally.reason("malformed-job");
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
  if (!listing.problem) for (const key of stored.keys()) if (!seen.has(key)) listing.removals.push(key);
  return listing;
}

/**
 * The job's grace mark when this decision set it (no mark for the same rule and action was stored): the moment
 * its owner is told, once per job, rule and action. Earliest action: the mark plus the grace period.
 */
function newGraceMark(
  policy: Policy,
  job: JobSnapshot,
  previous: Observation | undefined,
  decision: JobDecision,
): UpcomingJob | undefined {
  const next = decision.observation;
  if (!next?.firstEligibleAt || !next.eligibleRule || !next.eligibleAction) return undefined;
  // decideJob keeps a stored mark only for the same instance, state, rule and action.
  const sameMark =
    previous?.firstEligibleAt === next.firstEligibleAt &&
    previous.eligibleRule === next.eligibleRule &&
    previous.eligibleAction === next.eligibleAction;
  if (sameMark) return undefined;
  const graceMs = parseDurationMs(policy.guards.gracePeriod, "guards.gracePeriod");
  return {
    jobId: job.id,
    subscriptionId: job.subscriptionId,
    resourceGroup: job.resourceGroup,
    jobName: job.name,
    state: job.state,
    rule: next.eligibleRule,
    action: next.eligibleAction,
    firstEligibleAt: next.firstEligibleAt,
    earliestActionAt: new Date(Date.parse(next.firstEligibleAt) + graceMs).toISOString(),
    tags: job.tags,
  };
}

/** A page is fetched only with time left to act on it and with the lease still ours. */
async function pageMayStart(ctx: ListingContext, lease: HeldLease): Promise<ListingProblem | undefined> {
  if (ctx.arm.timeLeftMs() < ctx.actionMarginMs)
    return { reason: "deadline", message: "run deadline reached while listing" };
  if (!(await lease.stillHeld()))
    return { reason: "lease-held", message: "the subscription's lease was lost while listing" };
  return undefined;
}
