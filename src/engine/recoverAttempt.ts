import type { AuditEntry, RunCounts } from "../domain/records";
import type { ArmCaller } from "./armCaller";
import { shortMessage, SEQ_ATTEMPT, SEQ_BLOCK, type AuditTrail } from "./auditTrail";
import { outcomeCounter } from "./sweep/sweepTally";
import type { AuditStore, JobsGateway } from "./ports";

/** What earlier deliveries of this run's work left in one subscription's audit trail. */
export interface EarlierAttempt {
  /** The first attempt number no earlier delivery used: this delivery's entries go there. */
  nextAttempt: number;
  /** Intents with no outcome: the worker stopped between writing the intent and recording the result. */
  dangling: AuditEntry[];
  /**
   * Counts of the actions that ended then (each intent's outcome): this delivery does not act on those jobs
   * again, so their counts carry over. `jobsSeen` counts each such job once.
   */
  carried: Partial<RunCounts>;
  /** Lower-cased ids of every job with an intent in this run: never acted on twice in one run. */
  acted: Set<string>;
  /** Intents written so far: they count against `maxActionsPerSubscription` for the rest of the run. */
  started: number;
}

export const NO_EARLIER_ATTEMPT: Readonly<EarlierAttempt> = Object.freeze({
  nextAttempt: 0,
  dangling: [],
  carried: {},
  acted: new Set<string>(),
  started: 0,
});

/**
 * Reads what earlier deliveries wrote for one subscription of the run (its seq block), so a redelivered part
 * finishes their audit trail, keeps their counts, and stays within the caps they used. Read under the
 * subscription's lease, so no other delivery is writing there meanwhile.
 */
export async function readEarlierAttempt(
  audit: AuditStore,
  runId: string,
  subscriptionId: string,
  slot: number,
): Promise<EarlierAttempt> {
  const mine: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await audit.query({ runId, subscriptionId, limit: 1000, cursor });
    for (const e of page.items) if (Math.floor(e.seq / SEQ_BLOCK) === slot) mine.push(e);
    cursor = page.nextCursor;
  } while (cursor);
  if (mine.length === 0) return { ...NO_EARLIER_ATTEMPT, acted: new Set() };
  mine.sort((a, b) => a.seq - b.seq);

  const lastAttempt = Math.max(...mine.map((e) => Math.floor((e.seq % SEQ_BLOCK) / SEQ_ATTEMPT)));
  const dangling: AuditEntry[] = [];
  const carried: Partial<RunCounts> = {};
  const acted = new Set<string>();
  const add = (key: keyof RunCounts) => (carried[key] = (carried[key] ?? 0) + 1);
  const intents = mine.filter((e) => e.phase === "intent");
  for (const intent of intents) {
    if (intent.jobId) acted.add(intent.jobId.toLowerCase());
    const outcome = mine.find(
      (e) =>
        e.phase === "outcome" &&
        e.seq > intent.seq &&
        e.jobId === intent.jobId &&
        e.action === intent.action &&
        e.outcome !== undefined,
    );
    if (!outcome) {
      dangling.push(intent);
      continue;
    }
    add("jobsSeen");
    const key = outcomeCounter(outcome.outcome!, intent.action);
    if (key) add(key);
  }
  return { nextAttempt: lastAttempt + 1, dangling, carried, acted, started: intents.length };
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
            ? "the worker stopped before the action was confirmed; the job is unchanged and is decided again next run"
            : `the worker stopped before the action was confirmed; re-read failed (${read.failure.kind})`,
        ),
      });
      counts.failed = (counts.failed ?? 0) + 1;
    }
    counts.jobsSeen = (counts.jobsSeen ?? 0) + 1;
    await deps.trail.write([entry]);
  }
  return counts;
}
