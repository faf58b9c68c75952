import type { AuditEntry, RunCounts } from "../domain/records";
import type { ArmCaller } from "./armCaller";
import { shortMessage, SEQ_ATTEMPT, SEQ_BLOCK, type AuditTrail } from "./auditTrail";
import { outcomeCounter } from "./sweep/sweepTally";
import { parseSourcedJobResourceId } from "../domain/armIds";
import type { JobRef, JobSnapshot, JobSource } from "../domain/job";
import { showsCancelled } from "../domain/jobStates";
import type { ArmResult, AuditStore, JobsGateway } from "./ports";

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

interface ClosingDeps {
  gateway: JobsGateway;
  arm: ArmCaller;
  trail: AuditTrail;
  signal?: AbortSignal;
  /** How long a request of the dead worker may still be on its way (its ARM timeout, plus a margin). */
  inFlightMs: number;
  now: () => Date;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Finishes the audit trail of interrupted actions: re-reads each job and records what is now true. A job gone
 * after a delete intent was deleted (by us, almost surely: the re-read came right after); a job still there was
 * not changed, and the next run decides about it afresh. Nothing is sent here.
 */
export async function closeDanglingIntents(
  dangling: AuditEntry[],
  deps: ClosingDeps,
): Promise<{ counts: Partial<RunCounts>; unchanged: string[] }> {
  const counts: Partial<RunCounts> = {};
  const unchanged: string[] = [];
  for (const intent of dangling) {
    if (!intent.jobId || !intent.resourceGroup || !intent.jobName) continue;
    const read = await settledRead(intent, deps);
    const { entry, counter } = closingEntry(intent, read, deps.trail);
    await deps.trail.write([entry]);
    counts[counter] = (counts[counter] ?? 0) + 1;
    // A job read back unchanged after the in-flight window was not acted on: the next run decides it afresh.
    if (counter === "failed" && read.ok) unchanged.push(intent.jobId.toLowerCase());
    counts.jobsSeen = (counts.jobsSeen ?? 0) + 1;
  }
  return { counts, unchanged };
}

/**
 * Reads the job of an open intent. The dead worker's request may still be on its way: until it must have ended,
 * keep re-reading rather than conclude it never happened (and so record it as not done).
 */
async function settledRead(intent: AuditEntry, deps: ClosingDeps): Promise<ArmResult<JobSnapshot>> {
  const ref: JobRef = {
    source: intentSource(intent),
    subscriptionId: intent.subscriptionId,
    resourceGroup: intent.resourceGroup!,
    name: intent.jobName!,
  };
  const read = () =>
    deps.arm.call(ref.subscriptionId, "read", (s) => deps.gateway.getJob(ref, s), { signal: deps.signal });
  const settled = (r: ArmResult<JobSnapshot>) =>
    intent.action === "delete" ? !r.ok && r.failure.kind === "gone" : r.ok && showsCancelled(r.value);
  const inFlightUntil = Date.parse(intent.timestamp) + deps.inFlightMs;
  let result = await read();
  while (!settled(result) && deps.now().getTime() < inFlightUntil) {
    await deps.sleep(Math.min(1_000, inFlightUntil - deps.now().getTime()), deps.signal);
    result = await read();
  }
  return result;
}

/** The source of an intent's job: as recorded, else as its resource id names it (entries before Data Box). */
function intentSource(intent: AuditEntry): JobSource {
  return intent.source ?? parseSourcedJobResourceId(intent.jobId)?.source ?? "importexport";
}

/** The outcome entry that closes an open intent, from what the read shows, and the run counter it adds to. */
function closingEntry(
  intent: AuditEntry,
  read: ArmResult<JobSnapshot>,
  trail: AuditTrail,
): { entry: AuditEntry; counter: keyof RunCounts } {
  const base = {
    subscriptionId: intent.subscriptionId,
    resourceGroup: intent.resourceGroup,
    jobName: intent.jobName,
    jobId: intent.jobId,
    source: intent.source,
    jobType: intent.jobType,
    stateBefore: intent.stateBefore,
    cancelRequestedBefore: intent.cancelRequestedBefore,
    ageDays: intent.ageDays,
    ageBasis: intent.ageBasis,
    rule: intent.rule,
    action: intent.action,
    phase: "outcome" as const,
  };
  if (!read.ok && read.failure.kind === "gone" && intent.action === "delete") {
    const entry = trail.entry({
      ...base,
      outcome: "succeeded",
      reason: "rule-matched",
      stateAfter: "Deleted",
      errorMessage: "the worker stopped before recording this; the job was gone on retry",
    });
    return { entry, counter: "deleted" };
  }
  if (read.ok && intent.action === "cancel" && showsCancelled(read.value)) {
    const entry = trail.entry({
      ...base,
      outcome: "succeeded",
      reason: "rule-matched",
      stateAfter: read.value.state,
      errorMessage: "the worker stopped before recording this; the job showed the cancel on retry",
    });
    return { entry, counter: "cancelled" };
  }
  const entry = trail.entry({
    ...base,
    outcome: "failed",
    reason: !read.ok && read.failure.kind === "gone" ? "gone" : "transient-error",
    stateAfter: read.ok ? read.value.state : undefined,
    errorMessage: shortMessage(
      read.ok
        ? "the worker stopped before the action was confirmed; the job is unchanged and is decided again next run"
        : `the worker stopped before the action was confirmed; re-read failed (${read.failure.kind})`,
    ),
  });
  return { entry, counter: "failed" };
}
