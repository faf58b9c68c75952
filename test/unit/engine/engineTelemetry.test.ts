// Telemetry can never change a run: withSpan hands back the work's own result or error, runs it exactly once,
// and runs it anyway when the span fails before or instead of running it; recordSafely swallows a throw.
import { describe, expect, it } from "vitest";
import { recordSafely, withSpan } from "../../../src/engine/engineTelemetry";
import type { EngineTelemetry } from "../../../src/engine/ports";

const port = (inSpan: EngineTelemetry["inSpan"]): EngineTelemetry => ({
  inSpan,
  action: () => {
    throw new Error("broken");
  },
  subscriptionSwept: () => undefined,
  partSwept: () => undefined,
});

describe("withSpan", () => {
  it("passes the work's result and error through a working span", async () => {
    const t = port((_n, _a, fn) => fn());
    await expect(withSpan(t, "janitor.run", {}, async () => 7)).resolves.toBe(7);
    await expect(withSpan(t, "janitor.run", {}, () => Promise.reject(new Error("work")))).rejects.toThrow(
      "work",
    );
  });

  it("runs the work once when the span throws before, after or instead of running it", async () => {
    for (const inSpan of [
      () => {
        throw new Error("span");
      },
      async (_n: string, _a: unknown, fn: () => Promise<unknown>) => {
        await fn();
        throw new Error("span after");
      },
      async () => "never ran the work",
      (_n: string, _a: unknown, fn: () => Promise<unknown>) => {
        void fn();
        void fn();
        return Promise.resolve("not awaited");
      },
    ]) {
      let runs = 0;
      const result = await withSpan(
        port(inSpan as EngineTelemetry["inSpan"]),
        "janitor.part",
        {},
        async () => {
          runs++;
          return "work";
        },
      );
      expect(result).toBe("work");
      expect(runs).toBe(1);
    }
  });

  it("recordSafely ignores a port that throws", () => {
    expect(() =>
      recordSafely(
        port((_n, _a, fn) => fn()),
        (t) => t.action({} as never),
      ),
    ).not.toThrow();
  });
});
