import type { AuditEntry } from "../../domain/records";
import type { Outcome, Reason } from "../../domain/vocabulary";
import type { ArmFailure } from "../ports";

export interface ActOutcome extends Partial<AuditEntry> {
  outcome: Outcome;
  reason: Reason;
}

/**
 * The outcome of a request that did not succeed. `during` tells a refusal of the action itself (`refused`)
 * from a failed read before it. The service's own error text never goes into the audit log (it can quote
 * names and addresses): its error code does, beside the janitor's own words.
 */
export function failureOutcome(failure: ArmFailure, during: "read" | "action"): ActOutcome {
  const details = {
    httpStatus: failure.status,
    errorCode: failureCode(failure),
    errorMessage: failureText(failure),
  };
  switch (failure.kind) {
    case "gone":
      return { outcome: "skipped", reason: "gone", stateAfter: "Deleted", ...details };
    case "throttled":
      return { outcome: "deferred", reason: "throttled", ...details };
    case "not-allowed":
      return during === "action"
        ? { outcome: "refused", reason: "service-refused", ...details }
        : { outcome: "failed", reason: "service-refused", ...details };
    case "malformed":
      return { outcome: "skipped", reason: "malformed-job", ...details };
    case "transient":
      return { outcome: "failed", reason: "transient-error", ...details };
  }
}

export function failureCode(failure: ArmFailure | undefined): string | undefined {
  if (!failure) return undefined;
  return "code" in failure ? failure.code : undefined;
}

const FAILURE_WORDS: Record<ArmFailure["kind"], string> = {
  "not-allowed": "the service refused the request",
  gone: "the job no longer exists",
  throttled: "throttled by ARM",
  transient: "no usable answer from ARM (server error, timeout or dropped connection)",
  malformed: "the answer could not be read",
};

/**
 * The janitor's own words for a failure, with the HTTP status. Only `malformed` adds detail, and that detail is
 * the janitor's own (which field was missing); the service's messages are never quoted.
 */
export function failureText(failure: ArmFailure): string {
  const status = failure.status ? ` (HTTP ${failure.status})` : "";
  const detail = failure.kind === "malformed" && failure.message ? `: ${failure.message}` : "";
  return `${FAILURE_WORDS[failure.kind]}${status}${detail}`;
}
