// One audit entry <-> its table rows: checks every field before anything is written, and spells the keys.
// The key design itself is described at the top of TableAuditStore.ts.
import { createHash } from "node:crypto";
import { AUDIT_FIELDS } from "../../domain/auditCsv";
import { AUDIT_TEXT_LIMITS, auditSafe } from "../../domain/auditText";
import { ACCEPTED_IDS, isRunId } from "../../domain/armIds";
import { isPlainText } from "../../domain/auditFilter";
import { JOB_SOURCES } from "../../domain/job";
import type { AuditEntry } from "../../domain/records";
import { ACTIONS, AGE_BASES, MODES, OUTCOMES, PHASES, REASONS, TRIGGERS } from "../../domain/vocabulary";
import { AuditWriteError } from "../../errors";
import type { Entity, StoredEntity } from "./tableAccess";
import { DAY_MS, encodeKeyPart, invertedCount, invertedMs } from "./tableKeys";

export { ERROR_MESSAGE_MAX } from "../../domain/auditText";
const SEQ_WIDTH = 12;
export const SEQ_MAX = 10 ** SEQ_WIDTH - 1;
/** Time keys hold years 2000-2199 (the range audit queries accept). */
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2200, 0, 1) - 1;

const TEXT_LIMITS = AUDIT_TEXT_LIMITS;

const CHOICES = {
  trigger: TRIGGERS,
  mode: MODES,
  action: ACTIONS,
  phase: PHASES,
  reason: REASONS,
  outcome: OUTCOMES,
  ageBasis: AGE_BASES,
  source: JOB_SOURCES,
} as const satisfies Partial<Record<keyof AuditEntry, readonly string[]>>;
const REQUIRED = [
  "runId",
  "trigger",
  "mode",
  "actor",
  "subscriptionId",
  "action",
  "phase",
  "reason",
  "policyHash",
];

// ---------------------------------------------------------------- keys

/**
 * Time partition: one per UTC second, e.g. `t979221!13559-20261121T201400` (2026-11-21 20:14:00): the inverted
 * day (6 digits), `!`, the inverted second of the day (86399 - s, 5 digits), then the readable time. Newer seconds
 * sort first, so (partition, RowKey) order equals RowKey order. Per second rather than per day: one partition
 * takes about 2,000 entities per second in Azure (docs/service.md#table-storage-and-azurite), and Azurite's insert
 * walks the whole partition.
 */
export function timePartition(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const second = Math.floor((ms - day * DAY_MS) / 1000);
  const stamp = new Date(day * DAY_MS + second * 1000).toISOString().slice(0, 19).replace(/[-:]/g, "");
  return `t${invertedCount(day, 6)}!${String(DAY_SECONDS - 1 - second).padStart(5, "0")}-${stamp}`;
}
const DAY_SECONDS = 86_400;
/**
 * Where time copies were written before, one partition per UTC day (`t979221-20261121`): still read and purged,
 * never written. `!` sorts below `-`, so every per-second partition of a day sorts before the day's legacy
 * partition (whose rows are all older) and after the next day's: newest first still holds across the upgrade,
 * and the legacy partition is the largest key of its day.
 */
export function legacyTimePartition(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const date = new Date(day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, "");
  return `t${invertedCount(day, 6)}-${date}`;
}
export const isLegacyTimePartition = (partitionKey: string) => /^t\d{6}-/.test(partitionKey);
/** Time partitions sort below this bound, run (`r!`, `r-`) and job (`j-`) partitions not. */
export const TIME_PARTITION_END = "u";

const RUN_SECOND_WIDTH = 11;
/**
 * Run copy partition: one per run and UTC second, `r!<runId>!<11-digit inverted epoch second>`, so a run's
 * partitions sort newest first and (partition, RowKey) order equals RowKey order within the run. A run id is
 * letters, digits and `-` only (isRunId), so it spells itself and never holds `!`: the prefix `r!<runId>!`
 * belongs to this run alone.
 */
export function runPartition(runId: string, ms: number): string {
  return `${runPartitionPrefix(runId)}${invertedCount(Math.floor(ms / 1000), RUN_SECOND_WIDTH)}`;
}
/** Every run partition of the run lies in [prefix, prefix + `~`): the seconds are digits, below `~`. */
export function runPartitionPrefix(runId: string): string {
  if (!isRunId(runId)) throw new TypeError(`runPartition: runId must be ${ACCEPTED_IDS.runId}`);
  return `r!${runId}!`;
}
/** Where run copies were written before, one partition per run: still read and purged, never written. */
export const legacyRunPartition = (runId: string) => `r-${encodeKeyPart(runId)}`;
/**
 * Job copies are grouped per subscription (taken from the job id, so a query by job id alone finds it), one
 * partition each: the entries one sweep writes share it and go in transactions of up to 100 (a sweep of a
 * subscription that plans 10 jobs writes their job copies in one round trip, not in one per bucket). A partition
 * grows with the subscription's history no more than a day's time partition grows with the tenant's.
 */
export function jobPartition(jobId: string): string {
  return `j-${encodeKeyPart(subscriptionOfJob(jobId))}`;
}
/**
 * Where job copies were written before (16 buckets per subscription by a hash of the job id): still read by job
 * lookups and purged by retention, never written.
 */
export function legacyJobPartition(jobId: string): string {
  const id = jobId.toLowerCase();
  const bucket = createHash("sha256").update(id, "utf8").digest("hex").charAt(0);
  return `j-${encodeKeyPart(subscriptionOfJob(id))}-${bucket}`;
}
const subscriptionOfJob = (jobId: string) =>
  /^\/subscriptions\/([^/]+)\//.exec(jobId.toLowerCase())?.[1] ?? "-";
/** Within it, one job's entries are the RowKeys starting with the job's prefix (`~` never occurs in a key part). */
export const jobRowPrefix = (jobId: string) => `${encodeKeyPart(jobId.toLowerCase())}~`;

export function entryRowKey(ms: number, runId: string, seq: number): string {
  return `${invertedMs(ms)}-${encodeKeyPart(runId)}-${invertedCount(seq, SEQ_WIDTH)}`;
}
/** RowKeys of time and run copies (and of job copies after the job prefix). */
export const TIME_ROW_KEY_PATTERN = /^\d{13}-[A-Za-z0-9._!-]{1,402}-\d{12}$/;

// ---------------------------------------------------------------- entry -> rows

export interface AuditRows {
  entry: AuditEntry;
  ms: number;
  time: Entity;
  byRun: Entity;
  byJob?: Entity;
}

/**
 * Checks an entry and spells its rows, or throws AuditWriteError naming the bad fields (never their values).
 * Text fields are cleaned first (control characters removed, cut to their limits on a code point boundary):
 * a value from the service or a caller must never stop the audit trail.
 */
export function toAuditRows(input: AuditEntry): AuditRows {
  const entry = normalizeEntry(input);
  const problems = checkEntry(entry);
  if (problems.length > 0) {
    const where = `run ${isRunId(entry.runId) ? entry.runId : "?"} seq ${Number.isSafeInteger(entry.seq) ? entry.seq : "?"}`;
    throw new AuditWriteError(`audit entry (${where}) refused: ${problems.join("; ")}`);
  }
  const ms = Date.parse(entry.timestamp);
  const rowKey = entryRowKey(ms, entry.runId, entry.seq);
  const properties = entryProperties(entry);
  return {
    entry,
    ms,
    time: { partitionKey: timePartition(ms), rowKey, ...properties },
    byRun: { partitionKey: runPartition(entry.runId, ms), rowKey, ...properties },
    ...(entry.jobId
      ? {
          byJob: {
            partitionKey: jobPartition(entry.jobId),
            rowKey: jobRowPrefix(entry.jobId) + rowKey,
            ...properties,
          },
        }
      : {}),
  };
}

/** Text from the service or a caller is cleaned (control characters, length), never a reason to refuse. */
function normalizeEntry(entry: AuditEntry): AuditEntry {
  return auditSafe(entry);
}

function checkEntry(entry: AuditEntry): string[] {
  const problems: string[] = [];
  const record = entry as unknown as Record<string, unknown>;
  for (const field of REQUIRED) if (record[field] === undefined) problems.push(`${field}: is required`);

  const ms = typeof entry.timestamp === "string" ? Date.parse(entry.timestamp) : NaN;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(String(entry.timestamp)) || !(ms >= MIN_MS && ms <= MAX_MS)) {
    problems.push("timestamp: must be an ISO 8601 date-time in the years 2000-2199");
  }
  if (entry.runId !== undefined && !isRunId(entry.runId)) {
    problems.push(`runId: must be ${ACCEPTED_IDS.runId}`);
  }
  if (!Number.isSafeInteger(entry.seq) || entry.seq < 0 || entry.seq > SEQ_MAX) {
    problems.push(`seq: must be a whole number from 0 to ${SEQ_MAX}`);
  }
  for (const [field, max] of Object.entries(TEXT_LIMITS)) {
    const value = record[field];
    if (value === undefined) continue;
    if (typeof value !== "string" || value.length === 0 || value.length > max || !isPlainText(value)) {
      problems.push(`${field}: must be text of 1-${max} characters without control characters`);
    }
  }
  if (
    entry.errorMessage !== undefined &&
    (typeof entry.errorMessage !== "string" || !isPlainText(entry.errorMessage))
  ) {
    problems.push("errorMessage: must be text");
  }
  for (const [field, choices] of Object.entries(CHOICES)) {
    const value = record[field];
    if (value !== undefined && !(choices as readonly unknown[]).includes(value)) {
      problems.push(`${field}: must be one of ${choices.join(", ")}`);
    }
  }
  if (entry.cancelRequestedBefore !== undefined && typeof entry.cancelRequestedBefore !== "boolean") {
    problems.push("cancelRequestedBefore: must be true or false");
  }
  if (entry.ageDays !== undefined && !Number.isFinite(entry.ageDays))
    problems.push("ageDays: must be a number");
  if (entry.durationMs !== undefined && !(Number.isFinite(entry.durationMs) && entry.durationMs >= 0)) {
    problems.push("durationMs: must be a number of at least 0");
  }
  if (
    entry.httpStatus !== undefined &&
    !(Number.isInteger(entry.httpStatus) && entry.httpStatus >= 100 && entry.httpStatus <= 599)
  ) {
    problems.push("httpStatus: must be a whole number from 100 to 599");
  }
  return problems;
}

// Table property names; `timestamp`, `etag`, `partitionKey` and `rowKey` are taken by the SDK, hence `entryTime`.
const NOT_TEXT = new Set([
  "timestamp",
  "seq",
  "ageDays",
  "durationMs",
  "httpStatus",
  "cancelRequestedBefore",
]);
const STRING_FIELDS = AUDIT_FIELDS.filter((field) => !NOT_TEXT.has(field));
// Typed explicitly: the service would store a whole JS number as Int32 (seq can pass 2^31 with part blocks).
const DOUBLE_FIELDS = ["seq", "ageDays", "durationMs"] as const satisfies readonly (keyof AuditEntry)[];

function entryProperties(entry: AuditEntry): Record<string, unknown> {
  const props: Record<string, unknown> = { entryTime: entry.timestamp };
  for (const field of STRING_FIELDS) if (entry[field] !== undefined) props[field] = entry[field];
  for (const field of DOUBLE_FIELDS) {
    const value = entry[field];
    if (value !== undefined) props[field] = { value: String(value), type: "Double" };
  }
  if (entry.httpStatus !== undefined) props.httpStatus = entry.httpStatus;
  if (entry.cancelRequestedBefore !== undefined) props.cancelRequestedBefore = entry.cancelRequestedBefore;
  // Lower-cased copies for exact, case-insensitive matching (ARM names and ids are case-insensitive).
  props.subscriptionKey = entry.subscriptionId.toLowerCase();
  if (entry.resourceGroup !== undefined) props.resourceGroupKey = entry.resourceGroup.toLowerCase();
  if (entry.jobName !== undefined) props.jobNameKey = entry.jobName.toLowerCase();
  if (entry.jobId !== undefined) {
    props.jobIdKey = entry.jobId.toLowerCase();
    // Where this entry's job copy is, for retention (older rows lack it: their copy is in the legacy bucket).
    props.jobCopyPartition = jobPartition(entry.jobId);
  }
  return props;
}

// ---------------------------------------------------------------- rows -> entry

export function entityToAuditEntry(entity: StoredEntity | Entity): AuditEntry {
  const out: Record<string, unknown> = { timestamp: entity.entryTime };
  for (const field of STRING_FIELDS) if (typeof entity[field] === "string") out[field] = entity[field];
  for (const field of DOUBLE_FIELDS) {
    const value = entity[field] as unknown;
    if (value === undefined || value === null) continue;
    out[field] = typeof value === "object" ? Number((value as { value: unknown }).value) : Number(value);
  }
  if (entity.httpStatus !== undefined && entity.httpStatus !== null)
    out.httpStatus = Number(entity.httpStatus);
  if (typeof entity.cancelRequestedBefore === "boolean")
    out.cancelRequestedBefore = entity.cancelRequestedBefore;
  return orderLikeContract(out) as unknown as AuditEntry;
}

/** Same content, compared field by field (for telling our own earlier write from a real key collision). */
export function sameAuditEntry(a: AuditEntry, b: AuditEntry): boolean {
  return JSON.stringify(orderLikeContract({ ...a })) === JSON.stringify(orderLikeContract({ ...b }));
}

function orderLikeContract(entry: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of AUDIT_FIELDS) if (entry[field] !== undefined) out[field] = entry[field];
  return out;
}
