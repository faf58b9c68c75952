// Scenarios of whole runs: the real emulator over https through the real SDK, real Azurite, the janitor built
// from settings. Each asserts the decisions, the emulator's request log, the audit entries and the run record.
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../../src/domain/policy";
import type { JobsGateway } from "../../../src/engine/ports";
import { JanitorEngine } from "../../../src/engine/janitorEngine";
import { auditOfRun, expectSafe, withScenarios } from "../../support/janitorHarness";
import { isReadOnlyRequest } from "../../support/storedTrail";
import {
  FAKE_EMAIL,
  FAKE_KEY,
  FAKE_PHONE,
  guid,
  seedJob,
  subscription,
  type JobSpec,
} from "../../support/jobFactory";

const SUB = guid(0xa1);
const SUB2 = guid(0xa2);
const SUB3 = guid(0xa3);

const POLICY: PolicyDocument = {
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
    { name: "drives-never-sent", states: ["Shipping"], olderThan: "P30D", action: "cancel" },
  ],
  guards: { gracePeriod: "PT0S" },
  limits: {
    maxActionsPerRun: 1000,
    maxActionsPerSubscription: 1000,
    maxEligibleFraction: 1,
    minJobsForFraction: 10,
  },
};

interface Expected {
  action: "delete" | "cancel" | "none";
  reason: string;
}

/** What the contract says for each kind of job, written out independently of the code under test. */
function expectedDecision(spec: JobSpec): Expected | "malformed" {
  if (spec.state === undefined) return "malformed";
  // Tag names and values compare case-insensitively.
  const tags = Object.fromEntries(
    Object.entries(spec.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v.toLowerCase()]),
  );
  if (tags.janitor === "exempt") return { action: "none", reason: "exempt-tag" };
  const rule = { Creating: "delete", Completed: "delete", Shipping: "cancel" }[spec.state] as
    Expected["action"] | undefined;
  // Closed is a documented state no rule may act on while closedCountsAsCompleted is off; Canceled is not one
  // the service documents.
  if (spec.state === "Closed") return { action: "none", reason: "no-rule" };
  if (spec.state === "Canceled") return { action: "none", reason: "unknown-state" };
  if (!rule) return { action: "none", reason: "no-rule" };
  const hasEvidence = spec.systemData || (spec.state === "Completed" && spec.returnShipDate);
  const minDays = spec.state === "Creating" ? 7 : 30;
  if (!hasEvidence || spec.days < minDays) return { action: rule, reason: "too-young" };
  if (spec.state === "Creating" && spec.tracking) return { action: rule, reason: "tracking-number-present" };
  return { action: rule, reason: "rule-matched" };
}

function matrix(): JobSpec[] {
  const specs: JobSpec[] = [];
  const states = [
    "Creating",
    "Shipping",
    "Received",
    "Transferring",
    "Packaging",
    "Completed",
    "Closed",
    "Canceled",
  ];
  let n = 0;
  for (const state of states)
    for (const type of ["Import", "Export"] as const)
      for (const old of [false, true])
        for (const systemData of [false, true]) {
          // The service itself removes Creating jobs after 14 days and Completed/Closed after 90.
          const days = old ? (state === "Creating" ? 10 : 60) : 2;
          specs.push({
            sub: SUB,
            name: `job-${++n}-${state.toLowerCase()}`,
            type,
            state,
            days,
            systemData,
            tracking: state === "Shipping",
          });
        }
  specs.push(
    { sub: SUB, name: "completed-shipdate-only", state: "Completed", days: 60, returnShipDate: true },
    { sub: SUB, name: "creating-tracking", state: "Creating", days: 10, systemData: true, tracking: true },
    {
      sub: SUB,
      name: "creating-exempt",
      state: "Creating",
      days: 10,
      systemData: true,
      tags: { Janitor: "Exempt" },
    },
    { sub: SUB, name: "no-state", state: undefined, days: 10, systemData: true },
  );
  return specs;
}

describe("sweep scenarios", () => {
  const { scenario } = withScenarios();

  it("decides every state, type and age as the contract says, and plan and apply agree", async () => {
    // Prepare
    const specs = matrix();
    const seed = { subscriptions: [subscription(SUB)], jobs: specs.map((s) => seedJob(s)) };
    const planScenario = await scenario({ seed, policy: POLICY });

    // Act: plan
    const plan = await planScenario.run("plan");

    // Assess: one decision per listed job, each as the contract says
    for (const spec of specs) {
      const expected = expectedDecision(spec);
      const decision = plan.decisions.find((d) => d.jobName === spec.name);
      if (expected === "malformed") {
        expect(decision, spec.name).toBeUndefined();
        expect(plan.audit.some((e) => e.jobName === spec.name && e.reason === "malformed-job")).toBe(true);
        continue;
      }
      expect(decision, spec.name).toBeDefined();
      expect({ name: spec.name, action: decision!.action, reason: decision!.reason }).toEqual({
        name: spec.name,
        ...expected,
      });
      expect(decision!.outcome).toBe(expected.reason === "rule-matched" ? "planned" : "skipped");
    }
    const eligible = specs.filter((s) => (expectedDecision(s) as Expected).reason === "rule-matched");
    expect(plan.run.status).toBe("succeeded");
    expect(plan.run.counts.planned).toBe(eligible.length);
    expect(plan.run.counts.jobsSeen).toBe(specs.length);
    expect(plan.run.counts.deleted + plan.run.counts.cancelled).toBe(0);
    // Plan changes nothing: only reads reached the service.
    const planRequests = await planScenario.control.requests();
    expect(planRequests.items.every(isReadOnlyRequest)).toBe(true);

    // Act: apply on the same data
    const applyScenario = await scenario({ seed, policy: POLICY });
    const apply = await applyScenario.run("apply");

    // Assess: the same decisions; planned became succeeded
    const key = (d: { jobName: string; action: string; reason: string }) =>
      `${d.jobName}|${d.action}|${d.reason}`;
    expect(apply.decisions.map(key).sort()).toEqual(plan.decisions.map(key).sort());
    for (const d of apply.decisions)
      expect(d.outcome).toBe(d.reason === "rule-matched" ? "succeeded" : "skipped");
    expect(apply.run.counts.deleted).toBe(eligible.filter((s) => s.state !== "Shipping").length);
    expect(apply.run.counts.cancelled).toBe(eligible.filter((s) => s.state === "Shipping").length);
    expect(apply.run.status).toBe("succeeded");

    // The service: deleted jobs are gone, cancelled ones report cancelRequested, nothing else changed.
    const remaining = await applyScenario.control.jobs(SUB);
    for (const spec of eligible) {
      const job = remaining.find((j) => j.name === spec.name);
      if (spec.state === "Shipping")
        expect((job?.job.properties as { cancelRequested?: boolean })?.cancelRequested, spec.name).toBe(true);
      else expect(job, spec.name).toBeUndefined();
    }
    const writes = (await applyScenario.control.requests()).items.filter((r) => !isReadOnlyRequest(r));
    expect(writes.filter((r) => r.method === "DELETE")).toHaveLength(apply.run.counts.deleted);
    expect(writes.filter((r) => r.method === "PATCH")).toHaveLength(apply.run.counts.cancelled);

    // The audit log: intent then outcome for every action; no personal data, no keys.
    await expectSafe(applyScenario.control, apply.audit);
    expect(apply.audit.filter((e) => e.phase === "intent")).toHaveLength(eligible.length);
    const text = JSON.stringify([plan.audit, apply.audit, plan.decisions, apply.run]);
    for (const secret of [FAKE_PHONE, FAKE_EMAIL, FAKE_KEY, "1 Example Way"])
      expect(text).not.toContain(secret);
  });

  it("caps actions per subscription and per run, and defers the rest", async () => {
    const jobs = [SUB, SUB2, SUB3].flatMap((sub, s) =>
      Array.from({ length: 12 }, (_, i) =>
        seedJob({ sub, name: `draft-${s}-${i}`, state: "Creating", days: 10, systemData: true }),
      ),
    );
    const sc = await scenario({
      seed: { subscriptions: [SUB, SUB2, SUB3].map((s) => subscription(s)), jobs },
      policy: {
        ...POLICY,
        limits: {
          maxActionsPerRun: 10,
          maxActionsPerSubscription: 5,
          maxEligibleFraction: 1,
          minJobsForFraction: 10,
        },
      },
    });
    const { run, decisions, audit } = await sc.run("apply");
    expect(run.counts.deleted).toBe(10);
    expect(run.counts.deferred).toBe(26);
    for (const sub of [SUB, SUB2, SUB3]) {
      const acted = decisions.filter((d) => d.subscriptionId === sub && d.outcome === "succeeded");
      expect(acted.length).toBeLessThanOrEqual(5);
    }
    expect(decisions.filter((d) => d.reason === "cap-subscription")).toHaveLength(21);
    expect(decisions.filter((d) => d.reason === "cap-run")).toHaveLength(5);
    expect((await sc.control.jobs()).length).toBe(26);
    await expectSafe(sc.control, audit);
  });

  it("trips the breaker when too large a share of a subscription's jobs is eligible", async () => {
    const jobs = [
      ...Array.from({ length: 8 }, (_, i) =>
        seedJob({ sub: SUB, name: `old-${i}`, state: "Creating", days: 10, systemData: true }),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        seedJob({ sub: SUB, name: `young-${i}`, state: "Creating", days: 1, systemData: true }),
      ),
      seedJob({ sub: SUB2, name: "other-old", state: "Completed", days: 60, systemData: true }),
    ];
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB), subscription(SUB2)], jobs },
      policy: { ...POLICY, limits: { maxEligibleFraction: 0.5, minJobsForFraction: 10 } },
    });
    const { run, decisions, audit } = await sc.run("apply");
    expect(run.status).toBe("partial");
    expect(run.counts.breakersTripped).toBe(1);
    expect(decisions.filter((d) => d.reason === "breaker-tripped")).toHaveLength(8);
    expect(run.counts.deleted).toBe(1); // the other subscription is not affected
    expect((await sc.control.jobs(SUB)).length).toBe(12);
    expect(audit.some((e) => e.subscriptionId === SUB && e.reason === "breaker-tripped" && !e.jobId)).toBe(
      true,
    );
    await expectSafe(sc.control, audit);
  });

  it("does not act on a job that moved to Packaging between listing and acting", async () => {
    const jobs = [
      seedJob({ sub: SUB, name: "moves", state: "Shipping", days: 60, systemData: true, tracking: true }),
      seedJob({ sub: SUB, name: "stays", state: "Shipping", days: 60, systemData: true, tracking: true }),
    ];
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs },
      policy: POLICY,
      wrapGateway: (gateway, control) =>
        onFirstGet(gateway, "moves", () =>
          control.setState({ subscriptionId: SUB, resourceGroup: "rg-test", name: "moves" }, "Packaging"),
        ),
    });
    const { run, decisions, audit } = await sc.run("apply");
    expect(decisions.find((d) => d.jobName === "moves")).toMatchObject({
      outcome: "skipped",
      reason: "state-changed",
    });
    expect(decisions.find((d) => d.jobName === "stays")).toMatchObject({ outcome: "succeeded" });
    expect(run.counts.cancelled).toBe(1);
    const patches = (await sc.control.requests()).items.filter((r) => r.method === "PATCH");
    expect(patches).toHaveLength(1);
    expect(patches[0]!.path).toContain("/stays");
    const outcome = audit.find((e) => e.jobName === "moves" && e.phase === "outcome");
    expect(outcome).toMatchObject({
      reason: "state-changed",
      stateBefore: "Shipping",
      stateAfter: "Packaging",
    });
    await expectSafe(sc.control, audit);
  });

  it("records a job deleted by someone else between listing and acting as gone", async () => {
    const jobs = [seedJob({ sub: SUB, name: "vanishes", state: "Completed", days: 60, systemData: true })];
    let othersDelete = 0;
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs },
      policy: POLICY,
      wrapGateway: (gateway, control) =>
        onFirstGet(gateway, "vanishes", async () => {
          await gateway.deleteJob({
            source: "importexport",
            subscriptionId: SUB,
            resourceGroup: "rg-test",
            name: "vanishes",
          });
          othersDelete = (await control.requests()).total;
        }),
    });
    const { run, decisions, audit } = await sc.run("apply");
    expect(decisions[0]).toMatchObject({ jobName: "vanishes", outcome: "skipped", reason: "gone" });
    expect(run.counts.deleted).toBe(0);
    expect(audit.filter((e) => e.jobName === "vanishes").map((e) => `${e.phase}:${e.reason}`)).toEqual([
      "intent:rule-matched",
      "outcome:gone",
    ]);
    expect(othersDelete).toBeGreaterThan(0);
    await expectSafe(sc.control, audit, { foreign: (r) => r.seq === othersDelete });
  });
});

describe("runs that must not act", () => {
  const { scenario } = withScenarios();

  it("defers a subscription whose lease another run holds, and acts elsewhere", async () => {
    const jobs = [
      seedJob({ sub: SUB, name: "held-draft", state: "Creating", days: 10, systemData: true }),
      seedJob({ sub: SUB2, name: "free-draft", state: "Creating", days: 10, systemData: true }),
    ];
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB), subscription(SUB2)], jobs },
      policy: POLICY,
    });
    const other = await sc.janitor.storage.leases.acquire(
      `subscription:${SUB}`,
      "another-run/part-0",
      60_000,
    );
    expect(other).toBeDefined();
    const { run, audit } = await sc.run("apply");
    // A subscription left for a later run is counted as deferred, and the run is partial, never succeeded.
    expect(run.counts).toMatchObject({ deleted: 1, subscriptionsDeferred: 1, subscriptionsSkipped: 0 });
    expect(run.status).toBe("partial");
    expect(audit.find((e) => e.subscriptionId === SUB && e.reason === "lease-held")).toMatchObject({
      outcome: "deferred",
    });
    expect((await sc.control.jobs(SUB)).map((j) => j.name)).toEqual(["held-draft"]);
    await expectSafe(sc.control, audit);
  });

  it("a redelivered part waits for the lease of its dead earlier delivery to expire, then takes up the work", async () => {
    const jobs = [seedJob({ sub: SUB, name: "draft", state: "Creating", days: 10, systemData: true })];
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs },
      policy: POLICY,
      engine: { leaseTtlMs: 2_000 },
    });
    const engine = sc.janitor.engine;
    const runId = `redelivered-${Date.now()}`;
    await engine.requestRun({ trigger: "http", mode: "apply", requestedBy: "test" }, runId);
    const { parts } = await engine.planRun(runId);
    // The first delivery took the lease and died without releasing it.
    await sc.janitor.storage.leases.acquire(`subscription:${SUB}`, `${runId}/part-0/attempt-0-dead`, 2_000);
    const started = Date.now();
    const run = await engine.sweepPart(parts[0]!, { attempt: 1, deadline: new Date(Date.now() + 60_000) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(run).toMatchObject({ status: "succeeded", counts: { deleted: 1 } });
  });

  it("records a paused run and sends nothing when JANITOR_PAUSED is set", async () => {
    const jobs = [seedJob({ sub: SUB, name: "draft", state: "Creating", days: 10, systemData: true })];
    const sc = await scenario({ seed: { subscriptions: [subscription(SUB)], jobs }, policy: POLICY });
    const paused = new JanitorEngine(
      sc.janitor.engine.services,
      sc.janitor.engine.policy,
      sc.janitor.engine.policyHash,
      {},
      true,
    );
    const run = await paused.executeRun(
      { trigger: "cli", mode: "apply", requestedBy: "cli:test" },
      `paused-${Date.now()}`,
      {
        deadline: new Date(Date.now() + 60_000),
      },
    );
    expect(run.status).toBe("paused");
    expect(run.counts.jobsSeen).toBe(0);
    expect((await sc.control.requests()).total).toBe(0);
    const audit = await auditOfRun(sc.janitor, run.runId);
    expect(audit.map((e) => e.reason)).toEqual(["paused"]);
  });
});

/** Runs `before` once, the first time the engine re-reads the named job (between listing and acting). */
function onFirstGet(gateway: JobsGateway, jobName: string, before: () => Promise<unknown>): JobsGateway {
  let done = false;
  return {
    listJobsPage: (...args) => gateway.listJobsPage(...args),
    pollDelete: (...args) => gateway.pollDelete(...args),
    cancelJob: (...args) => gateway.cancelJob(...args),
    deleteJob: (...args) => gateway.deleteJob(...args),
    async getJob(ref, signal) {
      if (!done && ref.name === jobName) {
        done = true;
        await before();
      }
      return gateway.getJob(ref, signal);
    },
  };
}
