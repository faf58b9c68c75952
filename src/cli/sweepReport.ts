// What `plan` and `apply` print for people: the decisions table, the subscriptions that were not swept in full,
// the summary, and the exit code. Pure: the command gathers the run, its decisions and its problems first.
import type { AuditEntry, RunCounts, RunRecord } from "../domain/records";
import type { Outcome } from "../domain/vocabulary";
import type { DecisionReport } from "../engine/sweepSubscription";
import { EXIT } from "./io";
import { renderTable } from "./table";

/** A subscription the run skipped, failed on or left for a later run, and why. */
export interface SubscriptionProblem {
  subscriptionId: string;
  outcome: Extract<Outcome, "skipped" | "failed" | "deferred">;
  /** A reason code (`subscription-state`, `listing-failed`, `lease-held`, `breaker-tripped`, ...). */
  reason: string;
  detail?: string;
}

/** Jobs that only match no rule, are too young or out of scope are summarized, not listed (like the audit log). */
const QUIET = new Set(["no-rule", "too-young", "out-of-scope"]);

/** The audit log's subscription-level entries of a run (no job): the subscriptions it skipped, failed or deferred. */
export function problemsFromAudit(entries: AuditEntry[]): SubscriptionProblem[] {
  const problems: SubscriptionProblem[] = [];
  for (const e of entries) {
    if (e.jobId || e.jobName || e.subscriptionId === "*") continue;
    if (e.outcome !== "skipped" && e.outcome !== "failed" && e.outcome !== "deferred") continue;
    problems.push({
      subscriptionId: e.subscriptionId,
      outcome: e.outcome,
      reason: e.reason,
      ...(e.errorMessage && { detail: e.errorMessage }),
    });
  }
  return problems;
}

/** Adds failures the audit log has no subscription entry for (a sweep stopped by an error), one per subscription. */
export function mergeProblems(
  fromAudit: SubscriptionProblem[],
  swept: { subscriptionId: string; error?: string; counts: Pick<RunCounts, "subscriptionsFailed"> }[],
): SubscriptionProblem[] {
  const named = new Set(fromAudit.map((p) => p.subscriptionId.toLowerCase()));
  const extra = swept
    .filter((r) => r.error && r.counts.subscriptionsFailed > 0 && !named.has(r.subscriptionId.toLowerCase()))
    .map((r): SubscriptionProblem => ({
      subscriptionId: r.subscriptionId,
      outcome: "failed",
      reason: "sweep-failed",
      detail: r.error,
    }));
  return [...fromAudit, ...extra].sort(
    (a, b) => compareText(a.subscriptionId, b.subscriptionId) || compareText(a.reason, b.reason),
  );
}

/** By subscription, resource group and job (names compare case-insensitively, as ARM's do). */
export function sortDecisions(decisions: DecisionReport[]): DecisionReport[] {
  return [...decisions].sort(
    (a, b) =>
      compareText(a.subscriptionId, b.subscriptionId) ||
      compareText(a.resourceGroup, b.resourceGroup) ||
      compareText(a.jobName, b.jobName),
  );
}

/** A decision the plan's table shows: all but the quiet skips (no rule, too young, out of scope), which are counted. */
export function shownInPlan(d: DecisionReport): boolean {
  return !(d.outcome === "skipped" && QUIET.has(d.reason));
}

/** The table of decisions worth a look, then every subscription not swept in full; never "all clear" by mistake. */
export function renderPlan(
  run: RunRecord,
  decisions: DecisionReport[],
  problems: SubscriptionProblem[],
): string {
  const rows = sortDecisions(decisions)
    .filter(shownInPlan)
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
  let text: string;
  if (rows.length > 0) {
    text = renderTable(
      ["SUB", "RESOURCE GROUP", "JOB", "TYPE", "STATE", "AGE(d)", "ACTION", "OUTCOME", "REASON", "RULE"],
      rows,
    );
  } else if (problems.length > 0) {
    text = "No job to show from the subscriptions that were swept.\n";
  } else if (run.status === "succeeded" || run.status === "partial") {
    text = "No job needs attention.\n";
  } else {
    // Failed before any subscription was swept (discovery), or paused: say what happened, not "all clear".
    text = `Run ${run.status}: ${run.error ?? "no detail was recorded"}\nNo job was decided.\n`;
  }
  return problems.length > 0 ? `${text}\n${renderProblems(problems)}` : text;
}

export function renderProblems(problems: SubscriptionProblem[]): string {
  return (
    "Subscriptions skipped, failed or deferred:\n" +
    renderTable(
      ["SUBSCRIPTION", "OUTCOME", "REASON", "DETAIL"],
      problems.map((p) => [p.subscriptionId, p.outcome, p.reason, p.detail ?? ""]),
    )
  );
}

/** Actions taken or planned: what the progress line and the summary both call `actions`. */
export function actionCount(c: Pick<RunCounts, "planned" | "deleted" | "cancelled">): number {
  return c.planned + c.deleted + c.cancelled;
}

export function progressLine(subscriptions: number, jobs: number, actions: number): string {
  return `progress: ${subscriptions} subscriptions scanned, ${jobs} jobs seen, ${actions} actions`;
}

/** Records stored before the counter existed lack it. */
function subscriptionsDeferred(c: RunCounts): number {
  return c.subscriptionsDeferred ?? 0;
}

export function renderSummary(run: RunRecord): string {
  const c = run.counts;
  const quiet = Object.entries(run.reasons ?? {})
    .filter(([reason]) => QUIET.has(reason))
    .map(([reason, n]) => `${n} ${reason}`)
    .join(", ");
  const deferred = subscriptionsDeferred(c);
  // Resource Graph showed no jobs there: not listed (records stored before the counter existed lack it).
  const withoutJobs = c.subscriptionsWithoutJobs ?? 0;
  const lines = [
    `Run ${run.runId}: ${run.status}`,
    `  subscriptions: ${c.subscriptionsScanned} scanned, ${c.subscriptionsFailed} failed, ${c.subscriptionsSkipped} skipped, ${deferred > 0 ? `${deferred} deferred, ` : ""}${withoutJobs > 0 ? `${withoutJobs} without jobs, ` : ""}${c.breakersTripped} breakers tripped`,
    `  jobs: ${c.jobsSeen} seen, ${actionCount(c)} actions (${c.planned} planned, ${c.deleted} deleted, ${c.cancelled} cancelled), ${c.skipped} skipped${quiet ? ` (${quiet})` : ""}, ${c.refused} refused, ${c.failed} failed, ${c.deferred} deferred`,
  ];
  if (run.discovery !== undefined) lines.push(`  discovery: ${run.discovery}`);
  if (run.error) lines.push(`  problems: ${run.error}`);
  return `${lines.join("\n")}\n`;
}

/**
 * 1 when the run failed; 3 when it covered less than it should (a subscription failed, was deferred or had its
 * breaker tripped), also while the run record still calls that `succeeded`; else 0.
 */
export function sweepExitCode(run: RunRecord, problems: SubscriptionProblem[]): number {
  if (run.status === "failed") return EXIT.failed;
  const shortfall = problems.some((p) => p.outcome !== "skipped" || p.reason === "breaker-tripped");
  if (run.status === "partial" || shortfall || subscriptionsDeferred(run.counts) > 0) return EXIT.partial;
  return EXIT.done;
}

function compareText(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}
