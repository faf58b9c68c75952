// What every function shares: settings checked once when the app loads (a bad setting stops the app with a
// message naming it), and the janitor built on first use.
import { readPolicy, createJanitor, readSettings, type Janitor, type JanitorSettings } from "../composition";
import { newRunId } from "../adapters/storage";
import type { RunRecord } from "../domain/records";
import type { PlanApplyRequest, RunRequest } from "../engine/janitorEngine";
import { SettingsError } from "../errors";
import type { Env } from "../settings/settings";
import { easyAuthEnabled } from "./http/caller";
import { WorkQueues } from "./workQueues";

export interface AppContext {
  settings: JanitorSettings;
  /** Easy Auth is in front of the app (`WEBSITE_AUTH_ENABLED=True`): only then is its principal header trusted. */
  easyAuth: boolean;
  janitor(): Promise<Janitor>;
  queues(): Promise<WorkQueues>;
  now(): Date;
}

/**
 * Records a queued run and hands it to the `janitor-runs` queue: what the timer and `POST /api/runs` both do.
 * A run that cannot be queued is marked failed rather than left "queued" for no worker to see.
 */
export async function queueNewRun(app: AppContext, request: RunRequest): Promise<RunRecord> {
  const janitor = await app.janitor();
  const queues = await app.queues();
  const run = await janitor.engine.requestRun(request, newRunId(app.now()));
  try {
    await queues.enqueueRun({ runId: run.runId });
  } catch (err) {
    await janitor.engine.failRun(run.runId, "the run could not be queued").catch(() => undefined);
    throw err;
  }
  return run;
}

/**
 * Claims the approved plan `planId` for a new apply run and queues it: `POST /api/runs {"mode":"apply","planId"}`
 * and the `plan-approve` timer. A second or concurrent apply gets a ConflictError (409). A run that cannot be
 * queued is failed and gives the plan back (approved again), so the plan is still applied at most once.
 */
export async function queuePlanApply(
  app: AppContext,
  request: PlanApplyRequest,
  planId: string,
): Promise<RunRecord> {
  const janitor = await app.janitor();
  const queues = await app.queues();
  const run = await janitor.engine.requestPlanApply(request, planId, newRunId(app.now()));
  try {
    await queues.enqueueRun({ runId: run.runId });
  } catch (err) {
    await janitor.engine.failRun(run.runId, "the run could not be queued").catch(() => undefined);
    await janitor.engine
      .planReview()
      .unclaim(planId, run.runId)
      .catch(() => undefined);
    throw err;
  }
  return run;
}

export function createAppContext(env: Env): AppContext {
  const settings = readSettings(env);
  const policy = readPolicy(env);
  let janitor: Promise<Janitor> | undefined;
  let queues: Promise<WorkQueues> | undefined;
  return {
    settings,
    easyAuth: easyAuthEnabled(env),
    now: () => new Date(),
    janitor() {
      // A failed start (storage unreachable) is not cached: the next invocation tries again.
      janitor ??= createJanitor(env, { policy }).catch((err) => {
        janitor = undefined;
        throw err;
      });
      return janitor;
    },
    queues() {
      queues ??= WorkQueues.open(settings.storage).catch((err) => {
        queues = undefined;
        throw err;
      });
      return queues;
    },
  };
}

let shared: AppContext | undefined;

/** The app's context, created at load; throws (and so stops the app) when a setting is bad. */
export function appContext(): AppContext {
  if (!shared) {
    try {
      shared = createAppContext(process.env);
    } catch (err) {
      if (err instanceof SettingsError) {
        const lines = err.problems.map((p) => `  ${p.field}: ${p.message}`).join("\n");
        throw new SettingsError(err.problems, `importexport-janitor cannot start, bad settings:\n${lines}`);
      }
      throw err;
    }
  }
  return shared;
}
