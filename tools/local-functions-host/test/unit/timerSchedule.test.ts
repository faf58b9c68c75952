import { describe, expect, it } from "vitest";
import { parseTimerSchedule } from "../../src/timerSchedule";

describe("timerSchedule", () => {
  it("reads six-field NCRONTAB with seconds, in UTC", () => {
    const schedule = parseTimerSchedule("0 0 3 * * *");
    expect(schedule.nextAfter(new Date("2024-05-01T10:00:00Z")).toISOString()).toBe(
      "2024-05-02T03:00:00.000Z",
    );
    const everySecond = parseTimerSchedule("*/1 * * * * *");
    expect(everySecond.nextAfter(new Date("2024-05-01T10:00:00.500Z")).toISOString()).toBe(
      "2024-05-01T10:00:01.000Z",
    );
  });

  it("requires both day-of-month and day-of-week when both are given (NCrontab)", () => {
    // Friday the 13th.
    const schedule = parseTimerSchedule("0 0 0 13 * 5");
    expect(schedule.nextAfter(new Date("2024-01-01T00:00:00Z")).toISOString()).toBe(
      "2024-09-13T00:00:00.000Z",
    );
  });

  it("reads a step that starts from a number as NCrontab does (from there to the field's end)", () => {
    expect(
      parseTimerSchedule("0/15 * * * * *").nextAfter(new Date("2024-05-01T10:00:50Z")).toISOString(),
    ).toBe("2024-05-01T10:01:00.000Z");
    expect(
      parseTimerSchedule("0 0 10/6 * * *").nextAfter(new Date("2024-05-01T17:00:00Z")).toISOString(),
    ).toBe("2024-05-01T22:00:00.000Z");
  });

  it("reads TimeSpan intervals", () => {
    const schedule = parseTimerSchedule("00:05:00");
    expect(schedule.nextAfter(new Date("2024-05-01T10:00:00Z")).toISOString()).toBe(
      "2024-05-01T10:05:00.000Z",
    );
    expect(parseTimerSchedule("1.00:00:00").nextAfter(new Date(0)).getTime()).toBe(86_400_000);
  });

  it("rejects five-field cron and nonsense, naming the expression", () => {
    expect(() => parseTimerSchedule("0 3 * * *")).toThrow(/"0 3 \* \* \*": expected six NCRONTAB fields/);
    expect(() => parseTimerSchedule("a b c d e f")).toThrow(/"a b c d e f"/);
    expect(() => parseTimerSchedule("00:00:00")).toThrow(/longer than zero/);
  });
});
