import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ZERO_COUNTS, type RunRecord } from "../../../src/domain/records";
import {
  finalStatus,
  finishIfDone,
  joinErrors,
  mergePart,
  startRun,
} from "../../../src/domain/runTransitions";

const NOW = "2026-12-01T00:00:00.000Z";
const queued = (): RunRecord => ({
  runId: "r1",
  trigger: "timer",
  mode: "plan",
  requestedBy: "timer",
  status: "queued",
  queuedAt: NOW,
  policyHash: "h",
  counts: { ...ZERO_COUNTS },
});

describe("run transitions", () => {
  it("keeps the first plan when a run is planned twice", () => {
    const first = startRun(queued(), { partsTotal: 2, partsPlanId: "a", subscriptionsSkipped: 1, now: NOW });
    const again = startRun(first, { partsTotal: 3, partsPlanId: "b", subscriptionsSkipped: 5, now: NOW });
    expect(again).toEqual(first);
    expect(again).toMatchObject({ status: "running", partsTotal: 2, partsPlanId: "a" });
    expect(again.counts.subscriptionsSkipped).toBe(1);
  });

  it("records how the subscriptions were found and how many the index showed no jobs in, once", () => {
    const plan = { partsTotal: 1, partsPlanId: "a", subscriptionsSkipped: 1, now: NOW };
    const first = startRun(queued(), { ...plan, discovery: "resource-graph", subscriptionsWithoutJobs: 7 });
    const again = startRun(first, { ...plan, discovery: "subscriptions", subscriptionsWithoutJobs: 0 });
    expect(again).toEqual(first);
    expect(first.discovery).toBe("resource-graph");
    expect(first.counts).toMatchObject({ subscriptionsSkipped: 1, subscriptionsWithoutJobs: 7 });
    expect(startRun(queued(), plan)).not.toHaveProperty("discovery");
  });

  it("merges each part exactly once, whatever the order and the duplicates", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 30 }), (deliveries) => {
        let run = startRun(queued(), { partsTotal: 5, partsPlanId: "p", subscriptionsSkipped: 0, now: NOW });
        for (const index of deliveries) run = mergePart(run, index, { counts: { deleted: index + 1 } });
        const distinct = [...new Set(deliveries)];
        expect(run.partsDone).toBe(distinct.length);
        expect(run.counts.deleted).toBe(distinct.reduce((n, i) => n + i + 1, 0));
      }),
    );
  });

  it("is partial when a subscription was deferred, failed or tripped its breaker; succeeded only otherwise", () => {
    const done = (counts: Partial<RunRecord["counts"]>) =>
      finishIfDone(
        mergePart(
          startRun(queued(), { partsTotal: 1, partsPlanId: "p", subscriptionsSkipped: 0, now: NOW }),
          0,
          {
            counts: { subscriptionsScanned: 2, ...counts },
          },
        ),
        NOW,
      );
    expect(done({}).status).toBe("succeeded");
    expect(done({ subscriptionsDeferred: 1 }).status).toBe("partial");
    expect(done({ subscriptionsFailed: 1 }).status).toBe("partial");
    expect(done({ breakersTripped: 1 }).status).toBe("partial");
    expect(done({ subscriptionsFailed: 2 }).status).toBe("failed");
  });

  it("is failed when the audit log failed, whatever the counts", () => {
    const run = { ...queued(), status: "running" as const, auditFailed: true, partsTotal: 1, partsDone: 1 };
    expect(finalStatus(run)).toBe("failed");
  });

  it("does not finish a run before its last part", () => {
    const run = startRun(queued(), { partsTotal: 2, partsPlanId: "p", subscriptionsSkipped: 0, now: NOW });
    expect(finishIfDone(mergePart(run, 0, { counts: {} }), NOW).status).toBe("running");
  });

  it("keeps each error once and the summary short", () => {
    expect(joinErrors("a", ["a", "b"])).toBe("a; b");
    expect(joinErrors(undefined, ["x".repeat(3000)])!.length).toBeLessThanOrEqual(2000);
  });
});
