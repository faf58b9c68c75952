import type { RunStore } from "./ports";

/** The run-wide cap (`maxActionsPerRun`), shared by every part of a run, wherever it is swept. */
export interface ActionBudget {
  /** Reserves up to `wanted` actions; returns how many were granted (0..wanted). */
  reserve(wanted: number): Promise<number>;
}

/**
 * Keeps the count on the run record itself, with ETag concurrency, so parallel queue workers on different
 * instances cannot together exceed the cap. A reservation that ends unused (a job that changed state) stays
 * spent: the cap errs on the side of fewer actions.
 */
export class RunRecordBudget implements ActionBudget {
  constructor(
    private readonly runs: RunStore,
    private readonly runId: string,
    private readonly maxActionsPerRun: number,
  ) {}

  async reserve(wanted: number): Promise<number> {
    let granted = 0;
    await this.runs.update(this.runId, (run) => {
      const used = run.actionsReserved ?? 0;
      granted = Math.max(0, Math.min(wanted, this.maxActionsPerRun - used));
      return { ...run, actionsReserved: used + granted };
    });
    return granted;
  }
}

/** The cap for a run swept entirely in this process (the CLI): no storage round trip per reservation. */
export class LocalBudget implements ActionBudget {
  private used = 0;

  constructor(private readonly maxActionsPerRun: number) {}

  async reserve(wanted: number): Promise<number> {
    const granted = Math.max(0, Math.min(wanted, this.maxActionsPerRun - this.used));
    this.used += granted;
    return granted;
  }
}
