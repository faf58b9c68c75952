// `ie-janitor audit`: the audit log by time range, run, job, subscription, action or outcome, as a table
// (default), JSON (`{"items", "nextCursor"}` as the HTTP API answers) or CSV.
import { auditEntriesToCsv } from "../../domain/auditCsv";
import { parseAuditQuery, type AuditQueryParam } from "../../domain/auditFilter";
import type { AuditEntry } from "../../domain/records";
import type { AuditStore } from "../../engine/ports";
import { JanitorError, ValidationError } from "../../errors";
import { EXIT, type CliIO } from "../io";
import { renderTable } from "../table";

export interface AuditFlags {
  from?: string;
  to?: string;
  run?: string;
  job?: string;
  subscription?: string;
  action?: string;
  outcome?: string;
  source?: string;
  limit?: string | number;
  format?: string;
  cursor?: string;
}

const FORMATS = ["table", "json", "csv"] as const;

/** The flag of each query parameter the CLI offers (resourceGroup and jobName are HTTP-only). */
const FLAG_OF = {
  from: "from",
  to: "to",
  runId: "run",
  jobId: "job",
  subscriptionId: "subscription",
  action: "action",
  outcome: "outcome",
  source: "source",
  limit: "limit",
  cursor: "cursor",
} as const satisfies Partial<Record<AuditQueryParam, keyof AuditFlags>>;

export async function runAuditCommand(
  flags: AuditFlags,
  deps: { audit: AuditStore; now: Date },
  io: CliIO,
): Promise<number> {
  const format = flags.format ?? "table";
  const problems: string[] = [];
  if (!(FORMATS as readonly string[]).includes(format))
    problems.push(`--format: must be one of ${FORMATS.join(", ")}`);

  const raw: Record<string, unknown> = {};
  const names: Partial<Record<AuditQueryParam, string>> = {};
  for (const [param, flag] of Object.entries(FLAG_OF) as [keyof typeof FLAG_OF, keyof AuditFlags][]) {
    names[param] = `--${flag}`;
    if (flags[flag] !== undefined) raw[param] = flags[flag];
  }
  let query;
  try {
    query = parseAuditQuery(raw, deps.now, names);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    problems.push(...err.problems.map((p) => `${p.field}: ${p.message}`));
  }
  if (problems.length > 0 || !query) return usage(io, problems);

  let page;
  try {
    page = await deps.audit.query(query);
  } catch (err) {
    if (err instanceof ValidationError)
      return usage(
        io,
        err.problems.map((p) => `${names[p.field as AuditQueryParam] ?? p.field}: ${p.message}`),
      );
    io.stderr(
      `ie-janitor audit: failed: ${err instanceof JanitorError ? err.message : ((err as Error)?.message ?? String(err))}\n`,
    );
    return EXIT.failed;
  }

  if (format === "json") {
    io.stdout(`${JSON.stringify({ items: page.items, nextCursor: page.nextCursor ?? null }, null, 2)}\n`);
    return EXIT.done;
  }
  if (format === "csv") io.stdout(auditEntriesToCsv(page.items, { header: true }));
  else if (page.items.length > 0) io.stdout(renderTable(TABLE_HEADER, page.items.map(tableRow)));

  io.stderr(`${page.items.length} ${page.items.length === 1 ? "entry" : "entries"}\n`);
  if (page.nextCursor) io.stderr(`more entries: repeat with --cursor ${page.nextCursor}\n`);
  return EXIT.done;
}

function usage(io: CliIO, problems: string[]): number {
  for (const problem of problems) io.stderr(`ie-janitor audit: ${problem}\n`);
  return EXIT.usage;
}

const TABLE_HEADER = [
  "TIME",
  "RUN",
  "SEQ",
  "PHASE",
  "ACTION",
  "OUTCOME",
  "REASON",
  "JOB",
  "STATE",
  "AGE",
  "DETAIL",
];

function tableRow(e: AuditEntry): string[] {
  const job = e.jobName ? `${e.resourceGroup ?? "?"}/${e.jobName}` : `subscription ${e.subscriptionId}`;
  const state = e.stateBefore
    ? `${e.stateBefore}${e.stateAfter && e.stateAfter !== e.stateBefore ? `->${e.stateAfter}` : ""}`
    : "";
  const detail = [
    e.rule ? `rule ${e.rule}` : "",
    e.httpStatus !== undefined ? `HTTP ${e.httpStatus}` : "",
    e.errorCode ?? "",
    e.errorMessage ? clip(e.errorMessage, 60) : "",
  ]
    .filter(Boolean)
    .join(", ");
  return [
    e.timestamp.replace(/\.\d{3}Z$/, "Z"),
    e.runId,
    String(e.seq),
    e.phase,
    e.action,
    e.outcome ?? "",
    e.reason,
    clip(job, 60),
    state,
    e.ageDays !== undefined ? `${Math.floor(e.ageDays)}d` : "",
    detail,
  ];
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
