// One test per safety branch of a sweep, through the engine's public surface (JanitorEngine, built from settings
// as the app builds it) with the real emulator over https and real Azurite. Where a fault cannot be made with
// real parts (a lease lost at a chosen moment, another subscription's audit log failing, a cancel reply that
// says nothing was done) one port is replaced by a small fake that acts at a moment named by behaviour, never by
// a count of internal calls.
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../../src/domain/policy";
import type { LoggedRequest } from "../../../tools/emulator/src/controlClient";
import { AuditWriteError } from "../../../src/errors";
import type { JobsGateway, Lease, LeaseStore } from "../../../src/engine/ports";
import { expectSafe, withScenarios, type Scenario } from "../../support/janitorHarness";
import { guid, seedJob, subscription } from "../../support/jobFactory";
import { isReadOnlyRequest, trailViolations } from "../../support/storedTrail";

const SUB = guid(0xc1);
const SUB2 = guid(0xc2);

const POLICY: PolicyDocument = {
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
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

const drafts = (sub: string, count: number, prefix = "draft") =>
  Array.from({ length: count }, (_, i) =>
    seedJob({ sub, name: `${prefix}-${i}`, state: "Creating", days: 10, systemData: true }),
  );
const young = (sub: string, count: number) =>
  Array.from({ length: count }, (_, i) =>
    seedJob({ sub, name: `young-${i}`, state: "Creating", days: 1, systemData: true }),
  );

const isListing = (sub: string) => (r: LoggedRequest) =>
  r.method === "GET" &&
  r.path.toLowerCase() === `/subscriptions/${sub}/providers/microsoft.importexport/jobs`;
const deletesIn = (log: LoggedRequest[], sub: string) =>
  log.filter((r) => r.method === "DELETE" && r.path.includes(sub));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function requestLog(sc: Scenario): Promise<LoggedRequest[]> {
  return (await sc.control.requests()).items;
}

/** Calls `hook` after each call of the named gateway method has returned (the request was answered). */
function after(
  gateway: JobsGateway,
  method: "listJobsPage" | "deleteJob",
  hook: (subscriptionId: string) => void,
): JobsGateway {
  return {
    getJob: (...args) => gateway.getJob(...args),
    cancelJob: (...args) => gateway.cancelJob(...args),
    pollDelete: (...args) => gateway.pollDelete(...args),
    listJobsPage: async (...args) => {
      const r = await gateway.listJobsPage(...args);
      if (method === "listJobsPage") hook(args[0]);
      return r;
    },
    deleteJob: async (...args) => {
      const r = await gateway.deleteJob(...args);
      if (method === "deleteJob") hook(args[0].subscriptionId);
      return r;
    },
  };
}

/** A lease store that grants every lease and keeps it, until `lost()` says otherwise: then renewals fail. */
function losableLeases(lost: () => boolean): LeaseStore & { renewals: number } {
  const store = {
    renewals: 0,
    acquire: async (key: string, holder: string, ttlMs: number): Promise<Lease> => ({
      key,
      holder,
      expiresAt: new Date(Date.now() + ttlMs).toISOString(),
    }),
    renew: async () => {
      store.renewals++;
      return !lost();
    },
    release: async () => undefined,
    holderOf: async () => undefined,
  };
  return store;
}

describe("safety branches of a sweep", () => {
  const { scenario } = withScenarios();

  it("running out of time while listing stops the listing and gives the subscription no actions", async () => {
    // Three pages of two drafts; the second page answers after the deadline has passed.
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 6) },
      policy: POLICY,
      engine: { pageSize: 2 },
    });
    await sc.control.addFaults({
      method: "GET",
      path: "/jobs$",
      query: "skiptoken",
      latencyMs: 1_500,
      count: 1,
    });
    const { run, decisions, audit } = await sc.run("apply", { deadlineMs: 1_000 });

    const log = await requestLog(sc);
    expect(log.filter(isListing(SUB)), "no page is asked for after the deadline").toHaveLength(2);
    expect(deletesIn(log, SUB)).toHaveLength(0);
    expect(run.counts.deleted).toBe(0);
    expect(run.status).toBe("partial");
    // Fail closed: the subscription is recorded as deferred for time, and so is each job listed so far.
    expect(audit.filter((e) => !e.jobId && e.subscriptionId === SUB && e.reason === "deadline")).toEqual([
      expect.objectContaining({ outcome: "deferred" }),
    ]);
    expect(decisions.map((d) => `${d.outcome}/${d.reason}`)).toEqual(Array(4).fill("deferred/deadline"));
    await expectSafe(sc.control, audit);
  });

  it("no action starts with less than the action margin left, even when the request itself would fit", async () => {
    // The listing answers with about 3 s left: under the 4 s margin an action needs, over the half of it a
    // request alone needs. Nothing may be sent.
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 2) },
      policy: POLICY,
      engine: { actionMarginMs: 4_000 },
    });
    await sc.control.addFaults({ method: "GET", path: "/jobs$", latencyMs: 3_500, count: 1 });
    const { run, decisions, audit } = await sc.run("apply", { deadlineMs: 7_000 });
    expect(deletesIn(await requestLog(sc), SUB)).toHaveLength(0);
    expect(run.counts).toMatchObject({ deleted: 0, deferred: 2 });
    expect(decisions.map((d) => `${d.outcome}/${d.reason}`)).toEqual([
      "deferred/deadline",
      "deferred/deadline",
    ]);
    await expectSafe(sc.control, audit);
  });

  it("losing the lease while listing stops the listing and gives the subscription no actions", async () => {
    let listed = false;
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 6) },
      policy: POLICY,
      // A lease that must be renewed before every step, lost once the first page has been answered.
      engine: { pageSize: 2, leaseTtlMs: 0 },
      wrapGateway: (gateway) => after(gateway, "listJobsPage", () => (listed = true)),
    });
    const leases = losableLeases(() => listed);
    sc.janitor.engine.services.leases = leases;
    const { run, decisions, audit } = await sc.run("apply");

    const log = await requestLog(sc);
    expect(leases.renewals).toBeGreaterThan(0);
    expect(log.filter(isListing(SUB)), "no page is asked for once the lease is lost").toHaveLength(1);
    expect(deletesIn(log, SUB)).toHaveLength(0);
    expect(run.counts.deleted).toBe(0);
    expect(audit.filter((e) => !e.jobId && e.reason === "lease-held")).toEqual([
      expect.objectContaining({ outcome: "deferred", subscriptionId: SUB }),
    ]);
    expect(decisions.map((d) => `${d.outcome}/${d.reason}`)).toEqual(Array(2).fill("deferred/lease-held"));
    await expectSafe(sc.control, audit);
  });

  it("losing the lease before an action sends no further action in that subscription", async () => {
    let deleted = 0;
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs: drafts(SUB, 4) },
      policy: POLICY,
      engine: { leaseTtlMs: 0 },
      // Lost once the first delete has been answered.
      wrapGateway: (gateway) => after(gateway, "deleteJob", () => deleted++),
    });
    sc.janitor.engine.services.leases = losableLeases(() => deleted > 0);
    const { run, decisions, audit } = await sc.run("apply");

    expect(deletesIn(await requestLog(sc), SUB)).toHaveLength(1);
    expect(run.counts).toMatchObject({ deleted: 1, deferred: 3 });
    expect(decisions.filter((d) => d.outcome === "deferred").map((d) => d.reason)).toEqual(
      Array(3).fill("lease-held"),
    );
    expect((await sc.control.jobs(SUB)).length).toBe(3);
    await expectSafe(sc.control, audit);
  });

  it("another subscription's audit failure stops actions here too, after the one in flight", async () => {
    // SUB2's audit log fails while SUB's first delete is in flight; that delete ends only once SUB2 has given up
    // (its lease released). From then on SUB must start nothing new.
    let sending: () => void = () => undefined;
    const subSending = new Promise<void>((resolve) => (sending = resolve));
    let released: () => void = () => undefined;
    const sub2GaveUp = new Promise<void>((resolve) => (released = resolve));
    const sc = await scenario({
      seed: {
        subscriptions: [subscription(SUB), subscription(SUB2)],
        jobs: [...drafts(SUB, 4), ...drafts(SUB2, 2, "other")],
      },
      policy: POLICY,
      engine: { concurrency: 2, subscriptionsPerPart: 2 },
      wrapGateway: (gateway) => ({
        listJobsPage: (...args) => gateway.listJobsPage(...args),
        pollDelete: (...args) => gateway.pollDelete(...args),
        getJob: (...args) => gateway.getJob(...args),
        cancelJob: (...args) => gateway.cancelJob(...args),
        async deleteJob(ref, signal) {
          if (ref.subscriptionId !== SUB) return gateway.deleteJob(ref, signal);
          sending();
          const answer = await gateway.deleteJob(ref, signal);
          await Promise.race([sub2GaveUp, sleep(5_000)]);
          await sleep(50);
          return answer;
        },
      }),
    });
    const services = sc.janitor.engine.services;
    const leases = services.leases;
    services.leases = {
      acquire: (...args) => leases.acquire(...args),
      renew: (...args) => leases.renew(...args),
      holderOf: (...args) => leases.holderOf(...args),
      async release(lease) {
        await leases.release(lease);
        if (lease.key.includes(SUB2)) released();
      },
    };
    const audit = services.audit;
    const append = audit.append.bind(audit);
    audit.append = async (entries) => {
      if (entries.some((e) => e.subscriptionId === SUB2 && e.phase === "intent")) {
        await subSending;
        throw new AuditWriteError("table unavailable for this subscription");
      }
      return append(entries);
    };
    const engine = sc.janitor.engine;
    const runId = `abort-${Date.now()}`;
    await engine.requestRun({ trigger: "cli", mode: "apply", requestedBy: "cli:test" }, runId);
    const { parts } = await engine.planRun(runId);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.subscriptions).toHaveLength(2);
    await expect(
      engine.sweepPart(parts[0]!, { attempt: 0, deadline: new Date(Date.now() + 60_000) }),
    ).rejects.toThrow(/audit log write failed/);

    const log = await requestLog(sc);
    expect(deletesIn(log, SUB2)).toHaveLength(0);
    expect(deletesIn(log, SUB), "only the delete already under way").toHaveLength(1);
    const trail = await sc.trail();
    expect(
      trail.filter((e) => e.subscriptionId === SUB && e.outcome === "deferred").map((e) => e.reason),
    ).toEqual(Array(3).fill("audit-failed"));
    await expectSafe(sc.control, trail);
  });

  it("after another subscription's audit failure, a subscription not yet started is not swept", async () => {
    const sc = await scenario({
      seed: {
        subscriptions: [subscription(SUB), subscription(SUB2)],
        jobs: [...drafts(SUB, 2), ...drafts(SUB2, 2, "other")],
      },
      policy: POLICY,
      engine: { concurrency: 1, subscriptionsPerPart: 2 },
    });
    const services = sc.janitor.engine.services;
    const leases = services.leases;
    const leased: string[] = [];
    services.leases = {
      acquire: (key, ...rest) => (leased.push(key), leases.acquire(key, ...rest)),
      renew: (...args) => leases.renew(...args),
      holderOf: (...args) => leases.holderOf(...args),
      release: (...args) => leases.release(...args),
    };
    const audit = services.audit;
    const append = audit.append.bind(audit);
    let failedFor: string | undefined;
    audit.append = async (entries) => {
      const intent = entries.find((e) => e.phase === "intent");
      if (intent && (failedFor === undefined || failedFor === intent.subscriptionId)) {
        failedFor = intent.subscriptionId;
        throw new AuditWriteError("table unavailable");
      }
      return append(entries);
    };
    const engine = sc.janitor.engine;
    const runId = `abort-next-${Date.now()}`;
    await engine.requestRun({ trigger: "cli", mode: "apply", requestedBy: "cli:test" }, runId);
    const { parts } = await engine.planRun(runId);
    expect(parts).toHaveLength(1);
    await expect(
      engine.sweepPart(parts[0]!, { attempt: 0, deadline: new Date(Date.now() + 60_000) }),
    ).rejects.toThrow(/audit log write failed/);

    expect(failedFor).toBeDefined();
    const other = failedFor === SUB ? SUB2 : SUB;
    const log = await requestLog(sc);
    expect(log.filter(isListing(other)), "the second subscription is never listed").toHaveLength(0);
    expect(log.filter((r) => !isReadOnlyRequest(r))).toHaveLength(0);
    // Left whole for the next delivery: not even its lease is taken, and nothing is recorded about it.
    expect(leased).toEqual([`subscription:${failedFor}`]);
    expect((await sc.trail()).filter((e) => e.subscriptionId === other)).toEqual([]);
  });

  it("a cancel answered 200 without cancelRequested is checked by reading, and not counted as done", async () => {
    const jobs = [
      seedJob({
        sub: SUB,
        name: "reply-lies",
        state: "Shipping",
        days: 60,
        systemData: true,
        tracking: true,
      }),
      seedJob({
        sub: SUB,
        name: "reply-stale",
        state: "Shipping",
        days: 60,
        systemData: true,
        tracking: true,
      }),
    ];
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs },
      policy: POLICY,
      // The reply's body says cancelRequested: false. For "reply-lies" the request is never sent (the job stays
      // as it was); for "reply-stale" it is sent and the service did cancel: only a read can tell them apart.
      wrapGateway: (gateway) => ({
        ...gateway,
        listJobsPage: (...args) => gateway.listJobsPage(...args),
        pollDelete: (...args) => gateway.pollDelete(...args),
        getJob: (...args) => gateway.getJob(...args),
        deleteJob: (...args) => gateway.deleteJob(...args),
        async cancelJob(ref, reason, signal) {
          if (ref.name === "reply-lies") {
            const now = await gateway.getJob(ref, signal);
            if (!now.ok) return now;
            return { ...now, value: { ...now.value, cancelRequested: false } };
          }
          const sent = await gateway.cancelJob(ref, reason, signal);
          return sent.ok && sent.value ? { ...sent, value: { ...sent.value, cancelRequested: false } } : sent;
        },
      }),
    });
    const { run, decisions, audit } = await sc.run("apply");

    expect(decisions.find((d) => d.jobName === "reply-lies")).toMatchObject({ outcome: "failed" });
    expect(decisions.find((d) => d.jobName === "reply-stale")).toMatchObject({ outcome: "succeeded" });
    expect(run.counts).toMatchObject({ cancelled: 1, failed: 1 });
    const lies = audit.find((e) => e.jobName === "reply-lies" && e.phase === "outcome");
    expect(lies).toMatchObject({ outcome: "failed", stateAfter: "Shipping" });
    expect(lies?.errorMessage).toMatch(/cancelRequested/);
    // Each outcome was settled by a read after the reply.
    const reads = (await requestLog(sc)).filter((r) => r.method === "GET" && r.path.endsWith("/reply-stale"));
    expect(reads.length).toBeGreaterThanOrEqual(2);
    await expectSafe(sc.control, audit);
  });

  it("a delete answered 200 while the job is still there is checked by reading, and recorded failed", async () => {
    const jobs = [
      seedJob({ sub: SUB, name: "not-deleted", state: "Creating", days: 10, systemData: true }),
      seedJob({ sub: SUB, name: "deleted", state: "Creating", days: 10, systemData: true }),
    ];
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs },
      policy: POLICY,
      // For "not-deleted" the reply says 200 but nothing was sent: only the check read can tell.
      wrapGateway: (gateway) => ({
        listJobsPage: (...args) => gateway.listJobsPage(...args),
        pollDelete: (...args) => gateway.pollDelete(...args),
        getJob: (...args) => gateway.getJob(...args),
        cancelJob: (...args) => gateway.cancelJob(...args),
        deleteJob: (ref, signal) =>
          ref.name === "not-deleted"
            ? Promise.resolve({ ok: true as const, value: undefined, status: 200, remaining: {} })
            : gateway.deleteJob(ref, signal),
      }),
    });
    const { run, decisions, audit } = await sc.run("apply");
    expect(decisions.find((d) => d.jobName === "not-deleted")).toMatchObject({ outcome: "failed" });
    expect(run.counts).toMatchObject({ deleted: 1, failed: 1 });
    expect(audit.find((e) => e.jobName === "not-deleted" && e.phase === "outcome")).toMatchObject({
      outcome: "failed",
      stateAfter: "Creating",
    });
    expect((await sc.control.jobs(SUB)).map((j) => j.name)).toEqual(["not-deleted"]);
    await expectSafe(sc.control, audit);
  });

  it("a cancel the service refuses is recorded refused, with the state the job is in", async () => {
    const sc = await scenario({
      seed: {
        subscriptions: [subscription(SUB)],
        jobs: [
          seedJob({ sub: SUB, name: "ship", state: "Shipping", days: 60, systemData: true, tracking: true }),
        ],
      },
      policy: POLICY,
      // The emulator set stricter than the docs: no cancel in Shipping.
      emulatorSettings: { cancelStates: ["Creating"] },
    });
    const { run, audit } = await sc.run("apply");
    expect(run.counts).toMatchObject({ refused: 1, cancelled: 0, failed: 0 });
    expect(audit.find((e) => e.jobName === "ship" && e.phase === "outcome")).toMatchObject({
      outcome: "refused",
      reason: "service-refused",
      httpStatus: 409,
      stateAfter: "Shipping",
    });
    // The emulator counts the refused cancel as forbidden (by its stricter settings), so only the trail is checked.
    expect(trailViolations((await sc.control.requests()).items, audit)).toEqual([]);
  });

  it("a job that stops being eligible between listing and acting (exempted by a tag meanwhile) is not acted on", async () => {
    const jobs = [
      seedJob({ sub: SUB, name: "exempted-meanwhile", state: "Creating", days: 10, systemData: true }),
      seedJob({ sub: SUB, name: "still-eligible", state: "Creating", days: 10, systemData: true }),
    ];
    const sc = await scenario({
      seed: { subscriptions: [subscription(SUB)], jobs },
      policy: POLICY,
      // The re-read before acting shows the tag someone added after the listing.
      wrapGateway: (gateway) => ({
        listJobsPage: (...args) => gateway.listJobsPage(...args),
        pollDelete: (...args) => gateway.pollDelete(...args),
        cancelJob: (...args) => gateway.cancelJob(...args),
        deleteJob: (...args) => gateway.deleteJob(...args),
        async getJob(ref, signal) {
          const read = await gateway.getJob(ref, signal);
          if (!read.ok || ref.name !== "exempted-meanwhile") return read;
          return { ...read, value: { ...read.value, tags: { ...read.value.tags, janitor: "exempt" } } };
        },
      }),
    });
    const { run, decisions, audit } = await sc.run("apply");
    expect(decisions.find((d) => d.jobName === "exempted-meanwhile")).toMatchObject({
      outcome: "skipped",
      reason: "exempt-tag",
    });
    expect(run.counts.deleted).toBe(1);
    const deletes = deletesIn(await requestLog(sc), SUB);
    expect(deletes.map((r) => r.path.split("/").pop())).toEqual(["still-eligible"]);
    await expectSafe(sc.control, audit);
  });

  describe("the breaker's minimum number of jobs", () => {
    const limits = { maxActionsPerRun: 1000, maxActionsPerSubscription: 1000, maxEligibleFraction: 0.5 };

    it("trips with exactly minJobsForFraction jobs when too many are eligible", async () => {
      const sc = await scenario({
        seed: { subscriptions: [subscription(SUB)], jobs: [...drafts(SUB, 6), ...young(SUB, 4)] },
        policy: { ...POLICY, limits: { ...limits, minJobsForFraction: 10 } },
      });
      const { run, decisions, audit } = await sc.run("apply");
      expect(run.counts).toMatchObject({ jobsSeen: 10, breakersTripped: 1, deleted: 0 });
      expect(decisions.filter((d) => d.reason === "breaker-tripped")).toHaveLength(6);
      expect(deletesIn(await requestLog(sc), SUB)).toHaveLength(0);
      await expectSafe(sc.control, audit);
    });

    it("does not trip below minJobsForFraction, nor at exactly maxEligibleFraction", async () => {
      const below = await scenario({
        seed: { subscriptions: [subscription(SUB)], jobs: [...drafts(SUB, 6), ...young(SUB, 3)] },
        policy: { ...POLICY, limits: { ...limits, minJobsForFraction: 10 } },
      });
      const few = await below.run("apply");
      expect(few.run.counts).toMatchObject({ jobsSeen: 9, breakersTripped: 0, deleted: 6 });
      await expectSafe(below.control, few.audit);

      const half = await scenario({
        seed: { subscriptions: [subscription(SUB)], jobs: [...drafts(SUB, 5), ...young(SUB, 5)] },
        policy: { ...POLICY, limits: { ...limits, minJobsForFraction: 10 } },
      });
      const even = await half.run("apply");
      expect(even.run.counts).toMatchObject({ jobsSeen: 10, breakersTripped: 0, deleted: 5 });
      await expectSafe(half.control, even.audit);
    });
  });
});
