// Redelivered work: a worker killed mid-part, an audit write that fails after an action was sent, a coordinator
// delivered twice. Each promise here was once broken (the cap reset on redelivery, an outcome lost for good, a
// subscription in two parts); the checks run against the emulator's request log and the stored audit trail.
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../../src/domain/policy";
import type { Mode } from "../../../src/domain/vocabulary";
import { PartIncompleteError } from "../../../src/engine/janitorEngine";
import type { JobsGateway, LeaseStore, WorkPart } from "../../../src/engine/ports";
import { AuditWriteError } from "../../../src/errors";
import { expectSafe, withScenarios, type Scenario } from "../../support/janitorHarness";
import { guid, seedJob, subscription } from "../../support/jobFactory";

const SUB = guid(0xd1);
const SUB2 = guid(0xd2);

const policy = (maxActionsPerSubscription: number): PolicyDocument => ({
  version: 1,
  rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
  guards: { gracePeriod: "PT0S" },
  limits: { maxActionsPerRun: 1000, maxActionsPerSubscription, maxEligibleFraction: 1 },
});

const drafts = (sub: string, count: number) =>
  Array.from({ length: count }, (_, i) =>
    seedJob({
      sub,
      name: `draft-${String(i).padStart(2, "0")}`,
      state: "Creating",
      days: 10,
      systemData: true,
    }),
  );

/** Queues a run as the HTTP edge would and plans it as the coordinator would. */
async function queuedRun(sc: Scenario, mode: Mode): Promise<{ runId: string; parts: WorkPart[] }> {
  const runId = `redelivery-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;
  await sc.janitor.engine.requestRun({ trigger: "http", mode, requestedBy: "http:function-key" }, runId);
  const { parts } = await sc.janitor.engine.planRun(runId);
  return { runId, parts };
}

const deadline = () => new Date(Date.now() + 60_000);
const ENGINE = { leaseTtlMs: 1_500, armTimeoutMs: 200 };

describe("redelivered work", () => {
  const { scenario } = withScenarios();

  it("counts the per-subscription cap over every delivery of the run, after a worker died mid-part", async () => {
    // Prepare: 10 eligible drafts, a cap of 3; the first delivery dies while re-reading its third job.
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 10) },
      policy: policy(3),
      engine: ENGINE,
    });
    const real = sc.janitor.engine.services.jobs;
    let reads = 0;
    const dying: JobsGateway = {
      ...real,
      listJobsPage: (...a) => real.listJobsPage(...a),
      cancelJob: (...a) => real.cancelJob(...a),
      deleteJob: (...a) => real.deleteJob(...a),
      // The re-read before the third action never returns: the worker is gone.
      getJob: (ref, s) => (++reads === 5 ? new Promise(() => undefined) : real.getJob(ref, s)),
    };
    // A dead worker renews no lease either: its renewals never return.
    const services = sc.janitor.engine.services as { jobs: JobsGateway; leases: LeaseStore };
    const leases = services.leases;
    let dead = false;
    services.leases = {
      acquire: (...a) => leases.acquire(...a),
      release: (...a) => leases.release(...a),
      holderOf: (...a) => leases.holderOf(...a),
      renew: (...a) => (dead ? new Promise(() => undefined) : leases.renew(...a)),
    };
    services.jobs = dying;
    const { runId, parts } = await queuedRun(sc, "apply");
    void sc.janitor.engine.sweepPart(parts[0]!, { attempt: 0, deadline: deadline() });
    await waitFor(async () => (await sc.trail()).filter((e) => e.phase === "intent").length === 3);
    dead = true;
    services.jobs = real;
    services.leases = leases;

    // Act: the queue delivers the part again.
    const run = await sc.janitor.engine.sweepPart(parts[0]!, { attempt: 1, deadline: deadline() });

    // Assess: three actions in all (two deletes and the interrupted one, which never reached the service).
    const deletes = (await sc.control.requests()).items.filter((r) => r.method === "DELETE");
    expect(deletes).toHaveLength(2);
    expect(run.status).not.toBe("running");
    expect(run.counts).toMatchObject({ deleted: 2, failed: 1 });
    const trail = (await sc.trail()).filter((e) => e.runId === runId);
    // The seven never tried are capped; the interrupted one keeps its one outcome and waits for the next run.
    expect(trail.filter((e) => e.reason === "cap-subscription")).toHaveLength(7);
    await expectSafe(sc.control, trail);
  });

  it("records an outcome whose write failed in the next delivery, counts it, and never completes the part early", async () => {
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 3) },
      policy: policy(25),
      engine: ENGINE,
    });
    const audit = sc.janitor.engine.services.audit;
    const append = audit.append.bind(audit);
    let failed = 0;
    // The last write of the sweep (the third delete's outcome, no intent with it) fails once.
    audit.append = async (entries) => {
      const last =
        entries.some((e) => e.phase === "outcome" && e.outcome === "succeeded") &&
        !entries.some((e) => e.phase === "intent");
      if (last && failed++ === 0) throw new AuditWriteError("table unavailable");
      return append(entries);
    };
    const { runId, parts } = await queuedRun(sc, "apply");

    await expect(
      sc.janitor.engine.sweepPart(parts[0]!, { attempt: 0, deadline: deadline() }),
    ).rejects.toBeInstanceOf(PartIncompleteError);
    const open = await sc.janitor.storage.runs.get(runId);
    expect(open?.partsCompleted ?? []).toEqual([]);
    expect(open?.status).toBe("running");

    const run = await sc.janitor.engine.sweepPart(parts[0]!, { attempt: 1, deadline: deadline() });
    expect(run.status).toBe("succeeded");
    expect(run.counts.deleted).toBe(3);
    const deletes = (await sc.control.requests()).items.filter((r) => r.method === "DELETE");
    expect(deletes).toHaveLength(3);
    const trail = (await sc.trail()).filter((e) => e.runId === runId);
    expect(trail.filter((e) => e.phase === "outcome" && e.outcome === "succeeded")).toHaveLength(3);
    await expectSafe(sc.control, trail);
  });

  it("a redelivered coordinator hands out the parts it fixed the first time, whatever discovery says now", async () => {
    const seed = { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 1) };
    const sc = await scenario({ seed, policy: policy(25), engine: { ...ENGINE, subscriptionsPerPart: 1 } });
    const runId = `coordinator-${Date.now()}`;
    await sc.janitor.engine.requestRun({ trigger: "timer", mode: "plan", requestedBy: "timer" }, runId);
    const first = await sc.janitor.engine.planRun(runId, 0);
    // A new subscription appears before the coordinator's message is delivered again.
    await sc.control.addJobs({ subscriptions: [subscription(SUB2)], jobs: drafts(SUB2, 1) });
    const again = await sc.janitor.engine.planRun(runId, 1);
    expect(again.parts).toEqual(first.parts);
    expect(again.run.partsTotal).toBe(1);
    const discoveries = (await sc.control.requests()).items.filter((r) =>
      /^\/subscriptions\/?$/.test(r.path),
    );
    expect(discoveries).toHaveLength(1);
  });

  it("a queued part skips a subscription disabled since the run was planned, without listing its jobs", async () => {
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 2) },
      policy: policy(25),
      engine: ENGINE,
    });
    const { runId, parts } = await queuedRun(sc, "apply");
    await sc.control.addJobs({ subscriptions: [subscription(SUB, "Disabled")], jobs: [] });
    const run = await sc.janitor.engine.sweepPart(parts[0]!, { attempt: 0, deadline: deadline() });
    expect(run.counts).toMatchObject({ subscriptionsSkipped: 1, subscriptionsScanned: 0, deleted: 0 });
    const trail = (await sc.trail()).filter((e) => e.runId === runId);
    expect(trail.find((e) => e.reason === "subscription-state")).toMatchObject({
      subscriptionId: SUB,
      outcome: "skipped",
    });
    const listings = (await sc.control.requests()).items.filter((r) => r.path.endsWith("/jobs"));
    expect(listings).toHaveLength(0);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
