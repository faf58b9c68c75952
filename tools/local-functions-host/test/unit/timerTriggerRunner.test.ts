import { describe, expect, it } from "vitest";
import { parseTimerSchedule } from "../../src/timerSchedule";
import { TimerTriggerRunner, type TimerTriggerInput } from "../../src/timerTriggerRunner";

describe("TimerTriggerRunner", () => {
  it("runs one invocation at a time and fires a missed occurrence late with isPastDue", async () => {
    const fired: TimerTriggerInput[] = [];
    let running = 0;
    let overlap = false;
    const runner = new TimerTriggerRunner({
      functionName: "slow",
      schedule: parseTimerSchedule("*/1 * * * * *"),
      runOnStartup: false,
      invoke: async (input) => {
        running++;
        overlap ||= running > 1;
        fired.push(input);
        // Longer than the schedule's period, so the next occurrence is missed.
        if (fired.length === 1) await new Promise((r) => setTimeout(r, 1_600));
        running--;
      },
      log: () => undefined,
    });
    runner.start();
    while (fired.length < 2) await new Promise((r) => setTimeout(r, 50));
    await runner.stop();
    expect(overlap).toBe(false);
    expect(fired[0]!.IsPastDue).toBe(false);
    expect(fired[1]!.IsPastDue).toBe(true);
    expect(Date.parse(fired[1]!.ScheduleStatus!.Last)).toBeGreaterThan(0);
  });

  it("runOnStartup invokes at start, then keeps the schedule; a failing invocation does not stop it", async () => {
    const fired: TimerTriggerInput[] = [];
    const errors: string[] = [];
    const runner = new TimerTriggerRunner({
      functionName: "startup",
      schedule: parseTimerSchedule("*/1 * * * * *"),
      runOnStartup: true,
      invoke: async (input) => {
        fired.push(input);
        throw new Error("boom");
      },
      log: (_level, message) => errors.push(message),
    });
    runner.start();
    expect(fired).toHaveLength(1);
    while (fired.length < 2) await new Promise((r) => setTimeout(r, 50));
    await runner.stop();
    expect(errors[0]).toMatch(/Executed 'startup' \(Failed\): Error: boom/);
  });
});
