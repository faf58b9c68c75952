// The names of everything the janitor sends to Application Insights, in one place: the telemetry adapter
// (src/adapters/telemetry) emits them, and the alert rules and workbook in infra/ query them (their tests import
// this list, so a rename that the queries do not follow fails them). Names only: no I/O, no SDK.

/** Metrics (the `customMetrics` table; `name` is the metric's name). */
export const METRICS = {
  /** Jobs listed in a subscription sweep; attribute `mode`. */
  jobsSeen: "janitor.jobs.seen",
  /** Actions planned or sent; attributes `action` and `outcome` (and `mode`). */
  actions: "janitor.actions",
  /** ARM answers 429 (Too Many Requests) a part received. */
  armThrottled: "janitor.arm.throttled",
  /** Seconds from a run's start (or queueing) to its end; attributes `status`, `trigger`, `mode`. */
  runDuration: "janitor.run.duration",
} as const;

/**
 * Structured log records, sent as Application Insights custom events (the `customEvents` table, `name` is the
 * record's name, its fields are `customDimensions`).
 */
export const RECORDS = {
  /** A run reached its final status: runId, status, trigger, mode, counts. */
  runFinished: "RunFinished",
  /** An action was sent and its outcome recorded: runId, subscriptionId, job name, action, outcome, reason. */
  actionOutcome: "ActionOutcome",
  /** A subscription's breaker tripped: runId, subscriptionId, eligible, jobsSeen. */
  breakerTripped: "BreakerTripped",
  /** A notification could not be delivered (poison queue or refused target): runId, target, event. */
  notificationFailed: "NotificationFailed",
  /** A message reached a poison queue (janitor-runs-, janitor-parts- or janitor-notify-poison): queue, runId. */
  poisonMessage: "PoisonMessage",
} as const;

/** Spans (the `dependencies` table for internal spans; `name` is the span's name). */
export const SPANS = {
  /** A run: its planning (discovery and parts) in the app, the whole run in the CLI. */
  run: "janitor.run",
  /** One part of a run, swept by one worker. */
  part: "janitor.part",
  /** One subscription's sweep. */
  subscription: "janitor.subscription",
  /** One action (delete or cancel) on one job. */
  action: "janitor.action",
} as const;

/** Attribute (custom dimension) names shared by spans, metrics and records. */
export const ATTRIBUTES = {
  runId: "runId",
  subscriptionId: "subscriptionId",
  partIndex: "partIndex",
  trigger: "trigger",
  mode: "mode",
  status: "status",
  action: "action",
  outcome: "outcome",
  reason: "reason",
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];
export type RecordName = (typeof RECORDS)[keyof typeof RECORDS];
export type SpanName = (typeof SPANS)[keyof typeof SPANS];

/** Values telemetry may carry: ids, names, states, counts. Never an address, phone, e-mail or key. */
export type TelemetryAttributes = Record<string, string | number | boolean | undefined>;

/** Every name the app emits, for checks that a query names something real. */
export const TELEMETRY_NAMES: readonly string[] = [
  ...Object.values(METRICS),
  ...Object.values(RECORDS),
  ...Object.values(SPANS),
];
