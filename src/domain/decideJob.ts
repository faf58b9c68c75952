import { ageInState } from "./ageInState";
import { parseDurationMs } from "./duration";
import { matchesAnyGlob } from "./glob";
import { DATABOX_CUSTOMER_DISK_SKU, type JobSnapshot } from "./job";
import { actionableState, canonicalState, serviceAllows } from "./jobStates";
import { freshObservation, observationOfCurrentState } from "./observation";
import type { Policy, PolicyRule } from "./policy/schema";
import type { Observation } from "./records";
import { parseRfc3339 } from "./rfc3339";
import type { Action, AgeBasis, Reason } from "./vocabulary";

export interface DecideContext {
  /** The effective policy (from `parsePolicy` / `loadPolicy` / `DEFAULT_POLICY`). */
  policy: Policy;
  now: Date;
  /** What the janitor stored about this job last time, if anything. */
  observation?: Observation;
}

export interface JobDecision {
  /** `none`, or the matched rule's action (also when a guard holds it back: then `eligible` is false). */
  action: Action;
  reason: Reason;
  /** Name of the rule that matched, if one did. */
  rule?: string;
  /** True only when the job should be acted on now (before the run's caps and breaker). */
  eligible: boolean;
  /** Present once the job got past scope, exemptions and the state check. */
  ageDays?: number;
  ageBasis?: AgeBasis;
  /** The job's state as read, so a re-check can tell that it changed. */
  state: string;
  /** One line saying why, for `explain` and the decision API; never personal data. */
  detail: string;
  /**
   * What to store about the job after this sighting; undefined = remove any stored observation. Kept while the
   * job's age rests on the janitor's own first observation, or while it carries a first-eligible mark.
   */
  observation: Observation | undefined;
}

/**
 * What the policy asks for one job, now (docs/policy.md#how-a-decision-is-made). Pure. The checks, in order; the first
 * that applies gives the reason:
 *  1. out-of-scope: a Data Box order that is not a customer-disk job, or subscription, resource group or job
 *     type outside `scope`;
 *  2. exempt-tag, then exempt-name;
 *  3. unknown-state: a state the service does not document;
 *  4. no-rule: no enabled rule names the job's source, state (case-insensitive) and job type, or the job is Closed and
 *     `guards.closedCountsAsCompleted` is off (a known state no rule may act in); else the first rule decides;
 *  5. too-young: age in state (with its basis) below the rule's `olderThan`;
 *  6. tracking-number-present: Creating with a delivery tracking number (drives may be on the way), guard on;
 *  7. already-cancel-requested: a cancel for a job that already has `cancelRequested: true`;
 *  8. not-allowed-in-state: the source's table never allows the action in this state (belt and braces: a
 *     parsed policy cannot contain such a rule); service-flag-no: a Data Box job whose own flag (isDeletable,
 *     isCancellable) does not say yes;
 *  9. grace-period: eligible, but not yet continuously for `guards.gracePeriod` under this rule and action;
 * 10. rule-matched: eligible.
 * A job that fails any check before 9 loses its first-eligible mark; a mark made under another rule or action
 * does not count (a new one starts), so a trial policy cannot use up the grace period of another.
 */
export function decideJob(job: JobSnapshot, ctx: DecideContext): JobDecision {
  const { policy, now } = ctx;
  const stop = (reason: Reason, detail: string): JobDecision => ({
    action: "none",
    reason,
    eligible: false,
    state: job.state,
    detail,
    observation: undefined,
  });

  const outOfScope = scopeProblem(job, policy);
  if (outOfScope !== undefined) return stop("out-of-scope", outOfScope);
  const tag = exemptingTag(job, policy);
  if (tag !== undefined) return stop("exempt-tag", `exempt by its tag "${tag}"`);
  if (matchesAnyGlob(policy.exemptions.jobNames, job.name)) return stop("exempt-name", "exempt by its name");
  const options = { closedCountsAsCompleted: policy.guards.closedCountsAsCompleted };
  const state = canonicalState(job.state, job.source);
  if (state === undefined) {
    return stop("unknown-state", `state "${job.state}" is not one the service documents`);
  }

  // From here the job is ours to watch: its age is worth knowing and, without a service timestamp, worth
  // remembering (the first sighting in this state is the only evidence there will be).
  const age = ageInState(job, now, ctx.observation);
  const previous = observationOfCurrentState(job, ctx.observation);
  // Made only where it is kept (age evidence, a mark): most jobs seen are too young and need none.
  const seen = (): Observation =>
    previous
      ? {
          ...withoutMark(previous),
          subscriptionId: job.subscriptionId,
          // A sighting "after now" (another worker's clock running ahead) is no older than now.
          firstSeenInStateAt: new Date(
            Math.min(parseRfc3339(previous.firstSeenInStateAt) ?? now.getTime(), now.getTime()),
          ).toISOString(),
        }
      : freshObservation(job, now);
  const evidence = age.basis === "first-observed" ? seen() : undefined;
  const aged = { state: job.state, ageDays: age.ageDays, ageBasis: age.basis, observation: evidence };

  if (actionableState(state, options, job.source) === undefined) {
    // Closed is documented, but outside the service's documented delete set unless the policy says otherwise.
    return {
      ...aged,
      action: "none",
      reason: "no-rule",
      eligible: false,
      detail: `no rule may act in ${state} unless guards.closedCountsAsCompleted is true`,
    };
  }
  const rule = firstMatchingRule(job, state, policy);
  if (rule === undefined) {
    return {
      ...aged,
      action: "none",
      reason: "no-rule",
      eligible: false,
      detail: `no enabled rule for ${state}`,
    };
  }
  const held = (reason: Reason, detail: string): JobDecision => ({
    ...aged,
    action: rule.action,
    rule: rule.name,
    reason,
    eligible: false,
    detail,
  });

  const olderThanMs = parseDurationMs(rule.olderThan, `rule ${rule.name}: olderThan`);
  if (age.ageMs < olderThanMs) {
    return held("too-young", `${age.ageDays} days in ${state} (${age.basis}), rule wants ${rule.olderThan}`);
  }
  if (
    job.source === "importexport" &&
    state === "Creating" &&
    job.hasDeliveryTrackingNumber &&
    policy.guards.skipCreatingWithTrackingNumber
  ) {
    return held("tracking-number-present", "has a delivery tracking number: drives may be on the way");
  }
  if (rule.action === "cancel" && job.cancelRequested === true) {
    return held("already-cancel-requested", "a cancel was already requested");
  }
  if (!serviceAllows(rule.action, state, options, job.source)) {
    return held("not-allowed-in-state", `the service does not allow ${rule.action} in ${state}`);
  }
  const flag = serviceFlagProblem(job, rule.action);
  if (flag !== undefined) return held("service-flag-no", flag);

  // Eligible now. The grace period runs from the first eligible sighting under this rule and action, kept while
  // eligibility lasts. A mark without a rule and action (stored by an older version) counts as none.
  const sameMark = previous?.eligibleRule === rule.name && previous.eligibleAction === rule.action;
  const markMs = sameMark ? parseRfc3339(previous.firstEligibleAt) : undefined;
  const markedAt = Math.min(markMs ?? now.getTime(), now.getTime());
  const marked: Observation = {
    ...(evidence ?? seen()),
    firstEligibleAt: new Date(markedAt).toISOString(),
    eligibleRule: rule.name,
    eligibleAction: rule.action,
  };
  const graceMs = parseDurationMs(policy.guards.gracePeriod, "guards.gracePeriod");
  if (now.getTime() - markedAt < graceMs) {
    return {
      ...held(
        "grace-period",
        `eligible since ${marked.firstEligibleAt}, grace period ${policy.guards.gracePeriod}`,
      ),
      observation: marked,
    };
  }
  return {
    ...aged,
    action: rule.action,
    rule: rule.name,
    reason: "rule-matched",
    eligible: true,
    detail: `${age.ageDays} days in ${state} (${age.basis}), rule ${rule.name} wants ${rule.olderThan}`,
    observation: marked,
  };
}

/** True when the decision asks for an action now. */
export function isActionable(decision: JobDecision): boolean {
  return decision.eligible && decision.action !== "none";
}

export type Recheck =
  { proceed: true; decision: JobDecision } | { proceed: false; reason: Reason; decision?: JobDecision };

/**
 * The last look before acting (README.md, "Safety comes first"; docs/policy.md#how-a-decision-is-made): decide again on a fresh read of the job, carrying the
 * observation the original decision returned, and proceed only when the fresh decision is eligible for the same
 * action in the same state. `fresh` undefined means the job is no longer there.
 */
export function recheckBeforeAction(
  original: JobDecision,
  fresh: JobSnapshot | undefined,
  ctx: Omit<DecideContext, "observation">,
): Recheck {
  if (fresh === undefined) return { proceed: false, reason: "gone" };
  if (!isActionable(original)) return { proceed: false, reason: original.reason };
  const decision = decideJob(fresh, { ...ctx, observation: original.observation });
  if (canonicalState(fresh.state, fresh.source) !== canonicalState(original.state, fresh.source)) {
    return { proceed: false, reason: "state-changed", decision };
  }
  if (!isActionable(decision)) return { proceed: false, reason: decision.reason, decision };
  if (decision.action !== original.action) return { proceed: false, reason: "state-changed", decision };
  return { proceed: true, decision };
}

function scopeProblem(job: JobSnapshot, policy: Policy): string | undefined {
  // Data Box orders of any other SKU are devices, not Import/Export jobs: never the janitor's to touch.
  if (job.source === "databox" && job.sku !== DATABOX_CUSTOMER_DISK_SKU)
    return job.sku === undefined
      ? "a Data Box job without a SKU is not known to be an Import/Export job"
      : `a Data Box device order (SKU ${job.sku}), not an Import/Export job`;
  const { scope } = policy;
  const sub = job.subscriptionId.toLowerCase();
  const listed = (ids: readonly string[]) => ids.some((id) => id === "*" || id.toLowerCase() === sub);
  if (!listed(scope.subscriptions) || listed(scope.excludeSubscriptions)) return "subscription not in scope";
  if (!matchesAnyGlob(scope.resourceGroups, job.resourceGroup)) return "resource group not in scope";
  if (matchesAnyGlob(scope.excludeResourceGroups, job.resourceGroup)) return "resource group excluded";
  if (!sameJobType(scope.jobTypes, job.jobType)) return `job type "${job.jobType}" not in scope`;
  return undefined;
}

/** Tag names and values compare case-insensitively (Azure tag names are; for values, erring towards exempt). */
function exemptingTag(job: JobSnapshot, policy: Policy): string | undefined {
  const exemptions = Object.entries(policy.exemptions.tags).map(([k, v]) => [
    k.toLowerCase(),
    v.toLowerCase(),
  ]);
  for (const [key, value] of Object.entries(job.tags)) {
    if (exemptions.some(([k, v]) => k === key.toLowerCase() && v === value.toLowerCase())) return key;
  }
  return undefined;
}

function firstMatchingRule(job: JobSnapshot, state: string, policy: Policy): PolicyRule | undefined {
  return policy.rules.find(
    (rule) =>
      rule.enabled &&
      rule.sources.includes(job.source) &&
      rule.states.some((s) => s === state) &&
      sameJobType(rule.jobTypes, job.jobType),
  );
}

function sameJobType(types: readonly string[], jobType: string): boolean {
  const wanted = jobType.toLowerCase();
  return types.some((t) => t.toLowerCase() === wanted);
}

/**
 * A Data Box job is acted on only when the service's own flag on this read says yes as well (a missing flag is
 * no): the flag is necessary, never sufficient (docs/service.md#data-box-jobs).
 */
function serviceFlagProblem(job: JobSnapshot, action: "delete" | "cancel"): string | undefined {
  if (job.source !== "databox") return undefined;
  const flag = action === "delete" ? "isDeletable" : "isCancellable";
  const value = job[flag];
  if (value === true) return undefined;
  return value === undefined ? `the service does not say ${flag}` : `the service says ${flag}: false`;
}

function withoutMark(observation: Observation): Observation {
  const { firstEligibleAt: _at, eligibleRule: _rule, eligibleAction: _action, ...rest } = observation;
  return rest;
}
