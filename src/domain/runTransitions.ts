// A run record's life, as pure transitions: queued -> running (parts planned) -> each part merged exactly once
// -> a final status. Every writer (coordinator, workers, poison handlers, the CLI) goes through these, inside
// the run store's read-modify-write, so the rules live in one place.
import { addCounts, type RunCounts, type RunRecord } from "./records";
import type { RunStatus } from "./vocabulary";

/** What one part contributes to its run when it is merged. */
export interface PartResult {
  counts: Partial<RunCounts>;
  /** Jobs per reason, for the reasons that are counted rather than written one by one. */
  reasons?: Record<string, number>;
  errors?: string[];
  /** The part could not be swept (poison message): counted in `partsFailed`. */
  failed?: boolean;
  /** Acting stopped because the audit log could not be written. */
  auditFailed?: boolean;
}

export function isFinal(run: RunRecord): boolean {
  return run.status !== "queued" && run.status !== "running";
}

/** Parts planned: the run is running. Idempotent: a run already planned keeps its first plan. */
export function startRun(
  run: RunRecord,
  plan: {
    partsTotal: number;
    partsPlanId: string;
    subscriptionsSkipped: number;
    now: string;
    /** How the subscriptions were found (RunRecord.discovery), and how many the index showed no jobs in. */
    discovery?: string;
    subscriptionsWithoutJobs?: number;
  },
): RunRecord {
  if (run.partsTotal !== undefined) return run;
  return {
    ...run,
    status: "running",
    startedAt: run.startedAt ?? plan.now,
    partsTotal: plan.partsTotal,
    partsPlanId: plan.partsPlanId,
    partsDone: 0,
    partsFailed: 0,
    partsCompleted: [],
    counts: addCounts(run.counts, {
      subscriptionsSkipped: plan.subscriptionsSkipped,
      subscriptionsWithoutJobs: plan.subscriptionsWithoutJobs ?? 0,
    }),
    ...(plan.discovery !== undefined && { discovery: plan.discovery }),
  };
}

/** Adds a part's counts to its run, exactly once per part index (a redelivered part adds nothing). */
export function mergePart(run: RunRecord, partIndex: number, part: PartResult): RunRecord {
  if (run.partsCompleted?.includes(partIndex)) return run;
  const reasons: Record<string, number> = { ...(run.reasons ?? {}) };
  for (const [reason, n] of Object.entries(part.reasons ?? {})) reasons[reason] = (reasons[reason] ?? 0) + n;
  return {
    ...run,
    counts: addCounts(run.counts, part.counts),
    reasons,
    partsDone: (run.partsDone ?? 0) + 1,
    partsFailed: (run.partsFailed ?? 0) + (part.failed ? 1 : 0),
    partsCompleted: [...(run.partsCompleted ?? []), partIndex],
    error: joinErrors(run.error, part.errors ?? []),
    auditFailed: run.auditFailed || part.auditFailed === true || undefined,
  };
}

/** Notes a problem on a run that is still going (e.g. a delivery that will be retried). */
export function noteError(run: RunRecord, message: string): RunRecord {
  return isFinal(run) ? run : { ...run, error: joinErrors(run.error, [message]) };
}

/** The run's final status once its last part is merged; unchanged before that, or when already final. */
export function finishIfDone(run: RunRecord, now: string): RunRecord {
  if (isFinal(run) || (run.partsDone ?? 0) < (run.partsTotal ?? 0)) return run;
  return { ...run, status: finalStatus(run), finishedAt: now };
}

export function failRun(run: RunRecord, message: string, now: string): RunRecord {
  return {
    ...run,
    status: "failed",
    startedAt: run.startedAt ?? now,
    finishedAt: now,
    error: joinErrors(run.error, [message]),
  };
}

/** The kill switch: the run records `paused` and did nothing more. */
export function pauseRun(run: RunRecord, message: string, now: string): RunRecord {
  return {
    ...run,
    status: "paused",
    startedAt: run.startedAt ?? now,
    finishedAt: run.finishedAt ?? now,
    error: joinErrors(run.error, [message]),
  };
}

/**
 * Failed when acting had to stop (the audit log) or nothing could be swept; partial when anything fell short:
 * a subscription failed, deferred or tripped its breaker, or a part failed. Only a run that did all its work
 * is `succeeded`.
 */
export function finalStatus(run: RunRecord): RunStatus {
  if (run.auditFailed) return "failed";
  if ((run.partsTotal ?? 0) > 0 && (run.partsFailed ?? 0) >= (run.partsTotal ?? 0)) return "failed";
  const counts = run.counts;
  const scanned = counts.subscriptionsScanned ?? 0;
  if (scanned > 0 && (counts.subscriptionsFailed ?? 0) >= scanned) return "failed";
  if (
    (counts.subscriptionsFailed ?? 0) > 0 ||
    (counts.subscriptionsDeferred ?? 0) > 0 ||
    (counts.breakersTripped ?? 0) > 0 ||
    (run.partsFailed ?? 0) > 0
  )
    return "partial";
  return "succeeded";
}

/** The run's error summary: every message once, in order, kept short (the record is one table entity). */
export function joinErrors(existing: string | undefined, more: string[]): string | undefined {
  const fresh = more.filter((m) => m && !(existing ?? "").includes(m));
  if (fresh.length === 0) return existing;
  const all = [existing, ...fresh].filter(Boolean).join("; ");
  return all.length > 2000 ? `${all.slice(0, 1990)} (more...)` : all;
}
