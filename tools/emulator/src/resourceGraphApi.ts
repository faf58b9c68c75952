import { createHash } from "node:crypto";
import { z } from "zod";
import { zodProblems } from "../../../src/validation/zodProblems";
import { countJobs, type JobCountRow, type ResourceIndexSource } from "./ResourceGraphIndex";
import { formatResetsAfter, type ResourceGraphQuota } from "./ResourceGraphQuota";
import type { EmulatorSettings } from "./settings";
import { errorBody } from "./wireFormat";

// `POST /providers/Microsoft.ResourceGraph/resources` (docs/service.md#azure-resource-graph), for the one query
// the janitor sends: job counts per subscription. The emulator runs no KQL: any other query text is a 400 that
// says so, so a janitor whose query drifts fails its tests instead of reading made-up answers.

/** What @azure/arm-resourcegraph 4.2.1 sends (its `resources` operation). */
export const RESOURCE_GRAPH_API_VERSION = "2021-03-01";

/** The service takes at most 1,000 subscriptions per query. */
export const MAX_QUERY_SUBSCRIPTIONS = 1000;
export const MAX_TOP = 1000;

/** The job-count query, as the janitor sends it (whitespace aside). */
export const JOB_COUNT_QUERY = [
  "Resources",
  "| where type =~ 'microsoft.importexport/jobs' or (type =~ 'microsoft.databox/jobs' and tostring(sku.name) =~ 'DataBoxCustomerDisk')",
  "| summarize importExportJobs = countif(type =~ 'microsoft.importexport/jobs'), dataBoxJobs = countif(type =~ 'microsoft.databox/jobs') by subscriptionId",
  "| order by subscriptionId asc",
].join("\n");

const normalize = (query: string) => query.replace(/\s+/g, " ").trim();
const KNOWN_QUERIES = new Set([normalize(JOB_COUNT_QUERY)]);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const queryBody = z.strictObject({
  subscriptions: z
    .array(z.string().regex(GUID, "expected a subscription id (a GUID)"), {
      message: "expected an array of subscription ids (the emulator serves subscription-scoped queries only)",
    })
    .min(1, "expected at least one subscription"),
  query: z.string({ message: "expected the query text" }).min(1, "expected the query text"),
  options: z
    .strictObject({
      $top: z
        .number()
        .int("expected a whole number")
        .min(1, "expected at least 1")
        .max(MAX_TOP, `expected at most ${MAX_TOP}`)
        .optional(),
      $skipToken: z.string().min(1, "expected the $skipToken of the previous answer").optional(),
      resultFormat: z
        .literal("objectArray", { message: 'expected "objectArray" (the emulator serves no table format)' })
        .optional(),
    })
    .optional(),
});

export interface GraphReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface SkipToken {
  /** Resume after this subscription id (rows are ordered by it, so changes between pages leave no gap). */
  after: string;
  /** Hash of the query and its subscriptions: a token is good only for the query that made it. */
  scope: string;
}

function scopeHash(query: string, subscriptions: string[]): string {
  const ids = subscriptions.map((s) => s.toLowerCase()).sort();
  return createHash("sha256")
    .update(`${normalize(query)}\n${ids.join(",")}`)
    .digest("base64url")
    .slice(0, 16);
}

function encodeToken(token: SkipToken): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function decodeToken(text: string): SkipToken | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown;
    if (typeof value !== "object" || value === null) return undefined;
    const { after, scope } = value as Record<string, unknown>;
    return typeof after === "string" && typeof scope === "string" ? { after, scope } : undefined;
  } catch {
    return undefined;
  }
}

const badRequest = (code: string, message: string, target?: string) => ({
  status: 400,
  body: errorBody(code, message, target),
});

/**
 * Serves one authenticated query from `caller` (a key for the bearer token): the quota first (a throttled query
 * is answered 429 and counts nothing), then the body, then the rows the index shows now.
 */
export function handleResourceGraph(
  body: unknown,
  caller: string,
  context: {
    settings: EmulatorSettings;
    quota: ResourceGraphQuota;
    sources: readonly ResourceIndexSource[];
    realNow: number;
  },
): GraphReply {
  const quota = context.quota.take(caller);
  const headers: Record<string, string> = {
    "x-ms-user-quota-remaining": String(quota.remaining),
    "x-ms-user-quota-resets-after": formatResetsAfter(quota.resetsAfterMs),
  };
  if (!quota.allowed) {
    headers["retry-after"] = String(quota.retryAfterSeconds);
    return {
      status: 429,
      headers,
      body: errorBody(
        "RateLimiting",
        `Too many Resource Graph queries: the quota resets after ${quota.retryAfterSeconds} seconds.`,
      ),
    };
  }
  const reply = answer(body, context);
  return { ...reply, headers };
}

function answer(
  body: unknown,
  context: { settings: EmulatorSettings; sources: readonly ResourceIndexSource[]; realNow: number },
): { status: number; body: unknown } {
  const parsed = queryBody.safeParse(body);
  if (!parsed.success) {
    // zodProblems makes field names safe (`$` becomes `_`); the two option names are ours to name exactly.
    const problems = zodProblems(parsed.error).map((p) => ({
      ...p,
      field: p.field.replace(/^options\._(top|skipToken)\b/, "options.$$$1"),
    }));
    return badRequest(
      "InvalidRequestContent",
      problems.map((p) => `${p.field}: ${p.message}`).join("; "),
      problems[0]?.field,
    );
  }
  const { subscriptions, query, options } = parsed.data;
  if (subscriptions.length > MAX_QUERY_SUBSCRIPTIONS) {
    return badRequest(
      "TooManySubscriptions",
      `subscriptions: a query names at most ${MAX_QUERY_SUBSCRIPTIONS} subscriptions, got ${subscriptions.length}; ` +
        "split them into batches.",
      "subscriptions",
    );
  }
  if (!KNOWN_QUERIES.has(normalize(query))) {
    return badRequest(
      "InvalidQuery",
      "query: the emulator serves only the janitor's job-count query (tools/emulator README, Resource Graph); " +
        "this query text is not it.",
      "query",
    );
  }
  const scope = scopeHash(query, subscriptions);
  let after: string | undefined;
  if (options?.$skipToken !== undefined) {
    const token = decodeToken(options.$skipToken);
    if (token === undefined || token.scope !== scope) {
      return badRequest(
        "InvalidSkipToken",
        "options.$skipToken: not a token this query (same text, same subscriptions) handed out.",
        "options.$skipToken",
      );
    }
    after = token.after;
  }
  const rows = countJobs(
    context.sources,
    subscriptions,
    context.realNow,
    context.settings.resourceGraphLagMs,
  );
  const start = after === undefined ? 0 : rows.findIndex((r) => r.subscriptionId > after);
  const rest: JobCountRow[] = start < 0 ? [] : rows.slice(start);
  const size = Math.min(options?.$top ?? MAX_TOP, context.settings.resourceGraphPageSize);
  const page = rest.slice(0, size);
  const out: Record<string, unknown> = {
    totalRecords: rows.length,
    count: page.length,
    resultTruncated: "false",
  };
  if (rest.length > page.length)
    out.$skipToken = encodeToken({ after: page[page.length - 1]!.subscriptionId, scope });
  out.data = page;
  out.facets = [];
  return { status: 200, body: out };
}
