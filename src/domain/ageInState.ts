import type { JobSnapshot } from "./job";
import { canonicalState, DATABOX_FIRST_STAGES } from "./jobStates";
import { observationOfCurrentState } from "./observation";
import type { Observation } from "./records";
import { parseRfc3339 } from "./rfc3339";
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
 * How long a job has been in its current state, from evidence and never guessed older (docs/policy.md):
 * - classic Creating: `systemData.createdAt` (the job starts life in Creating);
 * - any other classic state: `systemData.lastModifiedAt`, and for Completed also `returnPackage.shipDate` (drives
 *   sent back is when a job completes): the **newest** of them, since an older one may predate the state (a job
 *   last modified 61 days ago can have shipped back 5 days ago: it has been Completed for 5 days at most);
 * - a Data Box job in its first stages (nothing has moved since the order): `systemData.createdAt` or
 *   `startTime`, the newest; in any later stage `systemData.lastModifiedAt`;
 * - no usable timestamp: the janitor's own first observation of the job instance *in this state*. An observation
 *   of another state (or another job) is no evidence: the job is then a fresh sighting, age 0.
 * Only RFC 3339 date-times with an offset count (`parseRfc3339`); anything else is no evidence. A timestamp in
 * the future (clock skew) counts as age 0.
 */
export function ageInState(job: JobSnapshot, now: Date, observation?: Observation): AgeInState {
  const evidence = job.source === "databox" ? dataBoxEvidence(job) : classicEvidence(job);
  let newest: { basis: AgeBasis; at: number } | undefined;
  for (const [basis, timestamp] of evidence) {
    const at = parseRfc3339(timestamp);
    if (at !== undefined && (newest === undefined || at > newest.at)) newest = { basis, at };
  }
  if (newest !== undefined) return age(newest.basis, newest.at, now);
  const seen = observationOfCurrentState(job, observation);
  const seenAt = parseRfc3339(seen?.firstSeenInStateAt);
  return age("first-observed", seenAt ?? now.getTime(), now);
}

function classicEvidence(job: JobSnapshot): [AgeBasis, string | undefined][] {
  const state = canonicalState(job.state, "importexport");
  return state === "Creating"
    ? [["systemData.createdAt", job.createdAt]]
    : [
        ["systemData.lastModifiedAt", job.lastModifiedAt],
        ["returnPackage.shipDate", state === "Completed" ? job.returnShipDate : undefined],
      ];
}

function dataBoxEvidence(job: JobSnapshot): [AgeBasis, string | undefined][] {
  const stage = canonicalState(job.state, "databox");
  const first = stage !== undefined && (DATABOX_FIRST_STAGES as readonly string[]).includes(stage);
  return first
    ? [
        ["systemData.createdAt", job.createdAt],
        ["startTime", job.startTime],
      ]
    : [["systemData.lastModifiedAt", job.lastModifiedAt]];
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
