// The audit log on Azure Table Storage (README.md#the-audit-log).
//
// Key design (log-tail pattern plus inter-partition copies):
// - Each entry is stored as up to three copies of one row (same properties) in three partitions:
//     time copy  PK `t<999999 - UTC day number>-<yyyymmdd>` (e.g. `t979222-20261120`)  RK = T
//     run copy   PK `r-<runId>`                                                       RK = T
//     job copy   PK `j-<subscription id from the job id>`                             RK = `<job id>~` + T
//   (job copies written before were spread over `j-<subscription id>-<hash bucket 0-f>`: still read and purged)
//   where T = `<13-digit inverted epoch ms>-<runId>-<12-digit inverted seq>`; ids are lower-cased where ARM is
//   case-insensitive and key-encoded (tableKeys.encodeKeyPart). Entries without a job have no job copy.
// - Inverted milliseconds (not .NET ticks, which overflow JS numbers) sort the newest first within a partition,
//   and the inverted day sorts the newest partition first, so across the time partitions the table order is
//   newest first and equals the order of T alone. A time range is one key-range query (PartitionKey range of
//   the days, RowKey range of the milliseconds); a run is one partition, a job one RowKey prefix range of its
//   subscription's partition and of its legacy bucket (with the same time bounds when a range is given).
//   Nothing scans the table.
// - Full copies rather than pointer rows: a lookup reads rows directly, with no point read per entry. Copies
//   are grouped so that what one call writes shares partitions (a day, a run, a subscription's job copies; a
//   sweep works per subscription, and concurrent calls are written together) and goes in transactions of up to
//   100 rows. A transaction holds one partition only, so the copies cannot share one: time copies are written
//   first, then run and job copies. A write that fails half way rejects; the engine stops acting, and writing the same entries again
//   completes it: a row that already exists with the same content counts as written (that is also how a
//   retried batch whose first attempt did land is recognised), while a row with the same key and other
//   content is a collision and fails. Nothing is ever updated or upserted. Retention deletes the copies
//   before the time row, so an interrupted purge is finished by the next one; the time rows are the full set.
// - Cursors carry the last RowKey returned and a hash of the filters (pageCursor.ts).
import { odata, type TransactionAction } from "@azure/data-tables";
import { parseAuditQuery } from "../../domain/auditFilter";
import type { AuditEntry } from "../../domain/records";
import type { AuditQuery, AuditStore, Page } from "../../engine/ports";
import { AuditWriteError } from "../../errors";
import {
  TIME_ROW_KEY_PATTERN,
  entityToAuditEntry,
  jobPartition,
  legacyJobPartition,
  jobRowPrefix,
  runPartition,
  sameAuditEntry,
  TIME_PARTITION_END,
  timePartition,
  toAuditRows,
  type AuditRows,
} from "./auditEntity";
import { decodeCursor, encodeCursor } from "./pageCursor";
import {
  chunks,
  codeOf,
  deleteIfPresent,
  forEachPage,
  groupBy,
  MAX_BATCH,
  MAX_PAGE,
  runLimited,
  statusOf,
  type Entity,
  type StoredEntity,
  TableStore,
  withRetry,
} from "./tableAccess";
import { invertedMs, msFromInverted } from "./tableKeys";

const CURSOR_KIND = "audit";

/** Entries of concurrent appends written together at most (a group's rows are held in memory until written). */
const GROUP_ENTRIES = 1_000;

interface PendingAppend {
  rows: AuditRows[];
  done: (err?: unknown) => void;
}

export class TableAuditStore extends TableStore implements AuditStore {
  private readonly pending: PendingAppend[] = [];
  private writing = false;

  /**
   * Group commit: appends that arrive while a write is in flight go out together in the next one, so the time
   * copies of many subscriptions share the day's transactions and their run copies the run's (a sweep writes
   * per subscription, 8 or more at once). Each call still resolves only once its own entries are stored; a
   * group that fails is written again call by call, so one caller's collision never fails another's entries.
   */
  async append(entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map(toAuditRows);
    refuseDuplicates(rows);
    await new Promise<void>((resolve, reject) => {
      this.pending.push({ rows, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.writing) void this.writeGroups();
    });
  }

  private async writeGroups(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const group: PendingAppend[] = [];
        let size = 0;
        while (
          this.pending.length > 0 &&
          (group.length === 0 || size + this.pending[0]!.rows.length <= GROUP_ENTRIES)
        ) {
          const next = this.pending.shift()!;
          size += next.rows.length;
          group.push(next);
        }
        if (group.length === 1 || !sameKeysOnce(group)) {
          await Promise.all(group.map(async (g) => g.done(await this.writeRows(g.rows))));
          continue;
        }
        const failure = await this.writeRows(group.flatMap((g) => g.rows));
        if (failure === undefined) for (const g of group) g.done();
        else await Promise.all(group.map(async (g) => g.done(await this.writeRows(g.rows))));
      }
    } finally {
      this.writing = false;
    }
  }

  /** Writes the rows (time copies first, then run and job copies); the failure as an AuditWriteError, if any. */
  private async writeRows(rows: AuditRows[]): Promise<AuditWriteError | undefined> {
    try {
      await this.ready();
      await this.createRows(rows.map((r) => r.time));
      await this.createRows(rows.flatMap((r) => (r.byJob ? [r.byRun, r.byJob] : [r.byRun])));
      return undefined;
    } catch (err) {
      if (err instanceof AuditWriteError) return err;
      return new AuditWriteError(
        `audit log write failed (${describeFailure(err)}); nothing may act until it is written`,
        { cause: err },
      );
    }
  }

  async query(raw: AuditQuery): Promise<Page<AuditEntry>> {
    const query = parseAuditQuery({ ...raw }, this.clock());
    const { limit = 100, cursor, ...filters } = query;
    const after =
      cursor === undefined ? undefined : decodeCursor(cursor, CURSOR_KIND, filters, rowKeyCheckFor(query));
    await this.ready();

    // One more than asked tells whether another page exists, so the last page carries no cursor. A job's copies
    // are in its subscription's partition, and older ones in a legacy bucket: both are read and merged in key order.
    const partitions =
      query.jobId === undefined ? [undefined] : [jobPartition(query.jobId), legacyJobPartition(query.jobId)];
    const found: StoredEntity[] = [];
    for (const partition of partitions) {
      const fromThis: StoredEntity[] = [];
      await forEachPage(
        this.table,
        { filter: auditFilter(query, after, partition) },
        Math.min(MAX_PAGE, limit + 1),
        this.retry,
        (page) => {
          fromThis.push(...page);
          return fromThis.length <= limit;
        },
      );
      found.push(...fromThis.slice(0, limit + 1));
    }
    if (partitions.length > 1)
      found.sort((a, b) => (a.rowKey! < b.rowKey! ? -1 : a.rowKey! > b.rowKey! ? 1 : 0));
    const items = found.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(entityToAuditEntry),
      ...(found.length > limit && last
        ? { nextCursor: encodeCursor(CURSOR_KIND, filters, last.rowKey!) }
        : {}),
    };
  }

  /** Removes every entry older than `cutoff` (and its run and job copies), page by page. */
  async purgeOlderThan(cutoff: Date): Promise<{ removed: number }> {
    const cutMs = cutoff.getTime();
    if (!Number.isFinite(cutMs)) throw new TypeError("purgeOlderThan: cutoff must be a valid Date");
    await this.ready();
    const newestOld = invertedMs(cutMs - 1);
    const filter = [
      odata`PartitionKey ge ${timePartition(cutMs - 1)}`,
      odata`PartitionKey lt ${TIME_PARTITION_END}`,
      odata`RowKey ge ${newestOld}`,
    ].join(" and ");
    let removed = 0;
    await forEachPage(
      this.table,
      { filter, select: ["PartitionKey", "RowKey", "runId", "jobIdKey", "jobCopyPartition"] },
      MAX_PAGE,
      this.retry,
      async (page) => {
        const copies = page.flatMap((row) => {
          const keys = [{ partitionKey: runPartition(String(row.runId)), rowKey: row.rowKey! }];
          if (typeof row.jobIdKey === "string")
            keys.push({
              partitionKey:
                typeof row.jobCopyPartition === "string"
                  ? row.jobCopyPartition
                  : legacyJobPartition(row.jobIdKey),
              rowKey: jobRowPrefix(row.jobIdKey) + row.rowKey!,
            });
          return keys;
        });
        await this.deleteRows(copies);
        await this.deleteRows(page.map((row) => ({ partitionKey: row.partitionKey!, rowKey: row.rowKey! })));
        removed += page.length;
        return true;
      },
    );
    return { removed };
  }

  // ------------------------------------------------------------ writing

  private async createRows(rows: Entity[]): Promise<void> {
    const tasks = [...groupBy(rows, (row) => row.partitionKey).values()]
      .flatMap((group) => chunks(group, MAX_BATCH))
      .map((chunk) => () => this.createChunk(chunk));
    await runLimited(tasks, this.concurrency);
  }

  private async createChunk(chunk: Entity[]): Promise<void> {
    if (chunk.length === 1) return this.createOne(chunk[0]!);
    try {
      await withRetry(() => this.table.submitTransaction(chunk.map((row) => ["create", row])), this.retry);
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      // Some row exists already: our own earlier attempt, or a real collision. The transaction changed
      // nothing, so sort it out row by row.
      for (const row of chunk) await this.createOne(row);
    }
  }

  private async createOne(row: Entity): Promise<void> {
    try {
      await withRetry(() => this.table.createEntity(row), this.retry);
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const stored = await withRetry(() => this.table.getEntity(row.partitionKey, row.rowKey), this.retry);
      const ours = entityToAuditEntry(row);
      if (!sameAuditEntry(entityToAuditEntry(stored), ours)) {
        throw new AuditWriteError(
          `audit entry (run ${ours.runId} seq ${ours.seq}) collides with a stored entry of other content; ` +
            "history is never overwritten",
          { cause: err },
        );
      }
    }
  }

  private async deleteRows(keys: { partitionKey: string; rowKey: string }[]): Promise<void> {
    const tasks = [...groupBy(keys, (k) => k.partitionKey).values()]
      .flatMap((group) => chunks(group, MAX_BATCH))
      .map((chunk) => async () => {
        try {
          const actions = chunk.map((k): TransactionAction => [
            "delete",
            { partitionKey: k.partitionKey, rowKey: k.rowKey },
          ]);
          await withRetry(() => this.table.submitTransaction(actions), this.retry);
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
          // A row of the batch is gone already (an earlier, interrupted purge): delete the others one by one.
          for (const k of chunk) await deleteIfPresent(this.table, k, this.retry);
        }
      });
    await runLimited(tasks, this.concurrency);
  }
}

/** The OData filter of a validated query: only allow-listed fields, only validated values, via `odata`. */
function auditFilter(query: AuditQuery, after: string | undefined, jobCopies?: string): string {
  const clauses: string[] = [];
  const fromMs = query.from === undefined ? undefined : Date.parse(query.from);
  const toMs = query.to === undefined ? undefined : Date.parse(query.to);

  if (query.jobId !== undefined) {
    clauses.push(
      odata`PartitionKey eq ${jobCopies ?? jobPartition(query.jobId)}`,
      odata`jobIdKey eq ${query.jobId.toLowerCase()}`,
    );
    if (query.runId !== undefined) clauses.push(odata`runId eq ${query.runId}`);
  } else if (query.runId !== undefined) {
    clauses.push(odata`PartitionKey eq ${runPartition(query.runId)}`);
  } else {
    // Newest partition first: the upper end of the time range (or the cursor) gives the lower PartitionKey.
    const newestMs =
      after !== undefined ? msFromInverted(after.slice(0, 13)) : toMs !== undefined ? toMs - 1 : undefined;
    clauses.push(
      newestMs !== undefined
        ? odata`PartitionKey ge ${timePartition(newestMs)}`
        : odata`PartitionKey ge ${"t"}`,
      fromMs !== undefined
        ? odata`PartitionKey le ${timePartition(fromMs)}`
        : odata`PartitionKey lt ${TIME_PARTITION_END}`,
    );
  }
  // `to` is exclusive, `from` inclusive; a cursor resumes after the last row returned. Job copies carry the
  // job's prefix before the time key, and the bounds keep to it.
  const prefix = query.jobId !== undefined ? jobRowPrefix(query.jobId) : "";
  if (after !== undefined) clauses.push(odata`RowKey gt ${after}`);
  if (toMs !== undefined) clauses.push(odata`RowKey ge ${prefix + invertedMs(toMs - 1)}`);
  else if (prefix) clauses.push(odata`RowKey ge ${prefix}`);
  if (fromMs !== undefined) clauses.push(odata`RowKey lt ${prefix + invertedMs(fromMs - 1)}`);
  else if (prefix) clauses.push(odata`RowKey lt ${`${prefix}~`}`);

  if (query.subscriptionId !== undefined)
    clauses.push(odata`subscriptionKey eq ${query.subscriptionId.toLowerCase()}`);
  if (query.resourceGroup !== undefined)
    clauses.push(odata`resourceGroupKey eq ${query.resourceGroup.toLowerCase()}`);
  if (query.jobName !== undefined) clauses.push(odata`jobNameKey eq ${query.jobName.toLowerCase()}`);
  if (query.action !== undefined) clauses.push(odata`action eq ${query.action}`);
  if (query.outcome !== undefined) clauses.push(odata`outcome eq ${query.outcome}`);
  if (query.source !== undefined) clauses.push(odata`source eq ${query.source}`);
  return clauses.join(" and ");
}

/** Whether a cursor's RowKey fits this query: with the job's prefix on the job path, bare elsewhere. */
function rowKeyCheckFor(query: AuditQuery): (key: string) => boolean {
  const prefix = query.jobId === undefined ? "" : jobRowPrefix(query.jobId);
  return (key) => key.startsWith(prefix) && TIME_ROW_KEY_PATTERN.test(key.slice(prefix.length));
}

/** Whether no run and seq appears in two calls of a group (two retries of one write, say): else call by call. */
function sameKeysOnce(group: PendingAppend[]): boolean {
  const seen = new Set<string>();
  for (const { rows } of group)
    for (const { entry } of rows) {
      const key = `${entry.runId}\n${entry.seq}`;
      if (seen.has(key)) return false;
      seen.add(key);
    }
  return true;
}

/** Two entries of one call with the same run and seq would be one row: refuse the call before writing. */
function refuseDuplicates(rows: AuditRows[]): void {
  const seen = new Set<string>();
  for (const { entry } of rows) {
    const key = `${entry.runId}\n${entry.seq}`;
    if (seen.has(key)) {
      throw new AuditWriteError(
        `audit entries refused: run ${entry.runId} seq ${entry.seq} appears twice in one write`,
      );
    }
    seen.add(key);
  }
}

/** Status and service code only: messages can carry request details that do not belong in logs. */
export function describeFailure(err: unknown): string {
  const status = statusOf(err);
  const code = codeOf(err);
  if (status === undefined && code === undefined) return (err as Error)?.name ?? "unknown error";
  return [status !== undefined ? `status ${status}` : undefined, code].filter(Boolean).join(" ");
}
