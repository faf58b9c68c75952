// The `N passed, N failed, N skipped` line: a file that failed without a failed test (it did not load, or a
// hook threw and its tests were skipped) counts as one failure, and so does each unhandled error.
import type { TestModule } from "vitest/node";
import { afterEach, describe, expect, it, vi } from "vitest";
import SummaryReporter from "./summaryReporter";

type State = "passed" | "failed" | "skipped" | "pending";

function mod(moduleState: "passed" | "failed" | "skipped", tests: State[]): TestModule {
  const all = tests.map((state) => ({ result: () => ({ state }) }));
  return { state: () => moduleState, children: { allTests: () => all.values() } } as unknown as TestModule;
}

function summary(modules: TestModule[], unhandled: unknown[] = []): string {
  const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  new SummaryReporter().onTestRunEnd(modules, unhandled);
  const line = String(write.mock.calls.at(-1)?.[0]);
  write.mockRestore();
  return line.trim();
}

describe("SummaryReporter", () => {
  afterEach(() => vi.restoreAllMocks());

  it("counts tests by their result", () => {
    expect(summary([mod("failed", ["passed", "failed", "failed", "skipped", "pending"])])).toBe(
      "1 passed, 2 failed, 2 skipped",
    );
  });

  it("counts a failed file with no failed test once: not loaded, or a hook threw and its tests were skipped", () => {
    expect(
      summary([mod("failed", []), mod("failed", ["skipped", "skipped"]), mod("failed", ["passed"])]),
    ).toBe("1 passed, 3 failed, 2 skipped");
  });

  it("counts unhandled errors as failures, and a clean run as none", () => {
    expect(summary([mod("passed", ["passed"])], [new Error("late")])).toBe("1 passed, 1 failed, 0 skipped");
    expect(summary([mod("passed", ["passed", "passed"])])).toBe("2 passed, 0 failed, 0 skipped");
  });
});
