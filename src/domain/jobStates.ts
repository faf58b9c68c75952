import type { JobAction } from "./vocabulary";

/**
 * What the Import/Export service allows in each job state: the one copy of this table in the code.
 *
 * Source: docs/service.md#state-rules, condensed from the REST docs (`Jobs - Delete`: "only when the job is in
 * Creating or Completed"; `Jobs - Update`: cancel "only before Packaging"). Closed is not in the documented
 * delete set, so the janitor deletes there only when the policy says Closed counts as Completed. States not
 * listed here (Canceled, anything new) are never acted on.
 */
export const STATE_RULES = {
  Creating: { delete: "yes", cancel: true },
  Shipping: { delete: "no", cancel: true },
  Received: { delete: "no", cancel: true },
  Transferring: { delete: "no", cancel: true },
  Packaging: { delete: "no", cancel: false },
  Completed: { delete: "yes", cancel: false },
  Closed: { delete: "when-closed-counts-as-completed", cancel: false },
} as const satisfies Record<
  string,
  { delete: "yes" | "no" | "when-closed-counts-as-completed"; cancel: boolean }
>;

export type KnownState = keyof typeof STATE_RULES;

/** In the service's own order of a job's life. */
export const KNOWN_STATES = Object.keys(STATE_RULES) as KnownState[];

export interface StateOptions {
  /** `guards.closedCountsAsCompleted` of the policy. */
  closedCountsAsCompleted: boolean;
}

const BY_LOWER = new Map<string, KnownState>(KNOWN_STATES.map((s) => [s.toLowerCase(), s]));

/** The documented spelling of a state, matched case-insensitively (the wire value is free text). */
export function canonicalState(raw: string | undefined): KnownState | undefined {
  // Exact names, case-insensitive only: "Completed\t" or " Completed" is not a documented state, and the service
  // (which applies its rules to the state as it stored it) could refuse an action the janitor thought allowed.
  return raw === undefined ? undefined : BY_LOWER.get(raw.toLowerCase());
}

/**
 * A state whose rules the janitor knows well enough to act in. Closed only counts when the policy says it
 * counts as Completed; without that guard it is treated like any undocumented state.
 */
export function actionableState(raw: string | undefined, options: StateOptions): KnownState | undefined {
  const state = canonicalState(raw);
  if (state === "Closed" && !options.closedCountsAsCompleted) return undefined;
  return state;
}

/** Whether the service allows `action` on a job in state `raw` (case-insensitive). Unknown states: never. */
export function serviceAllows(action: JobAction, raw: string | undefined, options: StateOptions): boolean {
  const state = actionableState(raw, options);
  if (state === undefined) return false;
  const rule = STATE_RULES[state];
  if (action === "cancel") return rule.cancel;
  return (
    rule.delete === "yes" ||
    (rule.delete === "when-closed-counts-as-completed" && options.closedCountsAsCompleted)
  );
}

/** The states in which the service allows `action`, for messages and tests. */
export function statesAllowing(action: JobAction, options: StateOptions): KnownState[] {
  return KNOWN_STATES.filter((s) => serviceAllows(action, s, options));
}
