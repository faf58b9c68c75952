// Saved plans (docs/operations.md#9-plans-and-approval): the record on Table Storage, the proposed actions on
// Blob Storage.
//
// Records: one partition `plan`, RowKey = the plan id mirrored (tableKeys.descendingKey) so the newest plan
// lists first, the record whole as JSON in `record0..N` (a plan holds its policy, which may pass 64 KiB), with
// status and times repeated as columns. Writes are conditional on the row's ETag: of two approvers one wins.
//
// Actions: container `janitor-plans`, one block blob per subscription, `<planId>/<subscriptionId>.jsonl`, one
// proposed action per line, written when the subscription's sweep ends (so a sweep holds at most one
// subscription's actions, and a redelivered part replaces its own blob rather than adding to it). Reading lists
// the plan's blobs in name order and reads one blob at a time; the cursor says which blob and line come next.
import { randomUUID } from "node:crypto";
import { odata } from "@azure/data-tables";
import type { ContainerClient } from "@azure/storage-blob";
import { ACCEPTED_IDS, isRunId, isSubscriptionId } from "../../domain/armIds";
import { PLAN_STATUSES, type PlanRecord, type ProposedAction } from "../../domain/plans";
import type { Page, PlanActionsQuery, PlanListQuery, PlanStore, StoredPlan } from "../../engine/ports";
import { JanitorError, ValidationError, type FieldProblem } from "../../errors";
import { decodeCursor, encodeCursor } from "./pageCursor";
import {
  keyPage,
  splitText,
  statusOf,
  TableStore,
  withRetry,
  type Entity,
  type StoredEntity,
  type TableLike,
  type TableStoreOptions,
} from "./tableAccess";
import { descendingKey } from "./tableKeys";

const PARTITION = "plan";
const CHUNK_CHARS = 30_000;
const MAX_CHUNKS = 30;
export const PLANS_LIMIT_DEFAULT = 20;
export const PLANS_LIMIT_MAX = 100;
export const ACTIONS_LIMIT_DEFAULT = 100;
export const ACTIONS_LIMIT_MAX = 1000;
export const DEFAULT_PLAN_CONTAINER = "janitor-plans";
const ROW_KEY_PATTERN = /^[-.0-9A-Z_a-z]{1,100}~$/;
const BLOB_NAME_PATTERN = /^[A-Za-z0-9-]{1,64}\/[0-9a-f-]{36}\.jsonl$/;

export class PlanStorage extends TableStore implements PlanStore {
  private containerReady: Promise<void> | undefined;

  constructor(
    table: TableLike,
    private readonly container: ContainerClient,
    options: TableStoreOptions = {},
  ) {
    super(table, options);
  }

  async create(plan: PlanRecord): Promise<void> {
    checkPlanId(plan.planId);
    await this.ready();
    const entity = toEntity(plan, randomUUID());
    try {
      await withRetry(() => this.table.createEntity(entity), this.retry);
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      // Our own first attempt landed before its answer was lost, or a redelivered request made it already.
    }
  }

  async get(planId: string): Promise<StoredPlan | undefined> {
    checkPlanId(planId);
    await this.ready();
    try {
      const entity = await withRetry(
        () => this.table.getEntity(PARTITION, descendingKey(planId)),
        this.retry,
      );
      return { plan: fromEntity(entity), etag: entity.etag };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async replace(plan: PlanRecord, etag: string): Promise<boolean> {
    checkPlanId(plan.planId);
    await this.ready();
    const writeId = randomUUID();
    try {
      await withRetry(
        () => this.table.updateEntity(toEntity(plan, writeId), "Replace", { etag }),
        this.retry,
      );
      return true;
    } catch (err) {
      if (statusOf(err) !== 412) throw err;
      // Another writer first, or our own write whose answer was lost: the stored writeId tells.
      const now = await withRetry(
        () => this.table.getEntity(PARTITION, descendingKey(plan.planId)),
        this.retry,
      ).catch(() => undefined);
      return now?.writeId === writeId;
    }
  }

  async list(query: PlanListQuery): Promise<Page<PlanRecord>> {
    const limit = query.limit ?? PLANS_LIMIT_DEFAULT;
    const problems: FieldProblem[] = [];
    if (!Number.isInteger(limit) || limit < 1 || limit > PLANS_LIMIT_MAX)
      problems.push({ field: "limit", message: `must be a whole number from 1 to ${PLANS_LIMIT_MAX}` });
    if (query.status !== undefined && !PLAN_STATUSES.includes(query.status))
      problems.push({ field: "status", message: `must be one of ${PLAN_STATUSES.join(", ")}` });
    if (query.cursor !== undefined && !/^[A-Za-z0-9_-]{1,1024}$/.test(query.cursor))
      problems.push({ field: "cursor", message: "must be the nextCursor of a previous answer" });
    if (problems.length > 0) throw new ValidationError(problems);
    const filters = { status: query.status };
    const after =
      query.cursor === undefined
        ? undefined
        : decodeCursor(query.cursor, "plans", filters, (k) => ROW_KEY_PATTERN.test(k));
    await this.ready();
    // The status column is stored as written; an expired plan whose row still says pending is found by
    // `pending` and shown as expired by the reader (effectiveStatus), so `status` filters on the stored value.
    const filter = [
      odata`PartitionKey eq ${PARTITION}`,
      ...(after ? [odata`RowKey gt ${after}`] : []),
      ...(query.status ? [odata`status eq ${query.status}`] : []),
    ].join(" and ");
    const { items, nextKey } = await keyPage(this.table, filter, limit, this.retry);
    return {
      items: items.map(fromEntity),
      ...(nextKey ? { nextCursor: encodeCursor("plans", filters, nextKey) } : {}),
    };
  }

  async writeActions(planId: string, subscriptionId: string, actions: ProposedAction[]): Promise<void> {
    checkPlanId(planId);
    const name = blobName(planId, subscriptionId);
    await this.ensureContainer();
    const blob = this.container.getBlockBlobClient(name);
    if (actions.length === 0) {
      // A redelivery that now proposes nothing here removes what an earlier one wrote.
      await withRetry(() => blob.deleteIfExists(), this.retry);
      return;
    }
    const body = actions.map((a) => `${JSON.stringify(a)}\n`).join("");
    await withRetry(
      () =>
        blob.upload(body, Buffer.byteLength(body), {
          blobHTTPHeaders: { blobContentType: "application/x-ndjson; charset=utf-8" },
        }),
      this.retry,
    );
  }

  async readActions(planId: string, query: PlanActionsQuery): Promise<Page<ProposedAction>> {
    checkPlanId(planId);
    const limit = query.limit ?? ACTIONS_LIMIT_DEFAULT;
    const problems: FieldProblem[] = [];
    if (!Number.isInteger(limit) || limit < 1 || limit > ACTIONS_LIMIT_MAX)
      problems.push({ field: "limit", message: `must be a whole number from 1 to ${ACTIONS_LIMIT_MAX}` });
    if (query.subscriptionId !== undefined && !isSubscriptionId(query.subscriptionId))
      problems.push({ field: "subscriptionId", message: `must be ${ACCEPTED_IDS.subscriptionId}` });
    if (query.cursor !== undefined && !/^[A-Za-z0-9_-]{1,1024}$/.test(query.cursor))
      problems.push({ field: "cursor", message: "must be the nextCursor of a previous answer" });
    if (problems.length > 0) throw new ValidationError(problems);
    const filters = { planId, subscriptionId: query.subscriptionId?.toLowerCase() };
    // The cursor's key: the blob to continue in and how many of its lines were already returned.
    let start: { blob: string; line: number } | undefined;
    if (query.cursor !== undefined) {
      const key = decodeCursor(query.cursor, "plan-actions", filters, (k) => {
        const [name, line] = k.split("#");
        return BLOB_NAME_PATTERN.test(name ?? "") && /^\d{1,9}$/.test(line ?? "");
      });
      const [blob, line] = key.split("#") as [string, string];
      start = { blob, line: Number(line) };
    }

    const items: ProposedAction[] = [];
    for await (const name of this.blobNames(planId, filters.subscriptionId, start?.blob)) {
      const skip = start && name === start.blob ? start.line : 0;
      const lines = await this.readLines(name);
      for (let i = skip; i < lines.length; i++) {
        if (items.length === limit)
          return { items, nextCursor: encodeCursor("plan-actions", filters, `${name}#${i}`) };
        items.push(JSON.parse(lines[i]!) as ProposedAction);
      }
      if (items.length === limit) {
        // Exactly at a blob's end: the next page starts with the next blob (if any).
        const more = await this.hasBlobAfter(planId, filters.subscriptionId, name);
        return more
          ? { items, nextCursor: encodeCursor("plan-actions", filters, `${name}#${lines.length}`) }
          : { items };
      }
    }
    return { items };
  }

  async subscriptionsOf(planId: string): Promise<string[]> {
    checkPlanId(planId);
    const out: string[] = [];
    for await (const name of this.blobNames(planId, undefined, undefined))
      out.push(name.slice(planId.length + 1, -".jsonl".length));
    return out;
  }

  /** The plan's blob names in order, from `from` (included) on. */
  private async *blobNames(
    planId: string,
    subscriptionId: string | undefined,
    from: string | undefined,
  ): AsyncGenerator<string> {
    await this.ensureContainer();
    const prefix = subscriptionId ? blobName(planId, subscriptionId) : `${planId}/`;
    for await (const page of this.container.listBlobsFlat({ prefix }).byPage({ maxPageSize: 5000 })) {
      for (const item of page.segment.blobItems) {
        if (from !== undefined && item.name < from) continue;
        if (!BLOB_NAME_PATTERN.test(item.name)) continue;
        yield item.name;
      }
    }
  }

  private async hasBlobAfter(planId: string, subscriptionId: string | undefined, name: string) {
    for await (const next of this.blobNames(planId, subscriptionId, name)) if (next > name) return true;
    return false;
  }

  private async readLines(name: string): Promise<string[]> {
    const buffer = await withRetry(
      () => this.container.getBlockBlobClient(name).downloadToBuffer(),
      this.retry,
    );
    return buffer
      .toString("utf8")
      .split("\n")
      .filter((line) => line !== "");
  }

  private ensureContainer(): Promise<void> {
    this.containerReady ??= withRetry(() => this.container.createIfNotExists(), this.retry).then(
      () => undefined,
      (err: unknown) => {
        // An identity that may not create containers: the deployment made it, or the first use says so.
        if (statusOf(err) === 403) return;
        this.containerReady = undefined;
        throw err;
      },
    );
    return this.containerReady;
  }
}

function blobName(planId: string, subscriptionId: string): string {
  if (!isSubscriptionId(subscriptionId))
    throw new ValidationError([
      { field: "subscriptionId", message: `must be ${ACCEPTED_IDS.subscriptionId}` },
    ]);
  return `${planId}/${subscriptionId.toLowerCase()}.jsonl`;
}

function checkPlanId(planId: string): void {
  if (!isRunId(planId))
    throw new ValidationError([{ field: "planId", message: `must be ${ACCEPTED_IDS.runId}` }]);
}

function toEntity(plan: PlanRecord, writeId: string): Entity {
  const json = JSON.stringify(plan);
  const parts = splitText(json, CHUNK_CHARS);
  if (parts.length > MAX_CHUNKS) throw new JanitorError(`plan ${plan.planId} record is too large to store`);
  const entity: Entity = {
    partitionKey: PARTITION,
    rowKey: descendingKey(plan.planId),
    writeId,
    recordParts: parts.length,
    planId: plan.planId,
    status: plan.status,
    createdAt: plan.createdAt,
    expiresAt: plan.expiresAt,
    requestedBy: plan.requestedBy,
  };
  parts.forEach((part, i) => (entity[`record${i}`] = part));
  return entity;
}

function fromEntity(entity: StoredEntity): PlanRecord {
  let json = "";
  for (let i = 0; i < Number(entity.recordParts); i++) json += String(entity[`record${i}`] ?? "");
  return JSON.parse(json) as PlanRecord;
}
