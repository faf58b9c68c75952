// JobIndex over Azure Resource Graph (@azure/arm-resourcegraph 4.2.1, pinned: 5.x needs Node 22), see
// docs/service.md#azure-resource-graph. One job-count query per batch of at most 1,000 subscriptions, paged by
// `$skipToken`, paced by the query's own quota headers. Every decision is made from the raw answer; the index
// lags, so its answer only narrows which subscriptions are listed, never what is done to a job.
import https from "node:https";
import http from "node:http";

import { ResourceGraphClient, type ResourceGraphModels } from "@azure/arm-resourcegraph";
import type { TokenCredential } from "@azure/identity";

import { isSubscriptionId } from "../../domain/armIds";
import { JOB_SOURCES, type JobSource } from "../../domain/job";
import { realSleep, type Sleep } from "../../engine/pacing/armPacer";
import type { JobIndex, JobIndexAnswer, JobIndexCounts } from "../../engine/ports";
import type { ArmClientOptions } from "./armConnection";
import { isObject, parseJson, readRetryAfterMs, readServiceError } from "./armResponse";

/** The service takes at most about 1,000 subscriptions per query (docs/service.md#azure-resource-graph). */
export const MAX_SUBSCRIPTIONS_PER_QUERY = 1000;
/** Rows per page asked for: the service's largest page. */
export const PAGE_ROWS = 1000;
/** A guard against an answer that keeps handing out skip tokens: one page per subscription is already plenty. */
const MAX_PAGES_PER_BATCH = MAX_SUBSCRIPTIONS_PER_QUERY;
/** 429s in a row on one page before giving up (each honours its Retry-After within the time budget). */
const MAX_THROTTLED_IN_A_ROW = 10;
const MAX_SKIP_TOKEN_LENGTH = 4096;

/**
 * Job counts per subscription, both sources; Data Box only for the customer-disk SKU (Import/Export's newer
 * experience; device orders are not Import/Export jobs). `subscriptionId` is a GUID the query groups by.
 */
export const JOB_COUNT_QUERY = [
  "Resources",
  "| where type =~ 'microsoft.importexport/jobs' or (type =~ 'microsoft.databox/jobs' and tostring(sku.name) =~ 'DataBoxCustomerDisk')",
  "| summarize importExportJobs = countif(type =~ 'microsoft.importexport/jobs'), dataBoxJobs = countif(type =~ 'microsoft.databox/jobs') by subscriptionId",
  "| order by subscriptionId asc",
].join("\n");

const QUERY_PATH = "/providers/Microsoft.ResourceGraph/resources";

export interface ResourceGraphDiscoveryOptions {
  credential: TokenCredential;
  clientOptions: ArmClientOptions;
  timeoutMs: number;
  /** The sources swept (JANITOR_SOURCES): a subscription counts as holding jobs only for these. Default both. */
  sources?: readonly JobSource[];
  /** For tests: waits (default: real timers, abortable). */
  sleep?: Sleep;
  now?: () => number;
}

/** Why a query could not be used; the text is the janitor's own (never the service's message). */
class IndexFailure extends Error {}

type PolicyFactories = Extract<
  NonNullable<ResourceGraphModels.ResourceGraphClientOptions["requestPolicyFactories"]>,
  unknown[]
>;
type PolicyFactory = PolicyFactories[number];
type WireRequest = Parameters<ReturnType<PolicyFactory["create"]>["sendRequest"]>[0];
type WireResponse = Awaited<ReturnType<ReturnType<PolicyFactory["create"]>["sendRequest"]>>;

interface RawAnswer {
  status: number;
  headers: WireResponse["headers"];
  bodyAsText?: string;
}

/**
 * Resource Graph as a JobIndex. Queries are sent one at a time. Pacing: after an answer with
 * `x-ms-user-quota-remaining: 0` the next query waits for `x-ms-user-quota-resets-after`; a 429 waits for its
 * Retry-After (or the reset); a wait that would end past the deadline gives up. Any failure, malformed answer or
 * truncated result resolves `{ok: false, reason}`: the caller then lists every subscription.
 */
export class ResourceGraphDiscovery implements JobIndex {
  private readonly endpoint: URL;
  private readonly agent: https.Agent;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  /** Real time before which no query is sent (the quota is used up until then). */
  private quotaResetsAt = 0;

  constructor(private readonly options: ResourceGraphDiscoveryOptions) {
    this.endpoint = new URL(options.clientOptions.endpoint);
    // The CA of JANITOR_ARM_CA_CERT (the emulator's), scoped to this client like the other ARM clients'.
    const ca = options.clientOptions.tlsOptions?.ca;
    this.agent = new https.Agent({ keepAlive: true, ...(ca !== undefined && { ca }) });
    this.sleep = options.sleep ?? realSleep;
    this.now = options.now ?? Date.now;
  }

  async subscriptionsWithJobs(
    subscriptionIds: string[],
    options: { deadline: Date; signal?: AbortSignal },
  ): Promise<JobIndexAnswer> {
    const stats = { queries: 0, throttled: 0 };
    const withJobs = new Map<string, JobIndexCounts>();
    const ignored: string[] = [];
    const unique = [...new Set(subscriptionIds.map((s) => s.toLowerCase()))];
    try {
      for (let i = 0; i < unique.length; i += MAX_SUBSCRIPTIONS_PER_QUERY) {
        const batch = unique.slice(i, i + MAX_SUBSCRIPTIONS_PER_QUERY);
        await this.queryBatch(batch, options, stats, withJobs, ignored);
      }
    } catch (err) {
      if (err instanceof IndexFailure) return { ok: false, reason: err.message, ...stats };
      throw err;
    }
    return { ok: true, withJobs, ignoredRows: ignored.length, ignored: ignored.slice(0, 10), ...stats };
  }

  private async queryBatch(
    batch: string[],
    options: { deadline: Date; signal?: AbortSignal },
    stats: { queries: number; throttled: number },
    withJobs: Map<string, JobIndexCounts>,
    ignored: string[],
  ): Promise<void> {
    const asked = new Set(batch);
    const seenTokens = new Set<string>();
    let skipToken: string | undefined;
    for (let page = 0; page < MAX_PAGES_PER_BATCH; page++) {
      const body = await this.queryPage(batch, skipToken, options, stats);
      readRows(body, asked, withJobs, ignored, this.options.sources ?? JOB_SOURCES);
      const next = body.$skipToken;
      if (next === undefined || next === null || next === "") {
        // Without a token a truncated result is simply incomplete: a missing subscription could hold jobs.
        if (body.resultTruncated === "true" || body.resultTruncated === true)
          throw new IndexFailure("malformed answer: the result is truncated");
        return;
      }
      if (typeof next !== "string" || next.length > MAX_SKIP_TOKEN_LENGTH)
        throw new IndexFailure("malformed answer: $skipToken is not a short string");
      if (seenTokens.has(next)) throw new IndexFailure("malformed answer: a $skipToken repeated");
      seenTokens.add(next);
      skipToken = next;
    }
    throw new IndexFailure(`malformed answer: more than ${MAX_PAGES_PER_BATCH} pages`);
  }

  /** One page, waiting out the quota and retrying 429s within the deadline. */
  private async queryPage(
    batch: string[],
    skipToken: string | undefined,
    options: { deadline: Date; signal?: AbortSignal },
    stats: { queries: number; throttled: number },
  ): Promise<Record<string, unknown>> {
    for (let throttledInARow = 0; ;) {
      await this.waitUntil(this.quotaResetsAt, options);
      stats.queries++;
      const answer = await this.send(batch, skipToken, options.signal);
      this.notePacing(answer);
      if (answer.status === 200) {
        const body = parseJson(answer.bodyAsText);
        if (!isObject(body)) throw new IndexFailure("malformed answer: the body is not a JSON object");
        return body;
      }
      if (answer.status !== 429) throw new IndexFailure(failureText(answer));
      stats.throttled++;
      if (++throttledInARow >= MAX_THROTTLED_IN_A_ROW)
        throw new IndexFailure(`throttled ${MAX_THROTTLED_IN_A_ROW} times in a row`);
      const retryAfterMs = readRetryAfterMs(answer.headers as never) ?? resetsAfterMs(answer) ?? 1_000;
      this.quotaResetsAt = Math.max(this.quotaResetsAt, this.now() + Math.max(250, retryAfterMs));
    }
  }

  private async waitUntil(at: number, options: { deadline: Date; signal?: AbortSignal }): Promise<void> {
    const wait = at - this.now();
    if (wait <= 0) return;
    // A query must also fit after the wait: give up rather than overrun the run's time.
    if (at + this.options.timeoutMs > options.deadline.getTime())
      throw new IndexFailure("throttled past the run's time budget");
    await this.sleep(wait, options.signal);
  }

  /** Remembers when the quota frees up again if this answer used the last of it. */
  private notePacing(answer: RawAnswer): void {
    const remaining = answer.headers.get("x-ms-user-quota-remaining")?.trim();
    if (remaining === undefined || !/^\d+$/.test(remaining) || Number(remaining) > 0) return;
    const reset = resetsAfterMs(answer);
    if (reset !== undefined) this.quotaResetsAt = Math.max(this.quotaResetsAt, this.now() + reset);
  }

  /** Sends one query through the SDK and hands back the raw answer, whatever the SDK made of it. */
  private async send(
    batch: string[],
    skipToken: string | undefined,
    signal?: AbortSignal,
  ): Promise<RawAnswer> {
    signal?.throwIfAborted();
    let captured: RawAnswer | undefined;
    let refused: string | undefined;
    const client = new ResourceGraphClient(this.options.credential, {
      baseUri: this.endpoint.origin,
      // The SDK retries 429s and 5xx itself, sleeping as long as the service says; the janitor paces instead.
      noRetryPolicy: true,
      redirectOptions: { handleRedirects: false },
      agentSettings: { https: this.agent, http: new http.Agent() },
      requestPolicyFactories: (defaults) => [
        ...defaults,
        this.guard(
          (raw) => (captured ??= raw),
          (reason) => (refused ??= reason),
        ),
      ],
    });
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const forward = () => controller.abort();
    signal?.addEventListener("abort", forward, { once: true });
    try {
      await client.resources(
        {
          subscriptions: batch,
          query: JOB_COUNT_QUERY,
          options: {
            top: PAGE_ROWS,
            resultFormat: "objectArray",
            ...(skipToken !== undefined && { skipToken }),
          },
        },
        { abortSignal: controller.signal as never },
      );
    } catch {
      // Decided below from the raw answer (the SDK throws on any non-2xx and on bodies it cannot parse).
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", forward);
    }
    signal?.throwIfAborted();
    if (refused !== undefined) throw new IndexFailure(refused);
    if (captured !== undefined) return captured;
    throw new IndexFailure(
      timedOut ? `no answer within ${this.options.timeoutMs} ms` : "no answer (connection)",
    );
  }

  /**
   * The innermost policy: lets through only the query itself, to the configured endpoint (so no redirect,
   * registration or other request the SDK might make leaves with our token), and captures the raw answer.
   */
  private guard(capture: (raw: RawAnswer) => void, refuse: (reason: string) => void): PolicyFactory {
    const origin = this.endpoint.origin;
    return {
      create: (next) => ({
        sendRequest: async (request: WireRequest) => {
          const url = new URL(request.url);
          if (request.method !== "POST" || url.origin !== origin || url.pathname !== QUERY_PATH) {
            refuse("refused to send a request other than the query to the ARM endpoint");
            throw new IndexFailure("refused");
          }
          const response = await next.sendRequest(request);
          capture({
            status: response.status,
            headers: response.headers,
            bodyAsText: response.bodyAsText ?? undefined,
          });
          return response;
        },
      }),
    };
  }
}

/** `x-ms-user-quota-resets-after` (`hh:mm:ss`) in milliseconds, when present and well formed. */
function resetsAfterMs(answer: RawAnswer): number | undefined {
  const text = answer.headers.get("x-ms-user-quota-resets-after")?.trim();
  const match = text === undefined ? null : /^(\d{1,2}):([0-5]\d):([0-5]\d)(\.\d+)?$/.exec(text);
  if (match === null) return undefined;
  const seconds = Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) + Number(match[4] ?? 0);
  return Math.ceil(seconds * 1000);
}

/** A short reason for a failed answer: the status and the service's code (an identifier, readServiceError). */
function failureText(answer: RawAnswer): string {
  const { code } = readServiceError(answer.bodyAsText);
  return `HTTP ${answer.status}${code ? ` ${code}` : ""}`;
}

/** Adds a page's rows to `withJobs`; a row that cannot be trusted is ignored and noted in `ignored`. */
function readRows(
  body: Record<string, unknown>,
  asked: Set<string>,
  withJobs: Map<string, JobIndexCounts>,
  ignored: string[],
  sources: readonly JobSource[],
): void {
  if (!Array.isArray(body.data)) throw new IndexFailure("malformed answer: data is not an array");
  for (const row of body.data) {
    if (!isObject(row)) {
      ignored.push("a row is not an object");
      continue;
    }
    const id = row.subscriptionId;
    if (!isSubscriptionId(id)) {
      ignored.push("a row has no valid subscription id");
      continue;
    }
    if (!asked.has(id.toLowerCase())) {
      ignored.push("a row names a subscription the query did not ask about");
      continue;
    }
    const importexport = row.importExportJobs;
    const databox = row.dataBoxJobs;
    if (!isCount(importexport) || !isCount(databox)) {
      // The subscription is named but its counts are not numbers: sweep it rather than trust a zero.
      ignored.push("a row has job counts that are not whole numbers");
      withJobs.set(id.toLowerCase(), { importexport: 0, databox: 0, unknown: true });
      continue;
    }
    // Jobs of a source that is not swept would be listed by nobody: they do not make a subscription worth listing.
    const swept =
      (sources.includes("importexport") ? importexport : 0) + (sources.includes("databox") ? databox : 0);
    if (swept > 0) withJobs.set(id.toLowerCase(), { importexport, databox });
  }
}

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
