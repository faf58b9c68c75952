import { ValidationError } from "../errors";

// ISO 8601 durations (`P7D`, `PT12H`, `P1DT2H`, `P1W`, `PT0S`) as exact milliseconds.
//
// Accepted: weeks, days, hours, minutes and seconds; a day is exactly 24 hours (all clocks here are UTC).
// A decimal fraction is allowed on the last component only, as ISO 8601 says (`PT1.5H`, `PT0,5S`).
// Refused: years and months (`P1Y`, `P1M`), because they have no fixed length (a month is 28 to 31 days) and a
// janitor that deletes things must not guess; write days instead (`P30D`). Also refused: negative durations,
// empty ones (`P`, `PT`) and anything longer than MAX_DURATION_DAYS.

const DAY_MS = 86_400_000;
const UNIT_MS = { W: 7 * DAY_MS, D: DAY_MS, H: 3_600_000, M: 60_000, S: 1_000 } as const;

/** Nothing the janitor measures (job ages, grace periods, retention) needs more than this. */
export const MAX_DURATION_DAYS = 36_500;

const NUM = "(\\d+(?:[.,]\\d+)?)";
const PATTERN = new RegExp(
  `^P(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`,
  "i",
);
const ACCEPTED =
  "an ISO 8601 duration in weeks, days, hours, minutes or seconds, e.g. P7D, PT12H, P1DT2H, PT0S";

/** The duration in milliseconds, or a message saying why `text` is not an accepted duration. */
export function checkDuration(text: string): { ms: number } | { error: string } {
  const trimmed = text.trim();
  const match = PATTERN.exec(trimmed);
  if (match === null || /T$/i.test(trimmed) || trimmed.length < 3) {
    return { error: `"${text}" is not ${ACCEPTED}` };
  }
  const [, years, months, weeks, days, hours, minutes, seconds] = match;
  if (years !== undefined || months !== undefined) {
    return {
      error: `"${text}" uses years or months, which have no fixed length; write days instead (e.g. P30D, P365D)`,
    };
  }
  const parts: [string | undefined, number][] = [
    [weeks, UNIT_MS.W],
    [days, UNIT_MS.D],
    [hours, UNIT_MS.H],
    [minutes, UNIT_MS.M],
    [seconds, UNIT_MS.S],
  ];
  const present = parts.filter((p): p is [string, number] => p[0] !== undefined);
  let ms = 0;
  for (const [i, [value, unit]] of present.entries()) {
    const fractional = /[.,]/.test(value);
    if (fractional && i !== present.length - 1) {
      return {
        error: `"${text}" has a fraction on a component other than the last, which ISO 8601 does not allow`,
      };
    }
    ms += Number(value.replace(",", ".")) * unit;
  }
  ms = Math.round(ms);
  if (ms > MAX_DURATION_DAYS * DAY_MS)
    return { error: `"${text}" is longer than the maximum, P${MAX_DURATION_DAYS}D` };
  return { ms };
}

/** Milliseconds of an ISO 8601 duration; throws ValidationError naming `field` when it is not accepted. */
export function parseDurationMs(text: string, field = "duration"): number {
  // A sweep asks for the same few policy durations once per job: remember the accepted ones.
  const known = accepted.get(text);
  if (known !== undefined) return known;
  const result = checkDuration(text);
  if ("error" in result) throw new ValidationError([{ field, message: result.error }]);
  if (accepted.size >= MAX_REMEMBERED) accepted.clear();
  accepted.set(text, result.ms);
  return result.ms;
}
const accepted = new Map<string, number>();
const MAX_REMEMBERED = 256;

/** The canonical spelling of a duration (`P7D`, `PT12H`, `P1DT2H30M`, `PT0.5S`, `PT0S`); weeks become days. */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`not a duration: ${ms} ms`);
  let rest = Math.round(ms);
  const days = Math.floor(rest / UNIT_MS.D);
  rest -= days * UNIT_MS.D;
  const hours = Math.floor(rest / UNIT_MS.H);
  rest -= hours * UNIT_MS.H;
  const minutes = Math.floor(rest / UNIT_MS.M);
  rest -= minutes * UNIT_MS.M;
  const seconds = rest / UNIT_MS.S;
  let time = "";
  if (hours > 0) time += `${hours}H`;
  if (minutes > 0) time += `${minutes}M`;
  if (seconds > 0) time += `${seconds}S`;
  if (days === 0 && time === "") return "PT0S";
  return `P${days > 0 ? `${days}D` : ""}${time === "" ? "" : `T${time}`}`;
}
