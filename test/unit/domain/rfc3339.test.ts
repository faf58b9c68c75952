import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRfc3339 } from "../../../src/domain/rfc3339";

const at = (iso: string) => new Date(iso).getTime();

/** An instant, whole milliseconds, in years 0001-9999 (what RFC 3339 can write). */
const instant = fc.integer({ min: at("0001-01-01T00:00:00Z") + 86_400_000, max: at("9999-12-31T00:00:00Z") });
/** An offset in minutes, -23:59 to +23:59. */
const offset = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `ms` written as an RFC 3339 date-time in the given offset, with the fraction written to `digits` places. */
function written(ms: number, offsetMinutes: number, digits: number): string {
  const local = new Date(ms + offsetMinutes * 60_000);
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const fraction = digits === 0 ? "" : `.${pad(local.getUTCMilliseconds(), 3).padEnd(digits, "0")}`;
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const zone = offsetMinutes === 0 ? "Z" : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${date}T${time}${fraction}${zone}`;
}

describe("parseRfc3339", () => {
  it("reads date-times with Z or an offset", () => {
    expect(parseRfc3339("2026-01-01T00:00:00Z")).toBe(at("2026-01-01T00:00:00Z"));
    expect(parseRfc3339("2026-01-01T01:30:00+01:30")).toBe(at("2026-01-01T00:00:00Z"));
    expect(parseRfc3339("2025-12-31T19:00:00-05:00")).toBe(at("2026-01-01T00:00:00Z"));
    expect(parseRfc3339("2026-01-01T00:00:00-00:00")).toBe(at("2026-01-01T00:00:00Z"));
    expect(parseRfc3339("2026-01-01t00:00:00z")).toBe(at("2026-01-01T00:00:00Z"));
  });

  it("reads fractions of a second, cut to milliseconds", () => {
    expect(parseRfc3339("2026-01-01T00:00:00.5Z")).toBe(at("2026-01-01T00:00:00.500Z"));
    expect(parseRfc3339("2026-01-01T00:00:00.1234567Z")).toBe(at("2026-01-01T00:00:00.123Z"));
    expect(parseRfc3339("2026-01-01T00:00:00.999999999+00:00")).toBe(at("2026-01-01T00:00:00.999Z"));
  });

  it("reads leap days and years before 100 as written", () => {
    expect(parseRfc3339("2024-02-29T12:00:00Z")).toBe(at("2024-02-29T12:00:00Z"));
    expect(parseRfc3339("2000-02-29T00:00:00Z")).toBe(at("2000-02-29T00:00:00Z"));
    expect(new Date(parseRfc3339("0050-06-01T00:00:00Z")!).toISOString()).toBe("0050-06-01T00:00:00.000Z");
  });

  // Each of these is read by Date.parse (as 2001, as a local time, as a date...), which made jobs look old.
  it.each([
    "1",
    "Jan 1",
    "2020",
    "2026-01-01",
    "2026-01-01T00:00:00",
    "2026-01-01T00:00",
    "2026-01-01 00:00:00Z",
    "9/29/2017 10:28:35 PM",
    "Thu, 01 Jan 2026 00:00:00 GMT",
    "2026-01-01T00:00:00 Z",
    "2026-01-01T00:00:00+0100",
    "2026-01-01T00:00:00+01",
    "+002026-01-01T00:00:00Z",
    " 2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00Z ",
    "2026-01-01T00:00:00.Z",
    "2026-01-01T00:00:00.1234567890Z",
  ])("gives no evidence for %j", (text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });

  it.each([
    "2026-00-10T00:00:00Z",
    "2026-13-10T00:00:00Z",
    "2026-01-00T00:00:00Z",
    "2026-01-32T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:60:00Z",
    "2026-01-01T23:59:60Z",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00+01:60",
  ])("refuses the impossible calendar date or time %j", (text) => {
    expect(parseRfc3339(text)).toBeUndefined();
  });

  it("gives no evidence for what is not a string", () => {
    for (const value of [undefined, null, 0, 1_767_225_600_000, {}, [], true]) {
      expect(parseRfc3339(value)).toBeUndefined();
    }
  });

  it("reads any date-time written in any offset as the instant it names", () => {
    fc.assert(
      fc.property(instant, offset, fc.constantFrom(0, 3, 6, 9), (ms, minutes, digits) => {
        const text = written(ms, minutes, digits);
        const expected = digits === 0 ? ms - (((ms % 1000) + 1000) % 1000) : ms;
        expect(parseRfc3339(text)).toBe(expected);
        // The same instant as the offset-aware reading of Date.parse: nothing depends on the host's time zone.
        expect(parseRfc3339(text)).toBe(Date.parse(text));
      }),
    );
  });

  it("reads its own output back: toISOString round-trips", () => {
    fc.assert(
      fc.property(instant, (ms) => {
        expect(parseRfc3339(new Date(ms).toISOString())).toBe(ms);
      }),
    );
  });

  // A test cannot change the process's time zone once it runs, so prove instead that a reading that could
  // depend on it never happens: a date-time without an offset is never evidence.
  it("never reads a date-time without an offset, which Date.parse would read in the host's time zone", () => {
    fc.assert(
      fc.property(instant, offset, fc.constantFrom(0, 3, 6, 9), (ms, minutes, digits) => {
        const local = written(ms, minutes, digits).replace(/(Z|[+-]\d{2}:\d{2})$/, "");
        expect(parseRfc3339(local)).toBeUndefined();
      }),
    );
  });

  it("accepts only strings of the RFC 3339 shape, whatever it is given", () => {
    const shape = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
    const noise = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom(..."0123456789-:TZ+. tz") }),
      fc.date({ noInvalidDate: true }).map((d) => d.toString()),
    );
    fc.assert(
      fc.property(noise, (text) => {
        if (parseRfc3339(text) !== undefined) expect(text).toMatch(shape);
      }),
    );
  });
});
