import type { InvocationContext, Timer } from "@azure/functions";
import { ConflictError } from "../../errors";
import { queueNewRun, queuePlanApply, type AppContext } from "../appContext";
import { PARTS_QUEUE, readPartMessage, readRunMessage, RUNS_QUEUE } from "../workQueues";
import { runningTelemetry } from "../../adapters/telemetry";

/** Timer: records a run in JANITOR_MODE and queues it, exactly like a manual run. */
export async function scheduledSweep(
  app: AppContext,
  timer: Timer,
  context: InvocationContext,
): Promise<void> {
  const mode = app.settings.core.mode;
  if (mode === "plan-approve") {
    await scheduledPlanApprove(app, timer, context);
    return;
  }
  const { runId } = await queueNewRun(app, {
    trigger: "timer",
    mode,
    requestedBy: "timer",
    isPastDue: timer.isPastDue,
    note: timer.isPastDue ? "the timer fired late (isPastDue)" : undefined,
  });
  context.log(
    `scheduled ${app.settings.core.mode} run ${runId} queued${timer.isPastDue ? " (past due)" : ""}`,
  );
}

/**
 * `JANITOR_MODE=plan-approve`: plans past their expiry are recorded `expired`; the newest approved plan is applied
 * (claimed once: another instance of the timer gets a conflict and moves on); with none approved, a new plan is
 * made, and its end notifies `plan-awaiting-approval`.
 */
async function scheduledPlanApprove(
  app: AppContext,
  timer: Timer,
  context: InvocationContext,
): Promise<void> {
  const janitor = await app.janitor();
  const review = janitor.engine.planReview();
  for (const status of ["pending", "approved"] as const) {
    const page = await janitor.storage.plans.list({ status, limit: 100 });
    for (const plan of page.items) {
      if (await review.expireIfDue(plan.planId)) {
        context.log(`plan ${plan.planId} expired`);
        continue;
      }
      if (status !== "approved") continue;
      try {
        const run = await queuePlanApply(
          app,
          { trigger: "timer", requestedBy: "timer", isPastDue: timer.isPastDue },
          plan.planId,
        );
        context.log(`approved plan ${plan.planId}: apply run ${run.runId} queued`);
        return;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
  }
  const { runId } = await queueNewRun(app, {
    trigger: "timer",
    mode: "plan",
    requestedBy: "timer",
    isPastDue: timer.isPastDue,
    note: "plan-approve: a plan for an approver",
  });
  context.log(`scheduled plan run ${runId} queued (plan-approve)`);
}

/** Queue `janitor-runs`: discover and split a run, then queue its parts for the workers. */
export async function runCoordinator(
  app: AppContext,
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const { runId } = readRunMessage(message);
  const janitor = await app.janitor();
  const { run, parts } = await janitor.engine.planRun(runId, attempt(context));
  await (await app.queues()).enqueueParts(parts);
  context.log(`run ${runId}: ${run.status}, ${parts.length} part(s) queued`);
}

/** Queue `janitor-parts`: sweep a few subscriptions of a run; the platform runs many of these at once. */
export async function partWorker(
  app: AppContext,
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  const part = readPartMessage(message);
  const janitor = await app.janitor();
  const run = await janitor.engine.sweepPart(part, {
    attempt: attempt(context),
    deadline: new Date(Date.now() + app.settings.core.runTimeoutMs),
  });
  context.log(
    `run ${part.runId} part ${part.index}: run is ${run.status} (${run.partsDone}/${run.partsTotal} parts)`,
  );
}

/** `janitor-runs-poison`: a run whose coordinator failed five times is marked failed, not left queued. */
export async function runPoison(
  app: AppContext,
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  let runId: string;
  try {
    runId = readRunMessage(message).runId;
  } catch {
    context.warn("a malformed message reached janitor-runs-poison; dropped");
    return;
  }
  runningTelemetry()?.poisonMessage({ queue: `${RUNS_QUEUE}-poison`, runId });
  const janitor = await app.janitor();
  await janitor.storage.runs.update(runId, (r) =>
    r.status === "queued" || r.status === "running"
      ? {
          ...r,
          status: "failed",
          finishedAt: app.now().toISOString(),
          error: "the run could not be started (poison message)",
        }
      : r,
  );
}

/** `janitor-parts-poison`: the part is recorded as failed so the run can still finish (as partial or failed). */
export async function partPoison(
  app: AppContext,
  message: unknown,
  context: InvocationContext,
): Promise<void> {
  let part;
  try {
    part = readPartMessage(message);
  } catch {
    context.warn("a malformed message reached janitor-parts-poison; dropped");
    return;
  }
  runningTelemetry()?.poisonMessage({
    queue: `${PARTS_QUEUE}-poison`,
    runId: part.runId,
    partIndex: part.index,
  });
  const janitor = await app.janitor();
  await janitor.engine.failPart(part, "failed five times (poison message)");
}

/** Timer: removes audit rows older than JANITOR_AUDIT_RETENTION. */
export async function auditRetention(
  app: AppContext,
  _timer: Timer,
  context: InvocationContext,
): Promise<void> {
  const janitor = await app.janitor();
  const cutoff = new Date(app.now().getTime() - app.settings.core.auditRetentionMs);
  const { removed } = await janitor.storage.retention.purgeOlderThan(cutoff);
  context.log(`audit retention: removed ${removed} row(s) older than ${cutoff.toISOString()}`);
}

/** The host's dequeue count (1 on first delivery) as a zero-based attempt number. */
function attempt(context: InvocationContext): number {
  const count = Number(context.triggerMetadata?.dequeueCount ?? 1);
  return Number.isFinite(count) && count >= 1 ? count - 1 : 0;
}
