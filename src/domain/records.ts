import type { JobSource } from "./job";
import type {
  Action,
  AgeBasis,
  JobAction,
  Mode,
  Outcome,
  Phase,
  Reason,
  RunStatus,
  Trigger,
} from "./vocabulary";

/** A query of the audit log: a time range or a run or job, narrowed by the other filters, paged by cursor. */
export interface AuditQuery {
  from?: string;
  to?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  jobName?: string;
  jobId?: string;
  runId?: string;
  /** Entries about jobs of this source only. */
  source?: JobSource;
  action?: Action;
  outcome?: Outcome;
  limit?: number;
  cursor?: string;
}

/**
 * One row of the audit log (README.md#the-audit-log). Never personal data from the job, never keys
 * (docs/service.md#job-data).
 */
export interface AuditEntry {
  /** ISO 8601 time the entry was made. */
  timestamp: string;
  runId: string;
  /** Order of the entry within its run (unique per run). */
  seq: number;
  trigger: Trigger;
  mode: Mode;
  actor: string;
  subscriptionId: string;
  resourceGroup?: string;
  jobName?: string;
  jobId?: string;
  /** Which API the job lives in; absent on entries about no job (and on entries written before Data Box). */
  source?: JobSource;
  jobType?: string;
  stateBefore?: string;
  cancelRequestedBefore?: boolean;
  ageDays?: number;
  ageBasis?: AgeBasis;
  rule?: string;
  action: Action;
  phase: Phase;
  outcome?: Outcome;
  reason: Reason;
  httpStatus?: number;
  errorCode?: string;
  /** Short (at most 256 characters), never a response body. */
  errorMessage?: string;
  stateAfter?: string;
  durationMs?: number;
  policyHash: string;
  /** Set on every entry of a run that applies a saved plan: the plan, and who approved it. */
  planId?: string;
  approvedBy?: string;
  /** A plan's approver or rejecter, in their own words (cleaned: no control characters, at most 500). */
  comment?: string;
}

export interface RunCounts {
  subscriptionsScanned: number;
  subscriptionsFailed: number;
  /** Subscriptions not scanned because of their state (Disabled, Deleted) or the policy's scope. */
  subscriptionsSkipped: number;
  /**
   * Subscriptions whose work was left for a later run: held by another run's lease, lease lost, out of time,
   * throttled past the run's time, or stopped by an audit failure elsewhere. Any makes the run `partial`.
   */
  subscriptionsDeferred: number;
  /**
   * Subscriptions Resource Graph's index showed no jobs in (JANITOR_DISCOVERY=resource-graph): in scope and
   * scannable, but not listed. Scanned + failed + skipped + deferred + these = the subscriptions in the run.
   */
  subscriptionsWithoutJobs: number;
  /** Subscriptions where the breaker tripped (too large a share of jobs eligible): no actions there. */
  breakersTripped: number;
  jobsSeen: number;
  planned: number;
  deleted: number;
  cancelled: number;
  skipped: number;
  refused: number;
  failed: number;
  deferred: number;
}

export const ZERO_COUNTS: Readonly<RunCounts> = Object.freeze({
  subscriptionsScanned: 0,
  subscriptionsFailed: 0,
  subscriptionsSkipped: 0,
  subscriptionsDeferred: 0,
  subscriptionsWithoutJobs: 0,
  breakersTripped: 0,
  jobsSeen: 0,
  planned: 0,
  deleted: 0,
  cancelled: 0,
  skipped: 0,
  refused: 0,
  failed: 0,
  deferred: 0,
});

export function addCounts(a: RunCounts, b: Partial<RunCounts>): RunCounts {
  const out = { ...a };
  // `?? 0` on both sides: records stored before a counter existed lack it.
  for (const key of Object.keys(ZERO_COUNTS) as (keyof RunCounts)[]) out[key] = (a[key] ?? 0) + (b[key] ?? 0);
  return out;
}

/** A run record (README.md#how-a-run-works). */
export interface RunRecord {
  runId: string;
  trigger: Trigger;
  mode: Mode;
  requestedBy: string;
  status: RunStatus;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  policyHash: string;
  counts: RunCounts;
  /** Short summary of what went wrong, if anything. */
  error?: string;
  /** Optional: why an operator started it (HTTP `reason`), subscriptions asked for, timer's isPastDue. */
  note?: string;
  subscriptions?: string[];
  isPastDue?: boolean;
  /** Scale-out bookkeeping: work items expected and finished (see functions/ workers). */
  partsTotal?: number;
  partsDone?: number;
  partsFailed?: number;
  /** Indexes of the parts whose counts are already merged, so a redelivered work item adds nothing twice. */
  partsCompleted?: number[];
  /** Actions reserved against maxActionsPerRun across parallel workers. */
  actionsReserved?: number;
  /** The audit log could not be written during the run, so acting stopped: the run is failed. */
  auditFailed?: boolean;
  /**
   * The id of the stored list of the run's parts (see RunStore.saveParts): set once by the first coordinator
   * that planned the run, so a redelivered coordinator reuses the same parts instead of discovering again.
   */
  partsPlanId?: string;
  /**
   * How the run found its subscriptions: `resource-graph` (only those the index showed jobs in were listed),
   * `subscriptions` (every one), or `subscriptions (fallback: <reason>)` when the index could not be used.
   */
  discovery?: string;
  /** Jobs per decision reason (no-rule, too-young, ...), which are counted rather than written one by one. */
  reasons?: Record<string, number>;
  /** Notifications about this run that could not be delivered (retries spent or target refused), and the last why. */
  notificationsFailed?: number;
  notificationError?: string;
  /** A run that applies a saved plan: its id (the plan run's id) and who approved it. */
  planId?: string;
  approvedBy?: string;
}

/**
 * The janitor's own memory of a job between runs: its first sighting in its current state (age evidence when the
 * service gives no timestamp) and its first-eligible mark (the grace period). See docs/policy.md.
 */
export interface Observation {
  /** Lower-cased ARM id of the job. */
  jobId: string;
  subscriptionId: string;
  /**
   * The job's `systemData.createdAt` (RFC 3339, UTC) when the service gave a valid one: which job *instance* this
   * is, so that a job deleted and re-created under the same id never inherits the old one's sightings.
   */
  jobCreatedAt?: string;
  /** State the job was in when first seen in it. */
  state: string;
  firstSeenInStateAt: string;
  /** First run that found the job eligible for an action, continuously since (with the rule and action). */
  firstEligibleAt?: string;
  /** The rule and action the mark was made under; a mark counts only for the same ones. */
  eligibleRule?: string;
  eligibleAction?: JobAction;
}
