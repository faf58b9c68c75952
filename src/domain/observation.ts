import type { JobSnapshot } from "./job";
import type { Observation } from "./records";
import { parseRfc3339 } from "./rfc3339";

// The janitor's memory of a job between runs (records.ts `Observation`): when it first saw the job in its current
// state (age evidence when the service gives no timestamp) and since when it has been continuously eligible
// (the grace period). Both are only meaningful for the job instance and the state they were recorded in.

/**
 * The observation when it is of this job instance in its current state: the same id and state (compared
 * case-insensitively) and the same `systemData.createdAt`, as an instant. A job deleted and re-created under the
 * same id has another createdAt, so it starts fresh. When neither side has a createdAt the id alone decides (the
 * engine forgets jobs that a complete listing no longer shows, which covers a re-creation between two runs).
 * An observation with a createdAt the job lacks, or the other way round, is of another instance (fail safe: a
 * fresh sighting is younger, never older).
 */
export function observationOfCurrentState(
  job: JobSnapshot,
  observation?: Observation,
): Observation | undefined {
  if (observation === undefined) return undefined;
  const sameJob = observation.jobId.toLowerCase() === job.id.toLowerCase();
  const sameInstance = instanceKey(observation.jobCreatedAt, "stored") === instanceKey(job.createdAt, "job");
  const sameState = observation.state.trim().toLowerCase() === job.state.trim().toLowerCase();
  return sameJob && sameInstance && sameState ? observation : undefined;
}

/** A first sighting of the job in its current state. */
export function freshObservation(job: JobSnapshot, now: Date): Observation {
  const createdAt = jobCreatedAt(job);
  return {
    jobId: job.id.toLowerCase(),
    subscriptionId: job.subscriptionId,
    ...(createdAt !== undefined && { jobCreatedAt: createdAt }),
    state: job.state,
    firstSeenInStateAt: now.toISOString(),
  };
}

/** The job's createdAt as stored in an observation: RFC 3339 in UTC, or undefined when it has no valid one. */
export function jobCreatedAt(job: JobSnapshot): string | undefined {
  const ms = parseRfc3339(job.createdAt);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** Whether the store must change: `next` differs from `previous` (undefined = no observation kept). */
export function observationChanged(
  previous: Observation | undefined,
  next: Observation | undefined,
): boolean {
  if (previous === undefined || next === undefined) return previous !== next;
  return (
    previous.jobId !== next.jobId ||
    previous.subscriptionId !== next.subscriptionId ||
    previous.jobCreatedAt !== next.jobCreatedAt ||
    previous.state !== next.state ||
    previous.firstSeenInStateAt !== next.firstSeenInStateAt ||
    previous.firstEligibleAt !== next.firstEligibleAt ||
    previous.eligibleRule !== next.eligibleRule ||
    previous.eligibleAction !== next.eligibleAction
  );
}

/**
 * The instant a createdAt names, as a comparable key. A job without a valid createdAt has none; a stored value
 * that cannot be read matches nothing.
 */
function instanceKey(createdAt: string | undefined, side: "stored" | "job"): string {
  if (createdAt === undefined) return "none";
  const ms = parseRfc3339(createdAt);
  if (ms !== undefined) return String(ms);
  return side === "job" ? "none" : "unreadable";
}
