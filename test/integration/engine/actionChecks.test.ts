// What the janitor records after it sent a request: an unclear answer is settled by reading the job, never
// labelled `skipped`; the service's own error text never reaches the audit log; odd values from the service or a
// caller never stop a run; every skip but the counted ones is written one by one.
import { describe, expect, it } from "vitest";
import type { Policy, PolicyDocument } from "../../../src/domain/policy";
import { parsePolicy } from "../../../src/domain/policy";
import { JanitorEngine } from "../../../src/engine/janitorEngine";
import { expectSafe, FAST_ENGINE, withScenarios } from "../../support/janitorHarness";
import { guid, seedJob, subscription } from "../../support/jobFactory";
import { isReadOnlyRequest } from "../../support/storedTrail";

const SUB = guid(0xe1);
const OTHER = guid(0xe2);

const POLICY: PolicyDocument = {
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "never-sent", states: ["Shipping"], olderThan: "P7D", action: "cancel" },
  ],
  guards: { gracePeriod: "PT0S" },
  limits: { maxActionsPerRun: 100, maxActionsPerSubscription: 100, maxEligibleFraction: 1 },
};

describe("checking what an action did", () => {
  const { scenario } = withScenarios();

  it("reads the job after an unclear answer and records what the read shows", async () => {
    const jobs = [
      seedJob({ sub: SUB, name: "delete-202", state: "Creating", days: 10, systemData: true }),
      seedJob({ sub: SUB, name: "delete-dropped", state: "Creating", days: 10, systemData: true }),
      seedJob({ sub: SUB, name: "cancel-garbled", state: "Shipping", days: 10, systemData: true }),
      seedJob({ sub: SUB, name: "cancel-dropped", state: "Shipping", days: 10, systemData: true }),
    ];
    const sc = await scenario({ seed: { subscriptions: [subscription(SUB)], jobs }, policy: POLICY });
    await sc.control.addFaults([
      // Answered 202 and not done.
      { method: "DELETE", path: "/delete-202$", status: 202, count: 1 },
      // Done, but the answer never arrives.
      { method: "DELETE", path: "/delete-dropped$", dropResponse: true, count: 1 },
      // Answered 200 with a body that is not a job, and not done.
      { method: "PATCH", path: "/cancel-garbled$", status: 200, count: 1 },
      { method: "PATCH", path: "/cancel-dropped$", dropResponse: true, count: 1 },
    ]);
    const { run, audit } = await sc.run("apply");
    const outcome = (name: string) => audit.find((e) => e.jobName === name && e.phase === "outcome");
    expect(outcome("delete-202")).toMatchObject({ outcome: "failed", stateAfter: "Creating" });
    expect(outcome("delete-dropped")).toMatchObject({ outcome: "succeeded", stateAfter: "Deleted" });
    expect(outcome("cancel-garbled")).toMatchObject({ outcome: "failed", stateAfter: "Shipping" });
    expect(outcome("cancel-dropped")).toMatchObject({ outcome: "succeeded" });
    expect(audit.filter((e) => e.phase === "outcome" && e.outcome === "skipped")).toEqual([]);
    expect(run.counts).toMatchObject({ deleted: 1, cancelled: 1, failed: 2 });
    await expectSafe(sc.control, audit);
  });

  it("never copies the service's error text into the audit log or the run", async () => {
    const jobs = [seedJob({ sub: SUB, name: "refused", state: "Creating", days: 10, systemData: true })];
    const sc = await scenario({ seed: { subscriptions: [subscription(SUB)], jobs }, policy: POLICY });
    const secret = "Pat Doe, 1 Example Way, +1 425-555-0142";
    await sc.control.addFaults({
      method: "DELETE",
      status: 409,
      error: { code: "Conflict", message: secret },
    });
    const { run, audit } = await sc.run("apply");
    const entry = audit.find((e) => e.jobName === "refused" && e.phase === "outcome");
    expect(entry).toMatchObject({ outcome: "refused", errorCode: "Conflict", httpStatus: 409 });
    expect(JSON.stringify(audit)).not.toContain("Pat Doe");
    expect(JSON.stringify(run)).not.toContain("Pat Doe");
  });

  it("records odd values from the service and an odd principal name, and the run still succeeds", async () => {
    const oddState = `Completed\t${"x".repeat(60)}`;
    const jobs = [
      seedJob({ sub: SUB, name: "odd-state", state: oddState, days: 100, systemData: true }),
      seedJob({ sub: SUB, name: "draft", state: "Creating", days: 10, systemData: true }),
    ];
    const sc = await scenario({ seed: { subscriptions: [subscription(SUB)], jobs }, policy: POLICY });
    // 127 characters then an emoji: cut at 128 UTF-16 units it would split the surrogate pair.
    const actor = `cli:${"a".repeat(122)}\u0007\u{1F600}tail`;
    const runId = `odd-${Date.now()}`;
    const run = await sc.janitor.engine.executeRun(
      { trigger: "cli", mode: "apply", requestedBy: actor },
      runId,
      {
        deadline: new Date(Date.now() + 60_000),
      },
    );
    expect(run.status).toBe("succeeded");
    expect(run.counts.deleted).toBe(1);
    const audit = await sc.trail();
    const odd = audit.find((e) => e.jobName === "odd-state");
    expect(odd).toMatchObject({ outcome: "skipped", reason: "unknown-state" });
    expect(odd!.stateBefore).not.toMatch(/\t/);
    expect(odd!.stateBefore!.length).toBeLessThanOrEqual(64);
    // eslint-disable-next-line no-control-regex
    for (const e of audit) expect(e.actor).not.toMatch(/[\u0000-\u001f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it("writes every skip reason one by one except no-rule, too-young and out-of-scope", async () => {
    const jobs = [
      seedJob({ sub: SUB, name: "packaging", state: "Packaging", days: 100, systemData: true }),
      seedJob({ sub: SUB, name: "young", state: "Creating", days: 1, systemData: true }),
      seedJob({ sub: SUB, name: "closed", state: "Closed", days: 30, systemData: true }),
    ];
    const sc = await scenario({ seed: { subscriptions: [subscription(SUB)], jobs } });
    // A hand-built policy (a parsed one refuses it) that asks for a cancel in Packaging.
    const parsed = parsePolicy(JSON.stringify(POLICY));
    const policy: Policy = {
      ...parsed,
      rules: [...parsed.rules, { ...parsed.rules[1]!, name: "bad-cancel", states: ["Packaging"] }],
    };
    const engine = new JanitorEngine(sc.janitor.engine.services, policy, "feedfacefeedface", FAST_ENGINE);
    const runId = `skips-${Date.now()}`;
    const run = await engine.executeRun({ trigger: "cli", mode: "apply", requestedBy: "cli:test" }, runId, {
      deadline: new Date(Date.now() + 60_000),
    });
    const audit = (await sc.trail()).filter((e) => e.runId === runId);
    expect(audit.find((e) => e.jobName === "packaging")).toMatchObject({ reason: "not-allowed-in-state" });
    expect(audit.find((e) => e.jobName === "young")).toBeUndefined();
    // Closed with closedCountsAsCompleted off is a known state no rule may act on: counted, not audited.
    expect(audit.find((e) => e.jobName === "closed")).toBeUndefined();
    expect(run.reasons).toMatchObject({ "no-rule": 1, "too-young": 1 });
    const sent = (await sc.control.requests()).items.filter((r) => !isReadOnlyRequest(r));
    expect(sent).toEqual([]);
  });

  it("explains a job outside the policy's subscriptions as out-of-scope without reading it", async () => {
    const jobs = [seedJob({ sub: OTHER, name: "draft", state: "Creating", days: 10, systemData: true })];
    const sc = await scenario({
      seed: { subscriptions: [subscription(OTHER)], jobs },
      policy: { ...POLICY, scope: { subscriptions: [SUB] } },
    });
    const { decision } = await sc.janitor.engine.explain({
      source: "importexport",
      subscriptionId: OTHER,
      resourceGroup: "rg-test",
      name: "draft",
    });
    expect(decision).toMatchObject({ action: "none", reason: "out-of-scope" });
    expect((await sc.control.requests()).items).toEqual([]);
  });

  it("forgets a deleted job's first sighting, so a new job under the same id starts afresh", async () => {
    // No systemData: the age rests on the janitor's own first sighting, which is stored.
    const jobs = [seedJob({ sub: SUB, name: "draft", state: "Creating", days: 10 })];
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs },
      policy: {
        ...POLICY,
        rules: [{ name: "any-draft", states: ["Creating"], olderThan: "PT0S", action: "delete" }],
      },
    });
    const { run } = await sc.run("apply");
    expect(run.counts.deleted).toBe(1);
    const stored = await sc.janitor.storage.observations.loadSubscription(SUB);
    expect([...stored.keys()]).toEqual([]);
  });
});
