import type { TimerSchedule } from "./timerSchedule";

/** The timer trigger's input as the host sends it; the library camel-cases it into the `Timer` object. */
export interface TimerTriggerInput {
  Schedule: { AdjustForDST: boolean };
  ScheduleStatus: { Last: string; Next: string; LastUpdated: string } | null;
  IsPastDue: boolean;
}

export interface TimerTriggerRunnerOptions {
  functionName: string;
  schedule: TimerSchedule;
  runOnStartup: boolean;
  invoke(input: TimerTriggerInput): Promise<void>;
  log(level: "information" | "warning" | "error", message: string): void;
}

// A fire this late after its occurrence (a blocked event loop, a suspended laptop) counts as past due.
const PAST_DUE_AFTER_MS = 5_000;
// setTimeout holds at most 2^31-1 ms (~24.8 days); longer waits are re-armed.
const MAX_TIMEOUT_MS = 2_147_483_647;
const NEVER = "0001-01-01T00:00:00.000Z";

/**
 * Fires a timer-triggered function on its schedule, one invocation at a time (the host holds a singleton lock for
 * timers). An occurrence that passed while the previous invocation was still running is fired once, right after it,
 * with `isPastDue: true`, as the host reports a missed schedule.
 */
export class TimerTriggerRunner {
  readonly #o: TimerTriggerRunnerOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #last: Date | undefined;

  constructor(options: TimerTriggerRunnerOptions) {
    this.#o = options;
  }

  /** The next occurrence that will fire, if scheduled. */
  next: Date | undefined;

  start(): void {
    const now = new Date();
    if (this.#o.runOnStartup) {
      // runOnStartup invokes once at start (the host advises it for local use only), then the schedule continues.
      this.#running = this.#fire(now, false).then(() => this.#arm(this.#o.schedule.nextAfter(now)));
    } else {
      this.#arm(this.#o.schedule.nextAfter(now));
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#running, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  #arm(occurrence: Date): void {
    if (this.#stopped) return;
    this.next = occurrence;
    const delay = occurrence.getTime() - Date.now();
    if (delay > MAX_TIMEOUT_MS) {
      this.#timer = setTimeout(() => this.#arm(occurrence), MAX_TIMEOUT_MS);
      return;
    }
    this.#timer = setTimeout(
      () => {
        this.#running = this.#runFrom(occurrence);
      },
      Math.max(0, delay),
    );
  }

  async #runFrom(occurrence: Date): Promise<void> {
    await this.#fire(occurrence, Date.now() - occurrence.getTime() > PAST_DUE_AFTER_MS);
    let next = this.#o.schedule.nextAfter(occurrence);
    if (next.getTime() <= Date.now() && !this.#stopped) {
      // Missed while we ran: fire the latest missed occurrence once, late.
      let latest = next;
      for (let n = next; n.getTime() <= Date.now(); n = this.#o.schedule.nextAfter(n)) latest = n;
      await this.#fire(latest, true);
      next = this.#o.schedule.nextAfter(new Date(Math.max(Date.now(), latest.getTime())));
    }
    this.#arm(next);
  }

  async #fire(occurrence: Date, isPastDue: boolean): Promise<void> {
    if (this.#stopped) return;
    const input: TimerTriggerInput = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: (this.#last ?? new Date(NEVER)).toISOString(),
        Next: this.#o.schedule.nextAfter(occurrence).toISOString(),
        LastUpdated: new Date().toISOString(),
      },
      IsPastDue: isPastDue,
    };
    this.#last = occurrence;
    try {
      await this.#o.invoke(input);
    } catch (err) {
      // A failed timer invocation does not stop the schedule (the host logs it and waits for the next occurrence).
      this.#o.log(
        "error",
        `Executed '${this.#o.functionName}' (Failed): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      );
    }
  }
}
