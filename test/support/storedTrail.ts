// The audit trail as Azure Table Storage holds it, with the time each row was stored, and the checks that tie
// it to the emulator's request log: an action request must come after its intent was stored, and every intent
// ends with exactly one outcome. Pure checks (trailViolations) so a planted bad trail can prove they bite.
import { odata } from "@azure/data-tables";
import { createTableClient, parseStorageSettings, tableNames } from "../../src/adapters/storage";
import {
  entityToAuditEntry,
  legacyRunPartition,
  runPartitionPrefix,
} from "../../src/adapters/storage/auditEntity";
import type { AuditEntry } from "../../src/domain/records";
import type { LoggedRequest } from "../../tools/emulator/src/controlClient";

/** An audit entry with the time the table stored it (the entity's `Timestamp`, set by the service). */
export type StoredAuditEntry = AuditEntry & { storedAt: string };

/**
 * Reads the run copies of the audit table (one run, or every run) straight from the table, so each entry
 * carries the service's `Timestamp`. Azurite sets it to the start of the write request that stored the row
 * (ms precision from the host clock, extra digits from hrtime), never to anything the janitor sends.
 */
export async function readStoredTrail(
  connectionString: string,
  tablePrefix: string,
  runId?: string,
): Promise<StoredAuditEntry[]> {
  const table = createTableClient(
    parseStorageSettings({ JANITOR_STORAGE: connectionString }),
    tableNames(tablePrefix).audit,
  );
  // Run copies: `r!<runId>!<second>` partitions, and `r-<runId>` ones written before (both sort in [`r!`, `r.`)).
  const filter =
    runId === undefined
      ? odata`PartitionKey ge ${"r!"} and PartitionKey lt ${"r."}`
      : odata`(PartitionKey ge ${runPartitionPrefix(runId)} and PartitionKey lt ${`${runPartitionPrefix(runId)}~`}) or PartitionKey eq ${legacyRunPartition(runId)}`;
  const out: StoredAuditEntry[] = [];
  try {
    for await (const entity of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      if (typeof entity.timestamp !== "string")
        throw new Error(`audit row ${entity.rowKey} has no Timestamp`);
      out.push({ ...entityToAuditEntry(entity), storedAt: entity.timestamp });
    }
  } catch (err) {
    // A run that wrote nothing may not have created the table yet.
    if ((err as { statusCode?: number }).statusCode === 404) return [];
    throw err;
  }
  return out.sort((a, b) => compareStored(a, b));
}

/** Milliseconds of an ISO 8601 time with any number of fractional digits (Azure Tables gives 7). */
export function isoMs(iso: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!m) throw new Error(`not a UTC ISO 8601 time: ${iso}`);
  return Date.parse(`${m[1]}.${(m[2] ?? "").padEnd(3, "0").slice(0, 3)}Z`);
}

/** Storage order: stored time, then (same millisecond, same run) the order the entries were made. */
function compareStored(a: StoredAuditEntry, b: StoredAuditEntry): number {
  return isoMs(a.storedAt) - isoMs(b.storedAt) || (a.runId === b.runId ? a.seq - b.seq : 0);
}

const JOB_PATH =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ImportExport\/jobs\/[^/]+$/i;
/** A Data Box job; its cancel is `POST <job>/cancel` (docs/service.md#data-box-jobs). */
const DATABOX_JOB_PATH =
  /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.DataBox\/jobs\/[^/]+)(\/cancel)?$/i;

/** The action a logged request performs on a job (the janitor cancels with PATCH), or undefined for reads. */
/** Reads: a GET, or Resource Graph's query (a POST that changes nothing, docs/service.md#azure-resource-graph). */
export function isReadOnlyRequest(request: Pick<LoggedRequest, "method" | "path">): boolean {
  if (request.method === "GET") return true;
  return (
    request.method === "POST" && /^\/providers\/Microsoft\.ResourceGraph\/resources$/i.test(request.path)
  );
}

function actionOf(
  request: LoggedRequest,
): { action: "delete" | "cancel" | "other"; jobId?: string } | undefined {
  if (isReadOnlyRequest(request)) return undefined;
  let path = request.path;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep it raw
  }
  const box = DATABOX_JOB_PATH.exec(path);
  if (box) {
    const jobId = box[1]!.toLowerCase();
    if (request.method === "DELETE" && !box[2]) return { action: "delete", jobId };
    if (request.method === "POST" && box[2]) return { action: "cancel", jobId };
    return { action: "other", jobId };
  }
  if (!JOB_PATH.test(path)) return { action: "other" };
  const jobId = path.toLowerCase();
  if (request.method === "DELETE") return { action: "delete", jobId };
  if (request.method === "PATCH") return { action: "cancel", jobId };
  return { action: "other", jobId };
}

/** Outcomes that say an action was done, refused or failed: only an intent's result can say that. */
const ACTED: ReadonlySet<string> = new Set(["succeeded", "refused", "failed"]);

/** The service handled it (an injected fault, a dropped connection and a 429 mean it did not act). */
const reachedService = (r: LoggedRequest) => !r.fault && r.status !== 0 && r.status !== 429 && r.status < 500;

export interface TrailCheckOptions {
  /** Requests a test sent itself (someone else acting on a job): not the janitor's, so not checked. */
  foreign?: (request: LoggedRequest) => boolean;
}

/**
 * Every way the trail and the request log break the audit promise, as readable lines (empty when safe):
 * - every delete or cancel request came after an intent for that job and action was stored;
 * - no intent led to two requests the service handled (an action is sent at most once);
 * - every intent has exactly one outcome for the same run, job and action, stored after it and before that
 *   job's next intent in the run: the first such outcome closes it, and no other in that window may say the
 *   action was done, refused or failed (a later `deferred` or `skipped` entry is a new decision about the job,
 *   e.g. a redelivery that found an interrupted action undone and then capped the job);
 * - every acted outcome (succeeded, refused, failed) follows an intent;
 * - the janitor sends no other write (no PUT, no write outside a job).
 * Times are compared in milliseconds; a request in the same millisecond as its intent's storage counts as after.
 */
export function trailViolations(
  requests: readonly LoggedRequest[],
  trail: readonly StoredAuditEntry[],
  options: TrailCheckOptions = {},
): string[] {
  const violations: string[] = [];
  const entries = [...trail].sort(compareStored);
  for (const e of entries)
    if (typeof e.storedAt !== "string")
      throw new Error("trailViolations needs stored entries (readStoredTrail)");
  const key = (jobId: string | undefined, action: string) => `${(jobId ?? "").toLowerCase()}|${action}`;
  const intents = entries.filter((e) => e.phase === "intent");

  const sentFor = new Map<StoredAuditEntry, LoggedRequest[]>();
  for (const request of requests) {
    if (options.foreign?.(request)) continue;
    const what = actionOf(request);
    if (what === undefined) continue;
    const label = `${request.method} ${request.path} (request ${request.seq} at ${request.receivedAt})`;
    if (what.action === "other") {
      violations.push(`${label}: the janitor sends no such write`);
      continue;
    }
    const received = isoMs(request.receivedAt);
    const before = intents.filter(
      (i) => key(i.jobId, i.action) === key(what.jobId, what.action) && isoMs(i.storedAt) <= received,
    );
    const intent = before[before.length - 1];
    if (!intent) {
      const late = intents.find((i) => key(i.jobId, i.action) === key(what.jobId, what.action));
      violations.push(
        late
          ? `${label}: sent before its intent was stored (intent stored at ${late.storedAt})`
          : `${label}: sent with no intent in the audit log`,
      );
      continue;
    }
    const list = sentFor.get(intent) ?? [];
    list.push(request);
    sentFor.set(intent, list);
  }
  for (const [intent, sent] of sentFor) {
    const handled = sent.filter(reachedService);
    if (handled.length > 1)
      violations.push(
        `${intent.action} of ${intent.jobId} (run ${intent.runId}, seq ${intent.seq}) sent ${handled.length} times: requests ${handled.map((r) => r.seq).join(", ")}`,
      );
  }

  for (const intent of intents) {
    const same = (e: StoredAuditEntry) =>
      e.runId === intent.runId && key(e.jobId, e.action) === key(intent.jobId, intent.action);
    const from = entries.indexOf(intent);
    const next = entries.findIndex((e, i) => i > from && e.phase === "intent" && same(e));
    const window = entries.slice(from + 1, next === -1 ? undefined : next);
    const outcomes = window.filter((e) => e.phase === "outcome" && same(e));
    const results = outcomes.filter((e, i) => i === 0 || ACTED.has(e.outcome ?? ""));
    if (results.length !== 1)
      violations.push(
        `intent for ${intent.action} of ${intent.jobId} (run ${intent.runId}, seq ${intent.seq}, stored ${intent.storedAt}) has ${results.length} outcomes, expected exactly 1`,
      );
  }

  for (const outcome of entries) {
    if (outcome.phase !== "outcome" || !outcome.jobId) continue;
    if (!ACTED.has(outcome.outcome ?? "")) continue;
    if (outcome.action !== "delete" && outcome.action !== "cancel") continue;
    const at = entries.indexOf(outcome);
    const intent = entries.find(
      (e, i) =>
        i < at &&
        e.phase === "intent" &&
        e.runId === outcome.runId &&
        key(e.jobId, e.action) === key(outcome.jobId, outcome.action),
    );
    if (!intent)
      violations.push(
        `${outcome.outcome} ${outcome.action} of ${outcome.jobId} (run ${outcome.runId}, seq ${outcome.seq}) has no intent stored before it`,
      );
  }
  return violations;
}
