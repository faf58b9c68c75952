import type { JobSnapshot, JobSource } from "./job";
import type { JobAction } from "./vocabulary";

/**
 * What each source allows in each job state: the one copy of these tables in the code
 * (docs/service.md#state-rules, #data-box-jobs). States a table does not list are never acted on.
 *
 * Classic Import/Export, condensed from the REST docs (`Jobs - Delete`: "only when the job is in Creating or
 * Completed"; `Jobs - Update`: cancel "only before Packaging"). Closed is not in the documented delete set, so the
 * janitor deletes there only when the policy says Closed counts as Completed. Canceled and anything new: never.
 */
export const STATE_RULES = {
  Creating: { delete: "yes", cancel: true },
  Shipping: { delete: "no", cancel: true },
  Received: { delete: "no", cancel: true },
  Transferring: { delete: "no", cancel: true },
  Packaging: { delete: "no", cancel: false },
  Completed: { delete: "yes", cancel: false },
  Closed: { delete: "when-closed-counts-as-completed", cancel: false },
} as const satisfies Record<string, StateRule>;

/**
 * Data Box customer-disk jobs, by stage name (`properties.status`). Delete only in the terminal stages; cancel only
 * in the stages before the customer's disks are on their way (the janitor's own, narrower choice: which stages a
 * customer-disk job passes through is not documented). Either action also needs the service's own flag on a fresh
 * read (`isDeletable`, `isCancellable`), checked by the decision, never by this table. Every other known stage is
 * listed with no action, so a policy may name it (and is refused for an action there); failed stages included.
 */
export const DATABOX_STATE_RULES = {
  DeviceOrdered: { delete: "no", cancel: true },
  AwaitingShipmentDetails: { delete: "no", cancel: true },
  DevicePrepared: { delete: "no", cancel: false },
  Dispatched: { delete: "no", cancel: false },
  Delivered: { delete: "no", cancel: false },
  PickedUp: { delete: "no", cancel: false },
  ShippedToAzureDC: { delete: "no", cancel: false },
  ReadyToReceiveAtAzureDC: { delete: "no", cancel: false },
  AtAzureDC: { delete: "no", cancel: false },
  DataCopy: { delete: "no", cancel: false },
  ReadyToDispatchFromAzureDC: { delete: "no", cancel: false },
  PreparingToShipFromAzureDC: { delete: "no", cancel: false },
  ShippedToCustomer: { delete: "no", cancel: false },
  Created: { delete: "no", cancel: false },
  Failed_IssueReportedAtCustomer: { delete: "no", cancel: false },
  Failed_IssueDetectedAtAzureDC: { delete: "no", cancel: false },
  Completed: { delete: "yes", cancel: false },
  CompletedWithErrors: { delete: "yes", cancel: false },
  CompletedWithWarnings: { delete: "yes", cancel: false },
  Cancelled: { delete: "yes", cancel: false },
  Aborted: { delete: "yes", cancel: false },
} as const satisfies Record<string, StateRule>;

interface StateRule {
  delete: "yes" | "no" | "when-closed-counts-as-completed";
  cancel: boolean;
}

export type KnownState = keyof typeof STATE_RULES;
export type DataBoxStage = keyof typeof DATABOX_STATE_RULES;
/** A state name of either source, in its documented spelling. */
export type StateName = KnownState | DataBoxStage;

/** Classic states in the service's own order of a job's life. */
export const KNOWN_STATES = Object.keys(STATE_RULES) as KnownState[];
export const DATABOX_STAGES = Object.keys(DATABOX_STATE_RULES) as DataBoxStage[];
/** Every state a policy may name: the classic ones, then the Data Box stages the classic API does not have. */
export const STATE_NAMES: StateName[] = [
  ...KNOWN_STATES,
  ...DATABOX_STAGES.filter((s) => !(s in STATE_RULES)),
];

/**
 * The stages in which a Data Box job's age is measured from its order (`startTime`, `systemData.createdAt`):
 * the job has not moved since it was placed.
 */
export const DATABOX_FIRST_STAGES: readonly DataBoxStage[] = ["DeviceOrdered", "AwaitingShipmentDetails"];

const TABLES: Record<JobSource, Record<string, StateRule>> = {
  importexport: STATE_RULES,
  databox: DATABOX_STATE_RULES,
};

export interface StateOptions {
  /** `guards.closedCountsAsCompleted` of the policy. */
  closedCountsAsCompleted: boolean;
}

const BY_LOWER: Record<JobSource, Map<string, StateName>> = {
  importexport: new Map(KNOWN_STATES.map((s) => [s.toLowerCase(), s])),
  databox: new Map(DATABOX_STAGES.map((s) => [s.toLowerCase(), s])),
};
const ANY_BY_LOWER = new Map<string, StateName>(STATE_NAMES.map((s) => [s.toLowerCase(), s]));

/** The documented spelling of a source's state, matched case-insensitively (the wire value is free text). */
export function canonicalState(raw: string | undefined, source: JobSource): StateName | undefined {
  // Exact names, case-insensitive only: "Completed\t" or " Completed" is not a documented state, and the service
  // (which applies its rules to the state as it stored it) could refuse an action the janitor thought allowed.
  return raw === undefined ? undefined : BY_LOWER[source].get(raw.toLowerCase());
}

/** A state name of any source (what a policy may name), in its documented spelling. */
export function anyStateName(raw: string): StateName | undefined {
  return ANY_BY_LOWER.get(raw.toLowerCase());
}

/** Whether `source` has a state of this name (a policy rule's state may belong to the other source only). */
export function sourceHasState(source: JobSource, state: string): boolean {
  return canonicalState(state, source) !== undefined;
}

/**
 * A state whose rules the janitor knows well enough to act in. Closed only counts when the policy says it
 * counts as Completed; without that guard it is treated like any undocumented state.
 */
export function actionableState(
  raw: string | undefined,
  options: StateOptions,
  source: JobSource,
): StateName | undefined {
  const state = canonicalState(raw, source);
  if (source === "importexport" && state === "Closed" && !options.closedCountsAsCompleted) return undefined;
  return state;
}

/**
 * Whether the source's table allows `action` on a job in state `raw` (case-insensitive). Unknown states: never.
 * For Data Box jobs this is half the answer: the service's flag must say yes too (decideJob checks it).
 */
export function serviceAllows(
  action: JobAction,
  raw: string | undefined,
  options: StateOptions,
  source: JobSource,
): boolean {
  const state = actionableState(raw, options, source);
  if (state === undefined) return false;
  const rule = TABLES[source][state]!;
  if (action === "cancel") return rule.cancel;
  return (
    rule.delete === "yes" ||
    (rule.delete === "when-closed-counts-as-completed" && options.closedCountsAsCompleted)
  );
}

/** The states of a source in which its table allows `action`, for messages and tests. */
export function statesAllowing(action: JobAction, options: StateOptions, source: JobSource): StateName[] {
  const states: readonly StateName[] = source === "importexport" ? KNOWN_STATES : DATABOX_STAGES;
  return states.filter((s) => serviceAllows(action, s, options, source));
}

/**
 * Whether a read shows a cancel taken: a classic job reports `cancelRequested: true` (the service's best effort);
 * a Data Box job is in its Cancelled stage or no longer cancellable (it was, or the janitor would not have asked).
 */
export function showsCancelled(job: JobSnapshot): boolean {
  if (job.source === "importexport") return job.cancelRequested === true;
  return canonicalState(job.state, "databox") === "Cancelled" || job.isCancellable === false;
}

/**
 * The `reason` a Data Box cancel carries: who asks and why, in words an operator finds in the portal. Only the
 * rule's name and the run id (both the janitor's own, never a job's data).
 */
export function cancelReason(rule: string | undefined, runId: string): string {
  return `Cancelled by importexport-janitor: rule ${rule ?? "(none)"}, run ${runId}`;
}
