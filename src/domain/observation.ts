import type { JobSnapshot } from "./job";
import type { Observation } from "./records";

// The janitor's memory of a job between runs (records.ts `Observation`): when it first saw the job in its current
// state (age evidence when the service gives no timestamp) and since when it has been continuously eligible
// (the grace period). Both are only meaningful for the state they were recorded in.

/** The observation when it is of this job in its current state (both compared case-insensitively). */
export function observationOfCurrentState(
  job: JobSnapshot,
  observation?: Observation,
): Observation | undefined {
  if (observation === undefined) return undefined;
  const sameJob = observation.jobId.toLowerCase() === job.id.toLowerCase();
  const sameState = observation.state.trim().toLowerCase() === job.state.trim().toLowerCase();
  return sameJob && sameState ? observation : undefined;
}

/** A first sighting of the job in its current state. */
export function freshObservation(job: JobSnapshot, now: Date): Observation {
  return {
    jobId: job.id.toLowerCase(),
    subscriptionId: job.subscriptionId,
    state: job.state,
    firstSeenInStateAt: now.toISOString(),
  };
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
    previous.state !== next.state ||
    previous.firstSeenInStateAt !== next.firstSeenInStateAt ||
    previous.firstEligibleAt !== next.firstEligibleAt
  );
}
