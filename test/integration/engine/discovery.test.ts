// Discovery through Azure Resource Graph (JANITOR_DISCOVERY=resource-graph, the default): whole runs on the
// emulator through the real SDKs and Azurite. The index only narrows which subscriptions are listed; it fails
// over to listing every subscription, recorded on the run; and it lags, which a later run catches up with.
import { StorageImportExport } from "@azure/arm-storageimportexport";
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../../src/domain/policy";
import type { LoggedRequest } from "../../../tools/emulator/src/RequestLog";
import { devCredential } from "../../support/emulator";
import { expectSafe, withScenarios, type Scenario } from "../../support/janitorHarness";
import { guid, seedBoxJob, seedJob, subscription } from "../../support/jobFactory";

const POLICY: PolicyDocument = {
  version: 1,
  rules: [{ name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" }],
  guards: { gracePeriod: "PT0S" },
  limits: {
    maxActionsPerRun: 1000,
    maxActionsPerSubscription: 1000,
    maxEligibleFraction: 1,
    minJobsForFraction: 10,
  },
};

const SUBS = [0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6].map(guid);
const [WITH_JOBS, ALSO_WITH_JOBS] = SUBS as [string, string];
const old = (sub: string, name: string) =>
  seedJob({ sub, name, state: "Completed", days: 60, systemData: true });

/** The subscriptions whose jobs were listed, in the emulator's request log. */
function listed(items: LoggedRequest[]): string[] {
  const subs = items
    .filter(
      (r) => r.method === "GET" && /\/providers\/Microsoft\.(ImportExport|DataBox)\/jobs$/i.test(r.path),
    )
    .map((r) => r.path.split("/")[2]!.toLowerCase());
  return [...new Set(subs)].sort();
}

const graphQueries = (items: LoggedRequest[]) =>
  items.filter((r) => r.path.includes("Microsoft.ResourceGraph"));

describe("discovery through Resource Graph", () => {
  const { scenario } = withScenarios();
  const seed = {
    subscriptions: SUBS.map((s) => subscription(s)),
    jobs: [old(WITH_JOBS, "a"), old(WITH_JOBS, "b"), old(ALSO_WITH_JOBS, "c")],
  };

  it("lists only the subscriptions the index shows jobs in, and counts the others as without jobs", async () => {
    // Arrange
    const s = await scenario({ seed, policy: POLICY });

    // Act
    const { run } = await s.run("plan");

    // Assess
    const log = await s.control.requests();
    expect(listed(log.items)).toEqual([WITH_JOBS, ALSO_WITH_JOBS].sort());
    expect(graphQueries(log.items)).toHaveLength(1);
    expect(run.discovery).toBe("resource-graph");
    expect(run.counts).toMatchObject({ subscriptionsScanned: 2, subscriptionsWithoutJobs: 4, planned: 3 });
    expect(run.status).toBe("succeeded");
  });

  it("sweeps a subscription holding only Data Box customer-disk jobs, not one holding only a device order", async () => {
    // Arrange
    const [BOX, DEVICE] = [SUBS[3]!, SUBS[4]!];
    const s = await scenario({
      seed: {
        ...seed,
        jobs: [
          ...seed.jobs,
          seedBoxJob({ sub: BOX, name: "disk", stage: "Completed", days: 60 }),
          seedBoxJob({ sub: DEVICE, name: "device", stage: "Completed", days: 60, sku: "DataBox" }),
        ],
      },
      policy: POLICY,
    });

    // Act
    const { run } = await s.run("plan");

    // Assess
    expect(listed((await s.control.requests()).items)).toEqual([WITH_JOBS, ALSO_WITH_JOBS, BOX].sort());
    expect(run.counts).toMatchObject({ subscriptionsScanned: 3, subscriptionsWithoutJobs: 3 });
  });

  it("narrows an explicit subscription list too, and the policy's scope still applies", async () => {
    // Arrange: the scope leaves out a subscription that has jobs
    const s = await scenario({
      seed,
      policy: { ...POLICY, scope: { excludeSubscriptions: [ALSO_WITH_JOBS] } },
    });

    // Act
    const { run } = await s.run("plan", { subscriptions: [WITH_JOBS, SUBS[2]!, ALSO_WITH_JOBS] });

    // Assess
    const log = await s.control.requests();
    expect(listed(log.items)).toEqual([WITH_JOBS]);
    expect(run.counts).toMatchObject({
      subscriptionsScanned: 1,
      subscriptionsWithoutJobs: 1,
      subscriptionsSkipped: 1,
    });
  });

  it("asks about at most 1,000 subscriptions per query", async () => {
    // Arrange: 1,250 subscriptions, jobs in three of them, on both sides of the first thousand
    const many = Array.from(
      { length: 1_250 },
      (_, i) => `c0ffee00-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    const withJobs = [many[3]!, many[999]!, many[1_200]!];
    const s = await scenario({
      seed: { subscriptions: many.map((id) => subscription(id)), jobs: withJobs.map((id) => old(id, "j")) },
      policy: POLICY,
    });

    // Act
    const { run } = await s.run("plan");

    // Assess
    const log = await s.control.requests();
    expect(graphQueries(log.items).map((r) => r.status)).toEqual([200, 200]);
    expect(listed(log.items)).toEqual([...withJobs].sort());
    expect(run.counts).toMatchObject({
      subscriptionsScanned: 3,
      subscriptionsWithoutJobs: 1_247,
      planned: 3,
    });
  });

  it.each([
    [
      "a 500",
      {
        path: "ResourceGraph",
        status: 500,
        error: { code: "InternalServerError", message: "pat.doe@example.com" },
      },
      "subscriptions (fallback: HTTP 500 InternalServerError)",
    ],
    [
      "a malformed body",
      { path: "ResourceGraph", status: 200, body: { totalRecords: 0, data: "none" } },
      "subscriptions (fallback: malformed answer: data is not an array)",
    ],
    [
      "throttling past the run's time",
      { path: "ResourceGraph", status: 429, retryAfter: 600 },
      "subscriptions (fallback: throttled past the run's time budget)",
    ],
  ])(
    "falls back to listing every subscription on %s, and records it on the run",
    async (_, fault, discovery) => {
      // Arrange
      const s = await scenario({ seed, policy: POLICY });
      await s.control.addFaults(fault);

      // Act
      const { run } = await s.run("apply");

      // Assess: every subscription listed, the jobs acted on as without the index
      const log = await s.control.requests();
      expect(listed(log.items)).toEqual([...SUBS].sort());
      expect(run.discovery).toBe(discovery);
      expect(run.counts).toMatchObject({ subscriptionsScanned: 6, subscriptionsWithoutJobs: 0, deleted: 3 });
      expect(JSON.stringify(run)).not.toContain("pat.doe");
      await expectSafe(s.control, await s.trail());
    },
  );

  it("does not sweep a job the index has not seen yet, sweeps it in a later run, and acts on nothing from the index alone", async () => {
    // Arrange: a 1.5 s index lag; the seeded jobs become visible once it has passed
    const GONE = SUBS[5]!;
    const s = await scenario({
      seed: { ...seed, jobs: [...seed.jobs, old(GONE, "deleted-elsewhere")] },
      policy: POLICY,
      emulatorSettings: { resourceGraphLagMs: 1_500 },
    });
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    // Just now: a new job where the index saw none, and a job deleted by someone else, which it still shows
    const FRESH = SUBS[2]!;
    await s.control.addJobs({ jobs: [old(FRESH, "fresh")] });
    const before = (await s.control.requests()).total;
    await armDelete(s, GONE, "deleted-elsewhere");

    // Act
    const first = await s.run("apply");
    const afterFirst = await s.control.requests({ since: before + 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const second = await s.run("apply");

    // Assess: the first run lists the subscription of the deleted job (the index still shows it), finds nothing
    // there and sends nothing for it; the fresh job waits for the second run
    expect(listed(afterFirst.items)).toEqual([WITH_JOBS, ALSO_WITH_JOBS, GONE].sort());
    expect(afterFirst.items.filter((r) => r.path.toLowerCase().includes(GONE) && r.method !== "GET")).toEqual(
      [],
    );
    expect(first.run.counts).toMatchObject({
      subscriptionsScanned: 3,
      subscriptionsWithoutJobs: 3,
      deleted: 3,
    });
    expect(second.run.counts).toMatchObject({ subscriptionsScanned: 1, deleted: 1 });
    const deletedBySecond = second.audit.filter(
      (e) => e.action === "delete" && e.phase === "outcome" && e.outcome === "succeeded",
    );
    expect(deletedBySecond.map((e) => e.jobName)).toEqual(["fresh"]);
    expect(await s.control.jobs()).toEqual([]);
    // The test's own delete (someone else's) is not the janitor's.
    await expectSafe(s.control, await s.trail(), { foreign: (r) => r.seq === before + 1 });
  });
});

/** Someone else deletes a job, through the emulator's ARM API as another client would. */
async function armDelete(s: Scenario, subscriptionId: string, name: string): Promise<void> {
  const { endpoint, caCertPem } = s.janitor.settings.arm;
  const client = new StorageImportExport(devCredential, subscriptionId, {
    endpoint,
    tlsOptions: { ca: caCertPem! },
    retryOptions: { maxRetries: 0 },
  });
  await client.jobs.delete(name, "rg-test");
}
