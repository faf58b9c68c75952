// The one reader of the timestamps a job's age rests on. `Date.parse` is far too lenient for a deleter: it reads
// "1" and "Jan 1" as 2001 and "2020" as a date, and a time without an offset in the host's time zone, so the
// same job could be too young on one host and eligible on another. Only an RFC 3339 `date-time` (section 5.6 of
// https://www.rfc-editor.org/rfc/rfc3339) names one instant everywhere: full date, `T`, full time, and `Z` or a
// numeric offset. Anything else is no evidence.

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Epoch milliseconds of an RFC 3339 date-time with `Z` or a `+hh:mm` / `-hh:mm` offset; undefined for anything
 * else (absent, not a string, no offset, a date alone, an impossible calendar date or time). `T` and `Z` may be
 * lower case (RFC 3339 section 5.6 allows it); `-00:00` is UTC. Not accepted, and so no evidence: the leap second
 * `:60` (no JavaScript instant stands for it) and fractions beyond nanoseconds (no clock writes them).
 * Fractions below a millisecond are cut, as `Date` itself does.
 */
export function parseRfc3339(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const m = DATE_TIME.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, "0").slice(0, 3));
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  at.setUTCHours(hour, minute, second, millis);
  return at.getTime() - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
