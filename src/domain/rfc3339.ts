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
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
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
  // Arithmetic rather than a Date per call (a sweep reads several per job); years 0-99 are read as written.
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
  return seconds * 1_000 + millis - offsetMinutes * 60_000;
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (the one `Date` uses), by H. Hinnant's
 * days_from_civil (https://howardhinnant.github.io/date_algorithms.html#days_from_civil): eras of 400 years,
 * counted from March so that a leap day ends the year.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
