// A plan's proposed actions as CSV (RFC 4180), shared by the HTTP API (`/api/plans/{planId}/actions?format=csv`)
// and the CLI (`plans show --format csv`).
import { csvCell } from "./auditCsv";
import type { ProposedAction } from "./plans";

/** The CSV columns, in the order of a proposed action's fields. */
export const PLAN_ACTION_FIELDS = [
  "jobId",
  "source",
  "subscriptionId",
  "resourceGroup",
  "jobName",
  "jobType",
  "state",
  "cancelRequested",
  "rule",
  "action",
  "ageDays",
  "ageBasis",
  "lastModifiedAt",
] as const satisfies readonly (keyof ProposedAction)[];

/** One CSV record per action, each ending in CRLF, with the header record first unless `header: false`. */
export function proposedActionsToCsv(
  actions: readonly ProposedAction[],
  options: { header: boolean } = { header: true },
): string {
  const lines = actions.map((a) => PLAN_ACTION_FIELDS.map((f) => csvCell(a[f])).join(","));
  if (options.header) lines.unshift(PLAN_ACTION_FIELDS.join(","));
  return lines.map((l) => `${l}\r\n`).join("");
}
