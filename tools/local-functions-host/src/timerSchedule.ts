import { Cron } from "croner";

/** A timer trigger's schedule: the next occurrence strictly after a given time. */
export interface TimerSchedule {
  expression: string;
  nextAfter(time: Date): Date;
}

/**
 * Parses a timer trigger schedule as the Functions host does: a six-field NCRONTAB expression
 * (`second minute hour day month day-of-week`, evaluated in UTC) or a TimeSpan interval `hh:mm:ss`
 * (`d.hh:mm:ss` for days). Five-field cron is rejected, as the host rejects it.
 */
export function parseTimerSchedule(expression: string): TimerSchedule {
  const trimmed = expression.trim();
  const timeSpan = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(trimmed);
  if (timeSpan) {
    const [, days, hours, minutes, seconds] = timeSpan;
    const ms =
      (((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
    if (ms <= 0)
      throw new Error(`Timer schedule "${expression}": a TimeSpan interval must be longer than zero.`);
    return { expression, nextAfter: (time) => new Date(time.getTime() + ms) };
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `Timer schedule "${expression}": expected six NCRONTAB fields "{second} {minute} {hour} {day} {month} {day-of-week}" or a TimeSpan "hh:mm:ss".`,
    );
  }
  let cron: Cron;
  try {
    // As NCrontab reads it: a day-of-month and a day-of-week both restrict (croner, like Vixie cron, ORs them
    // unless domAndDow), and a step may start from a number (`0/15`, which croner refuses unless sloppyRanges).
    cron = new Cron(trimmed, { timezone: "UTC", paused: true, domAndDow: true, sloppyRanges: true });
  } catch (err) {
    throw new Error(`Timer schedule "${expression}": ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    expression,
    nextAfter(time) {
      const next = cron.nextRun(time);
      if (!next) throw new Error(`Timer schedule "${expression}" has no future occurrence.`);
      return next;
    },
  };
}
