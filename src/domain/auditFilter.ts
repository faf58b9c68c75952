// Validation of audit queries (README.md#http-api, `auditQuery`), shared by the HTTP API and the CLI.
// Pure: it only checks and normalizes values; the storage adapter turns the result into a key-range query.
//
// Decisions (documented for operators in the API docs):
// - `from` is inclusive, `to` exclusive. Dates without a time (2026-11-21) mean midnight UTC.
// - Without `runId` or `jobId`, `from` is required; `to` may be omitted and then means "up to now" (it is left
//   out of the result so that a cursor stays valid while time passes). The range may span at most 31 days.
// - With `runId` or `jobId` no range is needed and any range is allowed (those lookups never scan the table).
// - Unknown parameters are refused (a typo such as `subscription=` must not silently widen the result), except
//   `format` (handled by the caller) and `code` (the Functions key, which may travel in the query string).
// - Every value must be one non-empty string (numbers are accepted for `limit`); lists, objects, null, control
//   characters and over-long text are refused. Values are never echoed back in errors.
import type { AuditQuery } from "./records";
import { ValidationError, type FieldProblem } from "../errors";
import {
  ACCEPTED_IDS,
  formatSourcedJobResourceId,
  isJobName,
  isResourceGroupName,
  isRunId,
  isSubscriptionId,
  JOB_ID_MAX,
  JOB_NAME_MAX,
  parseSourcedJobResourceId,
  RESOURCE_GROUP_NAME_MAX,
  RUN_ID_MAX,
} from "./armIds";
import { JOB_SOURCES } from "./job";
import { ACTIONS, OUTCOMES } from "./vocabulary";

export const MAX_AUDIT_RANGE_DAYS = 31;
export const AUDIT_LIMIT_MAX = 1000;
export const AUDIT_LIMIT_DEFAULT = 100;

const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,2048}$/;
// C0 and C1 control characters and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?$/;
const DAY_MS = 86_400_000;
// The audit log's time keys cover these years (see the storage adapter's key design).
const MIN_YEAR = 2000;
const MAX_YEAR = 2199;

const ACCEPTED = {
  time:
    "an ISO 8601 date-time with a time zone (e.g. 2026-11-21T00:00:00Z) or a date (2026-11-21, midnight UTC), " +
    `years ${MIN_YEAR}-${MAX_YEAR}`,
  subscriptionId: ACCEPTED_IDS.subscriptionId,
  resourceGroup: ACCEPTED_IDS.resourceGroup,
  jobName: ACCEPTED_IDS.jobName,
  jobId: ACCEPTED_IDS.anyJobId,
  runId: ACCEPTED_IDS.runId,
  action: `one of: ${ACTIONS.join(", ")}`,
  outcome: `one of: ${OUTCOMES.join(", ")}`,
  source: `one of: ${JOB_SOURCES.join(", ")} (entries about jobs of that source)`,
  limit: `a whole number from 1 to ${AUDIT_LIMIT_MAX} (default ${AUDIT_LIMIT_DEFAULT})`,
  cursor: "the nextCursor of a previous answer to the same query",
} as const;

export type AuditQueryParam = keyof typeof PARAMS;
type Param = AuditQueryParam;
const PARAMS = {
  from: { maxLength: 40 },
  to: { maxLength: 40 },
  subscriptionId: { maxLength: 36 },
  resourceGroup: { maxLength: RESOURCE_GROUP_NAME_MAX },
  jobName: { maxLength: JOB_NAME_MAX },
  jobId: { maxLength: JOB_ID_MAX },
  runId: { maxLength: RUN_ID_MAX },
  action: { maxLength: 20 },
  outcome: { maxLength: 20 },
  source: { maxLength: 20 },
  limit: { maxLength: 10 },
  cursor: { maxLength: 2048 },
} as const;
/** Parameters the callers handle themselves; accepted here so they are not reported as unknown. */
const CALLER_PARAMS = new Set(["format", "code"]);

export const AUDIT_QUERY_PARAMETERS = Object.keys(PARAMS) as Param[];

/**
 * Checks raw query parameters (HTTP query string or CLI flags) and returns a normalized `AuditQuery`, or throws
 * a ValidationError listing every bad parameter with what is accepted. `names` gives the caller's names for
 * the parameters in errors (the CLI's `--run` for `runId`).
 */
export function parseAuditQuery(
  raw: Record<string, unknown>,
  now: Date,
  names: Partial<Record<Param, string>> = {},
): AuditQuery {
  const problems: FieldProblem[] = [];
  const text: Partial<Record<Param, string>> = {};

  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    if (!(name in PARAMS)) {
      if (!CALLER_PARAMS.has(name)) {
        problems.push({
          field: safeName(name),
          message: `is not a known parameter; accepted: ${AUDIT_QUERY_PARAMETERS.join(", ")}`,
        });
      }
      continue;
    }
    const param = name as Param;
    const single = singleText(param, value);
    if (typeof single === "string") text[param] = single;
    else problems.push({ field: param, message: `${single.problem}; expected ${ACCEPTED_FOR[param]}` });
  }

  const query: AuditQuery = {};
  const fromMs = text.from === undefined ? undefined : parseTime(text.from);
  const toMs = text.to === undefined ? undefined : parseTime(text.to);
  if (fromMs === null) problems.push({ field: "from", message: `must be ${ACCEPTED.time}` });
  if (toMs === null) problems.push({ field: "to", message: `must be ${ACCEPTED.time}` });
  if (typeof fromMs === "number") query.from = new Date(fromMs).toISOString();
  if (typeof toMs === "number") query.to = new Date(toMs).toISOString();

  // The text parameters: each a pattern (or word list) and how the store wants the value.
  const oneOf = (words: readonly string[]) => ({ test: (v: string) => words.includes(v) });
  const lower = (v: string) => v.toLowerCase();
  const asIs = (v: string) => v;
  const checks: [
    Exclude<Param, "from" | "to" | "limit">,
    { test(v: string): boolean },
    (v: string) => string,
  ][] = [
    ["subscriptionId", { test: isSubscriptionId }, lower],
    ["resourceGroup", { test: isResourceGroupName }, asIs],
    ["jobName", { test: isJobName }, asIs],
    // ARM ids are case-insensitive: the audit log matches them lower-cased
    [
      "jobId",
      { test: (v) => parseSourcedJobResourceId(v) !== undefined },
      (v) => canonicalJobId(v).toLowerCase(),
    ],
    ["runId", { test: isRunId }, asIs],
    ["action", oneOf(ACTIONS), asIs],
    ["outcome", oneOf(OUTCOMES), asIs],
    ["source", oneOf(JOB_SOURCES), asIs],
    ["cursor", CURSOR_PATTERN, asIs],
  ];
  for (const [param, pattern, normalize] of checks) {
    const value = text[param];
    if (value === undefined) continue;
    if (pattern.test(value)) (query as Record<string, unknown>)[param] = normalize(value);
    else problems.push({ field: param, message: `must be ${ACCEPTED_FOR[param]}` });
  }
  query.limit = AUDIT_LIMIT_DEFAULT;
  if (text.limit !== undefined) {
    const limit = /^\d{1,4}$/.test(text.limit) ? Number(text.limit) : NaN;
    if (limit >= 1 && limit <= AUDIT_LIMIT_MAX) query.limit = limit;
    else problems.push({ field: "limit", message: `must be ${ACCEPTED.limit}` });
  }

  const name = (param: Param) => names[param] ?? param;
  checkRange(text, fromMs, toMs, now, problems, name);
  if (problems.length > 0) {
    const named = problems.map((p) => ({
      ...p,
      field: p.field in PARAMS ? name(p.field as Param) : p.field,
    }));
    throw new ValidationError(named, `invalid audit query: ${summarize(named)}`);
  }
  return query;
}

function checkRange(
  text: Partial<Record<Param, string>>,
  fromMs: number | null | undefined,
  toMs: number | null | undefined,
  now: Date,
  problems: FieldProblem[],
  name: (param: Param) => string,
): void {
  if (fromMs === null || toMs === null) return; // already reported
  const keyed = text.runId !== undefined || text.jobId !== undefined;
  if (fromMs === undefined) {
    if (!keyed) {
      problems.push({
        field: "from",
        message: `is required unless ${name("runId")} or ${name("jobId")} is given; expected ${ACCEPTED.time}`,
      });
    }
    return;
  }
  const end = toMs ?? now.getTime();
  if (fromMs >= end) {
    problems.push({
      field: "from",
      message:
        toMs === undefined
          ? `must be earlier than now (${name("to")} defaults to now)`
          : `must be earlier than ${name("to")}`,
    });
    return;
  }
  if (!keyed && end - fromMs > MAX_AUDIT_RANGE_DAYS * DAY_MS) {
    problems.push({
      field: toMs === undefined ? "from" : "to",
      message:
        `the range ${name("from")}..${name("to")} may span at most ${MAX_AUDIT_RANGE_DAYS} days unless ` +
        `${name("runId")} or ${name("jobId")} is given` +
        (toMs === undefined ? ` (${name("to")} defaults to now)` : ""),
    });
  }
}

const ACCEPTED_FOR: Record<Param, string> = {
  from: ACCEPTED.time,
  to: ACCEPTED.time,
  subscriptionId: ACCEPTED.subscriptionId,
  resourceGroup: ACCEPTED.resourceGroup,
  jobName: ACCEPTED.jobName,
  jobId: ACCEPTED.jobId,
  runId: ACCEPTED.runId,
  action: ACCEPTED.action,
  outcome: ACCEPTED.outcome,
  source: ACCEPTED.source,
  limit: ACCEPTED.limit,
  cursor: ACCEPTED.cursor,
};

/** One plain string, or why not. Numbers are accepted for `limit` only (typed callers). */
function singleText(param: Param, value: unknown): string | { problem: string } {
  if (Array.isArray(value)) return { problem: "must be given once, not as a list" };
  if (param === "limit" && typeof value === "number") {
    return Number.isFinite(value) ? String(value) : { problem: "must be a finite number" };
  }
  if (typeof value !== "string") return { problem: "must be a single text value" };
  if (value.length === 0) return { problem: "must not be empty" };
  if (value.length > PARAMS[param].maxLength) {
    return { problem: `must be at most ${PARAMS[param].maxLength} characters` };
  }
  if (!isPlainText(value)) return { problem: "must not contain control characters or broken Unicode" };
  return value;
}

/** A job resource id spelled the one way the audit log stores it (leading `/`, no trailing `/`). */
function canonicalJobId(value: string): string {
  const ref = parseSourcedJobResourceId(value);
  return ref ? formatSourcedJobResourceId(ref) : value;
}

/** No control characters and no lone UTF-16 surrogates (which would turn into U+FFFD and collide). */
export function isPlainText(value: string): boolean {
  return !CONTROL_CHARS.test(value) && !LONE_SURROGATE.test(value);
}

/** Epoch milliseconds of an ISO 8601 time, or null when it is not one (or not a real calendar date). */
export function parseTime(text: string): number | null {
  const m = ISO_DATE_TIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12) return null;
  const dayStart = Date.UTC(year, month - 1, day);
  if (new Date(dayStart).getUTCDate() !== day) return null; // 2026-02-30 and the like
  if (h === undefined) return dayStart;
  const hours = Number(h);
  const minutes = Number(mi);
  const seconds = s === undefined ? 0 : Number(s);
  if (hours > 23 || minutes > 59 || seconds > 59) return null;
  const millis = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let offsetMinutes = 0;
  if (zone && zone !== "Z") {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59) return null;
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (oh * 60 + om);
  }
  return dayStart + ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis - offsetMinutes * 60_000;
}

/** A parameter name fit for an error message: bounded, printable. */
function safeName(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 40 ? `${printable.slice(0, 40)}...` : printable;
}

function summarize(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field}: ${p.message}`).join("; ");
}
