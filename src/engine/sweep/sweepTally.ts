import type { JobDecision } from "../../domain/decideJob";
import type { JobSnapshot } from "../../domain/job";
import { ZERO_COUNTS, type RunCounts } from "../../domain/records";
import type { Action, Outcome, Reason } from "../../domain/vocabulary";

/** One job's decision as the CLI's `--json` and progress output show it (docs/operations.md, "CLI"). */
export interface DecisionReport {
  jobId: string;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  jobType: string;
  state: string;
  action: JobDecision["action"];
  outcome: Outcome;
  reason: Reason;
  rule?: string;
  ageDays?: number;
  ageBasis?: JobDecision["ageBasis"];
}

/** What one subscription's sweep counted: outcomes, reasons, and reports to the caller as they happen. */
export class SweepTally {
  readonly counts: RunCounts = { ...ZERO_COUNTS };
  readonly reasons: Record<string, number> = {};

  constructor(private readonly onDecision?: (report: DecisionReport) => void) {}

  /** Counts one job's outcome and reason, and reports it. */
  decided(job: JobSnapshot, decision: JobDecision, outcome: Outcome, reason: Reason = decision.reason): void {
    const key = outcomeCounter(outcome, decision.action);
    if (key) this.counts[key]++;
    this.reason(reason);
    this.onDecision?.({
      jobId: job.id,
      subscriptionId: job.subscriptionId,
      resourceGroup: job.resourceGroup,
      jobName: job.name,
      jobType: job.jobType,
      state: job.state,
      action: decision.action,
      outcome,
      reason,
      rule: decision.rule,
      ageDays: decision.ageDays,
      ageBasis: decision.ageBasis,
    });
  }

  reason(reason: Reason | "lease-held"): void {
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
  }

  add(delta: Partial<RunCounts>): void {
    for (const [key, n] of Object.entries(delta) as [keyof RunCounts, number][]) this.counts[key] += n;
  }
}

/** The run counter an outcome goes to: `succeeded` counts as `deleted` or `cancelled` by its action. */
export function outcomeCounter(outcome: Outcome, action: Action): keyof RunCounts | undefined {
  switch (outcome) {
    case "planned":
      return "planned";
    case "succeeded":
      return action === "cancel" ? "cancelled" : action === "delete" ? "deleted" : undefined;
    case "skipped":
      return "skipped";
    case "refused":
      return "refused";
    case "failed":
      return "failed";
    case "deferred":
      return "deferred";
  }
}
