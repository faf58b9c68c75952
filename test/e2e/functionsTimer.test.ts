// The timer and the poison queue of the Functions app on the local host.
import { describe, expect, it } from "vitest";
import { createQueueClient, createStorage, parseStorageSettings } from "../../src/adapters/storage";
import { DEFAULT_POLICY } from "../../src/domain/policy";
import { JanitorEngine } from "../../src/engine/janitorEngine";
import { appBuilt, waitForRun, withAppStack } from "../support/appStack";
import { guid, seedJob, subscription } from "../support/jobFactory";

const SUBS = [guid(0xc1), guid(0xc2), guid(0xc3)];
const seed = {
  subscriptions: SUBS.map((s) => subscription(s)),
  jobs: SUBS.map((sub, i) =>
    seedJob({ sub, name: `stale-${i}`, state: "Creating", days: 10, systemData: true }),
  ),
};

describe.skipIf(!appBuilt)("timer and poison queue", () => {
  // A schedule of every 3 seconds: the timer must fire on its own and produce a run.
  const stack = withAppStack({ seed, settings: { JANITOR_SCHEDULE: "*/3 * * * * *" } });

  it("the scheduled sweep fires on its NCRONTAB schedule and its run completes in JANITOR_MODE", async () => {
    let runs: { runId: string; trigger: string; mode: string }[] = [];
    for (let i = 0; i < 100 && !runs.some((r) => r.trigger === "timer"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      runs = ((await (await fetch(`${stack().api}/runs?limit=10`)).json()) as { items: typeof runs }).items;
    }
    const timerRun = runs.find((r) => r.trigger === "timer");
    expect(timerRun, "a timer run within 10 s").toBeDefined();
    const done = await waitForRun(stack().api, timerRun!.runId);
    expect(done).toMatchObject({ trigger: "timer", mode: "plan", requestedBy: "timer" });
    expect(["succeeded", "partial"]).toContain(done.status);
    expect(done.isPastDue).toBe(false);
  });

  it("a part that reaches the poison queue is recorded as failed and the run still finishes", async () => {
    // Prepare: a run planned into parts, as the coordinator would; one part goes straight to the poison queue.
    const conn = parseStorageSettings({ JANITOR_STORAGE: stack().settings.JANITOR_STORAGE! });
    const storage = createStorage(conn);
    const engine = new JanitorEngine(
      {
        ...storage,
        jobs: undefined!,
        subscriptions: {
          listSubscriptions: async () => SUBS.map((s) => ({ subscriptionId: s, state: "Enabled" })),
          getSubscription: async (subscriptionId) => ({
            ok: true,
            value: { subscriptionId, state: "Enabled" },
            status: 200,
            remaining: {},
          }),
        },
      },
      { ...DEFAULT_POLICY, rules: [] },
      "0000000000000000",
    );
    const runId = `20260101T000000Z-${Date.now().toString(16)}`;
    await engine.requestRun({ trigger: "http", mode: "plan", requestedBy: "test" }, runId);
    const { parts } = await engine.planRun(runId);
    expect(parts).toHaveLength(3);
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");
    const work = createQueueClient(conn, "janitor-parts");
    const poison = createQueueClient(conn, "janitor-parts-poison");
    await poison.createIfNotExists();
    // Act
    await poison.sendMessage(encode(parts[0]));
    for (const part of parts.slice(1)) await work.sendMessage(encode(part));
    // Assess
    const run = await waitForRun(stack().api, runId);
    expect(run).toMatchObject({ status: "partial", partsTotal: 3, partsDone: 3, partsFailed: 1 });
    expect(String(run.error)).toContain("poison");
    expect((run.counts as { subscriptionsFailed: number }).subscriptionsFailed).toBe(1);
  });
});
