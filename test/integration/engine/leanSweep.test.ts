// The lean sweep: storage round trips a plan does not need are not made, and every one that guards an action
// still is. Real emulator over https, real Azurite, the janitor built from settings.
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../../src/domain/policy";
import type { LeaseStore, PlanStore } from "../../../src/engine/ports";
import { expectSafe, withScenarios, type Scenario } from "../../support/janitorHarness";
import { guid, seedJob, subscription } from "../../support/jobFactory";

const SUB = guid(0xb1);
const SUB2 = guid(0xb2);

const POLICY: PolicyDocument = {
  version: 1,
  rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
  guards: { gracePeriod: "PT0S" },
  limits: { maxActionsPerRun: 100, maxActionsPerSubscription: 100, maxEligibleFraction: 1 },
};

const seed = {
  subscriptions: [subscription(SUB), subscription(SUB2)],
  jobs: [
    seedJob({ sub: SUB, name: "old-draft", state: "Creating", days: 10, systemData: true }),
    seedJob({ sub: SUB, name: "young-draft", state: "Creating", days: 2, systemData: true }),
    seedJob({ sub: SUB2, name: "other-young", state: "Creating", days: 1, systemData: true }),
  ],
};

/** Counts the lease store's calls by method and key. */
function countLeases(sc: Scenario): string[] {
  const services = sc.janitor.engine.services as { leases: LeaseStore };
  const real = services.leases;
  const acquired: string[] = [];
  services.leases = {
    acquire: (key, ...rest) => (acquired.push(key), real.acquire(key, ...rest)),
    renew: (...args) => real.renew(...args),
    release: (...args) => real.release(...args),
    holderOf: (...args) => real.holderOf(...args),
  };
  return acquired;
}

/** The subscriptions whose proposed actions a plan run wrote (or removed). */
function countPlanWrites(sc: Scenario): string[] {
  const plans = sc.janitor.engine.services.plans as PlanStore;
  const write = plans.writeActions.bind(plans);
  const written: string[] = [];
  plans.writeActions = (planId, subscriptionId, actions) => {
    written.push(subscriptionId);
    return write(planId, subscriptionId, actions);
  };
  return written;
}

describe("a lean sweep", () => {
  const { scenario } = withScenarios();

  it("a plan run in one process takes no lease and writes proposed actions only where there are some", async () => {
    const sc = await scenario({ seed, policy: POLICY });
    const acquired = countLeases(sc);
    const written = countPlanWrites(sc);
    const { run, decisions, audit } = await sc.run("plan");

    expect(run).toMatchObject({ status: "succeeded", counts: { subscriptionsScanned: 2, planned: 1 } });
    expect(acquired).toEqual([]);
    expect(written).toEqual([SUB]);
    expect(decisions.filter((d) => d.outcome === "planned").map((d) => d.jobName)).toEqual(["old-draft"]);
    const plan = sc.janitor.engine.services.plans!;
    expect(await plan.subscriptionsOf(run.runId)).toEqual([SUB]);
    await expectSafe(sc.control, audit);
  });

  it("a plan run in one process plans a subscription another run holds (it acts on nothing)", async () => {
    const sc = await scenario({ seed, policy: POLICY });
    const other = await sc.janitor.storage.leases.acquire(
      `subscription:${SUB}`,
      "another-run/part-0",
      60_000,
    );
    expect(other).toBeDefined();
    const { run } = await sc.run("plan");
    expect(run).toMatchObject({ status: "succeeded", counts: { planned: 1, subscriptionsDeferred: 0 } });
    expect((await sc.control.jobs(SUB)).map((j) => j.name).sort()).toEqual(["old-draft", "young-draft"]);
  });

  it("apply, and every queued part whatever its mode, still take each subscription's lease", async () => {
    const sc = await scenario({ seed, policy: POLICY });
    const acquired = countLeases(sc);
    const { run, audit } = await sc.run("apply");
    expect(run.counts.deleted).toBe(1);
    expect([...acquired].sort()).toEqual([SUB, SUB2].map((s) => `subscription:${s}`).sort());
    await expectSafe(sc.control, audit);

    acquired.length = 0;
    const engine = sc.janitor.engine;
    const runId = `queued-plan-${Date.now()}`;
    await engine.requestRun({ trigger: "http", mode: "plan", requestedBy: "test" }, runId);
    const { parts } = await engine.planRun(runId);
    for (const part of parts) await engine.sweepPart(part, { deadline: new Date(Date.now() + 60_000) });
    expect([...acquired].sort()).toEqual([SUB, SUB2].map((s) => `subscription:${s}`).sort());
  });

  it("an apply run defers a subscription another run holds, as before", async () => {
    const sc = await scenario({ seed, policy: POLICY });
    await sc.janitor.storage.leases.acquire(`subscription:${SUB}`, "another-run/part-0", 60_000);
    const { run, audit } = await sc.run("apply");
    expect(run).toMatchObject({ status: "partial", counts: { deleted: 0, subscriptionsDeferred: 1 } });
    expect(audit.find((e) => e.subscriptionId === SUB && e.reason === "lease-held")).toMatchObject({
      outcome: "deferred",
    });
    await expectSafe(sc.control, audit);
  });
});
