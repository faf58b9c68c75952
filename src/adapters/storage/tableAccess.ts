// The small part of @azure/data-tables' TableClient the stores use, so unit tests can hand them a fake that
// does what Azurite cannot (empty pages with continuation tokens, 503s), plus the retry and paging rules that
// every store shares.
import type {
  TableEntity,
  TableEntityResult,
  TableEntityResultPage,
  TableTransactionResponse,
  TransactionAction,
  UpdateMode,
} from "@azure/data-tables";

export type Entity = TableEntity<Record<string, unknown>>;
export type StoredEntity = TableEntityResult<Record<string, unknown>>;

export interface TableLike {
  createTable(): Promise<void>;
  createEntity(entity: Entity): Promise<unknown>;
  getEntity(partitionKey: string, rowKey: string): Promise<StoredEntity>;
  listEntities(options: { queryOptions: { filter: string; select?: string[] } }): {
    byPage(settings: {
      maxPageSize?: number;
      continuationToken?: string;
    }): AsyncIterableIterator<TableEntityResultPage<Record<string, unknown>>>;
  };
  updateEntity(entity: Entity, mode: UpdateMode, options: { etag: string }): Promise<{ etag?: string }>;
  deleteEntity(partitionKey: string, rowKey: string, options?: { etag?: string }): Promise<unknown>;
  submitTransaction(actions: TransactionAction[]): Promise<TableTransactionResponse>;
}

/**
 * A transaction holds at most 100 operations, all on one PartitionKey
 * (docs/service.md#table-storage-and-azurite).
 */
export const MAX_BATCH = 100;
/** The service returns at most 1,000 entities per page. */
export const MAX_PAGE = 1000;

export interface RetryOptions {
  /** Total tries per call, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

export interface TableStoreOptions {
  /** Creates the tables once; every operation awaits it. */
  ready?: () => Promise<void>;
  retry?: RetryOptions;
  clock?: () => Date;
  /** Transactions in flight at once. */
  concurrency?: number;
}

/** What every store holds: its table, the shared table creation, the retry rule, the clock. */
export abstract class TableStore {
  protected readonly ready: () => Promise<void>;
  protected readonly retry: RetryOptions;
  protected readonly clock: () => Date;
  protected readonly concurrency: number;

  constructor(
    protected readonly table: TableLike,
    options: TableStoreOptions = {},
  ) {
    this.ready = options.ready ?? (() => Promise.resolve());
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.clock = options.clock ?? (() => new Date());
    this.concurrency = options.concurrency ?? 8;
  }
}

/** HTTP status of a RestError-like failure, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** The service's error code (`EntityAlreadyExists`, `UpdateConditionNotSatisfied`, ...), if any. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "REQUEST_SEND_ERROR",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** 408, 429, 5xx (but 501/505, which never heal) and dropped or refused connections are worth another try. */
export function isTransient(err: unknown): boolean {
  const status = statusOf(err);
  if (status !== undefined)
    return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
  const code = codeOf(err);
  if (code !== undefined) return NETWORK_CODES.has(code);
  return (err as { name?: unknown } | null)?.name === "RestError";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Exponential backoff with full jitter, so parallel writers do not retry in lockstep. */
export function backoffMs(attempt: number, options: RetryOptions): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}

/** Runs `call`, retrying transient failures; the last failure (or any permanent one) is thrown as is. */
export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isTransient(err) || attempt + 1 >= options.attempts) throw err;
      await sleep(backoffMs(attempt, options));
    }
  }
}

/**
 * Reads a query page by page, following continuation tokens even through short or empty pages (the real
 * service returns those; docs/service.md#table-storage-and-azurite), until `visit` returns false or the results
 * end. Each page request is retried on transient errors, resuming from the last token.
 */
export async function forEachPage(
  table: TableLike,
  query: { filter: string; select?: string[] },
  pageSize: number,
  retry: RetryOptions,
  visit: (entities: StoredEntity[]) => boolean | Promise<boolean>,
): Promise<void> {
  let token: string | undefined;
  for (;;) {
    const page = await withRetry(async () => {
      const pages = table
        .listEntities({ queryOptions: query })
        .byPage({ maxPageSize: pageSize, continuationToken: token });
      const next = await pages.next();
      return next.done ? undefined : next.value;
    }, retry);
    if (!page) return;
    if (!(await visit([...page]))) return;
    if (!page.continuationToken) return;
    token = page.continuationToken;
  }
}

/** Deletes a row; one that is not there is fine (an earlier, interrupted attempt removed it). */
export async function deleteIfPresent(
  table: TableLike,
  key: { partitionKey: string; rowKey: string },
  retry: RetryOptions,
): Promise<void> {
  try {
    await withRetry(() => table.deleteEntity(key.partitionKey, key.rowKey), retry);
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}

/** Runs `tasks` with at most `limit` in flight; rejects with the first failure after all started ones settle. */
export async function runLimited(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < tasks.length && !failure) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failure) throw failure.err;
}

/** Splits `items` into groups by `keyOf`, keeping order within a group. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * One page of a key-ordered listing: at most `limit` rows matching `filter`, and the RowKey to continue after
 * when there are more (read one row past the page to know).
 */
export async function keyPage(
  table: TableLike,
  filter: string,
  limit: number,
  retry: RetryOptions,
): Promise<{ items: StoredEntity[]; nextKey?: string }> {
  const found: StoredEntity[] = [];
  await forEachPage(table, { filter }, Math.min(MAX_PAGE, limit + 1), retry, (page) => {
    found.push(...page);
    return found.length <= limit;
  });
  const items = found.slice(0, limit);
  const last = items[items.length - 1];
  return { items, ...(found.length > limit && last ? { nextKey: last.rowKey! } : {}) };
}

/** Pieces of at most `size` UTF-16 units, never splitting a surrogate pair. */
export function splitText(text: string, size: number): string[] {
  const parts: string[] = [];
  for (let start = 0; start < text.length || parts.length === 0;) {
    let end = Math.min(text.length, start + size);
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts;
}
