// Audit entries as CSV (RFC 4180), shared by the HTTP API (`format=csv`) and the CLI (`--format csv`).
import type { AuditEntry } from "./records";

/** The fields of an audit entry in the order of README.md#the-audit-log: the CSV columns. */
export const AUDIT_FIELDS = [
  "timestamp",
  "runId",
  "seq",
  "trigger",
  "mode",
  "actor",
  "subscriptionId",
  "resourceGroup",
  "jobName",
  "jobId",
  "jobType",
  "stateBefore",
  "cancelRequestedBefore",
  "ageDays",
  "ageBasis",
  "rule",
  "action",
  "phase",
  "outcome",
  "reason",
  "httpStatus",
  "errorCode",
  "errorMessage",
  "stateAfter",
  "durationMs",
  "policyHash",
  "planId",
  "approvedBy",
  "comment",
  // Last, so the columns of entries written before Data Box jobs are where they were.
  "source",
] as const satisfies readonly (keyof AuditEntry)[];

export const AUDIT_CSV_MEDIA_TYPE = "text/csv; charset=utf-8";

/**
 * One CSV record per entry, each ending in CRLF (RFC 4180), with a header record first when asked. Absent
 * fields are empty cells.
 */
export function auditEntriesToCsv(entries: readonly AuditEntry[], options: { header: boolean }): string {
  const lines: string[] = [];
  if (options.header) lines.push(AUDIT_FIELDS.join(","));
  for (const entry of entries) lines.push(AUDIT_FIELDS.map((column) => csvCell(entry[column])).join(","));
  return lines.map((line) => `${line}\r\n`).join("");
}

/** One CSV cell (RFC 4180 quoting, formula-inert text); every CSV the janitor writes goes through it. */
export function csvCell(value: string | number | boolean | undefined): string {
  if (value === undefined) return "";
  if (typeof value !== "string") return String(value);
  // Spreadsheets run a cell that starts with = + - @ (or a tab/CR before them) as a formula; auditors open
  // these files in one, and some text (actor, error messages) comes from outside. A leading apostrophe keeps
  // the text inert (the OWASP advice for CSV injection).
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
