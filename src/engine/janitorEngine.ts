import { randomBytes } from "node:crypto";
import type { JobRef, SubscriptionInfo } from "../domain/job";
import { decideJob, type JobDecision } from "../domain/decideJob";
import type { Policy } from "../domain/policy";
import { addCounts, ZERO_COUNTS, type RunCounts, type RunRecord } from "../domain/records";
import { SCANNED_SUBSCRIPTION_STATES, type Mode, type Trigger } from "../domain/vocabulary";
import { matchesSubscriptionScope } from "../domain/subscriptionScope";
import { JanitorError, NotFoundError } from "../errors";
import { LocalBudget, RunRecordBudget, type ActionBudget } from "./actionBudget";
import { ArmCaller, DEFAULT_RETRY, type ArmRetryPolicy, type ArmStats } from "./armCaller";
import { AuditTrail, SEQ_ATTEMPT, SEQ_BLOCK, type RunIdentity } from "./auditTrail";
import { ArmPacer, ARM_LIMITS, realSleep, type PacingLimits, type Sleep } from "./pacing/armPacer";
import type {
  ArmFailure,
  AuditStore,
  JobsGateway,
  LeaseStore,
  ObservationStore,
  RunStore,
  SubscriptionDiscovery,
} from "./ports";
import { closeDanglingIntents, readEarlierAttempts } from "./recoverAttempt";
import { sweepSubscription, type DecisionReport, type SubscriptionSweepResult } from "./sweepSubscription";

export interface EngineServices {
  jobs: JobsGateway;
  subscriptions: SubscriptionDiscovery;
  audit: AuditStore;
  runs: RunStore;
  observations: ObservationStore;
  leases: LeaseStore;
}

export interface EngineOptions {
  /** Subscriptions swept at once by one worker. */
  concurrency: number;
  pacing: PacingLimits | false;
  retry: ArmRetryPolicy;
  leaseTtlMs: number;
  /** No new page or action is started with less than this left before the deadline. */
  actionMarginMs: number;
  pageSize: number;
  /** The ARM request timeout: after a crash, a request of the dead worker may be on its way this long. */
  armTimeoutMs: number;
  /** Subscriptions per work item when a run fans out; 0 = choose from the count (at most ~256 parts). */
  subscriptionsPerPart: number;
  now: () => Date;
  sleep: Sleep;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  concurrency: 8,
  pacing: ARM_LIMITS,
  retry: DEFAULT_RETRY,
  leaseTtlMs: 5 * 60_000,
  actionMarginMs: 30_000,
  pageSize: 100,
  armTimeoutMs: 30_000,
  subscriptionsPerPart: 0,
  now: () => new Date(),
  sleep: realSleep,
};

export interface RunRequest {
  trigger: Trigger;
  mode: Mode;
  requestedBy: string;
  subscriptions?: string[];
  note?: string;
  isPastDue?: boolean;
}

/** A work item: a few subscriptions of one run, swept by one worker. `slot` numbers each one's audit seq block. */
export interface WorkPart {
  runId: string;
  index: number;
  subscriptions: { subscriptionId: string; slot: number }[];
}

export interface SweepPartOptions {
  /** Delivery attempt (0 first); each attempt gets its own seq numbers so a retry never collides with history. */
  attempt?: number;
  deadline: Date;
  onDecision?: (report: DecisionReport) => void;
  onSubscriptionDone?: (result: SubscriptionSweepResult) => void;
  /** The run-wide cap; default: kept on the run record, shared with every other worker of the run. */
  budget?: ActionBudget;
}

const MAX_ATTEMPTS = 9;
/** The subscriptionId of audit entries about the whole run rather than one subscription (e.g. `paused`). */
export const RUN_WIDE = "*";
const MAX_PARTS = 256;

/**
 * The cleanup engine: request a run, plan its parts (discovery and scope), sweep parts (anywhere, in parallel),
 * and finalize the run when its last part is merged. The CLI runs all of it in one process; the Functions app
 * spreads parts over queue workers. Both go through the same methods.
 */
export class JanitorEngine {
  readonly options: EngineOptions;
  /** ARM traffic figures of every part this engine instance swept. */
  readonly armStats: ArmStats[] = [];

  constructor(
    readonly services: EngineServices,
    readonly policy: Policy,
    readonly policyHash: string,
    options: Partial<EngineOptions> = {},
    readonly paused = false,
  ) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
  }

  async requestRun(request: RunRequest, runId: string): Promise<RunRecord> {
    const run: RunRecord = {
      runId,
      trigger: request.trigger,
      mode: request.mode,
      requestedBy: request.requestedBy,
      status: "queued",
      queuedAt: this.options.now().toISOString(),
      policyHash: this.policyHash,
      counts: { ...ZERO_COUNTS },
      note: request.note,
      subscriptions: request.subscriptions,
      isPastDue: request.isPastDue,
    };
    await this.services.runs.create(run);
    return run;
  }

  /**
   * Discovers the subscriptions in scope and splits them into parts. Safe to repeat (a redelivered coordinator
   * message): discovery is sorted, so the same parts come out, and parts already merged are not merged again.
   */
  async planRun(runId: string, attempt = 0): Promise<{ run: RunRecord; parts: WorkPart[] }> {
    const run = await this.mustGetRun(runId);
    if (isFinal(run)) return { run, parts: [] };
    const trail = this.trail(run, 0, attempt);

    if (this.paused) {
      await trail.write([
        trail.entry({
          subscriptionId: RUN_WIDE,
          action: "none",
          phase: "outcome",
          outcome: "skipped",
          reason: "paused",
        }),
      ]);
      const final = await this.services.runs.update(runId, (r) => ({
        ...r,
        status: "paused",
        startedAt: r.startedAt ?? this.options.now().toISOString(),
        finishedAt: this.options.now().toISOString(),
        error: "JANITOR_PAUSED is set: nothing was scanned or changed",
      }));
      return { run: final, parts: [] };
    }

    let discovered: SubscriptionInfo[];
    try {
      discovered = await this.services.subscriptions.listSubscriptions();
    } catch (err) {
      const message = `subscription discovery failed: ${(err as Error)?.message ?? String(err)}`;
      const failed = await this.finalizeFailed(runId, message);
      return { run: failed, parts: [] };
    }

    const { scan, skipped } = this.selectSubscriptions(discovered, run.subscriptions);
    await trail.write(
      skipped.map((s) =>
        trail.entry({
          subscriptionId: s.subscriptionId,
          action: "none",
          phase: "outcome",
          outcome: "skipped",
          reason: s.reason,
          errorMessage: s.detail,
        }),
      ),
    );

    const perPart = this.options.subscriptionsPerPart || Math.max(1, Math.ceil(scan.length / MAX_PARTS));
    const parts: WorkPart[] = [];
    scan.forEach((subscriptionId, i) => {
      const index = Math.floor(i / perPart);
      if (!parts[index]) parts[index] = { runId, index, subscriptions: [] };
      parts[index].subscriptions.push({ subscriptionId, slot: i + 1 });
    });

    const now = this.options.now().toISOString();
    const started = await this.services.runs.update(runId, (r) => {
      if (r.partsTotal !== undefined) return r;
      return {
        ...r,
        status: "running",
        startedAt: r.startedAt ?? now,
        partsTotal: parts.length,
        partsDone: 0,
        partsFailed: 0,
        partsCompleted: [],
        counts: addCounts(r.counts, { subscriptionsSkipped: skipped.length }),
      };
    });
    if (parts.length === 0) return { run: await this.finalizeIfDone(runId), parts };
    return { run: started, parts };
  }

  /** Sweeps the subscriptions of one part and merges its counts into the run exactly once. */
  async sweepPart(part: WorkPart, options: SweepPartOptions): Promise<RunRecord> {
    const run = await this.mustGetRun(part.runId);
    if (isFinal(run) || run.partsCompleted?.includes(part.index)) return run;
    const attempt = Math.min(options.attempt ?? 0, MAX_ATTEMPTS);
    // The kill switch also stops parts queued before it was set.
    if (this.paused) return this.pausePart(run, part, attempt);
    const arm = new ArmCaller(
      new ArmPacer(this.options.pacing, this.options.sleep),
      options.deadline.getTime(),
      this.options.retry,
      this.options.sleep,
    );
    this.armStats.push(arm.stats);
    if (this.armStats.length > 100) this.armStats.shift(); // a long-lived worker keeps only recent figures
    const abort = new AbortController();

    const ctx = {
      policy: this.policy,
      gateway: this.services.jobs,
      observations: this.services.observations,
      leases: this.services.leases,
      arm,
      budget:
        options.budget ??
        new RunRecordBudget(this.services.runs, run.runId, this.policy.limits.maxActionsPerRun),
      now: this.options.now,
      holder: `${run.runId}/part-${part.index}/attempt-${attempt}-${randomBytes(3).toString("hex")}`,
      partPrefix: `${run.runId}/part-${part.index}/`,
      leaseTtlMs: this.options.leaseTtlMs,
      actionMarginMs: this.options.actionMarginMs,
      pageSize: this.options.pageSize,
      inFlightMs: this.options.armTimeoutMs + 5_000,
      sleep: this.options.sleep,
      signal: abort.signal,
      onDecision: options.onDecision,
    };

    // A redelivered work item first finishes what the interrupted attempt left half-recorded.
    const earlier = await readEarlierAttempts(this.services.audit, run.runId, part.subscriptions, attempt);
    let counts: RunCounts = { ...ZERO_COUNTS };
    const reasons: Record<string, number> = {};
    const errors: string[] = [];
    let auditFailure: Error | undefined;
    const queue = [...part.subscriptions];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (abort.signal.aborted) break;
        const trail = this.trail(run, next.slot, attempt);
        try {
          const result = await sweepSubscription(ctx, trail, next.subscriptionId, earlier.get(next.slot));
          counts = addCounts(counts, result.counts);
          for (const [reason, n] of Object.entries(result.reasons))
            reasons[reason] = (reasons[reason] ?? 0) + n;
          if (result.error) errors.push(`${next.subscriptionId}: ${result.error}`);
          options.onSubscriptionDone?.(result);
        } catch (err) {
          if (err instanceof JanitorError && err.name === "AuditWriteError") {
            auditFailure = err;
            abort.abort(err);
            break;
          }
          // Anything else fails this subscription only; it is counted and named in the run's error.
          counts = addCounts(counts, { subscriptionsScanned: 1, subscriptionsFailed: 1 });
          errors.push(`${next.subscriptionId}: ${(err as Error)?.message ?? String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, queue.length) }, worker));
    if (auditFailure) {
      errors.unshift(`audit log write failed, acting stopped: ${auditFailure.message}`);
    }

    await this.services.runs.update(run.runId, (r) => {
      if (r.partsCompleted?.includes(part.index)) return r;
      const merged: Record<string, number> = { ...(r.reasons ?? {}) };
      for (const [reason, n] of Object.entries(reasons)) merged[reason] = (merged[reason] ?? 0) + n;
      return {
        ...r,
        counts: addCounts(r.counts, counts),
        reasons: merged,
        partsDone: (r.partsDone ?? 0) + 1,
        partsFailed: (r.partsFailed ?? 0) + (auditFailure ? 1 : 0),
        partsCompleted: [...(r.partsCompleted ?? []), part.index],
        error: joinErrors(r.error, errors),
        auditFailed: r.auditFailed || auditFailure !== undefined,
      };
    });
    return this.finalizeIfDone(run.runId);
  }

  /** A part that could not be processed at all (poison message): counted as failed, never retried again. */
  async failPart(part: WorkPart, reason: string): Promise<RunRecord> {
    const run = await this.mustGetRun(part.runId);
    if (run.partsCompleted?.includes(part.index)) return run;
    // What the failed deliveries did is still recorded: finish the audit trail of actions left in flight
    // (reads only, nothing is sent) and count the actions that completed.
    let counts: RunCounts = { ...ZERO_COUNTS, subscriptionsFailed: part.subscriptions.length };
    const earlier = await readEarlierAttempts(
      this.services.audit,
      run.runId,
      part.subscriptions,
      MAX_ATTEMPTS,
    );
    const arm = new ArmCaller(
      new ArmPacer(this.options.pacing, this.options.sleep),
      Date.now() + 5 * 60_000,
      this.options.retry,
      this.options.sleep,
    );
    for (const { slot } of part.subscriptions) {
      const found = earlier.get(slot);
      if (!found) continue;
      counts = addCounts(counts, found.carried);
      if (found.dangling.length === 0) continue;
      const closed = await closeDanglingIntents(found.dangling, {
        gateway: this.services.jobs,
        arm,
        trail: this.trail(run, slot, MAX_ATTEMPTS),
        inFlightMs: this.options.armTimeoutMs + 5_000,
        now: this.options.now,
        sleep: this.options.sleep,
      });
      counts = addCounts(counts, closed);
    }
    await this.services.runs.update(part.runId, (r) => {
      if (r.partsCompleted?.includes(part.index)) return r;
      return {
        ...r,
        counts: addCounts(r.counts, counts),
        partsDone: (r.partsDone ?? 0) + 1,
        partsFailed: (r.partsFailed ?? 0) + 1,
        partsCompleted: [...(r.partsCompleted ?? []), part.index],
        error: joinErrors(r.error, [`part ${part.index} failed: ${reason}`]),
      };
    });
    return this.finalizeIfDone(part.runId);
  }

  /** The whole run in this process: what the CLI does. */
  async executeRun(
    request: RunRequest,
    runId: string,
    options: Omit<SweepPartOptions, "attempt"> & {
      /** A lower cap than the policy's for this run (e.g. the number of actions an operator confirmed). */
      maxActions?: number;
    },
  ): Promise<RunRecord> {
    await this.requestRun(request, runId);
    try {
      const { run, parts } = await this.planRun(runId);
      if (parts.length === 0) return run;
      // One process: a single part holding every subscription, swept `concurrency` at a time.
      const all: WorkPart = { runId, index: 0, subscriptions: parts.flatMap((p) => p.subscriptions) };
      await this.services.runs.update(runId, (r) => ({ ...r, partsTotal: 1 }));
      // Nobody else sweeps this run: the cap can be counted here rather than on the run record.
      const cap = Math.min(this.policy.limits.maxActionsPerRun, options.maxActions ?? Infinity);
      return await this.sweepPart(all, { ...options, budget: new LocalBudget(cap) });
    } catch (err) {
      // Never leave a run queued or running: it is failed, with what went wrong.
      await this.finalizeFailed(runId, `run stopped: ${(err as Error)?.message ?? String(err)}`).catch(
        () => undefined,
      );
      throw err;
    }
  }

  /** Marks a run failed when it could not be handed on (e.g. the queue was unreachable). */
  async failRun(runId: string, message: string): Promise<RunRecord> {
    return this.finalizeFailed(runId, message);
  }

  private async pausePart(run: RunRecord, part: WorkPart, attempt: number): Promise<RunRecord> {
    const entries = part.subscriptions.map((s) => {
      const trail = this.trail(run, s.slot, attempt);
      return {
        trail,
        entry: trail.entry({
          subscriptionId: s.subscriptionId,
          action: "none" as const,
          phase: "outcome" as const,
          outcome: "skipped" as const,
          reason: "paused" as const,
        }),
      };
    });
    for (const { trail, entry } of entries) await trail.write([entry]);
    await this.services.runs.update(run.runId, (r) => {
      if (r.partsCompleted?.includes(part.index)) return r;
      return {
        ...r,
        counts: addCounts(r.counts, { subscriptionsSkipped: part.subscriptions.length }),
        partsDone: (r.partsDone ?? 0) + 1,
        partsCompleted: [...(r.partsCompleted ?? []), part.index],
        status: "paused",
        finishedAt: r.finishedAt ?? this.options.now().toISOString(),
        error: joinErrors(r.error, ["JANITOR_PAUSED is set: the rest of the run was not swept"]),
      };
    });
    return this.mustGetRun(run.runId);
  }

  /** What the policy decides for one job right now, read live; acts on nothing and writes nothing. */
  async explain(ref: JobRef): Promise<{ decision: JobDecision; failure?: ArmFailure }> {
    const read = await this.services.jobs.getJob(ref);
    if (!read.ok) {
      if (read.failure.kind === "gone")
        throw new NotFoundError(`job ${ref.resourceGroup}/${ref.name} not found`);
      return {
        decision: {
          action: "none",
          reason: "transient-error",
          eligible: false,
          state: "",
          detail: `the job could not be read: ${read.failure.kind}`,
          observation: undefined,
        },
        failure: read.failure,
      };
    }
    const stored = await this.services.observations.loadSubscription(ref.subscriptionId);
    const decision = decideJob(read.value, {
      policy: this.policy,
      now: this.options.now(),
      observation: stored.get(read.value.id.toLowerCase()),
    });
    return { decision };
  }

  private selectSubscriptions(discovered: SubscriptionInfo[], requested: string[] | undefined) {
    const scan: string[] = [];
    const skipped: {
      subscriptionId: string;
      reason: "subscription-state" | "out-of-scope";
      detail?: string;
    }[] = [];
    const wanted = requested?.map((s) => s.toLowerCase());
    const seen = new Set<string>();
    const scannable = new Set<string>(SCANNED_SUBSCRIPTION_STATES.map((s) => s.toLowerCase()));
    for (const sub of [...discovered].sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId))) {
      const id = sub.subscriptionId.toLowerCase();
      if (seen.has(id)) continue;
      seen.add(id);
      if (wanted && !wanted.includes(id)) continue;
      if (!matchesSubscriptionScope(this.policy, sub.subscriptionId)) {
        // Asked for by name but outside the policy's scope: say so rather than drop it silently.
        if (wanted)
          skipped.push({
            subscriptionId: sub.subscriptionId,
            reason: "out-of-scope",
            detail: "excluded by the policy's scope",
          });
        continue;
      }
      if (!scannable.has(sub.state.toLowerCase())) {
        skipped.push({
          subscriptionId: sub.subscriptionId,
          reason: "subscription-state",
          detail: `state ${sub.state}`,
        });
        continue;
      }
      scan.push(sub.subscriptionId);
    }
    for (const id of wanted ?? []) {
      if (!seen.has(id))
        skipped.push({ subscriptionId: id, reason: "out-of-scope", detail: "not visible to the janitor" });
    }
    return { scan, skipped };
  }

  private trail(run: RunRecord, slot: number, attempt: number): AuditTrail {
    const identity: RunIdentity = {
      runId: run.runId,
      trigger: run.trigger,
      mode: run.mode,
      actor: run.requestedBy,
      // The policy this engine decides with (the run record keeps the one in force when it was requested).
      policyHash: this.policyHash,
    };
    return new AuditTrail(
      this.services.audit,
      identity,
      slot * SEQ_BLOCK + attempt * SEQ_ATTEMPT,
      this.options.now,
    );
  }

  private async mustGetRun(runId: string): Promise<RunRecord> {
    const run = await this.services.runs.get(runId);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    return run;
  }

  private async finalizeFailed(runId: string, message: string): Promise<RunRecord> {
    return this.services.runs.update(runId, (r) => ({
      ...r,
      status: "failed",
      startedAt: r.startedAt ?? this.options.now().toISOString(),
      finishedAt: this.options.now().toISOString(),
      error: joinErrors(r.error, [message]),
    }));
  }

  private async finalizeIfDone(runId: string): Promise<RunRecord> {
    return this.services.runs.update(runId, (r) => {
      if (isFinal(r) || (r.partsDone ?? 0) < (r.partsTotal ?? 0)) return r;
      return { ...r, status: finalStatus(r), finishedAt: this.options.now().toISOString() };
    });
  }
}

function isFinal(run: RunRecord): boolean {
  return run.status !== "queued" && run.status !== "running";
}

/** Failed when acting had to stop (the audit log) or every part failed; partial when anything fell short. */
export function finalStatus(run: RunRecord): RunRecord["status"] {
  if (run.auditFailed) return "failed";
  if ((run.partsTotal ?? 0) > 0 && (run.partsFailed ?? 0) >= (run.partsTotal ?? 0)) return "failed";
  const { subscriptionsScanned, subscriptionsFailed } = run.counts;
  if (subscriptionsScanned > 0 && subscriptionsFailed >= subscriptionsScanned) return "failed";
  if (run.counts.subscriptionsFailed > 0 || run.counts.breakersTripped > 0 || (run.partsFailed ?? 0) > 0)
    return "partial";
  return "succeeded";
}

function joinErrors(existing: string | undefined, more: string[]): string | undefined {
  if (more.length === 0) return existing;
  const all = [existing, ...more].filter(Boolean).join("; ");
  // The run record is one table entity: keep the summary short.
  return all.length > 2000 ? `${all.slice(0, 1990)} (more...)` : all;
}
