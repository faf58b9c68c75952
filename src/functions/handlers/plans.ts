// Saved plans over HTTP (docs/operations.md#9-plans-and-approval): list, read, the proposed actions (json or
// csv), approve and reject. Reads need any janitor role; approve and reject need Janitor.Approver (Easy Auth).
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { z } from "zod";
import { ACCEPTED_IDS, isRunId } from "../../domain/armIds";
import { JOB_SOURCES } from "../../domain/job";
import { proposedActionsToCsv } from "../../domain/planCsv";
import { PLAN_STATUSES, type PlanStatus } from "../../domain/plans";
import { reviewInputProblems } from "../../domain/planReviewInput";
import { planView } from "../../domain/planView";
import { listPlans, readPlan } from "../../engine/planQueries";
import { ValidationError, type FieldProblem } from "../../errors";
import { zodProblems } from "../../validation/zodProblems";
import type { AppContext } from "../appContext";
import type { Caller } from "../http/caller";
import { queryRecord, readJsonBody } from "../http/handle";
import { json, problem } from "../http/problem";

// The types here; the limits and the id check in reviewInputProblems, shared with the CLI.
const commentSchema = z.string({ error: "must be a string" });
const approveSchema = z.strictObject({
  comment: commentSchema.optional(),
  exclude: z
    .array(z.string({ error: "must be a job resource id" }), { error: "must be a list of job resource ids" })
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
  const page = await listPlans(
    janitor.storage.plans,
    {
      ...(status !== undefined && { status: status as PlanStatus }),
      ...(limit !== undefined && { limit }),
      ...(cursor !== undefined && { cursor }),
    },
    app.now(),
  );
  return json(200, { items: page.items, nextCursor: page.nextCursor ?? null });
}

/** GET /api/plans/{planId}: the plan with its ETag (send it back in If-Match to approve or reject). */
export async function plansGet(app: AppContext, request: HttpRequest): Promise<HttpResponseInit> {
  const planId = planIdOf(request);
  const janitor = await app.janitor();
  const found = await readPlan(janitor.storage, planId, app.now());
  if (!found) return problem(404, "Not found", `no plan ${planId}`);
  const response = json(200, found.view);
  return { ...response, headers: { ...(response.headers as Record<string, string>), etag: found.etag } };
}

/** GET /api/plans/{planId}/actions?subscriptionId=&source=&limit=&cursor=&format=json|csv */
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
  const source = JOB_SOURCES.find((s) => s === query.source);
  if (query.source !== undefined && source === undefined)
    problems.push({ field: "source", message: `must be one of ${JOB_SOURCES.join(", ")}` });
  if (problems.length > 0) throw new ValidationError(problems);
  const janitor = await app.janitor();
  if (!(await janitor.storage.plans.get(planId))) return problem(404, "Not found", `no plan ${planId}`);
  const page = await janitor.storage.plans.readActions(planId, {
    ...(typeof subscriptionId === "string" && { subscriptionId }),
    ...(source !== undefined && { source }),
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
  const problems = reviewInputProblems(parsed.data);
  if (problems.length > 0) throw new ValidationError(problems);
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
  const problems = reviewInputProblems(parsed.data);
  if (problems.length > 0) throw new ValidationError(problems);
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
