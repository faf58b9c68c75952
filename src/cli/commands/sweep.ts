import os from "node:os";
import { createInterface } from "node:readline/promises";
import { newRunId } from "../../adapters/storage";
import { createJanitor, type Janitor } from "../../composition";
import type { RunRecord } from "../../domain/records";
import type { Mode } from "../../domain/vocabulary";
import type { DecisionReport } from "../../engine/sweepSubscription";
import type { Env } from "../../settings/settings";
import { EXIT, type CliIO } from "../io";
import { renderTable } from "../table";

export interface SweepFlags {
  policy?: string;
  subscription?: string[];
  json?: boolean;
  yes?: boolean;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** CLI runs have no Functions timeout; unless JANITOR_RUN_TIMEOUT says otherwise they may take an hour. */
const CLI_DEFAULT_TIMEOUT_MS = 60 * 60_000;

/** `ie-janitor plan` and `ie-janitor apply`: one run in this process, recorded like any other (trigger `cli`). */
export async function runSweepCommand(mode: Mode, flags: SweepFlags, env: Env, io: CliIO): Promise<number> {
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
    if (plan.run.status === "failed") return exitCode(plan.run);
    if (actions === 0) {
      io.stderr("Nothing to do: the plan found no action.\n");
      return exitCode(plan.run);
    }
    const typed = await ask(`Type ${actions} to ${describe(plan.decisions)} (anything else cancels): `);
    if (typed.trim() !== String(actions)) {
      io.stderr("Cancelled: nothing was changed.\n");
      return EXIT.done;
    }
    // What was confirmed is the most this run may do, even if more became eligible meanwhile.
    confirmed = actions;
  }
  const result = await sweep(janitor, mode, flags, env, io, "result", confirmed);
  return exitCode(result.run);
}

/** `preview`: the plan shown before the confirmation, as a table on stderr (stdout stays for the result). */
async function sweep(
  janitor: Janitor,
  mode: Mode,
  flags: SweepFlags,
  env: Env,
  io: CliIO,
  purpose: "preview" | "result",
  maxActions?: number,
) {
  const decisions: DecisionReport[] = [];
  const runId = newRunId(new Date());
  const timeoutMs = env.JANITOR_RUN_TIMEOUT ? janitor.settings.core.runTimeoutMs : CLI_DEFAULT_TIMEOUT_MS;
  const progress = new Progress(io);
  io.stderr(`${mode} run ${runId} (policy ${janitor.policy.source}, hash ${janitor.policy.hash})\n`);
  const run = await janitor.engine.executeRun(
    {
      trigger: "cli",
      mode,
      requestedBy: `cli:${safeUserName()}`,
      subscriptions: flags.subscription?.length ? flags.subscription : undefined,
    },
    runId,
    {
      deadline: new Date(Date.now() + timeoutMs),
      maxActions,
      onDecision: (d) => {
        decisions.push(d);
        progress.decision(d);
      },
      onSubscriptionDone: () => progress.subscriptionDone(),
    },
  );
  progress.end();
  if (purpose === "preview") io.stderr(decisionTable(decisions));
  else if (flags.json) io.stdout(`${JSON.stringify({ ...run, decisions }, null, 2)}\n`);
  else io.stdout(decisionTable(decisions));
  io.stderr(summary(run));
  return { run, decisions };
}

function exitCode(run: RunRecord): number {
  if (run.status === "failed") return EXIT.failed;
  if (run.status === "partial") return EXIT.partial;
  return EXIT.done;
}

/** Jobs that only match no rule, are too young or out of scope are summarized, not listed (like the audit log). */
const QUIET = new Set(["no-rule", "too-young", "out-of-scope"]);

function decisionTable(decisions: DecisionReport[]): string {
  const rows = decisions
    .filter((d) => !(d.outcome === "skipped" && QUIET.has(d.reason)))
    .map((d) => [
      d.subscriptionId.slice(0, 8),
      d.resourceGroup,
      d.jobName,
      d.jobType,
      d.state,
      d.ageDays === undefined ? "" : d.ageDays.toFixed(1),
      d.action,
      d.outcome,
      d.reason,
      d.rule ?? "",
    ]);
  if (rows.length === 0) return "No job needs attention.\n";
  return renderTable(
    ["SUB", "RESOURCE GROUP", "JOB", "TYPE", "STATE", "AGE(d)", "ACTION", "OUTCOME", "REASON", "RULE"],
    rows,
  );
}

function summary(run: RunRecord): string {
  const c = run.counts;
  const quiet = Object.entries(run.reasons ?? {})
    .filter(([reason]) => QUIET.has(reason))
    .map(([reason, n]) => `${n} ${reason}`)
    .join(", ");
  const lines = [
    `Run ${run.runId}: ${run.status}`,
    `  subscriptions: ${c.subscriptionsScanned} scanned, ${c.subscriptionsFailed} failed, ${c.subscriptionsSkipped} skipped, ${c.breakersTripped} breakers tripped`,
    `  jobs: ${c.jobsSeen} seen, ${c.planned} planned, ${c.deleted} deleted, ${c.cancelled} cancelled, ${c.skipped} skipped${quiet ? ` (${quiet})` : ""}, ${c.refused} refused, ${c.failed} failed, ${c.deferred} deferred`,
  ];
  if (run.error) lines.push(`  problems: ${run.error}`);
  return `${lines.join("\n")}\n`;
}

function describe(decisions: DecisionReport[]): string {
  const planned = decisions.filter((d) => d.outcome === "planned");
  const deletes = planned.filter((d) => d.action === "delete").length;
  const cancels = planned.filter((d) => d.action === "cancel").length;
  return `delete ${deletes} and cancel ${cancels} job(s)`;
}

async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

function safeUserName(): string {
  try {
    return os.userInfo().username || "unknown";
  } catch {
    return "unknown";
  }
}

/** Progress on stderr: one rewritten line on a terminal, a plain line every few subscriptions otherwise. */
class Progress {
  private subscriptions = 0;
  private jobs = 0;
  private actions = 0;
  private lastPrint = 0;

  constructor(private readonly io: CliIO) {}

  decision(d: DecisionReport): void {
    this.jobs++;
    if (d.outcome === "planned" || d.outcome === "succeeded") this.actions++;
    this.maybePrint();
  }

  subscriptionDone(): void {
    this.subscriptions++;
    this.maybePrint(true);
  }

  end(): void {
    if (this.io.isTTY && this.lastPrint > 0) this.io.stderr("\n");
  }

  private maybePrint(force = false): void {
    const now = Date.now();
    if (this.io.isTTY) {
      if (!force && now - this.lastPrint < 100) return;
      this.lastPrint = now;
      this.io.stderr(`\r${this.line()}`);
    } else if (force && now - this.lastPrint >= 2_000) {
      this.lastPrint = now;
      this.io.stderr(`${this.line()}\n`);
    }
  }

  private line(): string {
    return `subscriptions done: ${this.subscriptions}, jobs: ${this.jobs}, actions: ${this.actions}`;
  }
}
