import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../src/domain/records";
import { queueNewRun, type AppContext } from "../../../src/functions/appContext";

// A queue that refuses messages is a fault Azurite cannot produce on demand: the engine and queues are fakes here.
function fakeApp(queueFails: boolean) {
  const failed: string[] = [];
  const queued: string[] = [];
  const app = {
    now: () => new Date("2026-11-21T03:00:00Z"),
    janitor: async () => ({
      engine: {
        requestRun: async (_req: unknown, runId: string) => ({ runId, status: "queued" }) as RunRecord,
        failRun: async (runId: string) => {
          failed.push(runId);
          return { runId, status: "failed" } as RunRecord;
        },
      },
    }),
    queues: async () => ({
      enqueueRun: async ({ runId }: { runId: string }) => {
        if (queueFails) throw new Error("queue unavailable");
        queued.push(runId);
      },
    }),
  } as unknown as AppContext;
  return { app, failed, queued };
}

describe("queueNewRun", () => {
  it("records the run and queues it", async () => {
    const { app, failed, queued } = fakeApp(false);
    const run = await queueNewRun(app, { trigger: "timer", mode: "plan", requestedBy: "timer" });
    expect(queued).toEqual([run.runId]);
    expect(failed).toEqual([]);
  });

  it("marks the run failed when it cannot be queued, and still reports the error", async () => {
    const { app, failed, queued } = fakeApp(true);
    await expect(queueNewRun(app, { trigger: "http", mode: "plan", requestedBy: "x" })).rejects.toThrow(
      "queue unavailable",
    );
    expect(queued).toEqual([]);
    expect(failed).toHaveLength(1);
  });
});
