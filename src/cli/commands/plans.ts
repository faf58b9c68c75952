// `ie-janitor plans`: saved plans for review (docs/operations.md#9-plans-and-approval). The list, one plan with its
// proposed actions (read page by page from the store, so a large plan is never held whole), and approving or
// rejecting one, through the same engine functions as the HTTP API (planQueries, PlanReview).
import { JOB_SOURCES, type JobSource } from "../../domain/job";
import { ACCEPTED_IDS, isRunId } from "../../domain/armIds";
import { proposedActionsToCsv } from "../../domain/planCsv";
import { PLAN_STATUSES, type ApprovalRule, type PlanStatus, type ProposedAction } from "../../domain/plans";
import { reviewInputProblems } from "../../domain/planReviewInput";
import { planView, type PlanView } from "../../domain/planView";
import { listPlans, readPlan } from "../../engine/planQueries";
import type { PlanReview } from "../../engine/planReview";
import type { PlanStore, RunStore } from "../../engine/ports";
import { JanitorError, ValidationError } from "../../errors";
import { EXIT, type CliIO } from "../io";
import { limitFlag } from "../limitFlag";
import { renderTable } from "../table";

export interface PlansListFlags {
  status?: string;
  limit?: string | number;
  cursor?: string;
  json?: boolean;
}

export interface PlansShowFlags {
  json?: boolean;
  format?: string;
  /** Only actions on jobs of this source. */
  source?: string;
}

export interface PlansReviewFlags {
  exclude?: string[];
  comment?: string;
  json?: boolean;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** Proposed actions read from the store at a time. */
const PAGE = 1000;
const SHOW_FORMATS = ["table", "json", "csv"] as const;

/** Checks a PLAN_ID argument; the message names it and says what is accepted. */
export function planIdProblem(planId: string, name = "PLAN_ID"): string | undefined {
  return isRunId(planId)
    ? undefined
    : `${name}: ${JSON.stringify(planId)} is not a plan id; expected ${ACCEPTED_IDS.runId}`;
}

function usage(io: CliIO, command: string, problems: string[]): number {
  for (const problem of problems) io.stderr(`ie-janitor ${command}: ${problem}\n`);
  return EXIT.usage;
}

/** A refusal from the store or the review (unknown plan, wrong status, four-eyes) is the user's: exit 2. */
function failed(io: CliIO, command: string, err: unknown, names: Record<string, string> = {}): number {
  if (err instanceof ValidationError)
    return usage(
      io,
      command,
      err.problems.map((p) => `${names[p.field] ?? p.field}: ${p.message}`),
    );
  if (err instanceof JanitorError && err.fault === "user") return usage(io, command, [err.message]);
  io.stderr(`ie-janitor ${command}: failed: ${(err as Error)?.message ?? String(err)}\n`);
  return EXIT.failed;
}

/** `plans [--status S] [--limit N] [--cursor C] [--json]`: newest first. */
export async function runPlansListCommand(
  flags: PlansListFlags,
  deps: () => Promise<{ plans: Pick<PlanStore, "list">; now: Date }>,
  io: CliIO,
): Promise<number> {
  const problems: string[] = [];
  if (flags.status !== undefined && !(PLAN_STATUSES as readonly string[]).includes(flags.status))
    problems.push(
      `--status: ${JSON.stringify(flags.status)} is not accepted; use ${PLAN_STATUSES.join(", ")}`,
    );
  const limit = limitFlag(flags.limit, DEFAULT_LIMIT, MAX_LIMIT);
  if (limit === undefined)
    problems.push(`--limit: must be a whole number from 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT})`);
  if (problems.length > 0) return usage(io, "plans", problems);

  let page;
  try {
    const { plans, now } = await deps();
    page = await listPlans(
      plans,
      {
        limit,
        ...(flags.status !== undefined && { status: flags.status as PlanStatus }),
        ...(flags.cursor !== undefined && { cursor: flags.cursor }),
      },
      now,
    );
  } catch (err) {
    return failed(io, "plans", err, { cursor: "--cursor", limit: "--limit", status: "--status" });
  }
  if (flags.json) {
    io.stdout(`${JSON.stringify({ items: page.items, nextCursor: page.nextCursor ?? null }, null, 2)}\n`);
    return EXIT.done;
  }
  if (page.items.length === 0) io.stderr(flags.status ? `no ${flags.status} plans\n` : "no plans yet\n");
  else
    io.stdout(
      renderTable(
        ["PLAN", "STATUS", "REQUESTED BY", "CREATED", "EXPIRES", "ACTIONS", "REVIEWED BY", "APPLIED BY RUN"],
        page.items.map((p) => [
          p.planId,
          p.status,
          p.requestedBy,
          time(p.createdAt),
          time(p.expiresAt),
          p.counts ? String(p.counts.actions) : "",
          p.approvedBy ?? p.rejectedBy ?? "",
          p.appliedRunId ?? "",
        ]),
      ),
    );
  if (page.nextCursor) io.stderr(`more plans: repeat with --cursor ${page.nextCursor}\n`);
  return EXIT.done;
}

/** `plans show PLAN_ID [--json | --format csv]`: the plan record, then its proposed actions. */
export async function runPlansShowCommand(
  planId: string,
  flags: PlansShowFlags,
  deps: () => Promise<{
    plans: Pick<PlanStore, "get" | "readActions">;
    runs: Pick<RunStore, "get">;
    now: Date;
  }>,
  io: CliIO,
): Promise<number> {
  const problems: string[] = [];
  const idProblem = planIdProblem(planId);
  if (idProblem) problems.push(idProblem);
  const format = flags.format ?? (flags.json ? "json" : "table");
  if (!(SHOW_FORMATS as readonly string[]).includes(format))
    problems.push(`--format: ${JSON.stringify(format)} is not accepted; use ${SHOW_FORMATS.join(", ")}`);
  else if (flags.json && format !== "json")
    problems.push(`--json and --format ${format} ask for two formats; give one of them`);
  const source = JOB_SOURCES.find((s) => s === flags.source);
  if (flags.source !== undefined && source === undefined)
    problems.push(`--source: use ${JOB_SOURCES.join(" or ")}`);
  if (problems.length > 0) return usage(io, "plans show", problems);

  try {
    const stores = await deps();
    const found = await readPlan(stores, planId, stores.now);
    if (!found) return usage(io, "plans show", [`no plan ${planId}`]);
    const excluded = new Set(found.plan.excluded ?? []);
    const pages = actionPages(stores.plans, planId, source);
    if (format === "csv") {
      let first = true;
      for await (const items of pages) {
        io.stdout(proposedActionsToCsv(items, { header: first }));
        first = false;
      }
      if (first) io.stdout(proposedActionsToCsv([]));
      return EXIT.done;
    }
    if (format === "json") {
      // One document, written page by page: the plan as GET /api/plans/{planId} shows it, plus `actions`.
      const head = JSON.stringify(found.view, null, 2);
      io.stdout(`${head.slice(0, head.lastIndexOf("}")).trimEnd()},\n  "actions": [`);
      let count = 0;
      for await (const items of pages)
        for (const a of items) io.stdout(`${count++ === 0 ? "" : ","}\n    ${JSON.stringify(a)}`);
      io.stdout(`${count > 0 ? "\n  " : ""}]\n}\n`);
      return EXIT.done;
    }
    io.stdout(renderRecord(found.view));
    let count = 0;
    for await (const items of pages) {
      if (items.length === 0) continue;
      io.stdout(`\n${renderActions(items, excluded)}`);
      count += items.length;
    }
    io.stderr(
      `${count} proposed action(s)${excluded.size > 0 ? `, ${excluded.size} excluded by the approver` : ""}\n`,
    );
    return EXIT.done;
  } catch (err) {
    return failed(io, "plans show", err);
  }
}

/** `plans approve PLAN_ID [--exclude JOB_ID]... [--comment TEXT]` and `plans reject PLAN_ID [--comment TEXT]`. */
export async function runPlansReviewCommand(
  step: "approve" | "reject",
  planId: string,
  flags: PlansReviewFlags,
  deps: () => Promise<{ review: Pick<PlanReview, "approve" | "reject">; rule: ApprovalRule; actor: string }>,
  io: CliIO,
): Promise<number> {
  const command = `plans ${step}`;
  const problems: string[] = [];
  const idProblem = planIdProblem(planId);
  if (idProblem) problems.push(idProblem);
  const names = { comment: "--comment", exclude: "--exclude" };
  problems.push(
    ...reviewInputProblems({ comment: flags.comment, exclude: flags.exclude }, names).map(
      (p) => `${p.field}: ${p.message}`,
    ),
  );
  if (problems.length > 0) return usage(io, command, problems);

  try {
    const { review, rule, actor } = await deps();
    const reviewer = { name: actor, trigger: "cli" as const, authenticated: false };
    const comment = flags.comment !== undefined ? { comment: flags.comment } : {};
    const plan =
      step === "approve"
        ? await review.approve(planId, reviewer, {
            rule,
            ...comment,
            ...(flags.exclude !== undefined && { exclude: flags.exclude }),
          })
        : await review.reject(planId, reviewer, comment);
    if (flags.json) io.stdout(`${JSON.stringify(planView(plan, new Date()), null, 2)}\n`);
    else if (step === "approve")
      io.stdout(
        `Plan ${plan.planId} approved by ${actor} (${plan.excluded?.length ?? 0} job(s) excluded). ` +
          `Apply it with: ie-janitor apply --plan ${plan.planId}\n`,
      );
    else io.stdout(`Plan ${plan.planId} rejected by ${actor}.\n`);
    return EXIT.done;
  } catch (err) {
    return failed(io, command, err, names);
  }
}

/** The plan's proposed actions, one store page at a time. */
export async function* actionPages(
  plans: Pick<PlanStore, "readActions">,
  planId: string,
  source?: JobSource,
): AsyncGenerator<ProposedAction[]> {
  let cursor: string | undefined;
  do {
    const page = await plans.readActions(planId, {
      limit: PAGE,
      ...(source !== undefined && { source }),
      ...(cursor !== undefined && { cursor }),
    });
    yield page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** The proposed actions as a table; `excluded` (lower-cased job ids) are marked. */
export function renderActions(actions: readonly ProposedAction[], excluded: ReadonlySet<string>): string {
  return renderTable(
    ["SUB", "RESOURCE GROUP", "JOB", "TYPE", "STATE", "AGE(d)", "ACTION", "RULE", "APPROVER"],
    actions.map((a) => [
      a.subscriptionId.slice(0, 8),
      a.resourceGroup,
      a.jobName,
      a.jobType,
      a.state,
      a.ageDays === undefined ? "" : a.ageDays.toFixed(1),
      a.action,
      a.rule,
      excluded.has(a.jobId.toLowerCase()) ? "excluded" : "",
    ]),
  );
}

function renderRecord(view: PlanView): string {
  const lines: [string, string | undefined][] = [
    ["plan", view.planId],
    ["status", view.status],
    ["requested by", `${view.requestedBy} (${view.trigger})`],
    ["created", time(view.createdAt)],
    ["expires", time(view.expiresAt)],
    ["policy hash", view.policyHash],
    [
      "counts",
      view.counts &&
        `${view.counts.actions} action(s), ${view.counts.jobsSeen} jobs seen, ${view.counts.subscriptions} subscription(s)`,
    ],
    ["plan run", view.run && `${view.run.runId} ${view.run.status}`],
    [
      "approved",
      view.approvedBy && `by ${view.approvedBy} at ${time(view.approvedAt)} (${view.approvalRule})`,
    ],
    ["rejected", view.rejectedBy && `by ${view.rejectedBy} at ${time(view.rejectedAt)}`],
    ["comment", view.comment],
    ["excluded", view.excluded?.length ? view.excluded.join(", ") : undefined],
    ["applied", view.appliedRunId && `by run ${view.appliedRunId} at ${time(view.appliedAt)}`],
    ["expired", view.expiredAt && time(view.expiredAt)],
  ];
  return lines
    .filter((l): l is [string, string] => Boolean(l[1]))
    .map(([k, v]) => `${`${k}:`.padEnd(14)}${v}\n`)
    .join("");
}

function time(iso: string | undefined): string {
  return iso ? iso.replace(/\.\d{3}Z$/, "Z") : "";
}
