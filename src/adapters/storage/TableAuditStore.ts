// The audit log on Azure Table Storage (README.md#the-audit-log).
//
// Key design (log-tail pattern plus inter-partition copies):
// - Each entry is stored as up to three copies of one row (same properties) in three partitions:
//     time copy  PK `t<999999 - UTC day>!<86399 - second of day>-<yyyymmdd>T<hhmmss>`      RK = T
//                (e.g. `t979221!13559-20261121T201400`, one partition per UTC second)
//     run copy   PK `r!<runId>!<99999999999 - epoch second>` (one per run and second)   RK = T
//     job copy   PK `j-<subscription id from the job id>`                             RK = `<job id>~` + T
//   where T = `<13-digit inverted epoch ms>-<runId>-<12-digit inverted seq>`; ids are lower-cased where ARM is
//   case-insensitive and key-encoded (tableKeys.encodeKeyPart). Entries without a job have no job copy.
// - Written before and still read and purged, never written: time copies in one partition per UTC day
//   (`t<999999 - day>-<yyyymmdd>`, e.g. `t979222-20261120`), run copies in one per run (`r-<runId>`), job
//   copies in `j-<subscription id>-<hash bucket 0-f>`.
// - Why per second: Azure's target for one partition is about 2,000 entities per second (1 KiB entities,
//   https://learn.microsoft.com/azure/storage/tables/scalability-targets), and Azurite checks each insert by
//   walking the partition, so n inserts into one partition cost O(n^2). A big run wrote 10,000-60,000 rows into
//   one day partition and as many into its run partition.
// - Inverted milliseconds (not .NET ticks, which overflow JS numbers) sort the newest first within a partition,
//   and the inverted day, then second, sorts the newest partition first, so across the time partitions the table
//   order is newest first and equals the order of T alone. `!` sorts below `-`: a day's per-second partitions
//   come before its legacy day partition (whose rows were all written before the change, so are older) and after
//   the next day's. A time range is one key-range query: PartitionKey from the per-second partition of the
//   newest millisecond to the legacy day partition of the oldest (the largest key of that day), RowKey range of
//   the milliseconds. A run is one range query over `r!<runId>!` (a run id has no `!`, so no other run falls in
//   it; within it (PK, RK) order is RK order) plus its legacy partition, merged by RowKey; a job one RowKey
//   prefix range of its subscription's partition and of its legacy bucket (with the same time bounds when a
//   range is given). Nothing scans the table.
// - Full copies rather than pointer rows: a lookup reads rows directly, with no point read per entry. Copies
//   are grouped so that what one call writes shares partitions (a second, a run's second, a subscription's job
//   copies; a sweep works per subscription, and concurrent calls are written together) and goes in
//   transactions of up to 100 rows. A transaction holds one partition only, so the copies cannot share one:
//   time copies are written first, then run and job copies. A write that fails half way rejects; the engine
//   stops acting, and writing the same entries again completes it: a row that already exists with the same
//   content counts as written (that is also how a retried batch whose first attempt did land is recognised),
//   while a row with the same key and other content is a collision and fails. Nothing is ever updated or
//   upserted. (A retry of a write begun before the change to per-second partitions lands in the new ones: a run
//   or job lookup shows the entry once, a time range could show it twice.) Retention deletes the copies before
//   the time row, so an interrupted purge is finished by the next one; the time rows are the full set. A time
//   row in a legacy day partition has its run copy in `r-<runId>`, a newer one in the run's partition of the
//   second its RowKey gives.
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
  isLegacyTimePartition,
  legacyRunPartition,
  legacyTimePartition,
  runPartition,
  runPartitionPrefix,
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
        // Together only if no run and seq appears in two calls (two retries of one write, say); else, or if
        // that write fails, call by call.
        const all = group.flatMap((g) => g.rows);
        if (
          group.length > 1 &&
          repeatedEntry(all) === undefined &&
          (await this.writeRows(all)) === undefined
        ) {
          for (const g of group) g.done();
          continue;
        }
        await Promise.all(group.map(async (g) => g.done(await this.writeRows(g.rows))));
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
    // are in its subscription's partition, and older ones in a legacy bucket; a run's are in its per-second
    // partitions, and older ones in its legacy partition: both are read (at once) and merged in key order.
    const sources = sourcesOf(query);
    const read = await Promise.all(
      sources.map(async (source) => {
        const fromThis: StoredEntity[] = [];
        await forEachPage(
          this.table,
          { filter: auditFilter(query, after, source) },
          Math.min(MAX_PAGE, limit + 1),
          this.retry,
          (page) => {
            fromThis.push(...page);
            return fromThis.length <= limit;
          },
        );
        return fromThis.slice(0, limit + 1);
      }),
    );
    const found = read.flat();
    if (sources.length > 1) mergeByRowKey(found);
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
          // A time row in a legacy day partition has its run copy in the run's legacy partition; a newer one in
          // the run's partition of the row's second (its milliseconds are the RowKey's first 13 digits).
          const runId = String(row.runId);
          const runCopy = isLegacyTimePartition(row.partitionKey!)
            ? legacyRunPartition(runId)
            : runPartition(runId, msFromInverted(row.rowKey!.slice(0, 13)));
          const keys = [{ partitionKey: runCopy, rowKey: row.rowKey! }];
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

/** Where a query reads: a job's two partitions, a run's per-second and legacy partitions, or the time copies. */
type Source = { kind: "job"; partition: string } | { kind: "run" } | { kind: "legacyRun" } | { kind: "time" };

function sourcesOf(query: AuditQuery): Source[] {
  if (query.jobId !== undefined)
    return [
      { kind: "job", partition: jobPartition(query.jobId) },
      { kind: "job", partition: legacyJobPartition(query.jobId) },
    ];
  if (query.runId !== undefined) return [{ kind: "run" }, { kind: "legacyRun" }];
  return [{ kind: "time" }];
}

/**
 * Sorts rows read from several sources by RowKey and drops repeats of one RowKey (the same entry, written again
 * by a retry that straddled the upgrade to per-second partitions), in place.
 */
function mergeByRowKey(rows: StoredEntity[]): void {
  rows.sort((a, b) => (a.rowKey! < b.rowKey! ? -1 : a.rowKey! > b.rowKey! ? 1 : 0));
  let kept = 0;
  for (const row of rows) if (kept === 0 || rows[kept - 1]!.rowKey !== row.rowKey) rows[kept++] = row;
  rows.length = kept;
}

/** The OData filter of a validated query: only allow-listed fields, only validated values, via `odata`. */
function auditFilter(query: AuditQuery, after: string | undefined, source: Source): string {
  const clauses: string[] = [];
  const fromMs = query.from === undefined ? undefined : Date.parse(query.from);
  const toMs = query.to === undefined ? undefined : Date.parse(query.to);
  // Newest partition first: the upper end of the time range (or the cursor) gives the lower PartitionKey, the
  // lower end the upper one (time and run partitions; a cursor's RowKey is bare there).
  const newestMs =
    after !== undefined ? msFromInverted(after.slice(0, 13)) : toMs !== undefined ? toMs - 1 : undefined;

  if (source.kind === "job") {
    clauses.push(
      odata`PartitionKey eq ${source.partition}`,
      odata`jobIdKey eq ${query.jobId!.toLowerCase()}`,
    );
    if (query.runId !== undefined) clauses.push(odata`runId eq ${query.runId}`);
  } else if (source.kind === "legacyRun") {
    clauses.push(odata`PartitionKey eq ${legacyRunPartition(query.runId!)}`);
  } else if (source.kind === "run") {
    const runId = query.runId!;
    const prefix = runPartitionPrefix(runId);
    clauses.push(
      newestMs !== undefined
        ? odata`PartitionKey ge ${runPartition(runId, newestMs)}`
        : odata`PartitionKey ge ${prefix}`,
      fromMs !== undefined
        ? odata`PartitionKey le ${runPartition(runId, fromMs)}`
        : odata`PartitionKey lt ${`${prefix}~`}`,
    );
  } else {
    // The oldest day's legacy partition is the largest key of that day (its per-second partitions sort before).
    clauses.push(
      newestMs !== undefined
        ? odata`PartitionKey ge ${timePartition(newestMs)}`
        : odata`PartitionKey ge ${"t"}`,
      fromMs !== undefined
        ? odata`PartitionKey le ${legacyTimePartition(fromMs)}`
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

/** The first entry whose run and seq an earlier one has (the two would be one row), if any. */
function repeatedEntry(rows: AuditRows[]): AuditEntry | undefined {
  const seen = new Set<string>();
  for (const { entry } of rows) {
    const key = `${entry.runId}\n${entry.seq}`;
    if (seen.has(key)) return entry;
    seen.add(key);
  }
  return undefined;
}

/** Two entries of one call with the same run and seq would be one row: refuse the call before writing. */
function refuseDuplicates(rows: AuditRows[]): void {
  const entry = repeatedEntry(rows);
  if (entry !== undefined)
    throw new AuditWriteError(
      `audit entries refused: run ${entry.runId} seq ${entry.seq} appears twice in one write`,
    );
}

/** Status and service code only: messages can carry request details that do not belong in logs. */
export function describeFailure(err: unknown): string {
  const status = statusOf(err);
  const code = codeOf(err);
  if (status === undefined && code === undefined) return (err as Error)?.name ?? "unknown error";
  return [status !== undefined ? `status ${status}` : undefined, code].filter(Boolean).join(" ");
}
