import type { RunCounts } from "../domain/records";
import type { DecisionReport, SubscriptionSweepResult } from "../engine/sweepSubscription";
import type { CliIO } from "./io";
import { actionCount, progressLine } from "./sweepReport";

/**
 * Progress on stderr: one rewritten line on a terminal, a plain line every few seconds otherwise. The last line
 * is drawn from the finished run's counts, so it says what the summary says.
 */
export class Progress {
  private subscriptions = 0;
  private jobs = 0;
  private actions = 0;
  private lastPrint = 0;

  constructor(
    private readonly io: CliIO,
    private readonly now: () => number = Date.now,
  ) {}

  decision(d: DecisionReport): void {
    this.jobs++;
    if (d.outcome === "planned" || d.outcome === "succeeded") this.actions++;
    this.maybePrint();
  }

  subscriptionDone(result: SubscriptionSweepResult): void {
    this.subscriptions += result.counts.subscriptionsScanned;
    this.maybePrint(true);
  }

  /** The final line, from the run record. */
  end(counts: RunCounts): void {
    const line = progressLine(counts.subscriptionsScanned, counts.jobsSeen, actionCount(counts));
    this.io.stderr(this.io.isTTY ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  private maybePrint(force = false): void {
    const now = this.now();
    const line = progressLine(this.subscriptions, this.jobs, this.actions);
    if (this.io.isTTY) {
      if (!force && now - this.lastPrint < 100) return;
      this.lastPrint = now;
      this.io.stderr(`\r\x1b[K${line}`);
    } else if (force && now - this.lastPrint >= 2_000) {
      this.lastPrint = now;
      this.io.stderr(`${line}\n`);
    }
  }
}
