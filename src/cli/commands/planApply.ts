// `ie-janitor apply --plan PLAN_ID [--yes]`: applies exactly an approved saved plan, once, through the engine's
// executePlanApply (the same claim as POST /api/runs {"mode":"apply","planId"}). A plan that cannot be applied
// (unknown, not approved, expired, applied already) is refused with the reason, exit 2, before anything runs;
// the engine's claim refuses a concurrent apply that got there first the same way.
import { createJanitor } from "../../composition";
import { claimPlanForApply } from "../../domain/plans";
import { readPlan } from "../../engine/planQueries";
import type { Env } from "../../settings/settings";
import { EXIT, type CliIO } from "../io";
import { actionPages, planIdProblem, renderActions } from "./plans";
import { ask, sweep, type SweepFlags } from "./sweep";

export async function runPlanApplyCommand(flags: SweepFlags, env: Env, io: CliIO): Promise<number> {
  const planId = flags.plan ?? "";
  const problems: string[] = [];
  const idProblem = planIdProblem(planId, "--plan");
  if (idProblem) problems.push(idProblem);
  if (flags.subscription?.length)
    problems.push("--subscription is not taken with --plan: the plan says which jobs are acted on");
  if (flags.policy !== undefined)
    problems.push("--policy is not taken with --plan: the plan is applied under its own policy");
  if (!flags.yes && !io.isTTY)
    problems.push("apply changes jobs: without a terminal to confirm on, pass --yes");
  if (problems.length > 0) {
    for (const p of problems) io.stderr(`ie-janitor apply: ${p}\n`);
    return EXIT.usage;
  }

  const janitor = await createJanitor(env);
  const found = await readPlan(janitor.storage, planId, new Date());
  if (!found) return refuse(io, `no plan ${planId}`);
  const check = claimPlanForApply(found.plan, { runId: "-", now: new Date() });
  if (!check.ok) return refuse(io, check.refusal.message);

  let confirmed: number | undefined;
  if (!flags.yes) {
    // Show what the plan will act on (its actions minus the approver's exclusions), then ask for their number.
    const excluded = new Set(found.plan.excluded ?? []);
    let actions = 0;
    let deletes = 0;
    for await (const items of actionPages(janitor.storage.plans, planId)) {
      if (items.length > 0) io.stderr(renderActions(items, excluded));
      for (const a of items) {
        if (excluded.has(a.jobId.toLowerCase())) continue;
        actions++;
        if (a.action === "delete") deletes++;
      }
    }
    const typed = await ask(
      `Type ${actions} to delete ${deletes} and cancel ${actions - deletes} job(s) of plan ${planId}, ` +
        `approved by ${found.plan.approvedBy} (anything else stops here): `,
    );
    if (typed.trim() !== String(actions)) {
      io.stderr("Not applied: nothing was changed.\n");
      return EXIT.failed;
    }
    confirmed = actions;
  }
  const result = await sweep(janitor, "apply", flags, env, io, "result", confirmed, {
    planId,
    policyHash: found.plan.policyHash,
  });
  return result.exitCode;
}

function refuse(io: CliIO, reason: string): number {
  io.stderr(`ie-janitor apply: ${reason}\n`);
  return EXIT.usage;
}
