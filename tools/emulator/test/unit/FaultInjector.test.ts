import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../../src/errors";
import { FaultInjector, parseFaults } from "../../src/FaultInjector";

describe("FaultInjector", () => {
  it("applies the first matching fault with uses left, by method and path pattern", () => {
    const faults = new FaultInjector();
    faults.add(parseFaults([{ method: "delete", path: "/jobs/a$", status: 500, count: 1 }, { status: 503 }]));
    expect(faults.take("DELETE", "/x/jobs/a")?.status).toBe(500);
    expect(faults.take("DELETE", "/x/jobs/a")?.status).toBe(503);
    expect(faults.take("GET", "/x/jobs/a")?.status).toBe(503);
    expect(faults.list()).toMatchObject([
      { remaining: 0, applied: 1 },
      { remaining: undefined, applied: 2 },
    ]);
    faults.clear();
    expect(faults.take("GET", "/")).toBeUndefined();
  });

  it("accepts one fault object as well as an array, and names bad fields", () => {
    expect(parseFaults({ latencyMs: 10 })).toEqual([{ latencyMs: 10 }]);
    expect(() => parseFaults({ status: 200, retryAfter: -1 })).toThrow(ValidationError);
    try {
      parseFaults({ reset: "yes" });
    } catch (error) {
      expect((error as ValidationError).problems[0]).toEqual({
        field: "fault.reset",
        message: "expected a boolean (true or false)",
      });
    }
    expect(() => parseFaults(42)).toThrow("body: expected an array of faults, or one fault object");
  });
});
