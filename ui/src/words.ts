// Reason codes of the audit vocabulary in words, for people.
export const REASON_WORDS: Record<string, string> = {
  "rule-matched": "a policy rule matched",
  "exempt-tag": "exempt by a tag",
  "exempt-name": "exempt by its name",
  "out-of-scope": "outside the policy's scope",
  "tracking-number-present": "a draft that already has a tracking number",
  "grace-period": "eligible, waiting out the grace period",
  "already-cancel-requested": "a cancel was already requested",
  "state-changed": "its state changed before acting",
  gone: "the job no longer exists",
  "cap-run": "the run's action cap was reached",
  "cap-subscription": "the subscription's action cap was reached",
  "breaker-tripped": "the breaker tripped: too many of the subscription's jobs would be acted on",
  throttled: "ARM throttled the requests",
  "service-refused": "the service refused the action",
  "unknown-state": "a state the service does not document",
  "listing-failed": "the subscription's jobs could not be listed",
  paused: "the janitor is paused",
  "no-rule": "no rule covers this job",
  "too-young": "not old enough for its rule",
  "subscription-state": "the subscription is not enabled",
  "lease-held": "another run holds the subscription",
  deadline: "the run ran out of time",
  "transient-error": "a transient error",
  "malformed-job": "the job's data could not be read",
  "audit-failed": "the audit log could not be written",
  "not-allowed-in-state": "the service does not allow this action in the job's state",
  "plan-stale": "the job changed since the plan was made",
  "plan-excluded": "excluded from the plan by its approver",
};

export const reasonWords = (code: string): string => REASON_WORDS[code] ?? code;

export const ACTIONS = ["delete", "cancel", "none"];
export const OUTCOMES = ["planned", "succeeded", "skipped", "refused", "failed", "deferred"];

export function duration(from?: string, to?: string): string {
  if (!from || !to) return "";
  const ms = Date.parse(to) - Date.parse(from);
  if (!(ms >= 0)) return "";
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

export const when = (iso?: string): string => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "");
