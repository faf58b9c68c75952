// Saved plans over HTTP (docs/operations.md#9-plans-and-approval): list, read, the proposed actions (json or
// csv), approve and reject. Reads need any janitor role; approve and reject need Janitor.Approver (Easy Auth).
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { z } from "zod";
import { ACCEPTED_IDS, isRunId, parseJobResourceId } from "../../domain/armIds";
import { effectiveStatus, PLAN_STATUSES, type PlanRecord, type ProposedAction } from "../../domain/plans";
import type { RunRecord } from "../../domain/records";
import { ValidationError, type FieldProblem } from "../../errors";
import { zodProblems } from "../../validation/zodProblems";
import type { AppContext } from "../appContext";
import type { Caller } from "../http/caller";
import { queryRecord, readJsonBody } from "../http/handle";
import { json, problem } from "../http/problem";

const commentSchema = z
  .string({ error: "must be a string" })
  .max(2000, { error: "must be at most 2000 characters (it is cut to 500)" });
const approveSchema = z.strictObject({
  comment: commentSchema.optional(),
  exclude: z
    .array(z.string({ error: "must be a job resource id" }), { error: "must be a list of job resource ids" })
    .max(1000, { error: "must list at most 1000 jobs" })
    .optional(),
});
const rejectSchema = z.strictObject({ comment: commentSchema.optional() });

function planIdOf(request: HttpRequest): string {
  const planId = request.params.planId ?? "";
  if (!isRunId(planId))
    throw new ValidationError([{ field: "planId", message: `must be a plan id: ${ACCEPTED_IDS.runId}` }]);
  return planId;
}

function intParam(value: unknown, field: string, max: number, problems: FieldProblem[]): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" && /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) problems.push({ field, message: `must be a whole number from 1 to ${max}` });
  return n;
}

function cursorParam(value: unknown, problems: FieldProblem[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.length > 1024) {
    problems.push({ field: "cursor", message: "must be one cursor from a previous page" });
    return undefined;
  }
  return value;
}

/** The plan as shown: its effective status (an expired one says so), counts from its runs. */
export function planView(plan: PlanRecord, now: Date, run?: RunRecord, applied?: RunRecord) {
  const { policy, ...rest } = plan;
  return {
    ...rest,
    status: effectiveStatus(plan, now),
    policy,
    ...(run && {
      run: { runId: run.runId, status: run.status, finishedAt: run.finishedAt },
      counts: {
        actions: run.counts.planned,
        jobsSeen: run.counts.jobsSeen,
        subscriptions: run.counts.subscriptionsScanned,
      },
    }),
    ...(applied && {
      applyRun: { runId: applied.runId, status: applied.status, counts: applied.counts },
    }),
  };
}

/** GET /api/plans?status=&limit=&cursor= */
export async function plansList(app: AppContext, request: HttpRequest): Promise<HttpResponseInit> {
  const query = queryRecord(request);
  const problems: FieldProblem[] = [];
  const limit = intParam(query.limit, "limit", 100, problems);
  const cursor = cursorParam(query.cursor, problems);
  const status = query.status;
  if (status !== undefined && !(PLAN_STATUSES as readonly unknown[]).includes(status))
    problems.push({ field: "status", message: `must be one of ${PLAN_STATUSES.join(", ")}` });
  if (problems.length > 0) throw new ValidationError(problems);
  const janitor = await app.janitor();
  const page = await janitor.storage.plans.list({
    ...(status !== undefined && { status: status as PlanRecord["status"] }),
    ...(limit !== undefined && { limit }),
    ...(cursor !== undefined && { cursor }),
  });
  const now = app.now();
  // The store filters on the stored status; one past its expiry reads as expired and is not what was asked for.
  const items = page.items
    .map((p) => planView(p, now))
    .filter((p) => status === undefined || p.status === status)
    .map(({ policy: _policy, ...p }) => p);
  return json(200, { items, nextCursor: page.nextCursor ?? null });
}

/** GET /api/plans/{planId}: the plan with its ETag (send it back in If-Match to approve or reject). */
export async function plansGet(app: AppContext, request: HttpRequest): Promise<HttpResponseInit> {
  const planId = planIdOf(request);
  const janitor = await app.janitor();
  const stored = await janitor.storage.plans.get(planId);
  if (!stored) return problem(404, "Not found", `no plan ${planId}`);
  const run = await janitor.storage.runs.get(planId);
  const applied = stored.plan.appliedRunId
    ? await janitor.storage.runs.get(stored.plan.appliedRunId)
    : undefined;
  const response = json(200, planView(stored.plan, app.now(), run, applied));
  return { ...response, headers: { ...(response.headers as Record<string, string>), etag: stored.etag } };
}

const CSV_FIELDS = [
  "jobId",
  "source",
  "subscriptionId",
  "resourceGroup",
  "jobName",
  "jobType",
  "state",
  "cancelRequested",
  "rule",
  "action",
  "ageDays",
  "ageBasis",
  "lastModifiedAt",
] as const satisfies readonly (keyof ProposedAction)[];

function csvCell(value: unknown): string {
  if (value === undefined) return "";
  const text0 = String(value);
  const text = /^[=+\-@\t\r]/.test(text0) ? `'${text0}` : text0;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function proposedActionsToCsv(actions: readonly ProposedAction[]): string {
  const lines = [CSV_FIELDS.join(","), ...actions.map((a) => CSV_FIELDS.map((f) => csvCell(a[f])).join(","))];
  return lines.map((l) => `${l}\r\n`).join("");
}

/** GET /api/plans/{planId}/actions?subscriptionId=&limit=&cursor=&format=json|csv */
export async function plansActions(app: AppContext, request: HttpRequest): Promise<HttpResponseInit> {
  const planId = planIdOf(request);
  const query = queryRecord(request);
  const problems: FieldProblem[] = [];
  const limit = intParam(query.limit, "limit", 1000, problems);
  const cursor = cursorParam(query.cursor, problems);
  const { format, subscriptionId } = query;
  if (format !== undefined && format !== "json" && format !== "csv")
    problems.push({ field: "format", message: "must be json or csv" });
  if (subscriptionId !== undefined && typeof subscriptionId !== "string")
    problems.push({ field: "subscriptionId", message: `must be ${ACCEPTED_IDS.subscriptionId}` });
  if (problems.length > 0) throw new ValidationError(problems);
  const janitor = await app.janitor();
  if (!(await janitor.storage.plans.get(planId))) return problem(404, "Not found", `no plan ${planId}`);
  const page = await janitor.storage.plans.readActions(planId, {
    ...(typeof subscriptionId === "string" && { subscriptionId }),
    ...(limit !== undefined && { limit }),
    ...(cursor !== undefined && { cursor }),
  });
  if (format === "csv")
    return {
      status: 200,
      headers: {
        "content-type": "text/csv; charset=utf-8",
        ...(page.nextCursor && { "x-next-cursor": page.nextCursor }),
      },
      body: proposedActionsToCsv(page.items),
    };
  return json(200, { items: page.items, nextCursor: page.nextCursor ?? null });
}

/** POST /api/plans/{planId}/approve {"comment"?, "exclude"?: [jobId]} */
export async function plansApprove(
  app: AppContext,
  request: HttpRequest,
  caller: Caller,
): Promise<HttpResponseInit> {
  const planId = planIdOf(request);
  const parsed = approveSchema.safeParse(await readJsonBody(request));
  if (!parsed.success) throw new ValidationError(zodProblems(parsed.error));
  const badIds = (parsed.data.exclude ?? []).filter((id) => !parseJobResourceId(id));
  if (badIds.length > 0)
    throw new ValidationError([
      {
        field: "exclude",
        message: `must be job resource ids (${ACCEPTED_IDS.jobId}); not: ${badIds.slice(0, 5).join(", ")}`,
      },
    ]);
  const janitor = await app.janitor();
  const plan = await janitor.engine.planReview().approve(
    planId,
    { name: caller.name, trigger: "http", authenticated: caller.authenticated },
    {
      rule: app.settings.core.approval,
      ...(parsed.data.comment !== undefined && { comment: parsed.data.comment }),
      ...(parsed.data.exclude !== undefined && { exclude: parsed.data.exclude }),
      ...ifMatch(request),
    },
  );
  return json(200, planView(plan, app.now()));
}

/** POST /api/plans/{planId}/reject {"comment"?} */
export async function plansReject(
  app: AppContext,
  request: HttpRequest,
  caller: Caller,
): Promise<HttpResponseInit> {
  const planId = planIdOf(request);
  const parsed = rejectSchema.safeParse(await readJsonBody(request));
  if (!parsed.success) throw new ValidationError(zodProblems(parsed.error));
  const janitor = await app.janitor();
  const plan = await janitor.engine
    .planReview()
    .reject(
      planId,
      { name: caller.name, trigger: "http", authenticated: caller.authenticated },
      { ...(parsed.data.comment !== undefined && { comment: parsed.data.comment }), ...ifMatch(request) },
    );
  return json(200, planView(plan, app.now()));
}

function ifMatch(request: HttpRequest): { ifMatch?: string } {
  const value = request.headers.get("if-match");
  return value ? { ifMatch: value.trim() } : {};
}
