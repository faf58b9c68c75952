import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { JobRef, SubscriptionInfo } from "../domain/job";
import { decideJob, type JobDecision } from "../domain/decideJob";
import type { Policy } from "../domain/policy";
import { addCounts, ZERO_COUNTS, type RunCounts, type RunRecord } from "../domain/records";
import { DEFAULT_SWEEP_CONCURRENCY } from "../domain/sweepConcurrency";
import {
  failRun,
  finishIfDone,
  isFinal,
  mergePart,
  noteError,
  pauseRun,
  startRun,
  type PartResult,
} from "../domain/runTransitions";
import { SCANNED_SUBSCRIPTION_STATES, type Mode, type Trigger } from "../domain/vocabulary";
import { matchesSubscriptionScope } from "../domain/subscriptionScope";
import { AuditWriteError, describeError, JanitorError, NotFoundError } from "../errors";
import { LocalBudget, RunRecordBudget, type ActionBudget } from "./actionBudget";
import { ArmCaller, DEFAULT_RETRY, type ArmRetryPolicy, type ArmStats } from "./armCaller";
import { AuditTrail, SEQ_ATTEMPT, SEQ_BLOCK, type RunIdentity } from "./auditTrail";
import { ArmPacer, ARM_LIMITS, realSleep, type PacingLimits, type Sleep } from "./pacing/armPacer";
import { emitSafely } from "./engineEvents";
import { recordSafely, withSpan } from "./engineTelemetry";
import { SPANS } from "../domain/telemetryNames";
import { planAwaitingApproval, runSummary } from "../domain/notifications/events";
import type {
  ArmFailure,
  AuditStore,
  EngineEvents,
  EngineTelemetry,
  JobIndex,
  JobIndexAnswer,
  JobsGateway,
  LeaseStore,
  ObservationStore,
  PlanStore,
  RunStore,
  SubscriptionDiscovery,
  WorkPart,
} from "./ports";
import { PlanReview } from "./planReview";
import { closeDanglingIntents, readEarlierAttempt } from "./recoverAttempt";
import { SubscriptionLease } from "./sweep/subscriptionLease";
import type { SweepPlan } from "./sweep/planApply";
import { failureText } from "./sweep/armFailures";
import {
  PartBusyError,
  sweepSubscription,
  type DecisionReport,
  type SubscriptionSweepResult,
  type SweepContext,
} from "./sweepSubscription";

export type { WorkPart } from "./ports";
export { finalStatus } from "../domain/runTransitions";

export interface EngineServices {
  jobs: JobsGateway;
  subscriptions: SubscriptionDiscovery;
  audit: AuditStore;
  runs: RunStore;
  observations: ObservationStore;
  leases: LeaseStore;
  /** Notifications and telemetry (optional): told of upcoming actions, finished runs, breakers, failures. */
  events?: EngineEvents;
  /** Spans, metrics and records (optional, domain/telemetryNames); the finished runs and breakers come by `events`. */
  telemetry?: EngineTelemetry;
  /** Saved plans (optional): plan runs write theirs here, apply runs of a plan read it. */
  plans?: PlanStore;
  /**
   * Where jobs are (JANITOR_DISCOVERY=resource-graph, optional): only the subscriptions it shows jobs in are
   * listed. Without it every subscription in scope is (JANITOR_DISCOVERY=subscriptions).
   */
  jobIndex?: JobIndex;
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
  /** The CLI's wait before delivering its part again after an audit failure: this, doubled each time (max 30 s). */
  redeliveryDelayMs: number;
  /** How long a saved plan may be approved and applied (`JANITOR_PLAN_TTL`). */
  planTtlMs: number;
  /** Longest the job index may take (waits for its quota included) before discovery lists every subscription. */
  discoveryTimeoutMs: number;
  now: () => Date;
  sleep: Sleep;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  // The app's default too (JANITOR_CONCURRENCY): why 32, src/domain/sweepConcurrency.ts.
  concurrency: DEFAULT_SWEEP_CONCURRENCY,
  pacing: ARM_LIMITS,
  retry: DEFAULT_RETRY,
  leaseTtlMs: 5 * 60_000,
  actionMarginMs: 30_000,
  pageSize: 100,
  armTimeoutMs: 30_000,
  subscriptionsPerPart: 0,
  redeliveryDelayMs: 1_000,
  planTtlMs: 7 * 86_400_000,
  discoveryTimeoutMs: 60_000,
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

/** A run that applies an approved saved plan (see applyPlan). */
export type PlanApplyRequest = Omit<RunRequest, "mode" | "subscriptions">;

export interface SweepPartOptions {
  /** Delivery attempt (0 first); each attempt gets its own seq numbers so a retry never collides with history. */
  attempt?: number;
  deadline: Date;
  onDecision?: (report: DecisionReport) => void;
  onSubscriptionDone?: (result: SubscriptionSweepResult) => void;
  /** The run-wide cap; default: kept on the run record, shared with every other worker of the run. */
  budget?: ActionBudget;
  /**
   * Read each subscription's state again before sweeping it (default true): a queued part may wait a while, and
   * a subscription disabled meanwhile is skipped. The CLI, which has just discovered them, turns it off.
   */
  checkSubscriptions?: boolean;
  /**
   * Record each subscription swept to the end (default true), so a duplicate or later delivery of the part never
   * sweeps it again. The CLI, the only worker of its run, turns it off.
   */
  recordProgress?: boolean;
}

/** A part that stopped with its audit trail open (an audit write failed): it must be delivered again. */
export class PartIncompleteError extends JanitorError {}

/** The subscriptionId of audit entries about the whole run rather than one subscription (e.g. `paused`). */
export const RUN_WIDE = "*";
const MAX_PARTS = 256;
/** Deliveries of the CLI's single part before it is given up, like the queue's five before poison. */
const CLI_DELIVERIES = 5;

/**
 * The cleanup engine: request a run, plan its parts (discovery and scope, fixed once), sweep parts (anywhere, in
 * parallel, each delivery finishing what earlier ones left open), and finish the run when its last part is
 * merged. The CLI runs all of it in one process; the Functions app spreads parts over queue workers. Both go
 * through the same methods; the run record changes only through the transitions of domain/runTransitions.
 */
/** How long a failed part waits for a live delivery of it to let go of a subscription (its deadline bounds it). */
const FAIL_PART_MAX_WAIT_MS = 10 * 60_000;

export class JanitorEngine {
  readonly options: EngineOptions;
  /** ARM traffic figures of every part this engine instance swept. */
  readonly armStats: ArmStats[] = [];
  /** Paces the one-off reads of `explain` (the decision API) across calls. */
  private readonly explainPacer: ArmPacer;

  constructor(
    readonly services: EngineServices,
    readonly policy: Policy,
    readonly policyHash: string,
    options: Partial<EngineOptions> = {},
    readonly paused = false,
  ) {
    this.options = { ...DEFAULT_ENGINE_OPTIONS, ...options };
    this.explainPacer = new ArmPacer(this.options.pacing, this.options.sleep);
  }

  async requestRun(
    request: RunRequest,
    runId: string,
    plan?: { planId: string; approvedBy?: string; policyHash: string },
  ): Promise<RunRecord> {
    const run: RunRecord = {
      runId,
      trigger: request.trigger,
      mode: request.mode,
      requestedBy: request.requestedBy,
      status: "queued",
      queuedAt: this.nowIso(),
      policyHash: this.policyHash,
      counts: { ...ZERO_COUNTS },
      note: request.note,
      subscriptions: request.subscriptions,
      isPastDue: request.isPastDue,
      ...(plan && { planId: plan.planId, approvedBy: plan.approvedBy, policyHash: plan.policyHash }),
    };
    await this.services.runs.create(run);
    // Every plan run saves its plan (id = run id); approvable once the run has finished.
    if (request.mode === "plan" && this.services.plans) {
      try {
        await this.services.plans.create({
          planId: runId,
          status: "pending",
          trigger: request.trigger,
          requestedBy: request.requestedBy,
          createdAt: run.queuedAt,
          expiresAt: new Date(this.options.now().getTime() + this.options.planTtlMs).toISOString(),
          policy: this.policy,
          policyHash: this.policyHash,
        });
      } catch (err) {
        await this.finalizeFailed(runId, "the plan could not be saved").catch(() => undefined);
        throw err;
      }
    }
    return run;
  }

  /** Approving, rejecting and expiring saved plans, and claiming one for an apply run. */
  planReview(): PlanReview {
    if (!this.services.plans) throw new JanitorError("saved plans are not configured");
    return new PlanReview(
      { plans: this.services.plans, runs: this.services.runs, audit: this.services.audit },
      this.options.now,
    );
  }

  /**
   * Records a run that applies the approved plan `planId`, at most once: the plan is claimed first (approved ->
   * applied, a conditional write), so a second or concurrent apply is refused (ConflictError). The run sweeps
   * only the subscriptions the plan has actions in, under the plan's own policy.
   */
  async requestPlanApply(request: PlanApplyRequest, planId: string, runId: string): Promise<RunRecord> {
    const review = this.planReview();
    const plan = await review.claimForApply(planId, runId);
    try {
      const subscriptions = await this.services.plans!.subscriptionsOf(planId);
      return await this.requestRun({ ...request, mode: "apply", subscriptions }, runId, {
        planId,
        approvedBy: plan.approvedBy,
        policyHash: plan.policyHash,
      });
    } catch (err) {
      await review.unclaim(planId, runId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Discovers the subscriptions in scope and splits them into parts, once: the parts are stored and the run
   * record names them, so a redelivered coordinator hands out the same parts (a subscription never lands in two
   * parts of one run, whatever discovery says the second time).
   */
  planRun(runId: string, attempt = 0, deadline?: Date): Promise<{ run: RunRecord; parts: WorkPart[] }> {
    return withSpan(this.services.telemetry, SPANS.run, { runId }, () =>
      this.planParts(runId, attempt, deadline),
    );
  }

  private async planParts(
    runId: string,
    attempt: number,
    deadline?: Date,
  ): Promise<{ run: RunRecord; parts: WorkPart[] }> {
    const run = await this.mustGetRun(runId);
    if (isFinal(run)) return { run, parts: [] };
    if (run.partsPlanId) {
      // Planned by an earlier delivery: the same parts again; a run with none may still need finishing.
      const parts = await this.services.runs.loadParts(runId, run.partsPlanId);
      return { run: parts.length === 0 ? await this.finishIfDone(runId) : run, parts };
    }
    const trail = this.trail(run, 0, attempt);
    if (this.paused) {
      await trail.write([this.runWideEntry(trail, "paused")]);
      const final = await this.updateAndAnnounce(runId, (r) =>
        pauseRun(r, "JANITOR_PAUSED is set: nothing was scanned or changed", this.nowIso()),
      );
      return { run: final, parts: [] };
    }

    let discovered: SubscriptionInfo[];
    try {
      discovered = await this.services.subscriptions.listSubscriptions();
    } catch (err) {
      return {
        run: await this.finalizeFailed(runId, `subscription discovery failed: ${describeError(err)}`),
        parts: [],
      };
    }
    const selected = this.selectSubscriptions(discovered, run.subscriptions);
    const { skipped } = selected;
    const { scan, withoutJobs, discovery, problem } = await this.narrowToJobs(run, selected.scan, deadline);
    // Written before the plan is fixed: a coordinator that stops after fixing it must not lose them.
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
    const planId = randomBytes(8).toString("hex");
    const parts = splitIntoParts(runId, scan, this.options.subscriptionsPerPart);
    await this.services.runs.saveParts(runId, planId, parts);
    let started = await this.services.runs.update(runId, (r) =>
      startRun(r, {
        partsTotal: parts.length,
        partsPlanId: planId,
        subscriptionsSkipped: skipped.length,
        now: this.nowIso(),
        discovery,
        subscriptionsWithoutJobs: withoutJobs,
      }),
    );
    if (problem !== undefined && started.partsPlanId === planId)
      started = await this.services.runs.update(runId, (r) => noteError(r, problem));
    // Another coordinator of the same run fixed its plan first: use that one.
    const fixed =
      started.partsPlanId === planId
        ? parts
        : await this.services.runs.loadParts(runId, started.partsPlanId!);
    if (fixed.length === 0) return { run: await this.finishIfDone(runId), parts: fixed };
    return { run: started, parts: fixed };
  }

  /**
   * Sweeps the subscriptions of one part and merges its counts into the run exactly once. When an audit write
   * fails the part is not merged: it throws PartIncompleteError, and its next delivery finishes the open audit
   * trail (closing intents by reading the jobs), carries the counts of what was done, and sweeps the rest.
   */
  sweepPart(part: WorkPart, options: SweepPartOptions): Promise<RunRecord> {
    const attributes = { runId: part.runId, partIndex: part.index, subscriptions: part.subscriptions.length };
    return withSpan(this.services.telemetry, SPANS.part, attributes, () => this.sweepPartNow(part, options));
  }

  private async sweepPartNow(part: WorkPart, options: SweepPartOptions): Promise<RunRecord> {
    const run = await this.mustGetRun(part.runId);
    if (isFinal(run)) return run;
    // Merged already (a duplicate delivery, or one whose answer was lost): only make sure the run is finished.
    if (run.partsCompleted?.includes(part.index)) return this.finishIfDone(run.runId);
    const attempt = options.attempt ?? 0;
    // The kill switch also stops parts queued before it was set.
    if (this.paused) return this.pausePart(run, part, attempt);
    const abort = new AbortController();
    // Every request in flight listens on it (concurrency times the sources): not a leak, so no warning at 11.
    setMaxListeners(0, abort.signal);
    const ctx = this.sweepContext(run, part, options, abort.signal, attempt, await this.planOf(run));

    const telemetry = this.services.telemetry;
    const merged: PartResult = { counts: { ...ZERO_COUNTS }, reasons: {}, errors: [] };
    let auditFailure: JanitorError | undefined;
    let fatal: { error: unknown } | undefined;
    const queue = [...part.subscriptions];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (abort.signal.aborted) break;
        try {
          const { subscriptionId } = next;
          const result = await withSpan(
            telemetry,
            SPANS.subscription,
            { runId: run.runId, subscriptionId },
            () => sweepSubscription(ctx, { ...next, attempt }),
          );
          if (result.swept !== "before")
            recordSafely(telemetry, (t) =>
              t.subscriptionSwept({
                runId: run.runId,
                mode: run.mode,
                subscriptionId,
                counts: result.counts,
              }),
            );
          addPartResult(merged, result);
          options.onSubscriptionDone?.(result);
        } catch (err) {
          // sweepSubscription throws only when the part must not be finished by this delivery: the audit log
          // failed, or another delivery of the part still holds one of its subscriptions.
          if (!(err instanceof AuditWriteError) && !(err instanceof PartBusyError)) {
            // Thrown once every worker has stopped: nothing of this part still acts when its caller hears.
            fatal ??= { error: err };
            abort.abort(err);
            break;
          }
          auditFailure = err;
          abort.abort(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, queue.length) }, worker));
    if (fatal) throw fatal.error;
    const throttled = ctx.arm.stats.throttled;
    recordSafely(telemetry, (t) => t.partSwept({ runId: run.runId, partIndex: part.index, throttled }));
    if (auditFailure) {
      const why =
        auditFailure instanceof PartBusyError
          ? "another delivery still holds a subscription"
          : "audit log write failed";
      const message = `part ${part.index} delivery ${attempt + 1}: ${why}, acting stopped; the next delivery finishes it`;
      await this.services.runs.update(run.runId, (r) => noteError(r, message)).catch(() => undefined);
      throw new PartIncompleteError(message, { cause: auditFailure });
    }
    // Merged and, when it was the last part, finished in one write: no gap where the run is done but "running".
    return this.updateAndAnnounce(run.runId, (r) =>
      finishIfDone(mergePart(r, part.index, merged), this.nowIso()),
    );
  }

  /**
   * A part that could not be swept (poison message): its earlier deliveries' open audit trail is finished
   * (reads only, nothing is sent), the actions they completed are counted, and the part is merged as failed.
   */
  async failPart(part: WorkPart, reason: string, auditFailed = false): Promise<RunRecord> {
    const run = await this.mustGetRun(part.runId);
    if (run.partsCompleted?.includes(part.index)) return this.finishIfDone(run.runId);
    let counts: RunCounts = { ...ZERO_COUNTS, subscriptionsFailed: part.subscriptions.length };
    const errors: string[] = [];
    const arm = this.armCaller(Date.now() + 5 * 60_000);
    // One bound for the whole part: a subscription each waited on must not add up to many times the wait.
    const giveUpAt = Date.now() + FAIL_PART_MAX_WAIT_MS;
    for (const { subscriptionId, slot } of part.subscriptions) {
      // A delivery of this part may still be at work on the subscription (following a long delete, say): its
      // intents are its own to close. Hold the subscription's lease while closing, as every sweep does; one
      // still held by this part after its life is left to that delivery, which writes its own outcome.
      const take = () =>
        SubscriptionLease.acquire(subscriptionId, {
          leases: this.services.leases,
          holder: `${run.runId}/part-${part.index}/poison-${randomBytes(3).toString("hex")}`,
          partPrefix: `${run.runId}/part-${part.index}/`,
          ttlMs: this.options.leaseTtlMs,
          maxWaitMs: () => this.options.leaseTtlMs + 1_000,
          sleep: this.options.sleep,
        });
      // A live delivery renews its lease until its own deadline: wait for it to finish (and count what it
      // recorded) rather than close its actions under it; a dead one's lease runs out within its life.
      let lease = await take();
      while (lease === "held-by-this-part" && Date.now() < giveUpAt) lease = await take();
      try {
        // What earlier deliveries recorded counts whoever holds the lease (reading changes nothing).
        const earlier = await readEarlierAttempt(this.services.audit, run.runId, subscriptionId, slot);
        counts = addCounts(counts, earlier.carried);
        if (earlier.dangling.length === 0) continue;
        if (lease === "held-by-this-part") {
          errors.push(
            `subscription ${subscriptionId}: a delivery of this part still holds it; it closes its own actions`,
          );
          continue;
        }
        const attempt = Math.min(earlier.nextAttempt, SEQ_BLOCK / SEQ_ATTEMPT - 1);
        const closed = await closeDanglingIntents(earlier.dangling, {
          gateway: this.services.jobs,
          arm,
          trail: this.trail(run, slot, attempt),
          inFlightMs: this.options.armTimeoutMs + 5_000,
          now: this.options.now,
          sleep: this.options.sleep,
        });
        counts = addCounts(counts, closed.counts);
      } finally {
        if (typeof lease !== "string") await lease.release();
      }
    }
    await this.services.runs.update(part.runId, (r) =>
      mergePart(r, part.index, {
        counts,
        failed: true,
        auditFailed,
        errors: [`part ${part.index} failed: ${reason}`, ...errors],
      }),
    );
    return this.finishIfDone(part.runId);
  }

  /**
   * The whole run in this process: what the CLI does. Its single part is delivered again, like a queue
   * message, when a delivery stops with its audit trail open; after the last delivery it is failed.
   */
  async executeRun(
    request: RunRequest,
    runId: string,
    options: Omit<SweepPartOptions, "attempt"> & {
      /** A lower cap than the policy's for this run (e.g. the number of actions an operator confirmed). */
      maxActions?: number;
    },
  ): Promise<RunRecord> {
    await this.requestRun(request, runId);
    return this.runInProcess(runId, options);
  }

  /** `executeRun` for an approved saved plan: claimed once (ConflictError otherwise), then run here. */
  async executePlanApply(
    request: PlanApplyRequest,
    planId: string,
    runId: string,
    options: Omit<SweepPartOptions, "attempt"> & { maxActions?: number },
  ): Promise<RunRecord> {
    await this.requestPlanApply(request, planId, runId);
    return this.runInProcess(runId, options);
  }

  private runInProcess(
    runId: string,
    options: Omit<SweepPartOptions, "attempt"> & { maxActions?: number },
  ): Promise<RunRecord> {
    return withSpan(this.services.telemetry, SPANS.run, { runId }, () => this.runHere(runId, options));
  }

  private async runHere(
    runId: string,
    options: Omit<SweepPartOptions, "attempt"> & { maxActions?: number },
  ): Promise<RunRecord> {
    try {
      const { run, parts } = await this.planParts(runId, 0, options.deadline);
      if (parts.length === 0) return run;
      // One process: a single part holding every subscription, swept `concurrency` at a time.
      const all: WorkPart = { runId, index: 0, subscriptions: parts.flatMap((p) => p.subscriptions) };
      await this.services.runs.update(runId, (r) => ({ ...r, partsTotal: 1 }));
      // Nobody else sweeps this run: the cap can be counted here rather than on the run record.
      const policy = (await this.planOf(run))?.policy ?? this.policy;
      const cap = Math.min(policy.limits.maxActionsPerRun, options.maxActions ?? Infinity);
      const budget = new LocalBudget(cap);
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.sweepPart(all, {
            checkSubscriptions: false,
            recordProgress: false,
            ...options,
            budget,
            attempt,
          });
        } catch (err) {
          if (!(err instanceof PartIncompleteError)) throw err;
          if (attempt + 1 >= CLI_DELIVERIES) return await this.failPart(all, err.message, true);
          await this.options.sleep(Math.min(30_000, this.options.redeliveryDelayMs * 2 ** attempt));
        }
      }
    } catch (err) {
      // Never leave a run queued or running: it is failed, with what went wrong. Every worker of it ran here and
      // has stopped (sweepPart waits for them), so a claim it never acted on can be given back.
      await this.finalizeFailed(runId, `run stopped: ${describeError(err)}`, {
        nothingRunning: true,
      }).catch(() => undefined);
      throw err;
    }
  }

  /** Marks a run failed when it could not be handed on (e.g. the queue was unreachable). */
  async failRun(runId: string, message: string): Promise<RunRecord> {
    return this.finalizeFailed(runId, message);
  }

  /**
   * What the policy decides for one job right now, read live (through the ARM pacer); acts on nothing and
   * writes nothing. A job outside the policy's subscription scope is answered without reading it.
   */
  async explain(ref: JobRef): Promise<{ decision: JobDecision; failure?: ArmFailure }> {
    if (!matchesSubscriptionScope(this.policy, ref.subscriptionId))
      return {
        decision: {
          action: "none",
          reason: "out-of-scope",
          eligible: false,
          state: "",
          detail: "subscription not in the policy's scope: the janitor never reads or acts on it",
          observation: undefined,
        },
      };
    const arm = this.armCaller(Date.now() + this.options.armTimeoutMs * 2, this.explainPacer);
    const read = await arm.call(ref.subscriptionId, "read", (s) => this.services.jobs.getJob(ref, s));
    if (!read.ok) {
      if (read.failure.kind === "gone")
        throw new NotFoundError(`job ${ref.resourceGroup}/${ref.name} not found`);
      return {
        decision: {
          action: "none",
          reason: "transient-error",
          eligible: false,
          state: "",
          detail: `the job could not be read: ${failureText(read.failure)}`,
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

  /**
   * The saved plan a part works with: the one a plan run writes, or the approved one an apply run keeps to (with
   * its policy: a plan is applied under the policy it was made with, whatever is in force now).
   */
  private async planOf(run: RunRecord): Promise<{ plan: SweepPlan; policy?: Policy } | undefined> {
    const store = this.services.plans;
    if (run.planId === undefined) {
      return store && run.mode === "plan" ? { plan: { store, writing: { planId: run.runId } } } : undefined;
    }
    // Fail closed: a run of a plan that cannot be read acts on nothing.
    if (!store)
      throw new JanitorError(`run ${run.runId} applies plan ${run.planId}, but plans are not configured`);
    const stored = await store.get(run.planId);
    if (!stored || stored.plan.status !== "applied" || stored.plan.appliedRunId !== run.runId)
      throw new JanitorError(`plan ${run.planId} is not claimed by run ${run.runId}: nothing is applied`);
    return {
      plan: {
        store,
        applying: { planId: run.planId, excluded: new Set(stored.plan.excluded ?? []) },
      },
      policy: stored.plan.policy,
    };
  }

  private sweepContext(
    run: RunRecord,
    part: WorkPart,
    options: SweepPartOptions,
    signal: AbortSignal,
    attempt: number,
    saved?: { plan: SweepPlan; policy?: Policy },
  ): SweepContext {
    const arm = this.armCaller(options.deadline.getTime());
    this.armStats.push(arm.stats);
    if (this.armStats.length > 100) this.armStats.shift(); // a long-lived worker keeps only recent figures
    return {
      runId: run.runId,
      mode: run.mode,
      policy: saved?.policy ?? this.policy,
      gateway: this.services.jobs,
      audit: this.services.audit,
      observations: this.services.observations,
      leases: this.services.leases,
      arm,
      budget:
        options.budget ??
        new RunRecordBudget(
          this.services.runs,
          run.runId,
          (saved?.policy ?? this.policy).limits.maxActionsPerRun,
        ),
      now: this.options.now,
      trailFor: (slot, n) => this.trail(run, slot, n),
      holder: `${run.runId}/part-${part.index}/attempt-${attempt}-${randomBytes(3).toString("hex")}`,
      partPrefix: `${run.runId}/part-${part.index}/`,
      leaseTtlMs: this.options.leaseTtlMs,
      actionMarginMs: this.options.actionMarginMs,
      pageSize: this.options.pageSize,
      inFlightMs: this.options.armTimeoutMs + 5_000,
      sleep: this.options.sleep,
      signal,
      onDecision: options.onDecision,
      ...(options.recordProgress !== false && {
        progress: { runs: this.services.runs, partIndex: part.index },
      }),
      ...(options.checkSubscriptions !== false && { subscriptions: this.services.subscriptions }),
      events: this.services.events,
      telemetry: this.services.telemetry,
      ...(saved && { plan: saved.plan }),
    };
  }

  /** The one place an ARM caller is made: paced, retried by the policy, bounded by a deadline. */
  private armCaller(deadlineMs: number, pacer?: ArmPacer): ArmCaller {
    return new ArmCaller(
      pacer ?? new ArmPacer(this.options.pacing, this.options.sleep),
      deadlineMs,
      this.options.retry,
      this.options.sleep,
    );
  }

  private async pausePart(run: RunRecord, part: WorkPart, attempt: number): Promise<RunRecord> {
    for (const s of part.subscriptions) {
      const trail = this.trail(run, s.slot, attempt);
      await trail.write([{ ...this.runWideEntry(trail, "paused"), subscriptionId: s.subscriptionId }]);
    }
    const paused = await this.updateAndAnnounce(run.runId, (r) =>
      pauseRun(
        mergePart(r, part.index, { counts: { subscriptionsSkipped: part.subscriptions.length } }),
        "JANITOR_PAUSED is set: the rest of the run was not swept",
        this.nowIso(),
      ),
    );
    return paused;
  }

  private runWideEntry(trail: AuditTrail, reason: "paused") {
    return trail.entry({
      subscriptionId: RUN_WIDE,
      action: "none",
      phase: "outcome",
      outcome: "skipped",
      reason,
    });
  }

  /**
   * With a job index, the subscriptions of `scan` it shows jobs in; the others are counted as without jobs and
   * never listed. The index only narrows: what is swept is still listed and re-read from the job APIs, and a job
   * it has not indexed yet is swept by a later run. When the index fails, answers badly or is throttled past the
   * time, every subscription is swept and the run says why (the reason is the janitor's own words). A plan's apply
   * sweeps exactly the plan's subscriptions: a lagging index must not drop one.
   */
  private async narrowToJobs(
    run: RunRecord,
    scan: string[],
    deadline: Date | undefined,
  ): Promise<{ scan: string[]; withoutJobs: number; discovery: string; problem?: string }> {
    const index = this.services.jobIndex;
    if (index === undefined || run.planId !== undefined)
      return { scan, withoutJobs: 0, discovery: "subscriptions" };
    if (scan.length === 0) return { scan, withoutJobs: 0, discovery: "resource-graph" };
    // Real time, like the run's deadline: the index's waits are real.
    const until = Math.min(deadline?.getTime() ?? Infinity, Date.now() + this.options.discoveryTimeoutMs);
    let answer: JobIndexAnswer;
    try {
      answer = await index.subscriptionsWithJobs(scan, { deadline: new Date(until) });
    } catch {
      answer = { ok: false, reason: "the index failed unexpectedly", queries: 0, throttled: 0 };
    }
    if (!answer.ok) {
      const reason = answer.reason.replace(/[^\x20-\x7e]/g, "").slice(0, 120) || "no reason given";
      return { scan, withoutJobs: 0, discovery: `subscriptions (fallback: ${reason})` };
    }
    const withJobs = answer.withJobs;
    const kept = scan.filter((id) => {
      const counts = withJobs.get(id.toLowerCase());
      return counts !== undefined && (counts.unknown === true || counts.importexport + counts.databox > 0);
    });
    const problem =
      answer.ignoredRows > 0
        ? `Resource Graph: ${answer.ignoredRows} rows ignored (${(answer.ignored[0] ?? "").slice(0, 80)})`
        : undefined;
    return {
      scan: kept,
      withoutJobs: scan.length - kept.length,
      discovery: "resource-graph",
      ...(problem && { problem }),
    };
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
      // The policy this engine decides with (the run record keeps the one in force when it was requested); a
      // run applying a plan decides with the plan's.
      policyHash: run.planId !== undefined ? run.policyHash : this.policyHash,
      ...(run.planId !== undefined && { planId: run.planId, approvedBy: run.approvedBy }),
    };
    return new AuditTrail(
      this.services.audit,
      identity,
      slot * SEQ_BLOCK + attempt * SEQ_ATTEMPT,
      this.options.now,
    );
  }

  private nowIso(): string {
    return this.options.now().toISOString();
  }

  private async mustGetRun(runId: string): Promise<RunRecord> {
    const run = await this.services.runs.get(runId);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    return run;
  }

  private finalizeFailed(
    runId: string,
    message: string,
    settle: { nothingRunning?: boolean } = {},
  ): Promise<RunRecord> {
    return this.updateAndAnnounce(runId, (r) => failRun(r, message, this.nowIso()), settle);
  }

  private finishIfDone(runId: string): Promise<RunRecord> {
    return this.updateAndAnnounce(runId, (r) => finishIfDone(r, this.nowIso()));
  }

  /**
   * A run record change that may finish the run: when this write is the one that made it final, `run-finished`
   * (or `run-failed`) is emitted, once, whichever path got there.
   */
  private async updateAndAnnounce(
    runId: string,
    change: (run: RunRecord) => RunRecord,
    settle: { nothingRunning?: boolean } = {},
  ): Promise<RunRecord> {
    let finishedHere = false;
    const stored = await this.services.runs.update(runId, (r) => {
      const next = change(r);
      finishedHere = !isFinal(r) && isFinal(next);
      return next;
    });
    if (finishedHere)
      emitSafely(this.services.events, {
        type: stored.status === "failed" ? "run-failed" : "run-finished",
        run: runSummary(stored),
      });
    // An apply run's end settles its plan's claim: given back if it never acted, else its outcome on the plan.
    // Never fails the run: a claim left in place is settled by the next apply of the plan (claimForApply).
    if (finishedHere && stored.mode === "apply" && stored.planId !== undefined && this.services.plans)
      await this.planReview()
        .settleApply(stored, settle)
        .catch(() => undefined);
    // A saved plan with actions, made by the app (timer or HTTP), waits for an approver.
    if (finishedHere && awaitsApproval(stored, this.services.plans !== undefined))
      emitSafely(
        this.services.events,
        planAwaitingApproval({ runId: stored.runId, planId: stored.runId, actions: stored.counts.planned }),
      );
    return stored;
  }
}

function awaitsApproval(run: RunRecord, plansKept: boolean): boolean {
  return (
    plansKept &&
    run.mode === "plan" &&
    run.trigger !== "cli" &&
    (run.status === "succeeded" || run.status === "partial") &&
    run.counts.planned > 0
  );
}

/** Sorted subscriptions in parts of `perPart` (0: chosen so that a run has at most ~256 parts). */
function splitIntoParts(runId: string, scan: string[], perPart: number): WorkPart[] {
  const size = perPart || Math.max(1, Math.ceil(scan.length / MAX_PARTS));
  const parts: WorkPart[] = [];
  scan.forEach((subscriptionId, i) => {
    const index = Math.floor(i / size);
    if (!parts[index]) parts[index] = { runId, index, subscriptions: [] };
    parts[index].subscriptions.push({ subscriptionId, slot: i + 1 });
  });
  return parts;
}

function addPartResult(part: PartResult, result: SubscriptionSweepResult): void {
  part.counts = addCounts(part.counts as RunCounts, result.counts);
  for (const [reason, n] of Object.entries(result.reasons))
    part.reasons![reason] = (part.reasons![reason] ?? 0) + n;
  if (result.error) part.errors!.push(`${result.subscriptionId}: ${result.error}`);
}
