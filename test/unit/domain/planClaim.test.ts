// The claim on a saved plan, as pure transitions: approved -> applied by one run; given back (approved again, the
// release recorded) only for a run that ended failed or paused with no part that could still act; otherwise the
// run's outcome is recorded and the plan stays applied.
import { describe, expect, it } from "vitest";
import {
  claimPlanForApply,
  claimReleasable,
  recordApplyResult,
  releasePlanClaim,
  RELEASED_CLAIMS_KEPT,
  type PlanRecord,
} from "../../../src/domain/plans";
import { ZERO_COUNTS, type RunRecord } from "../../../src/domain/records";
import { validatePolicy } from "../../../src/domain/policy";

const NOW = new Date("2026-12-01T10:00:00.000Z");
const policy = validatePolicy(
  { version: 1, rules: [{ name: "stale", states: ["Creating"], olderThan: "P7D", action: "delete" }] },
  "test policy",
);
const approved: PlanRecord = {
  planId: "20261201T090000Z-0a1b2c3d",
  status: "approved",
  trigger: "timer",
  requestedBy: "timer",
  createdAt: "2026-12-01T09:00:00.000Z",
  expiresAt: "2026-12-08T09:00:00.000Z",
  policy,
  policyHash: "hash",
  approvedBy: "alice@example.com",
  approvedAt: "2026-12-01T09:30:00.000Z",
};

function applyRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: "20261201T100000Z-11111111",
    trigger: "http",
    mode: "apply",
    requestedBy: "bob@example.com",
    status: "failed",
    queuedAt: NOW.toISOString(),
    finishedAt: NOW.toISOString(),
    policyHash: "hash",
    counts: { ...ZERO_COUNTS },
    planId: approved.planId,
    ...overrides,
  };
}

function claimed(runId = "20261201T100000Z-11111111"): PlanRecord {
  const step = claimPlanForApply(approved, { runId, now: NOW });
  if (!step.ok) throw new Error(step.refusal.message);
  return step.plan;
}

describe("claimReleasable", () => {
  it("a failed or paused apply run with no part left open may give its claim back", () => {
    expect(claimReleasable(applyRun())).toBe(true);
    expect(claimReleasable(applyRun({ status: "paused" }))).toBe(true);
    expect(claimReleasable(applyRun({ partsTotal: 3, partsDone: 3 }))).toBe(true);
  });

  it("never for a run that may still act, ended well, or applies no plan", () => {
    // A part not merged may still be sweeping (unless the caller ran the whole run and saw it stop).
    expect(claimReleasable(applyRun({ partsTotal: 3, partsDone: 2 }))).toBe(false);
    expect(claimReleasable(applyRun({ partsTotal: 1, partsDone: 0 }), true)).toBe(true);
    for (const status of ["succeeded", "partial", "running", "queued"] as const)
      expect(claimReleasable(applyRun({ status }))).toBe(false);
    expect(claimReleasable(applyRun({ planId: undefined }))).toBe(false);
    expect(claimReleasable(applyRun({ mode: "plan" }))).toBe(false);
  });
});

describe("releasePlanClaim", () => {
  it("applied by the run -> approved again, the release counted and kept on the plan, approval unchanged", () => {
    const plan = recordApplyResult(claimed(), applyRun());
    const released = releasePlanClaim(plan, {
      runId: "20261201T100000Z-11111111",
      now: NOW,
      why: "x".repeat(400),
    });
    expect(released).toMatchObject({
      status: "approved",
      approvedBy: "alice@example.com",
      claimsReleased: 1,
    });
    expect(released.appliedRunId).toBeUndefined();
    expect(released.appliedAt).toBeUndefined();
    expect(released.applyResult).toBeUndefined();
    expect(released.releasedClaims).toHaveLength(1);
    expect(released.releasedClaims![0]!.why.length).toBeLessThanOrEqual(250);
    // Applied again afterwards, by another run.
    expect(claimPlanForApply(released, { runId: "20261201T110000Z-22222222", now: NOW }).ok).toBe(true);
  });

  it("leaves a plan claimed by another run, or not claimed, as it is", () => {
    const plan = claimed("20261201T100000Z-33333333");
    expect(releasePlanClaim(plan, { runId: "20261201T100000Z-11111111", now: NOW, why: "" })).toBe(plan);
    expect(releasePlanClaim(approved, { runId: "20261201T100000Z-11111111", now: NOW, why: "" })).toBe(
      approved,
    );
  });

  it("keeps the latest releases only, and counts them all", () => {
    let plan = approved;
    for (let i = 0; i < RELEASED_CLAIMS_KEPT + 3; i++) {
      const runId = `20261201T100000Z-${String(i).padStart(8, "0")}`;
      const step = claimPlanForApply(plan, { runId, now: NOW });
      if (!step.ok) throw new Error(step.refusal.message);
      plan = releasePlanClaim(step.plan, { runId, now: NOW, why: "failed" });
    }
    expect(plan.claimsReleased).toBe(RELEASED_CLAIMS_KEPT + 3);
    expect(plan.releasedClaims).toHaveLength(RELEASED_CLAIMS_KEPT);
    expect(plan.releasedClaims!.at(-1)!.runId).toBe(
      `20261201T100000Z-${String(RELEASED_CLAIMS_KEPT + 2).padStart(8, "0")}`,
    );
  });
});

describe("recordApplyResult", () => {
  it("records the applying run's status and acting counts; not for another run", () => {
    const run = applyRun({
      status: "partial",
      counts: { ...ZERO_COUNTS, deleted: 3, failed: 1, planned: 9 },
    });
    const plan = recordApplyResult(claimed(), run);
    expect(plan.status).toBe("applied");
    expect(plan.applyResult).toEqual({
      runId: run.runId,
      status: "partial",
      finishedAt: run.finishedAt,
      counts: { deleted: 3, cancelled: 0, skipped: 0, refused: 0, failed: 1, deferred: 0 },
    });
    const other = claimed("20261201T100000Z-44444444");
    expect(recordApplyResult(other, run)).toBe(other);
  });
});
