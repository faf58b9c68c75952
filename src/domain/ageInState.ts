import type { JobSnapshot } from "./job";
import { canonicalState } from "./jobStates";
import { observationOfCurrentState } from "./observation";
import type { Observation } from "./records";
import type { AgeBasis } from "./vocabulary";

const DAY_MS = 86_400_000;

export interface AgeInState {
  /** Milliseconds since the job entered its current state, by the evidence in `basis`; never negative. */
  ageMs: number;
  /** `ageMs` in days, rounded down to two decimals (for the audit log; decisions compare `ageMs`). */
  ageDays: number;
  basis: AgeBasis;
  /** ISO 8601 time the evidence says the job entered its state (`now` for a fresh sighting). */
  since: string;
}

/**
 * How long a job has been in its current state (PRODUCT.md section 2), from evidence and never guessed older:
 * - Creating: `systemData.createdAt` (the job starts life in Creating);
 * - any other state: `systemData.lastModifiedAt`, else for Completed `returnPackage.shipDate` (drives sent back
 *   is when a job completes);
 * - no usable timestamp: the janitor's own first observation of the job *in this state*. An observation of
 *   another state (or another job) is no evidence: the job is then a fresh sighting, age 0.
 * A timestamp in the future (clock skew) counts as age 0; an unparseable one is ignored.
 */
export function ageInState(job: JobSnapshot, now: Date, observation?: Observation): AgeInState {
  const state = canonicalState(job.state);
  const evidence: [AgeBasis, string | undefined][] =
    state === "Creating"
      ? [["systemData.createdAt", job.createdAt]]
      : [
          ["systemData.lastModifiedAt", job.lastModifiedAt],
          ["returnPackage.shipDate", state === "Completed" ? job.returnShipDate : undefined],
        ];
  for (const [basis, timestamp] of evidence) {
    const at = parseTimestamp(timestamp);
    if (at !== undefined) return age(basis, at, now);
  }
  const seen = observationOfCurrentState(job, observation);
  const seenAt = parseTimestamp(seen?.firstSeenInStateAt);
  return age("first-observed", seenAt ?? now.getTime(), now);
}

/** Epoch milliseconds of an ISO 8601 timestamp; undefined when absent, blank or unparseable (no evidence). */
export function parseTimestamp(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function age(basis: AgeBasis, sinceMs: number, now: Date): AgeInState {
  const ageMs = Math.max(0, now.getTime() - sinceMs);
  return {
    ageMs,
    ageDays: Math.floor((ageMs / DAY_MS) * 100) / 100,
    basis,
    since: new Date(Math.min(sinceMs, now.getTime())).toISOString(),
  };
}
