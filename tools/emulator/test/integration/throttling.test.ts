import { beforeEach, describe, expect, it } from "vitest";
import {
  armRequest,
  headerCapture,
  makeJob,
  sdkRejection,
  withEmulator,
} from "../../../../test/support/emulator";

// ARM token buckets per subscription and operation kind (docs/service.md#arm-throttling). Small buckets with a slow refill
// make the test deterministic without waiting.

const SUB = "dddddddd-0000-4000-8000-000000000001";
const OTHER = "dddddddd-0000-4000-8000-000000000002";
const RG = "rg-throttle";
const slow = { capacity: 5, refillPerSecond: 0.01 };

describe("emulator: ARM throttling", () => {
  const fx = withEmulator();

  beforeEach(async () => {
    await fx.control.reset({
      seed: {
        jobs: [
          makeJob(SUB, RG, "a"),
          makeJob(SUB, RG, "b"),
          makeJob(SUB, RG, "c", { state: "Completed" }),
          makeJob(OTHER, RG, "a"),
        ],
      },
      settings: {
        throttling: { reads: slow, writes: slow, deletes: { capacity: 1, refillPerSecond: 0.01 } },
      },
    });
  });

  it("counts the remaining reads down, then answers 429 TooManyRequests with Retry-After", async () => {
    // Act
    const client = fx.importExport(SUB).jobs;
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const capture = headerCapture();
      await client.get("a", RG, { onResponse: capture.onResponse });
      remaining.push(capture.get("x-ms-ratelimit-remaining-subscription-reads")!);
    }
    let retryAfter: string | undefined;
    const error = await sdkRejection(
      client.get("a", RG, { onResponse: (raw) => (retryAfter = raw.headers.get("retry-after")) }),
    );

    // Assess
    expect(remaining).toEqual(["4", "3", "2", "1", "0"]);
    expect(error.statusCode).toBe(429);
    expect(error.code).toBe("TooManyRequests");
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    const log = await fx.control.requests();
    expect(log.items.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it("keeps separate buckets per subscription and per operation kind", async () => {
    for (let i = 0; i < 5; i++) await fx.importExport(SUB).jobs.get("a", RG);
    expect((await sdkRejection(fx.importExport(SUB).jobs.get("a", RG))).statusCode).toBe(429);

    // Reads of another subscription, and writes of this one, still pass.
    await fx.importExport(OTHER).jobs.get("a", RG);
    const capture = headerCapture();
    await fx.importExport(SUB).jobs.update("b", RG, { tags: { x: "y" } }, { onResponse: capture.onResponse });
    expect(capture.get("x-ms-ratelimit-remaining-subscription-writes")).toBe("4");

    // Deletes have their own (here: one-token) bucket.
    await fx.importExport(SUB).jobs.delete("c", RG);
    const denied = await armRequest(
      fx.emulator,
      "DELETE",
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs/a?api-version=2021-01-01`,
    );
    expect(denied.status).toBe(429);
    expect(Number(denied.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(denied.headers["x-ms-ratelimit-remaining-subscription-deletes"]).toBe("0");
    expect((await fx.control.jobs(SUB)).map((j) => j.name)).toContain("a");
  });

  it("can be turned off: the remaining headers then stay at ARM's full buckets", async () => {
    await fx.control.reset({ seed: { jobs: [makeJob(SUB, RG, "a")] }, settings: { throttling: false } });
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const capture = headerCapture();
      await fx.importExport(SUB).jobs.get("a", RG, { onResponse: capture.onResponse });
      seen.add(capture.get("x-ms-ratelimit-remaining-subscription-reads")!);
    }
    expect([...seen]).toEqual(["250"]);
  });

  it("does not count control API calls", async () => {
    for (let i = 0; i < 10; i++) await fx.control.jobs(SUB);
    const capture = headerCapture();
    await fx.importExport(SUB).jobs.get("a", RG, { onResponse: capture.onResponse });
    expect(capture.get("x-ms-ratelimit-remaining-subscription-reads")).toBe("4");
  });
});
