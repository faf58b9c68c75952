// Saved plans (docs/operations.md#9-plans-and-approval): the record on Table Storage, the proposed actions on
// Blob Storage.
//
// Records: one partition `plan`, RowKey = the plan id mirrored (tableKeys.descendingKey) so the newest plan
// lists first, the record whole as JSON in `record0..N` (a plan holds its policy, which may pass 64 KiB), with
// status and times repeated as columns. Writes are conditional on the row's ETag: of two approvers one wins.
//
// Actions: container `janitor-plans`, one block blob per subscription, `<planId>/<subscriptionId>.jsonl`, one
// proposed action per line, written when the subscription's sweep ends (so a sweep holds at most one
// subscription's actions, and a redelivered part replaces its own blob rather than adding to it).
//
// Reading costs one read per stored blob, whatever the plan's size: the cursor names the blob to continue in,
// the byte offset of its next line, and the service's marker of the listing page that holds the blob, so a page
// lists a few hundred names from where the last one stopped and reads on from that offset with a ranged
// download (never the plan's listing from its start, never a blob from its first byte again). One read is at
// most READ_BYTES, so neither a page nor one subscription's large blob is ever held whole.
import { randomUUID } from "node:crypto";
import { odata } from "@azure/data-tables";
import type { ContainerClient } from "@azure/storage-blob";
import { ACCEPTED_IDS, isRunId, isSubscriptionId } from "../../domain/armIds";
import { JOB_SOURCES } from "../../domain/job";
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
/** Blob names per listing request: a page of actions over one-action blobs may still need several. */
const LIST_PAGE = 250;
const LIST_FIRST = 16;
/** The most bytes one ranged read downloads: memory per page stays bounded however large a blob is. */
const READ_BYTES = 1 << 20;
const NEWLINE = 0x0a;
/** What a proposed action's line is taken to be before any is read (they are 400-600 bytes). */
const LINE_BYTES_GUESS = 640;
const READ_SLACK = 2048;
/** The actions cursor's kind: byte offsets (an older cursor counted lines, and is refused plainly). */
const ACTIONS_CURSOR = "plan-actions-at";
/** A listing marker as the service gives it (opaque, printable, no `#`). */
const MARKER_PATTERN = /^[!-"$-~]{1,600}$/;

interface ListingPage {
  blobs: { name: string; size: number }[];
  /** The marker of the next listing page, when there is one. */
  next?: string;
}

/** Where the next page of actions starts: a blob, the byte offset of its next line, the listing page it is on. */
interface ActionsKey {
  blob: string;
  offset: number;
  marker?: string;
}

function actionsKey(at: ActionsKey): string {
  return `${at.blob}#${at.offset}${at.marker !== undefined ? `#${at.marker}` : ""}`;
}

function parseActionsKey(key: string): ActionsKey | undefined {
  const [blob, offset, ...rest] = key.split("#");
  const marker = rest.length > 0 ? rest.join("#") : undefined;
  if (!BLOB_NAME_PATTERN.test(blob ?? "") || !/^\d{1,12}$/.test(offset ?? "")) return undefined;
  if (marker !== undefined && !MARKER_PATTERN.test(marker)) return undefined;
  return { blob: blob!, offset: Number(offset), ...(marker !== undefined && { marker }) };
}

/** A cursor into a blob that has changed since (a plan's actions are rewritten only while its run sweeps). */
function staleCursor(): ValidationError {
  return new ValidationError([
    {
      field: "cursor",
      message: "points into proposed actions that have changed since; start again without a cursor",
    },
  ]);
}

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
    // The container is made now, alongside the record, not when the first subscription's actions are written:
    // that kept the first subscriptions of a run waiting on it. A failure here is met again by that write.
    this.ensureContainer().catch(() => undefined);
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
    if (query.source !== undefined && !JOB_SOURCES.includes(query.source))
      problems.push({ field: "source", message: `must be one of ${JOB_SOURCES.join(", ")}` });
    if (problems.length > 0) throw new ValidationError(problems);
    const filters = {
      planId,
      subscriptionId: query.subscriptionId?.toLowerCase(),
      ...(query.source !== undefined && { source: query.source }),
    };
    const keep = query.source === undefined ? undefined : (a: ProposedAction) => a.source === query.source;
    const start =
      query.cursor === undefined
        ? undefined
        : parseActionsKey(decodeCursor(query.cursor, ACTIONS_CURSOR, filters, (k) => !!parseActionsKey(k)));

    await this.ensureContainer();
    const prefix = filters.subscriptionId ? blobName(planId, filters.subscriptionId) : `${planId}/`;
    const items: ProposedAction[] = [];
    const cursorAt = (at: ActionsKey) => encodeCursor(ACTIONS_CURSOR, filters, actionsKey(at));
    let marker = start?.marker;
    // Listing pages grow as a page of actions needs more blobs: a page over large blobs lists a few names, one
    // over one-action blobs soon lists many, so what is listed follows what is read, not the number of pages.
    for (let names = LIST_FIRST; ; names = Math.min(LIST_PAGE, names * 2)) {
      const listing = await this.listPage(prefix, marker, names);
      const blobs = listing.blobs.filter((b) => start === undefined || b.name >= start.blob);
      for (let i = 0; i < blobs.length; i++) {
        const blob = blobs[i]!;
        const from = start && blob.name === start.blob ? start.offset : 0;
        const offset = await this.readInto(items, limit, blob, from, keep);
        if (offset < blob.size) return { items, nextCursor: cursorAt({ blob: blob.name, offset, marker }) };
        if (items.length === limit) {
          // Exactly at a blob's end: the next page starts with the next blob, if there is one.
          const next = blobs[i + 1];
          if (next) return { items, nextCursor: cursorAt({ blob: next.name, offset: 0, marker }) };
          const after =
            listing.next === undefined ? undefined : await this.listPage(prefix, listing.next, LIST_FIRST);
          const first = after?.blobs[0];
          return first
            ? { items, nextCursor: cursorAt({ blob: first.name, offset: 0, marker: listing.next }) }
            : { items };
        }
      }
      if (listing.next === undefined) return { items };
      marker = listing.next;
    }
  }

  async subscriptionsOf(planId: string): Promise<string[]> {
    checkPlanId(planId);
    const out: string[] = [];
    for await (const name of this.blobNames(planId))
      out.push(name.slice(planId.length + 1, -".jsonl".length));
    return out;
  }

  /** The plan's blob names in order. */
  private async *blobNames(planId: string): AsyncGenerator<string> {
    await this.ensureContainer();
    let marker: string | undefined;
    do {
      const listing = await this.listPage(`${planId}/`, marker, LIST_PAGE);
      for (const blob of listing.blobs) yield blob.name;
      marker = listing.next;
    } while (marker !== undefined);
  }

  /** One listing page of the plan's blobs from `marker` (the service's own continuation marker). */
  private async listPage(prefix: string, marker: string | undefined, names: number): Promise<ListingPage> {
    const page = await withRetry(async () => {
      const pages = this.container
        .listBlobsFlat({ prefix })
        .byPage({ maxPageSize: names, ...(marker !== undefined && { continuationToken: marker }) });
      const first = await pages.next();
      return first.done ? undefined : first.value;
    }, this.retry);
    const blobs = (page?.segment.blobItems ?? [])
      .filter((item) => BLOB_NAME_PATTERN.test(item.name))
      .map((item) => ({ name: item.name, size: item.properties.contentLength ?? 0 }));
    const next = page?.continuationToken;
    return { blobs, ...(next ? { next } : {}) };
  }

  /**
   * Parses the lines of `blob` from byte `from` into `items` until `limit` items or the blob's end; returns the
   * byte offset of the first line not taken (the blob's size at its end). Each ranged read asks for about what
   * the page still needs (by the bytes read per line kept so far), at most READ_BYTES: a page that stops inside
   * a blob leaves little unread that was downloaded, and the next page reads on from there. With `keep`, the
   * lines it passes over count towards the bytes, not the lines, so a rare source is read in a few large reads.
   */
  private async readInto(
    items: ProposedAction[],
    limit: number,
    blob: { name: string; size: number },
    from: number,
    keep?: (action: ProposedAction) => boolean,
  ): Promise<number> {
    if (from > blob.size) throw staleCursor();
    let offset = from;
    // Lines kept into `items` and bytes of every line parsed (kept or not): bytes per item this blob yields.
    let taken = { lines: 0, bytes: 0 };
    const client = this.container.getBlockBlobClient(blob.name);
    while (offset < blob.size && items.length < limit) {
      // A cursor's offset is a line start: the byte before it is read too, and must end a line.
      const lead = offset > 0 ? 1 : 0;
      // None kept yet from the bytes parsed: one item at least that many bytes on, so the next read grows.
      const lineBytes =
        taken.lines > 0 ? taken.bytes / taken.lines : taken.bytes > 0 ? taken.bytes : LINE_BYTES_GUESS;
      const want = Math.ceil((limit - items.length) * lineBytes * 1.25) + READ_SLACK;
      const count = Math.min(blob.size - offset, Math.min(READ_BYTES, want)) + lead;
      const chunk = await withRetry(() => client.downloadToBuffer(offset - lead, count), this.retry);
      if (lead === 1 && chunk[0] !== NEWLINE) throw staleCursor();
      let lineStart = lead;
      while (items.length < limit) {
        const end = chunk.indexOf(NEWLINE, lineStart);
        if (end < 0) break;
        const action = JSON.parse(chunk.toString("utf8", lineStart, end)) as ProposedAction;
        const kept = !keep || keep(action);
        if (kept) items.push(action);
        taken = { lines: taken.lines + (kept ? 1 : 0), bytes: taken.bytes + end + 1 - lineStart };
        lineStart = end + 1;
      }
      if (lineStart === lead && items.length < limit && count - lead >= READ_BYTES)
        throw new JanitorError(`plan blob ${blob.name} has a line longer than ${READ_BYTES} bytes`);
      if (lineStart === lead && offset + count - lead >= blob.size)
        throw new JanitorError(`plan blob ${blob.name} does not end with a whole line`);
      offset += lineStart - lead;
      // A chunk too short for even one line (a guess too small): the next asks for more.
      if (lineStart === lead) taken = { lines: 1, bytes: Math.min(READ_BYTES, 2 * (count - lead)) };
    }
    return offset;
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
