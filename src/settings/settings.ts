// The app's settings (README.md#settings), read and checked once at start. Every bad setting is reported
// at once, by name, with what is accepted; the app does not start with any of them wrong.
import { Cron } from "croner";
import { checkDuration } from "../domain/duration";
import { JOB_SOURCES, type JobSource } from "../domain/job";
import { APPROVAL_RULES, type ApprovalRule } from "../domain/plans";
import { DEFAULT_SWEEP_CONCURRENCY } from "../domain/sweepConcurrency";
import { MODES, type Mode } from "../domain/vocabulary";
import { SettingsError, ValidationError, type FieldProblem } from "../errors";

export type Env = Record<string, string | undefined>;

/** `JANITOR_MODE`: a run's mode, or `plan-approve` (the timer makes plans and applies approved ones). */
export const SCHEDULE_MODES = [...MODES, "plan-approve"] as const;
export type ScheduleMode = Mode | "plan-approve";

export interface CoreSettings {
  mode: ScheduleMode;
  /** Six-field NCRONTAB, UTC. */
  schedule: string;
  paused: boolean;
  manualApply: boolean;
  auditRetentionMs: number;
  /** How long one run (or one queued part) may take before the rest is deferred: the Functions timeout less a margin. */
  runTimeoutMs: number;
  /** Subscriptions swept at once per worker. */
  concurrency: number;
  /** How long one ARM request may take before it is abandoned (`JANITOR_ARM_TIMEOUT`). */
  armTimeoutMs: number;
  /** Life of a subscription's lease between renewals (`JANITOR_LEASE_TTL`): how soon a crashed worker's work is taken up. */
  leaseTtlMs: number;
  /** How long a saved plan may be approved and applied (`JANITOR_PLAN_TTL`). */
  planTtlMs: number;
  /** `JANITOR_APPROVAL`: four-eyes (the default) or self-allowed. */
  approval: ApprovalRule;
  /** `JANITOR_DISCOVERY`: Resource Graph finds the subscriptions with jobs (default), or every one is listed. */
  discovery: Discovery;
  /** `JANITOR_SOURCES`: which job APIs are swept (both by default: docs/service.md#data-box-jobs). */
  sources: JobSource[];
}

export const DEFAULT_SCHEDULE = "0 0 3 * * *";

/** `JANITOR_DISCOVERY` values (docs/operations.md#settings). */
export const DISCOVERY_MODES = ["resource-graph", "subscriptions"] as const;
export type Discovery = (typeof DISCOVERY_MODES)[number];

/** Reads the settings this module owns; `collect` lets callers add their adapters' problems to one error. */
export function parseCoreSettings(env: Env): CoreSettings {
  const problems: FieldProblem[] = [];
  const text = (name: string) => env[name]?.trim() || undefined;

  const mode = text("JANITOR_MODE") ?? "plan";
  if (!(SCHEDULE_MODES as readonly string[]).includes(mode))
    problems.push({
      field: "JANITOR_MODE",
      message: `"${mode}" is not accepted; use plan, apply or plan-approve`,
    });
  const discovery = text("JANITOR_DISCOVERY") ?? "resource-graph";
  if (!(DISCOVERY_MODES as readonly string[]).includes(discovery))
    problems.push({
      field: "JANITOR_DISCOVERY",
      message: `"${discovery}" is not accepted; use resource-graph or subscriptions`,
    });
  const approval = text("JANITOR_APPROVAL") ?? "four-eyes";
  if (!(APPROVAL_RULES as readonly string[]).includes(approval))
    problems.push({
      field: "JANITOR_APPROVAL",
      message: `"${approval}" is not accepted; use four-eyes or self-allowed`,
    });

  const schedule = text("JANITOR_SCHEDULE") ?? DEFAULT_SCHEDULE;
  const scheduleProblem = checkSchedule(schedule);
  if (scheduleProblem) problems.push({ field: "JANITOR_SCHEDULE", message: scheduleProblem });

  const flag = (name: string, fallback: boolean, accepted: [string, string]) => {
    const value = text(name)?.toLowerCase();
    if (value === undefined) return fallback;
    const map = new Map([
      [accepted[0], true],
      [accepted[1], false],
    ]);
    if (map.has(value)) return map.get(value)!;
    problems.push({
      field: name,
      message: `"${text(name)}" is not accepted; use ${accepted[0]} or ${accepted[1]}`,
    });
    return fallback;
  };
  const paused = flag("JANITOR_PAUSED", false, ["true", "false"]);
  const manualApply = flag("JANITOR_MANUAL_APPLY", false, ["enabled", "disabled"]);

  const duration = (name: string, fallback: string, minMs: number) => {
    const value = text(name) ?? fallback;
    const checked = checkDuration(value);
    if ("error" in checked) {
      problems.push({ field: name, message: checked.error });
      return 0;
    }
    if (checked.ms < minMs) problems.push({ field: name, message: `"${value}" is too short` });
    return checked.ms;
  };
  const auditRetentionMs = duration("JANITOR_AUDIT_RETENTION", "P400D", 86_400_000);
  const runTimeoutMs = duration("JANITOR_RUN_TIMEOUT", "PT9M", 60_000);
  const armTimeoutMs = duration("JANITOR_ARM_TIMEOUT", "PT30S", 1_000);
  const leaseTtlMs = duration("JANITOR_LEASE_TTL", "PT5M", 10_000);
  const planTtlMs = duration("JANITOR_PLAN_TTL", "P7D", 60_000);
  if (leaseTtlMs > 86_400_000)
    problems.push({
      field: "JANITOR_LEASE_TTL",
      message: "is too long; use at most P1D (the default PT5M suits most)",
    });

  let concurrency = DEFAULT_SWEEP_CONCURRENCY;
  const c = text("JANITOR_CONCURRENCY");
  if (c !== undefined) {
    concurrency = Number(c);
    if (!/^\d+$/.test(c) || concurrency < 1 || concurrency > 64)
      problems.push({
        field: "JANITOR_CONCURRENCY",
        message: `"${c}" is not accepted; use a whole number from 1 to 64`,
      });
  }

  const sources = parseSources(text("JANITOR_SOURCES"), "JANITOR_SOURCES", problems);

  if (problems.length > 0) throw new SettingsError(problems);
  return {
    sources,
    mode: mode as ScheduleMode,
    schedule,
    paused,
    manualApply,
    auditRetentionMs,
    runTimeoutMs,
    concurrency,
    armTimeoutMs,
    leaseTtlMs,
    planTtlMs,
    approval: approval as ApprovalRule,
    discovery: discovery as Discovery,
  };
}

/**
 * A comma-separated list of job sources (`importexport`, `databox`, any case, each once), in the documented
 * order; undefined or empty means both. Shared by `JANITOR_SOURCES` and the CLI's `--source`.
 */
export function parseSources(raw: string | undefined, field: string, problems: FieldProblem[]): JobSource[] {
  if (raw === undefined || raw.trim() === "") return [...JOB_SOURCES];
  const named = raw.split(",").map((s) => s.trim().toLowerCase());
  const unknown = named.filter((s) => !(JOB_SOURCES as readonly string[]).includes(s));
  if (unknown.length > 0 || named.length !== new Set(named).size) {
    problems.push({
      field,
      message: `"${raw}" is not accepted; use importexport, databox or both, comma-separated, each once`,
    });
    return [...JOB_SOURCES];
  }
  return JOB_SOURCES.filter((s) => named.includes(s));
}

/** The Functions host reads six fields (seconds first), UTC. Returns a problem or undefined. */
export function checkSchedule(schedule: string): string | undefined {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6)
    return `"${schedule}" has ${fields.length} fields; use a six-field NCRONTAB expression (second minute hour day month weekday), e.g. ${DEFAULT_SCHEDULE}`;
  try {
    // sloppyRanges: NCrontab accepts a step from a number (`0/15`); croner refuses it without the option.
    new Cron(schedule, { paused: true, timezone: "UTC", domAndDow: true, sloppyRanges: true });
  } catch (err) {
    return `"${schedule}" is not a valid NCRONTAB expression (${(err as Error).message}); e.g. ${DEFAULT_SCHEDULE}`;
  }
  return undefined;
}

/**
 * Runs several settings readers and reports all their problems together, so an operator fixes every bad
 * setting in one go.
 */
export function collectSettings<T extends object>(readers: { [K in keyof T]: () => T[K] }): T {
  const problems: FieldProblem[] = [];
  const out = {} as T;
  for (const key of Object.keys(readers) as (keyof T)[]) {
    try {
      out[key] = readers[key]();
    } catch (err) {
      if (err instanceof ValidationError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return out;
}
