// The run's limits on acting, as pure rules: the breaker (a suspicious share of a subscription's jobs eligible)
// and the caps (per subscription, across every delivery of the run's work, and per run).
import type { Reason } from "./vocabulary";

export interface ActionLimits {
  maxActionsPerRun: number;
  maxActionsPerSubscription: number;
  maxEligibleFraction: number;
  minJobsForFraction: number;
}

/**
 * True when the breaker trips: a subscription with at least `minJobsForFraction` jobs of which more than
 * `maxEligibleFraction` are eligible gets no actions this run.
 */
export function breakerTrips(eligible: number, jobsSeen: number, limits: ActionLimits): boolean {
  return (
    jobsSeen >= limits.minJobsForFraction && jobsSeen > 0 && eligible / jobsSeen > limits.maxEligibleFraction
  );
}

/**
 * How many of a subscription's candidates may still be acted on in this run: its cap minus the actions earlier
 * deliveries of the same run already started there (a redelivered part must not get a fresh cap).
 */
export function subscriptionAllowance(
  candidates: number,
  alreadyStarted: number,
  limits: Pick<ActionLimits, "maxActionsPerSubscription">,
): number {
  return Math.max(0, Math.min(candidates, limits.maxActionsPerSubscription - alreadyStarted));
}

/**
 * Why the candidate at `index` (in decision order) waits for a later run, if it does: beyond the subscription's
 * allowance it is `cap-subscription`; beyond what the run-wide budget granted, `cap-run`.
 */
export function capReason(index: number, allowance: number, granted: number): Reason | undefined {
  if (index >= allowance) return "cap-subscription";
  if (index >= granted) return "cap-run";
  return undefined;
}
