// Saved plans end to end in the engine: a plan run writes its plan (record in Table Storage, proposed actions in
// Blob Storage), review (four-eyes, exclusions, races), and applying exactly the approved plan, on the real
// emulator over https and a real Azurite.
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../../src/domain/policy";
import type { Reviewer } from "../../../src/engine/planReview";
import { ConflictError, ForbiddenError, ValidationError } from "../../../src/errors";
import { auditOfRun, expectSafe, withScenarios } from "../../support/janitorHarness";
import { guid, seedJob, subscription } from "../../support/jobFactory";

const SUB = guid(0xc1);
const SUB2 = guid(0xc2);
const POLICY: PolicyDocument = {
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
  ],
  guards: { gracePeriod: "PT0S" },
  limits: {
    maxActionsPerRun: 100,
    maxActionsPerSubscription: 100,
    maxEligibleFraction: 1,
    minJobsForFraction: 10,
  },
};
const idOf = (sub: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/rg-test/providers/Microsoft.ImportExport/jobs/${name}`;
const ALICE: Reviewer = { name: "alice@example.com", trigger: "http", authenticated: true };
const CLI_REQUESTER: Reviewer = { name: "cli:test", trigger: "cli", authenticated: false };

describe("saved plans", () => {
  const { scenario } = withScenarios();

  async function planned() {
    const s = await scenario({
      policy: POLICY,
      seed: {
        subscriptions: [subscription(SUB), subscription(SUB2)],
        jobs: [
          seedJob({ sub: SUB, name: "old-draft-1", state: "Creating", days: 10, systemData: true }),
          seedJob({ sub: SUB, name: "old-draft-2", state: "Creating", days: 10, systemData: true }),
          seedJob({ sub: SUB, name: "old-draft-3", state: "Creating", days: 10, systemData: true }),
          seedJob({ sub: SUB, name: "young-draft", state: "Creating", days: 1, systemData: true }),
          seedJob({ sub: SUB2, name: "old-done", state: "Completed", days: 60, systemData: true }),
          seedJob({ sub: SUB2, name: "old-done-2", state: "Completed", days: 60, systemData: true }),
        ],
      },
    });
    const plan = await s.run("plan");
    return { s, plan, plans: s.janitor.storage.plans, review: s.janitor.engine.planReview() };
  }

  it("a plan run saves its plan: the record, and the proposed actions read back page by page", async () => {
    const { plan, plans } = await planned();
    const runId = plan.run.runId;
    const stored = await plans.get(runId);
    expect(stored?.plan).toMatchObject({
      planId: runId,
      status: "pending",
      requestedBy: "cli:test",
      policyHash: plan.run.policyHash,
    });
    const ttl = Date.parse(stored!.plan.expiresAt) - Date.parse(stored!.plan.createdAt);
    expect(Math.round(ttl / 86_400_000)).toBe(7);
    expect(stored!.plan.policy.rules.map((r) => r.name)).toEqual(["stale-drafts", "completed-retention"]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await plans.readActions(runId, { limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((a) => a.jobName));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(["old-done", "old-done-2", "old-draft-1", "old-draft-2", "old-draft-3"]);
    const one = await plans.readActions(runId, { subscriptionId: SUB2 });
    expect(one.items).toHaveLength(2);
    expect(one.items[0]).toMatchObject({
      source: "importexport",
      subscriptionId: SUB2,
      resourceGroup: "rg-test",
      jobType: "Import",
      state: "Completed",
      cancelRequested: false,
      rule: "completed-retention",
      action: "delete",
      ageBasis: expect.any(String),
    });
    expect(one.items[0]!.lastModifiedAt).toMatch(/^\d{4}-/);
    expect(await plans.subscriptionsOf(runId)).toEqual([SUB, SUB2].sort());
  });

  it("four-eyes: the requester cannot approve; exclusions must be in the plan; one approval wins", async () => {
    const { plan, review, s } = await planned();
    const planId = plan.run.runId;
    await expect(review.approve(planId, CLI_REQUESTER, { rule: "four-eyes" })).rejects.toThrow(
      ForbiddenError,
    );
    await expect(
      review.approve(
        planId,
        { name: "http:function-key", trigger: "http", authenticated: false },
        { rule: "four-eyes" },
      ),
    ).rejects.toThrow(ForbiddenError);
    await expect(
      review.approve(planId, ALICE, { rule: "four-eyes", exclude: [idOf(SUB, "not-in-plan")] }),
    ).rejects.toThrow(ValidationError);

    const results = await Promise.allSettled([
      review.approve(planId, ALICE, {
        rule: "four-eyes",
        exclude: [idOf(SUB, "old-draft-2")],
        comment: "ok\u0007 go",
      }),
      review.approve(planId, { ...ALICE, name: "bob@example.com" }, { rule: "four-eyes" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConflictError);
    await expect(review.approve(planId, ALICE, { rule: "four-eyes" })).rejects.toThrow(ConflictError);
    await expect(review.reject(planId, ALICE, {})).rejects.toThrow(ConflictError);

    const audit = await auditOfRun(s.janitor, planId);
    const approval = audit.find((e) => e.reason === "plan-approved")!;
    expect(approval.comment).toBe("ok go");
    expect(["alice@example.com", "bob@example.com"]).toContain(approval.actor);
  });

  it("applies exactly the approved plan: excluded and changed jobs are skipped, new ones untouched, once", async () => {
    const { s, plan, review } = await planned();
    const planId = plan.run.runId;
    await review.approve(planId, ALICE, { rule: "four-eyes", exclude: [idOf(SUB, "old-draft-2")] });
    // Between plan and apply: one job changes (version evidence), one is deleted by someone else, one new job
    // becomes eligible (never in the plan), and the policy in force changes (the plan's decides).
    await s.control.addJobs({
      jobs: [
        seedJob({ sub: SUB, name: "old-draft-3", state: "Creating", days: 9, systemData: true }),
        seedJob({ sub: SUB, name: "new-old-draft", state: "Creating", days: 11, systemData: true }),
      ],
    });
    await deleteBySomeoneElse(s, SUB2, "old-done-2");
    const before = (await s.control.requests()).total;

    const runId = `apply-${Date.now()}`;
    const run = await s.janitor.engine.executePlanApply(
      { trigger: "cli", requestedBy: "cli:test" },
      planId,
      runId,
      { deadline: new Date(Date.now() + 120_000) },
    );
    expect(run).toMatchObject({ status: "succeeded", planId, approvedBy: ALICE.name });
    const sent = (await s.control.requests()).items.filter((r) => r.seq > before && r.method === "DELETE");
    expect(sent.map((r) => r.path.split("/").pop()).sort()).toEqual(["old-done", "old-draft-1"]);

    const audit = await auditOfRun(s.janitor, runId);
    expect(audit.every((e) => e.planId === planId && e.approvedBy === ALICE.name)).toBe(true);
    const reasonOf = (name: string) => audit.filter((e) => e.jobName === name).map((e) => e.reason);
    expect(reasonOf("old-draft-2")).toEqual(["plan-excluded"]);
    expect(reasonOf("old-draft-3")).toEqual(["plan-stale"]);
    expect(reasonOf("old-done-2")).toEqual(["gone"]);
    expect(reasonOf("new-old-draft")).toEqual([]);
    expect(run.counts.deleted).toBe(2);

    expect((await s.janitor.storage.plans.get(planId))?.plan).toMatchObject({
      status: "applied",
      appliedRunId: runId,
    });
    await expect(
      s.janitor.engine.executePlanApply(
        { trigger: "cli", requestedBy: "cli:test" },
        planId,
        `again-${Date.now()}`,
        {
          deadline: new Date(Date.now() + 60_000),
        },
      ),
    ).rejects.toThrow(ConflictError);
    await expectSafe(s.control, await s.trail(), {
      foreign: (r) => r.method === "DELETE" && r.path.endsWith("/old-done-2") && r.seq <= before,
    });
  });

  it("a plan is applied once even when two applies race; a pending or rejected plan is never applied", async () => {
    const { s, plan, review } = await planned();
    const planId = plan.run.runId;
    await expect(
      s.janitor.engine.requestPlanApply(
        { trigger: "cli", requestedBy: "cli:test" },
        planId,
        `p-${Date.now()}`,
      ),
    ).rejects.toThrow(ConflictError);
    await review.approve(planId, ALICE, { rule: "four-eyes" });
    const races = await Promise.allSettled(
      [1, 2].map((n) =>
        s.janitor.engine.requestPlanApply(
          { trigger: "cli", requestedBy: "cli:test" },
          planId,
          `race${n}-${Date.now()}`,
        ),
      ),
    );
    expect(races.filter((r) => r.status === "fulfilled")).toHaveLength(1);

    const other = await s.run("plan");
    await review.reject(other.run.runId, ALICE, { comment: "not now" });
    await expect(
      s.janitor.engine.requestPlanApply(
        { trigger: "cli", requestedBy: "cli:test" },
        other.run.runId,
        `r-${Date.now()}`,
      ),
    ).rejects.toThrow(/rejected/);
  });
});

async function deleteBySomeoneElse(
  s: Awaited<ReturnType<ReturnType<typeof withScenarios>["scenario"]>>,
  sub: string,
  name: string,
): Promise<void> {
  const result = await s.janitor.engine.services.jobs.deleteJob({
    source: "importexport",
    subscriptionId: sub,
    resourceGroup: "rg-test",
    name,
  });
  expect(result.ok).toBe(true);
}
