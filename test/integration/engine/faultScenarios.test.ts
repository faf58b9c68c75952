// Runs under faults: throttling, 5xx bursts, dropped connections, a listing that breaks, a deadline, and an
// audit log that cannot be written. Through the real emulator, SDK and Azurite; the audit failure, which
// Azurite cannot produce, through a failing wrapper around the real store.
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../../src/domain/policy";
import { AuditWriteError } from "../../../src/errors";
import { expectSafe, withScenarios } from "../../support/janitorHarness";
import { guid, seedJob, subscription } from "../../support/jobFactory";

const SUB = guid(0xb1);
const SUB2 = guid(0xb2);

const POLICY: PolicyDocument = {
  version: 1,
  rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" }],
  guards: { gracePeriod: "PT0S" },
  limits: { maxActionsPerRun: 1000, maxActionsPerSubscription: 1000, maxEligibleFraction: 1 },
};

const drafts = (sub: string, count: number, prefix = "draft") =>
  Array.from({ length: count }, (_, i) =>
    seedJob({ sub, name: `${prefix}-${i}`, state: "Creating", days: 10, systemData: true }),
  );

describe("fault scenarios", () => {
  const { scenario } = withScenarios();

  it("waits out 429s with Retry-After and backs off on 429s without it", async () => {
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 4) },
      policy: POLICY,
    });
    await sc.control.addFaults([
      { method: "DELETE", status: 429, retryAfter: 1, count: 1 },
      { method: "GET", path: "/jobs$", status: 429, count: 2 },
    ]);
    const { run, audit } = await sc.run("apply");
    expect(run.status).toBe("succeeded");
    expect(run.counts.deleted).toBe(4);
    const log = (await sc.control.requests()).items;
    expect(log.filter((r) => r.status === 429)).toHaveLength(3);
    expect(log.filter((r) => r.method === "DELETE" && r.status === 200)).toHaveLength(4);
    await expectSafe(sc.control, audit);
  });

  it("defers the rest of a subscription when Retry-After does not fit the run", async () => {
    const sc = await scenario({
      seed: {
        subscriptions: [subscription(SUB), subscription(SUB2)],
        jobs: [...drafts(SUB, 3), ...drafts(SUB2, 2, "other")],
      },
      policy: POLICY,
    });
    await sc.control.addFaults({
      method: "DELETE",
      path: `/subscriptions/${SUB}/`,
      status: 429,
      retryAfter: 3600,
    });
    const { run, decisions, audit } = await sc.run("apply");
    const inSub = decisions.filter((d) => d.subscriptionId === SUB);
    expect(inSub.every((d) => d.outcome === "deferred" && d.reason === "throttled")).toBe(true);
    expect(run.counts.deferred).toBe(3);
    expect(run.counts.deleted).toBe(2); // the other subscription went on
    // Only one 429 was asked for: the rest of the subscription was not tried.
    expect((await sc.control.requests()).items.filter((r) => r.status === 429)).toHaveLength(1);
    await expectSafe(sc.control, audit);
  });

  it("rides out a burst of 500s and dropped connections on reads", async () => {
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 3) },
      policy: POLICY,
    });
    await sc.control.addFaults([
      { method: "GET", path: "/jobs$", status: 500, count: 2 },
      { method: "GET", path: "/jobs/draft-1$", reset: true, count: 1 },
      { method: "GET", path: "/jobs/draft-2$", status: 503, count: 1 },
    ]);
    const { run, audit } = await sc.run("apply");
    expect(run.status).toBe("succeeded");
    expect(run.counts.deleted).toBe(3);
    await expectSafe(sc.control, audit);
  });

  it("never resends a delete after a dropped connection: re-reads and records what happened", async () => {
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 1) },
      policy: POLICY,
    });
    await sc.control.addFaults({ method: "DELETE", reset: true, count: 1 });
    const { run, audit } = await sc.run("apply");
    const deletes = (await sc.control.requests()).items.filter((r) => r.method === "DELETE");
    expect(deletes).toHaveLength(1);
    expect(run.counts.failed).toBe(1);
    const outcome = audit.find((e) => e.phase === "outcome" && e.jobName === "draft-0");
    expect(outcome).toMatchObject({ outcome: "failed", reason: "transient-error", stateAfter: "Creating" });
    await expectSafe(sc.control, audit);
  });

  it("records a refusal by the service as refused, with the state it reports", async () => {
    // The emulator configured stricter than the docs: it refuses deletes in Creating.
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 1) },
      policy: POLICY,
      emulatorSettings: { deleteStates: ["Completed"], refusalStatus: 400 },
    });
    const { run, audit } = await sc.run("apply");
    expect(run.counts.refused).toBe(1);
    const outcome = audit.find((e) => e.phase === "outcome" && e.jobName === "draft-0");
    expect(outcome).toMatchObject({
      outcome: "refused",
      reason: "service-refused",
      httpStatus: 400,
      stateAfter: "Creating",
    });
    expect(outcome?.errorCode).toBeTruthy();
  });

  it("takes no action in a subscription whose listing fails on its second page", async () => {
    const sc = await scenario({
      seed: {
        subscriptions: [subscription(SUB), subscription(SUB2)],
        jobs: [...drafts(SUB, 150), ...drafts(SUB2, 2, "other")],
      },
      policy: POLICY,
    });
    // The first page of SUB answers; its second page (the nextLink carries $skiptoken) keeps failing.
    await sc.control.addFaults({
      method: "GET",
      path: `/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs$`,
      query: "skiptoken",
      status: 500,
    });
    const { run, decisions, audit } = await sc.run("apply");
    expect(run.status).toBe("partial");
    expect(run.counts.subscriptionsFailed).toBe(1);
    expect(decisions.filter((d) => d.subscriptionId === SUB && d.reason === "listing-failed")).toHaveLength(
      100,
    );
    expect(run.counts.deleted).toBe(2);
    const deletes = (await sc.control.requests()).items.filter((r) => r.method === "DELETE");
    expect(deletes.every((r) => r.path.includes(SUB2))).toBe(true);
    expect(
      audit.some(
        (e) => e.subscriptionId === SUB && !e.jobId && e.reason === "listing-failed" && e.httpStatus === 500,
      ),
    ).toBe(true);
    await expectSafe(sc.control, audit);
  });

  it("defers what does not fit before the deadline and never leaves an intent without its outcome", async () => {
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 6) },
      policy: POLICY,
      engine: { actionMarginMs: 500 },
    });
    await sc.control.addFaults({ latencyMs: 300 });
    const { run, audit } = await sc.run("apply", { deadlineMs: 4_000 });
    expect(run.counts.deleted).toBeGreaterThan(0);
    expect(run.counts.deferred).toBeGreaterThan(0);
    expect(run.counts.deleted + run.counts.deferred).toBe(6);
    expect(audit.filter((e) => e.reason === "deadline")).toHaveLength(run.counts.deferred);
    await expectSafe(sc.control, audit);
  });

  it("stops acting when the audit log cannot be written, and fails the run", async () => {
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 5) },
      policy: POLICY,
    });
    const audit = sc.janitor.engine.services.audit;
    let writes = 0;
    const append = audit.append.bind(audit);
    // Let the listing's entries and the first action's intent and outcome through, then fail.
    audit.append = async (entries) => {
      if (entries.some((e) => e.phase === "intent") && ++writes > 1)
        throw new AuditWriteError("table unavailable");
      return append(entries);
    };
    const { run } = await sc.run("apply");
    expect(run.status).toBe("failed");
    expect(run.error).toContain("audit");
    const deletes = (await sc.control.requests()).items.filter((r) => r.method === "DELETE");
    expect(deletes).toHaveLength(1);
  });
});
