// ResourceGraphDiscovery over the real @azure/arm-resourcegraph client, over https with the emulator's CA:
// batching, paging, pacing on the quota headers and 429s, failures, untrusted rows and the index lag.
import { beforeEach, describe, expect, it } from "vitest";

import { ResourceGraphDiscovery, MAX_SUBSCRIPTIONS_PER_QUERY } from "../../../../src/adapters/arm";
import { armClientOptions, DevelopmentTokenCredential } from "../../../../src/adapters/arm/armConnection";
import type { JobSource } from "../../../../src/domain/job";
import type { JobIndexAnswer } from "../../../../src/engine/ports";
import type { EmulatorSeed } from "../../../../tools/emulator/src/server";
import { makeJob, withEmulator } from "../../../support/emulator";
import { seedBoxJob } from "../../../support/jobFactory";

const sub = (n: number) => `7b2c0000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const RG = "rg-graph";

function seedWithJobs(subscriptions: number, withJobs: Record<number, number>): EmulatorSeed {
  return {
    subscriptions: Array.from({ length: subscriptions }, (_, i) => ({ subscriptionId: sub(i) })),
    jobs: Object.entries(withJobs).flatMap(([n, count]) =>
      Array.from({ length: count }, (_, j) => makeJob(sub(Number(n)), RG, `job-${j}`)),
    ),
  };
}

const ok = (answer: JobIndexAnswer) => {
  if (!answer.ok) throw new Error(`expected the index to answer, got: ${answer.reason}`);
  return answer;
};

describe("ResourceGraphDiscovery against the emulator", () => {
  const fx = withEmulator({ settings: { throttling: false } });
  const index = (timeoutMs = 10_000, sources?: JobSource[]) =>
    new ResourceGraphDiscovery({
      ...(sources && { sources }),
      credential: new DevelopmentTokenCredential(),
      clientOptions: armClientOptions({
        endpoint: fx.emulator.endpoint,
        loopback: true,
        caCertPem: fx.emulator.caCertPem,
      }),
      timeoutMs,
    });
  const soon = (ms = 60_000) => ({ deadline: new Date(Date.now() + ms) });
  const graphRequests = async () =>
    (await fx.control.requests()).items.filter((r) => r.path.includes("Microsoft.ResourceGraph"));

  beforeEach(async () => {
    await fx.control.reset({ seed: seedWithJobs(5, { 1: 3, 3: 1 }), settings: { throttling: false } });
  });

  it("counts the jobs per subscription in one query and leaves subscriptions without jobs out", async () => {
    // Act
    const answer = ok(await index().subscriptionsWithJobs([0, 1, 2, 3, 4].map(sub), soon()));

    // Assess
    expect([...answer.withJobs.entries()]).toEqual([
      [sub(1), { importexport: 3, databox: 0 }],
      [sub(3), { importexport: 1, databox: 0 }],
    ]);
    expect(answer).toMatchObject({ queries: 1, throttled: 0, ignoredRows: 0 });
    const requests = await graphRequests();
    expect(requests.map((r) => [r.method, r.path, r.query, r.status])).toEqual([
      ["POST", "/providers/Microsoft.ResourceGraph/resources", "api-version=2021-03-01", 200],
    ]);
  });

  it("counts Data Box customer-disk jobs, and leaves out jobs of a source that is not swept", async () => {
    // Arrange: sub(4) holds a Data Box job only
    await fx.control.addJobs({
      jobs: [seedBoxJob({ sub: sub(4), name: "disk", stage: "Completed", days: 40 })],
    });
    const asked = [1, 2, 3, 4].map(sub);

    // Act
    const both = ok(await index().subscriptionsWithJobs(asked, soon()));
    const classicOnly = ok(await index(10_000, ["importexport"]).subscriptionsWithJobs(asked, soon()));
    const dataBoxOnly = ok(await index(10_000, ["databox"]).subscriptionsWithJobs(asked, soon()));

    // Assess
    expect(both.withJobs.get(sub(4))).toEqual({ importexport: 0, databox: 1 });
    expect([...both.withJobs.keys()]).toEqual([sub(1), sub(3), sub(4)]);
    expect([...classicOnly.withJobs.keys()]).toEqual([sub(1), sub(3)]);
    expect([...dataBoxOnly.withJobs.keys()]).toEqual([sub(4)]);
  });

  it("asks about at most 1,000 subscriptions per query", async () => {
    // Arrange: 2,500 subscriptions, jobs in each of the three batches
    await fx.control.reset({
      seed: seedWithJobs(2_500, { 5: 1, 1_500: 2, 2_499: 1 }),
      settings: { throttling: false },
    });
    const all = Array.from({ length: 2_500 }, (_, i) => sub(i));

    // Act
    const answer = ok(await index().subscriptionsWithJobs(all, soon()));

    // Assess: three queries (the emulator refuses a query over 1,000 subscriptions), every job found
    expect(MAX_SUBSCRIPTIONS_PER_QUERY).toBe(1_000);
    expect(answer.queries).toBe(3);
    expect([...answer.withJobs.keys()]).toEqual([sub(5), sub(1_500), sub(2_499)]);
    expect((await graphRequests()).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it("follows $skipToken pages to the end", async () => {
    // Arrange: two rows a page
    await fx.control.reset({
      seed: seedWithJobs(10, { 0: 1, 2: 1, 4: 1, 6: 1, 8: 1 }),
      settings: { throttling: false, resourceGraphPageSize: 2 },
    });

    // Act
    const answer = ok(
      await index().subscriptionsWithJobs(
        Array.from({ length: 10 }, (_, i) => sub(i)),
        soon(),
      ),
    );

    // Assess
    expect([...answer.withJobs.keys()]).toEqual([sub(0), sub(2), sub(4), sub(6), sub(8)]);
    expect(answer.queries).toBe(3);
  });

  it("waits for the quota to reset when the headers say none is left, instead of running into 429s", async () => {
    // Arrange: two queries per 1.5 s window, and three batches to ask
    await fx.control.reset({
      seed: seedWithJobs(2_100, { 1: 1, 2_000: 1 }),
      settings: { throttling: false, resourceGraphQuota: { queries: 2, windowMs: 1_500 } },
    });

    // Act
    const answer = ok(
      await index().subscriptionsWithJobs(
        Array.from({ length: 2_100 }, (_, i) => sub(i)),
        soon(),
      ),
    );

    // Assess
    expect([...answer.withJobs.keys()]).toEqual([sub(1), sub(2_000)]);
    expect(answer).toMatchObject({ queries: 3, throttled: 0 });
    expect((await graphRequests()).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it("honours a 429's Retry-After and then gets its answer", async () => {
    // Arrange
    await fx.control.addFaults({ path: "ResourceGraph", status: 429, retryAfter: 1, count: 1 });

    // Act
    const answer = ok(await index().subscriptionsWithJobs([sub(1), sub(2)], soon()));

    // Assess
    expect([...answer.withJobs.keys()]).toEqual([sub(1)]);
    expect(answer).toMatchObject({ queries: 2, throttled: 1 });
    expect((await graphRequests()).map((r) => r.status)).toEqual([429, 200]);
  });

  it("gives up when the wait a 429 asks for ends past the deadline", async () => {
    // Arrange
    await fx.control.addFaults({ path: "ResourceGraph", status: 429, retryAfter: 120 });

    // Act
    const answer = await index().subscriptionsWithJobs([sub(1)], soon(10_000));

    // Assess: one query, no waiting it out
    expect(answer).toEqual({
      ok: false,
      reason: "throttled past the run's time budget",
      queries: 1,
      throttled: 1,
    });
  });

  it("reports a failed query by status and code, never the service's message", async () => {
    // Arrange
    await fx.control.addFaults({
      path: "ResourceGraph",
      status: 500,
      error: { code: "InternalServerError", message: "contact alex@example.com" },
    });

    // Act
    const answer = await index().subscriptionsWithJobs([sub(1)], soon());

    // Assess
    expect(answer).toEqual({ ok: false, reason: "HTTP 500 InternalServerError", queries: 1, throttled: 0 });
  });

  it("fails on a malformed or truncated answer", async () => {
    // Arrange
    await fx.control.addFaults([
      { path: "ResourceGraph", status: 200, body: { totalRecords: 1, count: 1 }, count: 1 },
      { path: "ResourceGraph", status: 200, body: { data: [], resultTruncated: "true" }, count: 1 },
    ]);

    // Act
    const first = await index().subscriptionsWithJobs([sub(1)], soon());
    const second = await index().subscriptionsWithJobs([sub(1)], soon());

    // Assess
    expect(first).toMatchObject({ ok: false, reason: "malformed answer: data is not an array" });
    expect(second).toMatchObject({ ok: false, reason: "malformed answer: the result is truncated" });
  });

  it("ignores and reports rows it cannot trust, and sweeps a named subscription whose counts are bad", async () => {
    // Arrange
    await fx.control.addFaults({
      path: "ResourceGraph",
      status: 200,
      count: 1,
      body: {
        totalRecords: 5,
        count: 5,
        resultTruncated: "false",
        data: [
          { subscriptionId: "../../evil", importExportJobs: 4, dataBoxJobs: 0 },
          { subscriptionId: sub(99), importExportJobs: 4, dataBoxJobs: 0 },
          "not a row",
          { subscriptionId: sub(1), importExportJobs: 2, dataBoxJobs: 1 },
          { subscriptionId: sub(2).toUpperCase(), importExportJobs: "many", dataBoxJobs: 0 },
        ],
      },
    });

    // Act
    const answer = ok(await index().subscriptionsWithJobs([sub(1), sub(2), sub(3)], soon()));

    // Assess
    expect([...answer.withJobs.entries()]).toEqual([
      [sub(1), { importexport: 2, databox: 1 }],
      [sub(2), { importexport: 0, databox: 0, unknown: true }],
    ]);
    expect(answer.ignoredRows).toBe(4);
    expect(answer.ignored).toEqual([
      "a row has no valid subscription id",
      "a row names a subscription the query did not ask about",
      "a row is not an object",
      "a row has job counts that are not whole numbers",
    ]);
  });

  it("does not see a job added less than the index lag ago, and still sees one removed less than it ago", async () => {
    // Arrange: three seconds of lag, on real time
    await fx.control.reset({
      seed: seedWithJobs(5, { 1: 3, 3: 1 }),
      settings: { throttling: false, resourceGraphLagMs: 3_000 },
    });
    const asked = [sub(1), sub(2), sub(3)];

    // Act
    const fresh = ok(await index().subscriptionsWithJobs(asked, soon()));
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    const indexed = ok(await index().subscriptionsWithJobs(asked, soon()));
    await fx.importExport(sub(3)).jobs.delete("job-0", RG);
    await fx.control.addJobs({ jobs: [makeJob(sub(2), RG, "added-now")] });
    const lagging = ok(await index().subscriptionsWithJobs(asked, soon()));
    await fx.control.updateSettings({ resourceGraphLagMs: 0 });
    const caughtUp = ok(await index().subscriptionsWithJobs(asked, soon()));

    // Assess
    expect([...fresh.withJobs.keys()]).toEqual([]);
    expect([...indexed.withJobs.keys()]).toEqual([sub(1), sub(3)]);
    expect([...lagging.withJobs.keys()]).toEqual([sub(1), sub(3)]);
    expect([...caughtUp.withJobs.keys()]).toEqual([sub(1), sub(2)]);
  });
});
