import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../../src/errors";
import { applySettings, DEFAULT_SETTINGS, DEFAULT_THROTTLING } from "../../src/settings";

describe("emulator settings", () => {
  it("defaults to the documented rules and ARM's buckets", () => {
    expect(applySettings(DEFAULT_SETTINGS, undefined)).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS).toMatchObject({
      deleteStates: ["Creating", "Completed"],
      cancelStates: ["Creating", "Shipping", "Received", "Transferring"],
      refusalStatus: 409,
      maxPageSize: 100,
      creatingExpiry: "P14D",
      completedExpiry: "P90D",
    });
  });

  it("applies a patch; throttling true means the defaults and a partial object fills the rest", () => {
    const off = applySettings(DEFAULT_SETTINGS, { throttling: false, refusalStatus: 400 });
    expect(off).toMatchObject({
      throttling: false,
      refusalStatus: 400,
      deleteStates: ["Creating", "Completed"],
    });
    expect(applySettings(off, { throttling: true }).throttling).toEqual(DEFAULT_THROTTLING);
    const partial = applySettings(DEFAULT_SETTINGS, {
      throttling: { deletes: { capacity: 1, refillPerSecond: 1 } },
    });
    expect(partial.throttling).toEqual({
      ...DEFAULT_THROTTLING,
      deletes: { capacity: 1, refillPerSecond: 1 },
    });
  });

  it("names each bad field and what is accepted", () => {
    const problems = (patch: unknown) => {
      try {
        applySettings(DEFAULT_SETTINGS, patch);
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).problems.map((p) => `${p.field}: ${p.message}`);
      }
    };
    expect(problems({ refusalStatus: 302, completedExpiry: "90 days" })).toEqual([
      "settings.refusalStatus: expected a 4xx status (400-499)",
      "settings.completedExpiry: expected an ISO 8601 duration in weeks, days, hours, minutes or seconds, e.g. PT1H, P14D",
    ]);
    expect(problems({ throttling: { reads: { capacity: 1 } } })).toEqual([
      "settings.throttling.reads.refillPerSecond: is required (a number)",
    ]);
    expect(problems({ defaultPageSize: 200 })).toEqual([
      "settings.defaultPageSize: expected at most maxPageSize (100), got 200",
    ]);
  });
});
