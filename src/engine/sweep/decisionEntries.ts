import type { JobDecision } from "../../domain/decideJob";
import type { JobSnapshot } from "../../domain/job";
import type { AuditEntry } from "../../domain/records";
import type { Outcome, Reason } from "../../domain/vocabulary";
import { jobAuditFields, type AuditTrail } from "../auditTrail";

/** An outcome entry about one job's decision (planned, skipped, deferred...). */
export function jobDecisionEntry(
  trail: AuditTrail,
  job: JobSnapshot,
  decision: JobDecision,
  outcome: Outcome,
  reason: Reason,
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return trail.entry({
    ...jobAuditFields(job),
    ageDays: decision.ageDays,
    ageBasis: decision.ageBasis,
    rule: decision.rule,
    action: decision.action,
    phase: "outcome",
    outcome,
    reason,
    ...extra,
  });
}

/** An outcome entry about the whole subscription (lease held, listing failed, breaker tripped...). */
export function subscriptionEntry(
  trail: AuditTrail,
  subscriptionId: string,
  outcome: Outcome,
  reason: Reason,
  extra: Partial<AuditEntry> = {},
): AuditEntry {
  return trail.entry({ subscriptionId, action: "none", phase: "outcome", outcome, reason, ...extra });
}
