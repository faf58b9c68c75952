// What the engine tells the outside world while it runs (docs/operations.md#notifications). Events carry job
// ids, names, states, rules, dates and counts, never personal data or secrets: the engine has none to give
// (domain/job.ts), and tags travel only so a target's `ownerTag` can be read.
import type { RunCounts } from "../records";
import type { Mode, RunStatus, Trigger } from "../vocabulary";

/** A job whose grace mark was just set: it may be acted on from `earliestActionAt`. */
export interface UpcomingJob {
  jobId: string;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  state: string;
  rule: string;
  action: string;
  firstEligibleAt: string;
  earliestActionAt: string;
  tags: Record<string, string>;
}

export interface RunSummary {
  runId: string;
  trigger: Trigger;
  mode: Mode;
  status: RunStatus;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  counts: RunCounts;
  error?: string;
}

export type JanitorEvent =
  | { type: "upcoming"; runId: string; mode: Mode; jobs: UpcomingJob[] }
  | { type: "run-finished"; run: RunSummary }
  | { type: "run-failed"; run: RunSummary }
  | { type: "breaker-tripped"; runId: string; subscriptionId: string; eligible: number; jobsSeen: number }
  | {
      type: "action-failed";
      runId: string;
      subscriptionId: string;
      resourceGroup: string;
      jobName: string;
      jobId: string;
      action: string;
      outcome: "failed" | "refused";
      reason: string;
      httpStatus?: number;
    }
  | {
      type: "plan-awaiting-approval";
      runId: string;
      planId: string;
      actions: number;
      expiresAt?: string;
      approveUrl?: string;
    };

export type JanitorEventType = JanitorEvent["type"];

/** The summary of a run record that events carry: no requester name (it may be a person's). */
export function runSummary(run: RunSummary): RunSummary {
  return {
    runId: run.runId,
    trigger: run.trigger,
    mode: run.mode,
    status: run.status,
    queuedAt: run.queuedAt,
    ...(run.startedAt && { startedAt: run.startedAt }),
    ...(run.finishedAt && { finishedAt: run.finishedAt }),
    counts: run.counts,
    ...(run.error && { error: run.error }),
  };
}

/** The `plan-awaiting-approval` event, for the saved-plans flow to emit when a plan waits for an approver. */
export function planAwaitingApproval(plan: {
  runId: string;
  planId: string;
  actions: number;
  expiresAt?: string;
  approveUrl?: string;
}): JanitorEvent {
  return { type: "plan-awaiting-approval", ...plan };
}
