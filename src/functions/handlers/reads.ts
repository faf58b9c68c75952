import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import {
  ACCEPTED_IDS,
  formatSourcedJobResourceId,
  isJobName,
  isResourceGroupName,
  isSubscriptionId,
} from "../../domain/armIds";
import { auditEntriesToCsv } from "../../domain/auditCsv";
import { JOB_SOURCES } from "../../domain/job";
import { parseAuditQuery } from "../../domain/auditFilter";
import { ValidationError, type FieldProblem } from "../../errors";
import type { AppContext } from "../appContext";
import { queryRecord } from "../http/handle";
import { json } from "../http/problem";

/** GET /api/audit: the audit log by time range, run, job, subscription, action or outcome; json or csv. */
export async function auditQuery(app: AppContext, request: HttpRequest): Promise<HttpResponseInit> {
  const { format, ...raw } = queryRecord(request);
  const problems: FieldProblem[] = [];
  if (format !== undefined && format !== "json" && format !== "csv")
    problems.push({ field: "format", message: "must be json or csv" });
  let query;
  try {
    query = parseAuditQuery(raw, app.now());
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length > 0 || !query) throw new ValidationError(problems);
  const page = await (await app.janitor()).storage.audit.query(query);
  if (format === "csv") {
    return {
      status: 200,
      headers: {
        "content-type": "text/csv; charset=utf-8",
        ...(page.nextCursor && { "x-next-cursor": page.nextCursor }),
      },
      body: auditEntriesToCsv(page.items, { header: true }),
    };
  }
  return json(200, { items: page.items, nextCursor: page.nextCursor ?? null });
}

/** GET /api/jobs/{subscriptionId}/{resourceGroup}/{jobName}/decision: reads the job live, decides, acts on nothing. */
export async function jobDecision(app: AppContext, request: HttpRequest): Promise<HttpResponseInit> {
  const { subscriptionId = "", resourceGroup = "", jobName = "" } = request.params;
  const problems: FieldProblem[] = [];
  if (!isSubscriptionId(subscriptionId))
    problems.push({ field: "subscriptionId", message: `must be ${ACCEPTED_IDS.subscriptionId}` });
  if (!isResourceGroupName(resourceGroup))
    problems.push({ field: "resourceGroup", message: `must be ${ACCEPTED_IDS.resourceGroup}` });
  if (!isJobName(jobName)) problems.push({ field: "jobName", message: `must be ${ACCEPTED_IDS.jobName}` });
  // The classic API by default; `?source=databox` for a job of the newer experience.
  const rawSource = request.query.get("source") ?? "importexport";
  const source = JOB_SOURCES.find((s) => s === rawSource);
  if (source === undefined)
    problems.push({ field: "source", message: `must be one of ${JOB_SOURCES.join(", ")}` });
  if (problems.length > 0 || source === undefined) throw new ValidationError(problems);
  const janitor = await app.janitor();
  const ref = { source, subscriptionId, resourceGroup, name: jobName };
  const { decision, failure } = await janitor.engine.explain(ref);
  const { observation: _observation, ...shown } = decision;
  return json(failure ? 502 : 200, {
    jobId: formatSourcedJobResourceId(ref),
    source,
    policyHash: janitor.policy.hash,
    mode: app.settings.core.mode,
    paused: app.settings.core.paused,
    decision: shown,
    ...(failure && { readFailure: { kind: failure.kind, status: failure.status } }),
  });
}

/** GET /api/policy: the effective policy and its hash. */
export async function policyGet(app: AppContext): Promise<HttpResponseInit> {
  const janitor = await app.janitor();
  return json(200, {
    source: janitor.policy.source,
    hash: janitor.policy.hash,
    policy: janitor.policy.policy,
  });
}

/**
 * GET /api/health (anonymous): can the app reach its storage and ARM? Says only "ok" or "unreachable" for each,
 * nothing about the environment.
 */
let lastHealth: { at: number; response: Promise<HttpResponseInit> } | undefined;
/** Anonymous callers must not be able to spend the app's ARM quota: the answer is reused for a while. */
const HEALTH_CACHE_MS = 30_000;

export async function health(app: AppContext): Promise<HttpResponseInit> {
  const now = Date.now();
  if (!lastHealth || now - lastHealth.at > HEALTH_CACHE_MS)
    lastHealth = { at: now, response: checkHealth(app) };
  return lastHealth.response;
}

async function checkHealth(app: AppContext): Promise<HttpResponseInit> {
  const probe = async (check: () => Promise<unknown>) => {
    try {
      await withTimeout(check(), 10_000);
      return "ok" as const;
    } catch {
      return "unreachable" as const;
    }
  };
  let storage: "ok" | "unreachable" = "unreachable";
  let arm: "ok" | "unreachable" = "unreachable";
  try {
    const janitor = await app.janitor();
    [storage, arm] = await Promise.all([
      probe(() => janitor.storage.runs.list({ limit: 1 })),
      probe(() => janitor.engine.services.subscriptions.listSubscriptions()),
    ]);
  } catch {
    // The janitor could not even start (storage unreachable at start): both stay "unreachable" unless ARM answers.
  }
  const ok = storage === "ok" && arm === "ok";
  return json(ok ? 200 : 503, { status: ok ? "ok" : "degraded", storage, arm });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
