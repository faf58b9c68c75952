import { beforeEach, describe, expect, it } from "vitest";
import { armRequest, makeJob, withEmulator } from "../../../../test/support/emulator";
import { seedBoxJob } from "../../../../test/support/jobFactory";
import { JOB_COUNT_QUERY } from "../../src/resourceGraphApi";

// POST /providers/Microsoft.ResourceGraph/resources: only the janitor's job-count query, at most 1,000
// subscriptions, $skipToken paging, and the per-caller quota headers (docs/service.md#azure-resource-graph).

const sub = (n: number) => `8c3d0000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const RG = "rg-graph";
const PATH = "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01";

describe("emulator: Resource Graph", () => {
  const fx = withEmulator();
  const query = (body: unknown, token = "dev") => armRequest(fx.emulator, "POST", PATH, { body, token });
  const countQuery = (subscriptions: string[], options: Record<string, unknown> = {}) => ({
    subscriptions,
    query: JOB_COUNT_QUERY,
    options: { $top: 1000, resultFormat: "objectArray", ...options },
  });

  beforeEach(async () => {
    await fx.control.reset({
      seed: {
        subscriptions: [0, 1, 2, 3].map((n) => ({ subscriptionId: sub(n) })),
        jobs: [makeJob(sub(1), RG, "a"), makeJob(sub(1), RG, "b"), makeJob(sub(2), RG, "a")],
      },
    });
  });

  it("answers the job-count query with one row per subscription that holds jobs, and the quota headers", async () => {
    // Act
    const reply = await query(countQuery([sub(0), sub(1), sub(2), sub(3)]));

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      totalRecords: 2,
      count: 2,
      resultTruncated: "false",
      data: [
        { subscriptionId: sub(1), importExportJobs: 2, dataBoxJobs: 0 },
        { subscriptionId: sub(2), importExportJobs: 1, dataBoxJobs: 0 },
      ],
      facets: [],
    });
    expect(reply.headers["x-ms-user-quota-remaining"]).toBe("14");
    expect(reply.headers["x-ms-user-quota-resets-after"]).toMatch(/^00:00:0[1-5]$/);
    const log = await fx.control.requests();
    expect(log.items.map((r) => [r.method, r.operation, r.status])).toEqual([
      ["POST", "ResourceGraph_Resources", 200],
    ]);
  });

  it("counts Data Box customer-disk jobs, never device orders, next to the classic ones", async () => {
    // Arrange
    await fx.control.addJobs({
      jobs: [
        seedBoxJob({ sub: sub(1), name: "disk", stage: "Completed", days: 40 }),
        seedBoxJob({ sub: sub(3), name: "disk", stage: "DeviceOrdered", days: 1 }),
        seedBoxJob({ sub: sub(3), name: "disk-2", stage: "Completed", days: 40 }),
        seedBoxJob({ sub: sub(0), name: "device", stage: "Completed", days: 40, sku: "DataBox" }),
      ],
    });

    // Act
    const reply = await query(countQuery([sub(0), sub(1), sub(2), sub(3)]));

    // Assess
    expect((reply.json as { data: unknown[] }).data).toEqual([
      { subscriptionId: sub(1), importExportJobs: 2, dataBoxJobs: 1 },
      { subscriptionId: sub(2), importExportJobs: 1, dataBoxJobs: 0 },
      { subscriptionId: sub(3), importExportJobs: 0, dataBoxJobs: 2 },
    ]);
  });

  it("refuses any other query text, naming the query as the problem", async () => {
    // Act
    const reply = await query({ subscriptions: [sub(1)], query: "Resources | project id" });

    // Assess
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: { code: "InvalidQuery", target: "query" } });
  });

  it("refuses more than 1,000 subscriptions in one query", async () => {
    // Act
    const reply = await query(countQuery(Array.from({ length: 1_001 }, (_, i) => sub(i))));

    // Assess
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ error: { code: "TooManySubscriptions", target: "subscriptions" } });
    expect((reply.json as { error: { message: string } }).error.message).toContain("at most 1000");
  });

  it("refuses bad bodies field by field, and api-versions other than the SDK's", async () => {
    // Act
    const noSubscriptions = await query({ query: JOB_COUNT_QUERY });
    const table = await query(countQuery([sub(1)], { resultFormat: "table" }));
    const tooMany = await query(countQuery([sub(1)], { $top: 5_000 }));
    const management = await query({ ...countQuery([sub(1)]), managementGroups: ["mg"] });
    const version = await armRequest(
      fx.emulator,
      "POST",
      "/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01",
      { body: countQuery([sub(1)]) },
    );

    // Assess
    expect(noSubscriptions.json).toMatchObject({ error: { target: "subscriptions" } });
    expect(table.json).toMatchObject({ error: { target: "options.resultFormat" } });
    expect(tooMany.json).toMatchObject({ error: { target: "options.$top" } });
    expect(management.status).toBe(400);
    expect(version.json).toMatchObject({ error: { code: "InvalidApiVersionParameter" } });
  });

  it("pages by $skipToken, which only the query that made it may use", async () => {
    // Arrange
    await fx.control.updateSettings({ resourceGraphPageSize: 1 });
    const subscriptions = [sub(0), sub(1), sub(2)];

    // Act
    const first = await query(countQuery(subscriptions));
    const token = (first.json as { $skipToken: string }).$skipToken;
    const second = await query(countQuery(subscriptions, { $skipToken: token }));
    const elsewhere = await query(countQuery([sub(1)], { $skipToken: token }));

    // Assess
    expect(first.json).toMatchObject({ totalRecords: 2, count: 1, data: [{ subscriptionId: sub(1) }] });
    expect(token).toEqual(expect.any(String));
    expect(second.json).toMatchObject({ count: 1, data: [{ subscriptionId: sub(2) }] });
    expect(second.json).not.toHaveProperty("$skipToken");
    expect(elsewhere.json).toMatchObject({ error: { code: "InvalidSkipToken" } });
  });

  it("throttles per caller past the quota with 429 and Retry-After, and not at all when switched off", async () => {
    // Arrange
    await fx.control.updateSettings({ resourceGraphQuota: { queries: 2, windowMs: 60_000 } });

    // Act
    const statuses: number[] = [];
    const remaining: unknown[] = [];
    let throttled: Awaited<ReturnType<typeof query>> | undefined;
    for (let i = 0; i < 3; i++) {
      const reply = await query(countQuery([sub(1)]));
      statuses.push(reply.status);
      remaining.push(reply.headers["x-ms-user-quota-remaining"]);
      if (reply.status === 429) throttled = reply;
    }
    const otherCaller = await query(countQuery([sub(1)]), "another-token");
    await fx.control.updateSettings({ resourceGraphQuota: false });
    const unthrottled = await query(countQuery([sub(1)]));

    // Assess
    expect(statuses).toEqual([200, 200, 429]);
    expect(remaining).toEqual(["1", "0", "0"]);
    expect(Number(throttled!.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(throttled!.headers["x-ms-user-quota-resets-after"]).toMatch(/^00:0[01]:\d\d$/);
    expect(otherCaller.status).toBe(200);
    expect(unthrottled.status).toBe(200);
  });

  it("validates POST /_emulator/settings and keeps the jobs", async () => {
    // Act
    const error = await fx.control.updateSettings({ resourceGraphLagMs: -1 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const settings = await fx.control.updateSettings({ resourceGraphLagMs: 250 });

    // Assess
    expect(error?.message).toContain("settings.resourceGraphLagMs");
    expect(settings.resourceGraphLagMs).toBe(250);
    expect((await fx.control.summary()).jobs).toBe(3);
  });
});
