// The shared vocabulary of decisions, outcomes and runs (docs/policy.md#how-a-decision-is-made,
// README.md#the-audit-log), as data so that validation (policy, HTTP queries, CLI flags) and the code use one
// list.

export const ACTIONS = ["delete", "cancel", "none"] as const;
export type Action = (typeof ACTIONS)[number];
export type JobAction = Exclude<Action, "none">;

export const OUTCOMES = ["planned", "succeeded", "skipped", "refused", "failed", "deferred"] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const REASONS = [
  "rule-matched",
  "exempt-tag",
  "exempt-name",
  "out-of-scope",
  "tracking-number-present",
  "grace-period",
  "already-cancel-requested",
  "state-changed",
  "gone",
  "cap-run",
  "cap-subscription",
  "breaker-tripped",
  "throttled",
  "service-refused",
  "unknown-state",
  "listing-failed",
  "paused",
  "no-rule",
  "too-young",
  "subscription-state",
  "lease-held",
  "deadline",
  "transient-error",
  "malformed-job",
  "audit-failed",
  // The policy's action is one the service never allows in the job's state (a hand-built policy: a parsed one
  // refuses such rules). Never sent.
  "not-allowed-in-state",
  // Applying a saved plan (docs/operations.md#9-plans-and-approval): the job is no longer as the plan saw it
  // (state, cancelRequested, version evidence) or no longer eligible under the plan's policy; or the approver
  // took it out of the plan.
  "plan-stale",
  "plan-excluded",
  // A plan's review: approved, rejected, or past its expiry (entries of the plan run, action none).
  "plan-approved",
  "plan-rejected",
  "plan-expired",
  // An apply run that ended without acting (failed or paused before any intent) gave its claim back: the plan
  // is approved again and can be applied (an entry of the plan run, action none).
  "plan-released",
  // A Data Box job whose own flag (isDeletable, isCancellable) on the latest read does not say yes: the service
  // would refuse, whatever the janitor's table says (docs/service.md#data-box-jobs). Never sent.
  "service-flag-no",
] as const;
export type Reason = (typeof REASONS)[number];

export const TRIGGERS = ["timer", "http", "cli"] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const MODES = ["plan", "apply"] as const;
export type Mode = (typeof MODES)[number];

export const PHASES = ["intent", "outcome"] as const;
export type Phase = (typeof PHASES)[number];

export const RUN_STATUSES = ["queued", "running", "succeeded", "partial", "failed", "paused"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** How the age of a job in its current state was established (docs/policy.md#how-old-is-a-job). */
export const AGE_BASES = [
  "systemData.createdAt",
  "systemData.lastModifiedAt",
  "returnPackage.shipDate",
  // Data Box jobs: when the order was placed (their first stages only).
  "startTime",
  "first-observed",
] as const;
export type AgeBasis = (typeof AGE_BASES)[number];

/** Subscription states ARM reports (docs/service.md#subscription-discovery). */
export const SCANNED_SUBSCRIPTION_STATES = ["Enabled", "Warned", "PastDue"] as const;
