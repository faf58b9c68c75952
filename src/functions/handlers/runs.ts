import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import { z } from "zod";
import { ACCEPTED_IDS, isRunId, RUN_ID_PATTERN, SUBSCRIPTION_ID_PATTERN } from "../../domain/armIds";
import { ValidationError, type FieldProblem } from "../../errors";
import { zodProblems } from "../../validation/zodProblems";
import { queueNewRun, queuePlanApply, type AppContext } from "../appContext";
import type { Caller } from "../http/caller";
import { queryRecord, readJsonBody } from "../http/handle";
import { json, problem } from "../http/problem";

const runRequestSchema = z.strictObject({
  mode: z.enum(["plan", "apply"], { error: 'must be "plan" or "apply"' }),
  subscriptions: z
    .array(z.string().regex(SUBSCRIPTION_ID_PATTERN, { error: "must be a subscription id (GUID)" }), {
      error: "must be a list of subscription ids (GUIDs)",
    })
    .min(1, { error: "must name at least one subscription, or be left out for all" })
    .max(1000, { error: "must name at most 1000 subscriptions" })
    .optional(),
  reason: z
    .string({ error: "must be a string" })
    .max(500, { error: "must be at most 500 characters" })
    .regex(/^[^\p{Cc}]*$/u, { error: "must not contain control characters" })
    .optional(),
  /** Apply exactly this approved saved plan (docs/operations.md#9-plans-and-approval). */
  planId: z
    .string({ error: "must be a plan id" })
    .regex(RUN_ID_PATTERN, { error: `must be a plan id: ${ACCEPTED_IDS.runId}` })
    .optional(),
});

/** POST /api/runs: records a queued run and hands it to the queue; answers 202 with where to watch it. */
export async function runsCreate(
  app: AppContext,
  request: HttpRequest,
  caller: Caller,
): Promise<HttpResponseInit> {
  const parsed = runRequestSchema.safeParse(await readJsonBody(request));
  if (!parsed.success) throw new ValidationError(zodProblems(parsed.error));
  const body = parsed.data;
  if (body.planId !== undefined) return applyPlan(app, request, caller, body);
  if (body.mode === "apply" && !app.settings.core.manualApply)
    return problem(
      403,
      "Forbidden",
      "apply runs over HTTP are disabled; set JANITOR_MANUAL_APPLY=enabled to allow them",
    );

  const run = await queueNewRun(app, {
    trigger: "http",
    mode: body.mode,
    requestedBy: caller.name,
    subscriptions: body.subscriptions?.map((s) => s.toLowerCase()),
    note: body.reason,
  });
  const { runId } = run;
  const statusUrl = new URL(`/api/runs/${encodeURIComponent(runId)}`, request.url).toString();
  return { ...json(202, { runId, status: run.status, statusUrl }), headers: { location: statusUrl } };
}

/**
 * `{"mode":"apply","planId"}`: applies an approved plan, once (409 for a plan not approved, expired or applied
 * already). Allowed with JANITOR_MANUAL_APPLY=enabled, or in JANITOR_MODE=plan-approve, where applying what was
 * approved is the point.
 */
async function applyPlan(
  app: AppContext,
  request: HttpRequest,
  caller: Caller,
  body: z.infer<typeof runRequestSchema>,
): Promise<HttpResponseInit> {
  const problems: FieldProblem[] = [];
  if (body.mode !== "apply") problems.push({ field: "planId", message: 'is only taken with "mode":"apply"' });
  if (body.subscriptions !== undefined)
    problems.push({
      field: "subscriptions",
      message: "is not taken with planId: the plan says what is applied",
    });
  if (problems.length > 0) throw new ValidationError(problems);
  if (!app.settings.core.manualApply && app.settings.core.mode !== "plan-approve")
    return problem(
      403,
      "Forbidden",
      "applying a plan over HTTP needs JANITOR_MANUAL_APPLY=enabled or JANITOR_MODE=plan-approve",
    );
  const run = await queuePlanApply(
    app,
    { trigger: "http", requestedBy: caller.name, note: body.reason },
    body.planId!,
  );
  const statusUrl = new URL(`/api/runs/${encodeURIComponent(run.runId)}`, request.url).toString();
  return {
    ...json(202, { runId: run.runId, planId: body.planId, status: run.status, statusUrl }),
    headers: { location: statusUrl },
  };
}

/** GET /api/runs/{runId} */
export async function runsGet(app: AppContext, request: HttpRequest): Promise<HttpResponseInit> {
  const runId = request.params.runId ?? "";
  if (!isRunId(runId))
    throw new ValidationError([{ field: "runId", message: `must be ${ACCEPTED_IDS.runId}` }]);
  const run = await (await app.janitor()).storage.runs.get(runId);
  return run ? json(200, run) : problem(404, "Not found", `no run ${runId}`);
}

/** GET /api/runs?limit=&cursor= */
export async function runsList(app: AppContext, request: HttpRequest): Promise<HttpResponseInit> {
  const query = queryRecord(request);
  const problems: FieldProblem[] = [];
  let limit = 20;
  if (query.limit !== undefined) {
    limit = typeof query.limit === "string" && /^\d{1,4}$/.test(query.limit) ? Number(query.limit) : NaN;
    if (!(limit >= 1 && limit <= 100))
      problems.push({ field: "limit", message: "must be a whole number from 1 to 100" });
  }
  if (query.cursor !== undefined && (typeof query.cursor !== "string" || query.cursor.length > 1024))
    problems.push({ field: "cursor", message: "must be one cursor from a previous page" });
  if (problems.length > 0) throw new ValidationError(problems);
  const page = await (
    await app.janitor()
  ).storage.runs.list({ limit, cursor: query.cursor as string | undefined });
  return json(200, { items: page.items, nextCursor: page.nextCursor ?? null });
}
