// Both Import/Export experiences in one run (docs/service.md#data-box-jobs): classic jobs and Data Box
// customer-disk jobs decided by one policy and acted on only where the janitor's table AND the service's own flag
// allow it, through the real SDK clients against the emulator and a real Azurite.
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../../src/domain/policy";
import { expectSafe, withScenarios } from "../../support/janitorHarness";
import {
  FAKE_CONTACT,
  FAKE_EMAIL,
  FAKE_KEY,
  FAKE_PHONE,
  guid,
  seedBoxJob,
  seedJob,
  subscription,
} from "../../support/jobFactory";

const SUB = guid(0xdb1);
const SUB2 = guid(0xdb2);

const POLICY: PolicyDocument = {
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    {
      name: "box-orders",
      sources: ["databox"],
      states: ["DeviceOrdered"],
      olderThan: "P7D",
      action: "cancel",
    },
    {
      name: "retention",
      states: ["Completed", "CompletedWithErrors", "Aborted"],
      olderThan: "P30D",
      action: "delete",
    },
  ],
  guards: { gracePeriod: "PT0S" },
  limits: {
    maxActionsPerRun: 100,
    maxActionsPerSubscription: 100,
    maxEligibleFraction: 1,
    minJobsForFraction: 10,
  },
};

const boxId = (sub: string, name: string, rg = "rg-box") =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.DataBox/jobs/${name}`;

describe("Data Box and classic jobs in one run", () => {
  const { scenario } = withScenarios();

  it("plans and acts per the policy on both sources, only where the table and the flag agree", async () => {
    const sc = await scenario({
      seed: {
        subscriptions: [subscription(SUB), subscription(SUB2)],
        jobs: [
          seedJob({ sub: SUB, name: "classic-draft", state: "Creating", days: 10, systemData: true }),
          seedJob({ sub: SUB, name: "classic-young", state: "Completed", days: 3, systemData: true }),
          // Deletable by the table and by the emulator's own flag (derived from the stage).
          seedBoxJob({ sub: SUB, name: "box-done", stage: "Completed", days: 40 }),
          seedBoxJob({ sub: SUB2, name: "box-errors", stage: "CompletedWithErrors", days: 45 }),
          // The table allows delete, the service says no: never touched.
          seedBoxJob({ sub: SUB, name: "box-flag-no", stage: "Completed", days: 40, isDeletable: false }),
          // The service says yes, the table says no (no rule may delete in DataCopy): never touched.
          seedBoxJob({ sub: SUB, name: "box-copying", stage: "DataCopy", days: 40, isDeletable: true }),
          // An old order the service still lets be cancelled.
          seedBoxJob({ sub: SUB2, name: "box-order", stage: "DeviceOrdered", days: 20, isCancellable: true }),
          // A device order: never the janitor's, whatever its stage and flags.
          seedBoxJob({
            sub: SUB,
            name: "device",
            stage: "Completed",
            days: 90,
            sku: "DataBox",
            isDeletable: true,
          }),
          seedBoxJob({
            sub: SUB2,
            name: "box-exempt",
            stage: "Aborted",
            days: 60,
            tags: { janitor: "exempt" },
          }),
        ],
      },
      policy: POLICY,
    });

    const plan = await sc.run("plan");
    const planned = Object.fromEntries(
      plan.decisions.map((d) => [d.jobName, `${d.outcome}:${d.action}:${d.reason}`]),
    );
    expect(planned).toMatchObject({
      "classic-draft": "planned:delete:rule-matched",
      "box-done": "planned:delete:rule-matched",
      "box-errors": "planned:delete:rule-matched",
      "box-order": "planned:cancel:rule-matched",
    });
    const entries = new Map(plan.audit.map((e) => [e.jobName, e]));
    expect(entries.get("box-flag-no")).toMatchObject({
      source: "databox",
      reason: "service-flag-no",
      action: "delete",
    });
    expect(entries.get("box-done")).toMatchObject({ source: "databox", jobId: boxId(SUB, "box-done") });
    expect(entries.get("classic-draft")).toMatchObject({ source: "importexport" });
    expect(entries.get("box-exempt")).toMatchObject({ reason: "exempt-tag" });
    expect(plan.run.counts.planned).toBe(4);

    const apply = await sc.run("apply");
    const outcomes = Object.fromEntries(
      apply.audit
        .filter((e) => e.phase === "outcome" && e.outcome !== "skipped")
        .map((e) => [e.jobName, `${e.outcome}:${e.action}`]),
    );
    expect(outcomes).toEqual({
      "classic-draft": "succeeded:delete",
      "box-done": "succeeded:delete",
      "box-errors": "succeeded:delete",
      "box-order": "succeeded:cancel",
    });
    expect(apply.run.counts).toMatchObject({ deleted: 3, cancelled: 1, failed: 0 });

    const log = (await sc.control.requests()).items;
    const acted = log
      // Writes to jobs (Resource Graph's query is a POST that changes nothing).
      .filter((r) => r.method !== "GET" && r.path.startsWith("/subscriptions/"))
      .map((r) => `${r.method} ${r.path.split("/").slice(-2).join("/")}`)
      .sort();
    expect(acted).toEqual([
      "DELETE jobs/box-done",
      "DELETE jobs/box-errors",
      "DELETE jobs/classic-draft",
      "POST box-order/cancel",
    ]);
    // The janitor never asks for contact details or device secrets.
    expect(log.filter((r) => /expand/i.test(r.query ?? "") || /listCredentials/i.test(r.path))).toEqual([]);
    await expectSafe(sc.control, await sc.trail());

    // The deletes were followed and verified; the cancelled order is Cancelled; the others are untouched.
    const left = await sc.control.allJobs();
    const byName = new Map(left.map((j) => [j.name, j]));
    for (const gone of ["classic-draft", "box-done", "box-errors"]) expect(byName.has(gone)).toBe(false);
    for (const kept of ["box-flag-no", "box-copying", "device", "box-exempt", "classic-young"])
      expect(byName.has(kept)).toBe(true);
    expect(byName.get("box-order")).toMatchObject({ source: "databox", status: "Cancelled" });
    // The cancel told the service who asked and why, with the rule and run and nothing else.
    expect(byName.get("box-order")).toMatchObject({
      job: {
        properties: {
          cancellationReason: `Cancelled by importexport-janitor: rule box-orders, run ${apply.run.runId}`,
        },
      },
    });

    // Nothing personal from either source reached the audit log.
    const stored = JSON.stringify(await sc.trail());
    for (const secret of [FAKE_CONTACT, FAKE_PHONE, FAKE_EMAIL, FAKE_KEY, "Example Way"])
      expect(stored).not.toContain(secret);
  });

  it("a Data Box delete whose operation fails, or never ends within the run, is failed or deferred, never succeeded", async () => {
    const sc = await scenario({
      seed: {
        subscriptions: [subscription(SUB)],
        jobs: [
          seedBoxJob({ sub: SUB, name: "op-fails", stage: "Completed", days: 40 }),
          seedBoxJob({ sub: SUB, name: "op-forever", stage: "Completed", days: 40 }),
        ],
      },
      policy: POLICY,
    });
    await sc.control.addFaults([
      { method: "DELETE", path: "/jobs/op-fails$", deleteOutcome: "fail", count: 1 },
      { method: "DELETE", path: "/jobs/op-forever$", deleteOutcome: "never", count: 1 },
    ]);
    const { audit, run } = await sc.run("apply", { deadlineMs: 8_000 });
    const outcome = (name: string) => audit.find((e) => e.jobName === name && e.phase === "outcome");
    expect(outcome("op-fails")).toMatchObject({
      outcome: "failed",
      reason: "service-refused",
      stateAfter: "Completed",
      errorMessage: expect.stringContaining("ended Failed"),
    });
    expect(outcome("op-forever")).toMatchObject({
      outcome: "deferred",
      reason: "deadline",
      errorMessage: expect.stringContaining("still running"),
    });
    expect(run.counts.deleted).toBe(0);
    // Both jobs are still there and the next run may decide about them again.
    expect((await sc.control.dataBoxJobs()).map((j) => j.name).sort()).toEqual(["op-fails", "op-forever"]);
    await expectSafe(sc.control, await sc.trail());
  });
});
