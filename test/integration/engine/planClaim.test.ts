// The claim on a saved plan when its apply run ends (docs/operations.md#9-plans-and-approval), on the real
// emulator over https and a real Azurite: a run that fails before sweeping (ARM subscription discovery answers
// 403) gives the claim back, recorded in the audit and on the plan, and the plan is then applied once; a claim
// whose run ended without the engine hearing (a poison message marks runs failed in storage) is given back at
// the next apply; a run that wrote an intent keeps the plan applied, with its outcome on the plan.
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../../src/domain/policy";
import { failRun } from "../../../src/domain/runTransitions";
import type { Reviewer } from "../../../src/engine/planReview";
import { ConflictError } from "../../../src/errors";
import { auditOfRun, expectSafe, withScenarios } from "../../support/janitorHarness";
import { guid, seedJob, subscription } from "../../support/jobFactory";

const SUB = guid(0xd1);
const POLICY: PolicyDocument = {
  version: 1,
  rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
  guards: { gracePeriod: "PT0S" },
  limits: {
    maxActionsPerRun: 100,
    maxActionsPerSubscription: 100,
    maxEligibleFraction: 1,
    minJobsForFraction: 10,
  },
};
const ALICE: Reviewer = { name: "alice@example.com", trigger: "http", authenticated: true };
const REQUEST = { trigger: "cli" as const, requestedBy: "cli:test" };
const soon = () => ({ deadline: new Date(Date.now() + 120_000) });

describe("the claim on a plan when its apply run ends", () => {
  const { scenario } = withScenarios();

  async function approved() {
    const s = await scenario({
      policy: POLICY,
      seed: {
        subscriptions: [subscription(SUB)],
        jobs: [
          seedJob({ sub: SUB, name: "old-draft-1", state: "Creating", days: 10, systemData: true }),
          seedJob({ sub: SUB, name: "old-draft-2", state: "Creating", days: 10, systemData: true }),
          seedJob({ sub: SUB, name: "young-draft", state: "Creating", days: 1, systemData: true }),
        ],
      },
    });
    const plan = await s.run("plan");
    expect(plan.run.counts.planned).toBe(2);
    const planId = plan.run.runId;
    await s.janitor.engine.planReview().approve(planId, ALICE, { rule: "four-eyes" });
    const stored = async () => (await s.janitor.storage.plans.get(planId))!.plan;
    return { s, planId, stored };
  }

  it("an apply run failing before sweeping gives the plan back; the next apply applies it, once", async () => {
    // Prepare: ARM subscription discovery refuses the apply run.
    const { s, planId, stored } = await approved();
    await s.control.addFaults({ method: "GET", path: "^/subscriptions$", status: 403 });
    const failedId = `apply-failed-${Date.now()}`;
    // Act
    const failed = await s.janitor.engine.executePlanApply(REQUEST, planId, failedId, soon());
    // Assess: the run failed, the plan is approved again, the release on the plan and in the audit.
    expect(failed).toMatchObject({ status: "failed", planId });
    expect(failed.error).toMatch(/subscription discovery failed/);
    const released = await stored();
    expect(released).toMatchObject({ status: "approved", approvedBy: ALICE.name, claimsReleased: 1 });
    expect(released.appliedRunId).toBeUndefined();
    expect(released.releasedClaims).toEqual([
      expect.objectContaining({ runId: failedId, why: expect.stringMatching(/ended failed before acting/) }),
    ]);
    const entry = (await auditOfRun(s.janitor, planId)).filter((e) => e.reason === "plan-released");
    expect(entry).toEqual([
      expect.objectContaining({
        actor: "janitor",
        action: "none",
        outcome: "succeeded",
        planId,
        errorMessage: expect.stringContaining(failedId),
      }),
    ]);
    expect(await auditOfRun(s.janitor, failedId)).toEqual([]);

    // Act: discovery works again; the plan is applied, and only once.
    await s.control.clearFaults();
    const before = (await s.control.requests()).total;
    const appliedId = `apply-ok-${Date.now()}`;
    const applied = await s.janitor.engine.executePlanApply(REQUEST, planId, appliedId, soon());
    // Assess: exactly the plan's two deletes, the plan applied by this run with the audit's counts.
    expect(applied).toMatchObject({ status: "succeeded", planId, approvedBy: ALICE.name });
    const sent = (await s.control.requests()).items.filter((r) => r.seq > before && r.method === "DELETE");
    expect(sent.map((r) => r.path.split("/").pop()).sort()).toEqual(["old-draft-1", "old-draft-2"]);
    const audit = await auditOfRun(s.janitor, appliedId);
    const deletedInAudit = audit.filter(
      (e) => e.phase === "outcome" && e.action === "delete" && e.outcome === "succeeded",
    ).length;
    expect(deletedInAudit).toBe(2);
    const plan = await stored();
    expect(plan).toMatchObject({ status: "applied", appliedRunId: appliedId, claimsReleased: 1 });
    expect(plan.applyResult).toMatchObject({ runId: appliedId, status: "succeeded" });
    expect(plan.applyResult!.counts).toMatchObject({ deleted: deletedInAudit, failed: 0 });
    await expect(
      s.janitor.engine.executePlanApply(REQUEST, planId, `again-${Date.now()}`, soon()),
    ).rejects.toThrow(ConflictError);
    await expectSafe(s.control, await s.trail());
  });

  it("a claim whose run was failed behind the engine's back is given back by the next apply", async () => {
    // Prepare: claimed by a run that never started and was then marked failed in storage (as the runs queue's
    // poison handler does), so no end of the run settled the claim.
    const { s, planId, stored } = await approved();
    const stuckId = `apply-stuck-${Date.now()}`;
    await s.janitor.engine.requestPlanApply(REQUEST, planId, stuckId);
    await s.janitor.storage.runs.update(stuckId, (r) =>
      failRun(r, "the run could not be started (poison message)", new Date().toISOString()),
    );
    expect(await stored()).toMatchObject({ status: "applied", appliedRunId: stuckId });
    // Act
    const appliedId = `apply-next-${Date.now()}`;
    const applied = await s.janitor.engine.executePlanApply(REQUEST, planId, appliedId, soon());
    // Assess
    expect(applied).toMatchObject({ status: "succeeded" });
    expect(applied.counts.deleted).toBe(2);
    const plan = await stored();
    expect(plan).toMatchObject({ status: "applied", appliedRunId: appliedId, claimsReleased: 1 });
    expect(plan.releasedClaims?.map((c) => c.runId)).toEqual([stuckId]);
    await expectSafe(s.control, await s.trail());
  });

  it("a run that wrote an intent keeps the plan applied, with its outcome on the plan; no second apply", async () => {
    // Prepare: a claimed run with an intent in the audit log (it may have sent the delete), then failed.
    const { s, planId, stored } = await approved();
    const actedId = `apply-acted-${Date.now()}`;
    const run = await s.janitor.engine.requestPlanApply(REQUEST, planId, actedId);
    const job = `/subscriptions/${SUB}/resourceGroups/rg-test/providers/Microsoft.ImportExport/jobs/old-draft-1`;
    await s.janitor.storage.audit.append([
      {
        timestamp: new Date().toISOString(),
        runId: actedId,
        seq: 1_000_001,
        trigger: "cli",
        mode: "apply",
        actor: "cli:test",
        policyHash: run.policyHash,
        planId,
        approvedBy: ALICE.name,
        subscriptionId: SUB,
        resourceGroup: "rg-test",
        jobName: "old-draft-1",
        jobId: job,
        jobType: "Import",
        stateBefore: "Creating",
        rule: "stale-drafts",
        action: "delete",
        phase: "intent",
        outcome: "planned",
        reason: "rule-matched",
      },
    ]);
    // Act: the run ends failed through the engine (its end settles the claim).
    const failed = await s.janitor.engine.failRun(actedId, "worker lost");
    // Assess
    expect(failed.status).toBe("failed");
    const plan = await stored();
    expect(plan).toMatchObject({ status: "applied", appliedRunId: actedId });
    expect(plan.claimsReleased).toBeUndefined();
    expect(plan.applyResult).toMatchObject({ runId: actedId, status: "failed" });
    await expect(
      s.janitor.engine.executePlanApply(REQUEST, planId, `again-${Date.now()}`, soon()),
    ).rejects.toThrow(/already applied by run apply-acted/);
    expect((await auditOfRun(s.janitor, planId)).filter((e) => e.reason === "plan-released")).toEqual([]);
  });
});
