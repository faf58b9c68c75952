import { describe, expect, it } from "vitest";
import { EXIT } from "../../../src/cli/io";
import { Progress } from "../../../src/cli/progress";
import {
  mergeProblems,
  problemsFromAudit,
  renderPlan,
  renderSummary,
  sweepExitCode,
  type SubscriptionProblem,
} from "../../../src/cli/sweepReport";
import { ZERO_COUNTS, type RunCounts } from "../../../src/domain/records";
import type { DecisionReport } from "../../../src/engine/sweepSubscription";
import { captureIO } from "../../support/captureIO";
import { fullEntry, runRecord, SUB_A, SUB_B } from "../../support/auditEntries";

function decision(subscriptionId: string, resourceGroup: string, jobName: string): DecisionReport {
  return {
    jobId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ImportExport/jobs/${jobName}`,
    subscriptionId,
    resourceGroup,
    jobName,
    jobType: "Import",
    state: "Creating",
    action: "delete",
    outcome: "planned",
    reason: "rule-matched",
    rule: "stale-drafts",
    ageDays: 9,
    ageBasis: "systemData.createdAt",
  };
}

const listingFailed: SubscriptionProblem = {
  subscriptionId: SUB_B,
  outcome: "failed",
  reason: "listing-failed",
  detail: "not-allowed (HTTP 403)",
};

describe("sweepReport", () => {
  it("sorts the plan by subscription, resource group and job, ignoring case", () => {
    const text = renderPlan(
      runRecord("r", { status: "succeeded" }),
      [
        decision(SUB_B, "rg-a", "job-1"),
        decision(SUB_A, "rg-migration", "draft"),
        decision(SUB_A, "RG-Mixed", "b-job"),
        decision(SUB_A, "rg-migration", "Apple"),
      ],
      [],
    );
    const jobs = text
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split(/\s+/).slice(1, 3).join("/"));
    expect(jobs).toEqual(["rg-migration/Apple", "rg-migration/draft", "RG-Mixed/b-job", "rg-a/job-1"]);
  });

  it("says a failed run failed, and why, instead of that nothing needs attention", () => {
    const run = runRecord("r", { status: "failed", error: "subscription discovery failed: HTTP 403" });
    const text = renderPlan(run, [], []);
    expect(text).not.toMatch(/needs attention/i);
    expect(text).toBe("Run failed: subscription discovery failed: HTTP 403\nNo job was decided.\n");
  });

  it("names the subscriptions not swept in full even when no job is listed", () => {
    const text = renderPlan(runRecord("r", { status: "partial" }), [], [listingFailed]);
    expect(text).not.toMatch(/needs attention/i);
    expect(text).toMatch(
      new RegExp(`^${SUB_B}\\s+failed\\s+listing-failed\\s+not-allowed \\(HTTP 403\\)$`, "m"),
    );
  });

  it("reads subscription-level audit entries as problems, and adds sweeps that stopped without one", () => {
    const entries = [
      fullEntry({ jobId: undefined, jobName: undefined, resourceGroup: undefined, action: "none" }),
      fullEntry({
        subscriptionId: SUB_B,
        jobId: undefined,
        jobName: undefined,
        action: "none",
        outcome: "deferred",
        reason: "lease-held",
        errorMessage: undefined,
      }),
      fullEntry({ action: "none", outcome: "skipped", reason: "exempt-tag" }), // a job: not a problem
      fullEntry({
        subscriptionId: "*",
        jobId: undefined,
        jobName: undefined,
        outcome: "skipped",
        reason: "paused",
      }),
    ];
    const fromAudit = problemsFromAudit(entries);
    expect(fromAudit).toEqual([{ subscriptionId: SUB_B, outcome: "deferred", reason: "lease-held" }]);
    const other = "1b2c3d4e-0000-4000-8000-000000000001";
    const merged = mergeProblems(fromAudit, [
      { subscriptionId: SUB_B, error: "lease", counts: { subscriptionsFailed: 1 } },
      { subscriptionId: other, error: "sweep stopped: boom", counts: { subscriptionsFailed: 1 } },
      { subscriptionId: SUB_A, counts: { subscriptionsFailed: 0 } },
    ]);
    expect(merged).toEqual([
      { subscriptionId: other, outcome: "failed", reason: "sweep-failed", detail: "sweep stopped: boom" },
      { subscriptionId: SUB_B, outcome: "deferred", reason: "lease-held" },
    ]);
  });

  it.each<[string, Parameters<typeof sweepExitCode>, number]>([
    ["succeeded", [runRecord("r", { status: "succeeded" }), []], EXIT.done],
    [
      "a Disabled subscription skipped",
      [
        runRecord("r", { status: "succeeded" }),
        [{ subscriptionId: SUB_A, outcome: "skipped", reason: "subscription-state" }],
      ],
      EXIT.done,
    ],
    ["failed", [runRecord("r", { status: "failed" }), [listingFailed]], EXIT.failed],
    ["partial", [runRecord("r", { status: "partial" }), []], EXIT.partial],
    [
      "a deferred subscription",
      [
        runRecord("r", { status: "succeeded" }),
        [{ subscriptionId: SUB_A, outcome: "deferred", reason: "lease-held" }],
      ],
      EXIT.partial,
    ],
    [
      "a breaker tripped",
      [
        runRecord("r", { status: "succeeded" }),
        [{ subscriptionId: SUB_A, outcome: "skipped", reason: "breaker-tripped" }],
      ],
      EXIT.partial,
    ],
    [
      "subscriptionsDeferred counted",
      [
        runRecord("r", {
          status: "succeeded",
          counts: { ...ZERO_COUNTS, subscriptionsDeferred: 1 },
        }),
        [],
      ],
      EXIT.partial,
    ],
  ])("exit code: %s", (_what, args, code) => {
    expect(sweepExitCode(...args)).toBe(code);
  });

  it("without a terminal, the last progress line carries the finished run's counts, as the summary does", () => {
    // Prepare: a progress that printed early (after the first subscription) and then stayed quiet.
    let clock = 10_000;
    const io = captureIO(false);
    const progress = new Progress(io, () => clock);
    const done = (jobs: number) =>
      progress.subscriptionDone({
        subscriptionId: SUB_A,
        counts: { ...ZERO_COUNTS, subscriptionsScanned: 1, jobsSeen: jobs },
        reasons: {},
      });
    done(3);
    clock += 500;
    done(4);
    const counts: RunCounts = {
      ...ZERO_COUNTS,
      subscriptionsScanned: 2,
      jobsSeen: 7,
      planned: 2,
      deleted: 1,
    };
    // Act
    progress.end(counts);
    // Assess
    const lines = io.err.trim().split("\n");
    expect(lines[0]).toBe("progress: 1 subscriptions scanned, 0 jobs seen, 0 actions");
    expect(lines.at(-1)).toBe("progress: 2 subscriptions scanned, 7 jobs seen, 3 actions");
    const summary = renderSummary(runRecord("r", { status: "succeeded", counts }));
    expect(summary).toContain("  subscriptions: 2 scanned,");
    expect(summary).toContain("  jobs: 7 seen, 3 actions (2 planned, 1 deleted, 0 cancelled)");
  });
  it("shows how the run found its subscriptions and how many held no jobs", () => {
    const counts = { ...ZERO_COUNTS, subscriptionsScanned: 3, subscriptionsWithoutJobs: 997 };
    const narrowed = renderSummary(
      runRecord("r", { status: "succeeded", counts, discovery: "resource-graph" }),
    );
    const fallback = renderSummary(
      runRecord("r", {
        status: "succeeded",
        discovery: "subscriptions (fallback: HTTP 500 InternalServerError)",
      }),
    );
    expect(narrowed).toContain(
      "  subscriptions: 3 scanned, 0 failed, 0 skipped, 997 without jobs, 0 breakers tripped",
    );
    expect(narrowed).toContain("  discovery: resource-graph\n");
    expect(fallback).toContain("  discovery: subscriptions (fallback: HTTP 500 InternalServerError)\n");
    expect(fallback).not.toContain("without jobs");
  });
});
