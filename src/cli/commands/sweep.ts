import { createInterface } from "node:readline/promises";
import { newRunId } from "../../adapters/storage";
import { createJanitor, type Janitor } from "../../composition";
import type { RunRecord } from "../../domain/records";
import type { Mode } from "../../domain/vocabulary";
import type { DecisionReport, SubscriptionSweepResult } from "../../engine/sweepSubscription";
import type { Env } from "../../settings/settings";
import { cliActor } from "../cliUser";
import { EXIT, type CliIO } from "../io";
import { Progress } from "../progress";
import {
  mergeProblems,
  problemsFromAudit,
  renderPlan,
  renderSummary,
  shownInPlan,
  sortDecisions,
  sweepExitCode,
  type SubscriptionProblem,
} from "../sweepReport";

export interface SweepFlags {
  policy?: string;
  subscription?: string[];
  json?: boolean;
  yes?: boolean;
  /** `apply --plan ID`: apply exactly this approved plan (planApply.ts). */
  plan?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** CLI runs have no Functions timeout; unless JANITOR_RUN_TIMEOUT says otherwise they may take an hour. */
const CLI_DEFAULT_TIMEOUT_MS = 60 * 60_000;

/** `ie-janitor plan` and `ie-janitor apply`: one run in this process, recorded like any other (trigger `cli`). */
export async function runSweepCommand(mode: Mode, flags: SweepFlags, env: Env, io: CliIO): Promise<number> {
  if (flags.plan !== undefined) return (await import("./planApply")).runPlanApplyCommand(flags, env, io);
  const badIds = (flags.subscription ?? []).filter((id) => !GUID.test(id));
  if (badIds.length > 0) {
    io.stderr(
      `--subscription: ${badIds.map((id) => JSON.stringify(id)).join(", ")} is not a subscription id (a GUID)\n`,
    );
    return EXIT.usage;
  }
  const janitor = await createJanitor(env, { policyFile: flags.policy });
  let confirmed: number | undefined;
  if (mode === "apply" && !flags.yes) {
    if (!io.isTTY) {
      io.stderr("apply changes jobs: without a terminal to confirm on, pass --yes\n");
      return EXIT.usage;
    }
    // Show the plan first, then ask for the number of actions it found, typed back.
    const plan = await sweep(janitor, "plan", flags, env, io, "preview");
    const actions = plan.run.counts.planned;
    if (plan.run.status === "failed") return plan.exitCode;
    if (actions === 0) {
      io.stderr(
        plan.problems.length > 0
          ? "Nothing to apply in the subscriptions that were swept.\n"
          : "Nothing to do: the plan found no action.\n",
      );
      return plan.exitCode;
    }
    const typed = await ask(`Type ${actions} to ${describe(plan.decisions)} (anything else stops here): `);
    if (typed.trim() !== String(actions)) {
      // Declining is not success: nothing that was asked for happened (and "cancelled" is an action here).
      io.stderr("Not applied: nothing was changed.\n");
      return EXIT.failed;
    }
    // What was confirmed is the most this run may do, even if more became eligible meanwhile.
    confirmed = actions;
  }
  const result = await sweep(janitor, mode, flags, env, io, "result", confirmed);
  return result.exitCode;
}

/**
 * `preview`: the plan shown before the confirmation, as a table on stderr (stdout stays for the result).
 * With `plan`, the run applies that saved plan (its id and policy hash) instead of deciding afresh.
 */
export async function sweep(
  janitor: Janitor,
  mode: Mode,
  flags: Pick<SweepFlags, "subscription" | "json">,
  env: Env,
  io: CliIO,
  purpose: "preview" | "result",
  maxActions?: number,
  plan?: { planId: string; policyHash: string },
) {
  const decisions: DecisionReport[] = [];
  const swept: SubscriptionSweepResult[] = [];
  const runId = newRunId(new Date());
  const timeoutMs = env.JANITOR_RUN_TIMEOUT ? janitor.settings.core.runTimeoutMs : CLI_DEFAULT_TIMEOUT_MS;
  const progress = new Progress(io);
  io.stderr(
    plan
      ? `${mode} run ${runId} of plan ${plan.planId} (the plan's policy, hash ${plan.policyHash})\n`
      : `${mode} run ${runId} (policy ${janitor.policy.source}, hash ${janitor.policy.hash})\n`,
  );
  const options = {
    deadline: new Date(Date.now() + timeoutMs),
    maxActions,
    onDecision: (d: DecisionReport) => {
      // Memory stays flat in the number of jobs: only what the output shows is kept (--json shows every one).
      if (flags.json || shownInPlan(d)) decisions.push(d);
      progress.decision(d);
    },
    onSubscriptionDone: (result: SubscriptionSweepResult) => {
      swept.push(result);
      progress.subscriptionDone(result);
    },
  };
  const requestedBy = cliActor(env);
  const run = plan
    ? await janitor.engine.executePlanApply({ trigger: "cli", requestedBy }, plan.planId, runId, options)
    : await janitor.engine.executeRun(
        {
          trigger: "cli",
          mode,
          requestedBy,
          subscriptions: flags.subscription?.length ? flags.subscription : undefined,
        },
        runId,
        options,
      );
  progress.end(run.counts);
  const problems = await subscriptionProblems(janitor, run, swept, io);
  const sorted = sortDecisions(decisions);
  if (purpose === "preview") io.stderr(renderPlan(run, sorted, problems));
  else if (flags.json) {
    io.stdout(`${JSON.stringify({ ...run, decisions: sorted }, null, 2)}\n`);
    if (problems.length > 0) io.stderr(renderPlan(run, [], problems));
  } else io.stdout(renderPlan(run, sorted, problems));
  io.stderr(renderSummary(run));
  return { run, decisions: sorted, problems, exitCode: sweepExitCode(run, problems) };
}

/**
 * The subscriptions the run skipped, failed on or deferred, with the reason: from the run's subscription-level
 * audit entries (written by discovery and by each sweep), plus sweeps that stopped without one.
 */
async function subscriptionProblems(
  janitor: Janitor,
  run: RunRecord,
  swept: SubscriptionSweepResult[],
  io: CliIO,
): Promise<SubscriptionProblem[]> {
  const entries = [];
  try {
    let cursor: string | undefined;
    do {
      // Subscription-level entries all have action `none`; the filter keeps planned and acted jobs out.
      const page = await janitor.storage.audit.query({
        runId: run.runId,
        action: "none",
        limit: 1000,
        cursor,
      });
      entries.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
  } catch (err) {
    io.stderr(
      `(could not read this run's audit log to name skipped subscriptions: ${(err as Error)?.message ?? String(err)})\n`,
    );
  }
  return mergeProblems(problemsFromAudit(entries), swept);
}

function describe(decisions: DecisionReport[]): string {
  const planned = decisions.filter((d) => d.outcome === "planned");
  const deletes = planned.filter((d) => d.action === "delete").length;
  const cancels = planned.filter((d) => d.action === "cancel").length;
  return `delete ${deletes} and cancel ${cancels} job(s)`;
}

export async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
