import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { checkDuration, formatDurationMs, parseDurationMs } from "../../../src/domain/duration";
import { ValidationError } from "../../../src/errors";

const H = 3_600_000;
const D = 24 * H;

describe("duration", () => {
  it.each([
    ["P7D", 7 * D],
    ["PT12H", 12 * H],
    ["P1DT2H", D + 2 * H],
    ["PT0S", 0],
    ["P0D", 0],
    ["P1W", 7 * D],
    ["PT90M", 90 * 60_000],
    ["PT1.5H", 1.5 * H],
    ["PT0,5S", 500],
    ["P1DT2H3M4S", D + 2 * H + 3 * 60_000 + 4_000],
    ["p30d", 30 * D],
  ])("reads %s", (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it("refuses years and months, saying to write days", () => {
    for (const text of ["P1Y", "P1M", "P1Y2D", "P1MT1H"]) {
      const result = checkDuration(text);
      expect(result).toEqual({ error: expect.stringContaining("write days instead") });
    }
  });

  it("reads M after T as minutes, not months", () => {
    expect(parseDurationMs("PT5M")).toBe(5 * 60_000);
  });

  it.each(["", "P", "PT", "P1DT", "7D", "P-1D", "-P1D", "P1.5DT2H", "P1H", "PT1D", "1 day", "P 1D"])(
    "refuses %j",
    (text) => {
      expect(checkDuration(text)).toEqual({ error: expect.any(String) });
    },
  );

  it("refuses absurdly long durations", () => {
    expect(checkDuration("P36501D")).toEqual({ error: expect.stringContaining("maximum") });
    expect(checkDuration("P36500D")).toEqual({ ms: 36_500 * D });
  });

  it("names the field when it refuses", () => {
    try {
      parseDurationMs("P1M", "guards.gracePeriod");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems[0]?.field).toBe("guards.gracePeriod");
    }
  });

  it.each([
    [0, "PT0S"],
    [7 * D, "P7D"],
    [12 * H, "PT12H"],
    [D + 2 * H + 30 * 60_000, "P1DT2H30M"],
    [500, "PT0.5S"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
  });

  it("formats every duration so that it reads back the same", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 36_500 * D }), (ms) => {
        expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
      }),
    );
  });
});
