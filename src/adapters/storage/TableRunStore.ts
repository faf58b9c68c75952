// Run records on Azure Table Storage (README.md#how-a-run-works).
//
// One partition `run`; RowKey = the run id mirrored so that later ids sort first (tableKeys.descendingKey).
// Run ids from `newRunId` start with their UTC time, so the partition lists the newest run first and a run is
// a point read. The record is kept whole as JSON (split over `record0..N` properties, a string property holds
// at most 64 KiB) so fields added to RunRecord later survive untouched; the main fields are repeated as
// columns for people browsing the table. Updates are read-modify-write with the row's ETag: a 412 means
// another writer got there first, and the change is re-applied to the fresh record. Each write carries a
// random `writeId`, so a write whose answer was lost (and looks like a 412 on retry) is recognised as ours
// and never applied twice.
import { randomUUID } from "node:crypto";
import { odata } from "@azure/data-tables";
import { ACCEPTED_IDS, isRunId } from "../../domain/armIds";
import { addCounts, type RunCounts, type RunRecord } from "../../domain/records";
import type { Page, RunStore, SweptSubscription, WorkPart } from "../../engine/ports";
import { ConcurrencyError, JanitorError, NotFoundError, ValidationError } from "../../errors";
import { decodeCursor, encodeCursor } from "./pageCursor";
import {
  backoffMs,
  chunks,
  forEachPage,
  keyPage,
  MAX_BATCH,
  splitText,
  MAX_PAGE,
  statusOf,
  withRetry,
  type Entity,
  type StoredEntity,
  TableStore,
} from "./tableAccess";
import { descendingKey } from "./tableKeys";

const PARTITION = "run";
/** A run's parts live beside it, one row per part, in a partition of their own. */
const partsPartition = (runId: string) => `parts-${runId}`;
const PLAN_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
const CHUNK_CHARS = 30_000; // a string property holds 64 KiB of UTF-16
const MAX_CHUNKS = 30; // stays well inside the 1 MiB entity limit
const TEXT_MAX = 1024; // `error` and `note` are summaries
const CURSOR_KIND = "runs";
const RUNS_ROW_KEY_PATTERN = /^[-.0-9A-Z_a-z]{1,100}~$/;
export const RUNS_LIMIT_DEFAULT = 20;
export const RUNS_LIMIT_MAX = 1000;
/** ETag conflicts tolerated per update before giving up (8 writers at once settle well within this). */
const MAX_CONFLICTS = 60;

export class TableRunStore extends TableStore implements RunStore {
  async create(run: RunRecord): Promise<void> {
    const entity = toEntity(checkRun(run), randomUUID());
    await this.ready();
    try {
      await withRetry(() => this.table.createEntity(entity), this.retry);
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      // Either our own first attempt landed before its answer was lost, or the id is taken.
      const stored = await this.read(run.runId);
      if (stored?.entity.writeId !== entity.writeId) {
        throw new ConcurrencyError(`run ${run.runId} exists already`, { cause: err });
      }
    }
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    checkRunId(runId);
    await this.ready();
    return (await this.read(runId))?.run;
  }

  async update(runId: string, change: (run: RunRecord) => RunRecord): Promise<RunRecord> {
    checkRunId(runId);
    await this.ready();
    for (let conflicts = 0; conflicts < MAX_CONFLICTS; conflicts++) {
      const current = await this.read(runId);
      if (!current) throw new NotFoundError(`run ${runId} not found`);
      const next = checkRun(change(structuredClone(current.run)));
      if (next.runId !== runId) throw new JanitorError(`update of run ${runId} tried to change its runId`);
      const writeId = randomUUID();
      try {
        await withRetry(
          () => this.table.updateEntity(toEntity(next, writeId), "Replace", { etag: current.etag }),
          this.retry,
        );
        return next;
      } catch (err) {
        if (statusOf(err) !== 412) throw err;
        // Lost the race, or our own write landed and only its answer was lost.
        const now = await this.read(runId);
        if (now?.entity.writeId === writeId) return now.run;
        await new Promise((resolve) =>
          setTimeout(resolve, backoffMs(Math.min(conflicts, 5), { ...this.retry, baseDelayMs: 10 })),
        );
      }
    }
    throw new ConcurrencyError(`run ${runId} kept changing under ${MAX_CONFLICTS} update attempts`);
  }

  addCounts(runId: string, delta: Partial<RunCounts>): Promise<RunRecord> {
    return this.update(runId, (run) => ({ ...run, counts: addCounts(run.counts, delta) }));
  }

  async list(options: { limit?: number; cursor?: string }): Promise<Page<RunRecord>> {
    const limit = options.limit ?? RUNS_LIMIT_DEFAULT;
    const problems = [];
    if (!Number.isInteger(limit) || limit < 1 || limit > RUNS_LIMIT_MAX) {
      problems.push({ field: "limit", message: `must be a whole number from 1 to ${RUNS_LIMIT_MAX}` });
    }
    if (
      options.cursor !== undefined &&
      (typeof options.cursor !== "string" || !/^[A-Za-z0-9_-]{1,1024}$/.test(options.cursor))
    ) {
      problems.push({ field: "cursor", message: "must be the nextCursor of a previous answer" });
    }
    if (problems.length > 0) throw new ValidationError(problems);
    const after =
      options.cursor === undefined
        ? undefined
        : decodeCursor(options.cursor, CURSOR_KIND, {}, (key) => RUNS_ROW_KEY_PATTERN.test(key));
    await this.ready();

    const filter = [odata`PartitionKey eq ${PARTITION}`, ...(after ? [odata`RowKey gt ${after}`] : [])].join(
      " and ",
    );
    const { items, nextKey } = await keyPage(this.table, filter, limit, this.retry);
    return {
      items: items.map((entity) => fromEntity(entity)),
      ...(nextKey ? { nextCursor: encodeCursor(CURSOR_KIND, {}, nextKey) } : {}),
    };
  }

  async saveParts(runId: string, planId: string, parts: WorkPart[]): Promise<void> {
    checkRunId(runId);
    checkPlanId(planId);
    await this.ready();
    const rows = parts.map((part) => ({
      partitionKey: partsPartition(runId),
      rowKey: `${planId}-${String(part.index).padStart(6, "0")}`,
      subscriptions: JSON.stringify(part.subscriptions),
    }));
    // Upserts: the plan id is this coordinator attempt's own, so a retried batch rewrites the same rows.
    for (const batch of chunks(rows, MAX_BATCH)) {
      await withRetry(
        () => this.table.submitTransaction(batch.map((row) => ["upsert", row, "Replace"])),
        this.retry,
      );
    }
  }

  async loadParts(runId: string, planId: string): Promise<WorkPart[]> {
    checkRunId(runId);
    checkPlanId(planId);
    await this.ready();
    const filter = odata`PartitionKey eq ${partsPartition(runId)} and RowKey gt ${`${planId}-`} and RowKey lt ${`${planId}.`}`;
    const parts: WorkPart[] = [];
    await forEachPage(this.table, { filter }, MAX_PAGE, this.retry, (page) => {
      for (const row of page) {
        const index = Number(String(row.rowKey).slice(planId.length + 1));
        parts.push({ runId, index, subscriptions: JSON.parse(String(row.subscriptions)) });
      }
      return true;
    });
    return parts.sort((a, b) => a.index - b.index);
  }

  async saveSweptSubscription(
    runId: string,
    partIndex: number,
    slot: number,
    result: SweptSubscription,
  ): Promise<void> {
    checkRunId(runId);
    await this.ready();
    const entity = {
      partitionKey: partsPartition(runId),
      rowKey: sweptRowKey(partIndex, slot),
      result: JSON.stringify(result),
    };
    await withRetry(() => this.table.submitTransaction([["upsert", entity, "Replace"]]), this.retry);
  }

  async loadSweptSubscription(
    runId: string,
    partIndex: number,
    slot: number,
  ): Promise<SweptSubscription | undefined> {
    checkRunId(runId);
    await this.ready();
    try {
      const row = await withRetry(
        () => this.table.getEntity(partsPartition(runId), sweptRowKey(partIndex, slot)),
        this.retry,
      );
      return JSON.parse(String(row.result)) as SweptSubscription;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async read(
    runId: string,
  ): Promise<{ run: RunRecord; etag: string; entity: StoredEntity } | undefined> {
    try {
      const entity = await withRetry(() => this.table.getEntity(PARTITION, descendingKey(runId)), this.retry);
      return { run: fromEntity(entity), etag: entity.etag, entity };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }
}

function checkRunId(runId: string): void {
  if (!isRunId(runId)) {
    throw new ValidationError([{ field: "runId", message: `must be ${ACCEPTED_IDS.runId}` }]);
  }
}

const sweptRowKey = (partIndex: number, slot: number) =>
  `swept-${String(partIndex).padStart(6, "0")}-${String(slot).padStart(9, "0")}`;

function checkPlanId(planId: string): void {
  if (typeof planId !== "string" || !PLAN_ID_PATTERN.test(planId)) {
    throw new ValidationError([{ field: "planId", message: "must be 1-64 letters, digits or '-'" }]);
  }
}

/** Checks what the keys and columns depend on; cuts the free-text summaries to 1,024 characters. */
function checkRun(run: RunRecord): RunRecord {
  checkRunId(run.runId);
  if (!run.counts || typeof run.counts !== "object") {
    throw new ValidationError([{ field: "counts", message: "is required" }]);
  }
  const cut = (text: string | undefined) =>
    typeof text === "string" && text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 3)}...` : text;
  const out = { ...run };
  if (run.error !== undefined) out.error = cut(run.error);
  if (run.note !== undefined) out.note = cut(run.note);
  return out;
}

function toEntity(run: RunRecord, writeId: string): Entity {
  const parts = splitText(JSON.stringify(run), CHUNK_CHARS);
  if (parts.length > MAX_CHUNKS) throw new JanitorError(`run ${run.runId} record is too large to store`);
  const entity: Entity = {
    partitionKey: PARTITION,
    rowKey: descendingKey(run.runId),
    writeId,
    recordParts: parts.length,
    // Columns for people browsing the table; the JSON is what is read back.
    runId: run.runId,
    status: run.status,
    mode: run.mode,
    trigger: run.trigger,
    queuedAt: run.queuedAt,
    ...(run.startedAt ? { startedAt: run.startedAt } : {}),
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
  };
  parts.forEach((part, i) => (entity[`record${i}`] = part));
  return entity;
}

function fromEntity(entity: StoredEntity): RunRecord {
  const parts = Number(entity.recordParts);
  let json = "";
  for (let i = 0; i < parts; i++) json += String(entity[`record${i}`] ?? "");
  return JSON.parse(json) as RunRecord;
}
