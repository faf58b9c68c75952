import type { AuditEntry, RunCounts } from "../domain/records";
import type { ArmCaller } from "./armCaller";
import { shortMessage, SEQ_ATTEMPT, SEQ_BLOCK, type AuditTrail } from "./auditTrail";
import type { AuditStore, JobsGateway } from "./ports";

/** What an earlier, interrupted attempt at a subscription left behind. */
export interface EarlierAttempt {
  /** Intents with no outcome: the worker stopped between writing the intent and recording the result. */
  dangling: AuditEntry[];
  /** Actions that finished then: the retry will not see those jobs again, so their counts carry over. */
  carried: Partial<RunCounts>;
}

/**
 * Reads what earlier attempts of a work item wrote for each of its subscriptions (by seq block), so a
 * redelivered message can finish the audit trail instead of leaving intents without outcomes.
 */
export async function readEarlierAttempts(
  audit: AuditStore,
  runId: string,
  subscriptions: { subscriptionId: string; slot: number }[],
  attempt: number,
): Promise<Map<number, EarlierAttempt>> {
  const out = new Map<number, EarlierAttempt>();
  if (attempt === 0) return out;
  const wanted = new Set(subscriptions.map((s) => s.slot));
  const entries: AuditEntry[] = [];
  // Only this part's subscriptions, each one query within the run (no need to read the whole run's log).
  for (const { subscriptionId } of subscriptions) {
    let cursor: string | undefined;
    do {
      const page = await audit.query({ runId, subscriptionId, limit: 1000, cursor });
      for (const e of page.items) {
        const slot = Math.floor(e.seq / SEQ_BLOCK);
        const entryAttempt = Math.floor((e.seq % SEQ_BLOCK) / SEQ_ATTEMPT);
        if (wanted.has(slot) && entryAttempt < attempt) entries.push(e);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  entries.sort((a, b) => a.seq - b.seq);

  for (const slot of wanted) {
    const mine = entries.filter((e) => Math.floor(e.seq / SEQ_BLOCK) === slot);
    const dangling: AuditEntry[] = [];
    const carried: Partial<RunCounts> = {};
    for (const intent of mine.filter((e) => e.phase === "intent")) {
      const outcome = mine.find(
        (e) =>
          e.phase === "outcome" &&
          e.seq > intent.seq &&
          e.jobId === intent.jobId &&
          e.action === intent.action,
      );
      if (!outcome) dangling.push(intent);
      else if (outcome.outcome === "succeeded") {
        const key = intent.action === "cancel" ? "cancelled" : "deleted";
        carried[key] = (carried[key] ?? 0) + 1;
        if (key === "deleted") carried.jobsSeen = (carried.jobsSeen ?? 0) + 1;
      }
    }
    out.set(slot, { dangling, carried });
  }
  return out;
}

/**
 * Finishes the audit trail of interrupted actions: re-reads each job and records what is now true. A job gone
 * after a delete intent was deleted (by us, almost surely: the re-read came right after); a job still there was
 * not changed, and the listing that follows decides about it afresh. Nothing is sent here.
 */
export async function closeDanglingIntents(
  dangling: AuditEntry[],
  deps: {
    gateway: JobsGateway;
    arm: ArmCaller;
    trail: AuditTrail;
    signal?: AbortSignal;
    /** How long a request of the dead worker may still be on its way (its ARM timeout, plus a margin). */
    inFlightMs: number;
    now: () => Date;
    sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  },
): Promise<Partial<RunCounts>> {
  const counts: Partial<RunCounts> = {};
  for (const intent of dangling) {
    if (!intent.jobId || !intent.resourceGroup || !intent.jobName) continue;
    const ref = {
      subscriptionId: intent.subscriptionId,
      resourceGroup: intent.resourceGroup,
      name: intent.jobName,
    };
    const settled = (r: Awaited<ReturnType<JobsGateway["getJob"]>>) =>
      intent.action === "delete"
        ? !r.ok && r.failure.kind === "gone"
        : r.ok && r.value.cancelRequested === true;
    // The dead worker's request may still be on its way: until it must have ended, keep re-reading rather than
    // conclude it never happened (and so act a second time).
    const inFlightUntil = Date.parse(intent.timestamp) + deps.inFlightMs;
    let read = await deps.arm.call(ref.subscriptionId, "read", (s) => deps.gateway.getJob(ref, s), {
      signal: deps.signal,
    });
    while (!settled(read) && deps.now().getTime() < inFlightUntil) {
      await deps.sleep(Math.min(1_000, inFlightUntil - deps.now().getTime()), deps.signal);
      read = await deps.arm.call(ref.subscriptionId, "read", (s) => deps.gateway.getJob(ref, s), {
        signal: deps.signal,
      });
    }
    const base = {
      subscriptionId: intent.subscriptionId,
      resourceGroup: intent.resourceGroup,
      jobName: intent.jobName,
      jobId: intent.jobId,
      jobType: intent.jobType,
      stateBefore: intent.stateBefore,
      cancelRequestedBefore: intent.cancelRequestedBefore,
      ageDays: intent.ageDays,
      ageBasis: intent.ageBasis,
      rule: intent.rule,
      action: intent.action,
      phase: "outcome" as const,
    };
    let entry: AuditEntry;
    if (!read.ok && read.failure.kind === "gone" && intent.action === "delete") {
      entry = deps.trail.entry({
        ...base,
        outcome: "succeeded",
        reason: "rule-matched",
        stateAfter: "Deleted",
        errorMessage: "the worker stopped before recording this; the job was gone on retry",
      });
      counts.deleted = (counts.deleted ?? 0) + 1;
      counts.jobsSeen = (counts.jobsSeen ?? 0) + 1;
    } else if (read.ok && intent.action === "cancel" && read.value.cancelRequested === true) {
      entry = deps.trail.entry({
        ...base,
        outcome: "succeeded",
        reason: "rule-matched",
        stateAfter: read.value.state,
        errorMessage: "the worker stopped before recording this; cancelRequested was set on retry",
      });
      counts.cancelled = (counts.cancelled ?? 0) + 1;
    } else {
      entry = deps.trail.entry({
        ...base,
        outcome: "failed",
        reason: read.ok ? "transient-error" : read.failure.kind === "gone" ? "gone" : "transient-error",
        stateAfter: read.ok ? read.value.state : undefined,
        errorMessage: shortMessage(
          read.ok
            ? "the worker stopped before the action was confirmed; the job is unchanged and is decided again"
            : `the worker stopped before the action was confirmed; re-read failed (${read.failure.kind})`,
        ),
      });
      counts.failed = (counts.failed ?? 0) + 1;
    }
    await deps.trail.write([entry]);
  }
  return counts;
}
