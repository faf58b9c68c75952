// Runs one campaign case through the real engine: the emulator over https through the SDK-based adapters,
// Azurite-backed stores, queue-style deliveries (coordinator, parts, redeliveries, poison), then checks the
// invariants. Only what nothing real produces is simulated: storage failures and a worker dying.
import { writeFileSync } from "node:fs";
import { createArmAdapters, parseArmSettings } from "../../src/adapters/arm";
import { createStorage, parseStorageSettings } from "../../src/adapters/storage";
import { validatePolicy, policyHash } from "../../src/domain/policy";
import type { ProposedAction } from "../../src/domain/plans";
import type { RunRecord } from "../../src/domain/records";
import type { EmulatorControlClient } from "../../tools/emulator/src/controlClient";
import type { RunningEmulator } from "../../tools/emulator/src/server";
import {
  JanitorEngine,
  type EngineOptions,
  type EngineServices,
  type WorkPart,
} from "../../src/engine/janitorEngine";
import type { ChaosCase } from "./generate";
import { checkInvariants, type RunWindow, type Violation } from "./invariants";
import { faultyStorage, Worker, workerServices } from "./services";

export interface CaseFigures {
  runs: number;
  deliveries: number;
  recoveries: number;
  kills: number;
  poisoned: number;
  armRequests: number;
  actions: number;
  /** Of those, carried out by runs applying a saved plan. */
  planActions: number;
  /** Data Box jobs seeded, and of the actions, those on Data Box jobs. */
  boxJobs: number;
  boxActions: number;
  storageFailures: number;
}

export interface CaseResult {
  seed: number;
  violations: Violation[];
  figures: CaseFigures;
  error?: string;
}

export const ARM_TIMEOUT_MS = 1_500;
const MAX_DELIVERIES = 5;

let tableCounter = 0;

export async function runCase(
  c: ChaosCase,
  emulator: RunningEmulator,
  control: EmulatorControlClient,
  azuriteConnection: string,
  logs: string[],
): Promise<CaseResult> {
  const figures: CaseFigures = {
    runs: 0,
    deliveries: 0,
    recoveries: 0,
    kills: 0,
    poisoned: 0,
    armRequests: 0,
    actions: 0,
    planActions: 0,
    boxJobs: c.boxJobs.length,
    boxActions: 0,
    storageFailures: 0,
  };
  await control.reset({
    seed: {
      subscriptions: c.subscriptions,
      jobs: [...c.jobs.map((j) => j.seed), ...c.boxJobs.map((j) => j.seed)],
    },
    // A policy that opts in to deleting Closed jobs asserts the service allows it (it is not in the documented
    // delete set): the emulator is set up as that service.
    settings: {
      throttling: false,
      ...c.settings,
      ...(c.discovery && { resourceGraphLagMs: c.discovery.lagMs }),
      ...(c.policy.guards?.closedCountsAsCompleted && { deleteStates: ["Creating", "Completed", "Closed"] }),
    },
  });
  const tablePrefix = `Chaos${process.pid}x${c.seed}x${++tableCounter}`;
  const storage = createStorage(parseStorageSettings({ JANITOR_STORAGE: azuriteConnection }), {
    tablePrefix,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
  });
  await storage.ensureReady();
  const arm = createArmAdapters(
    parseArmSettings({ JANITOR_ARM_ENDPOINT: emulator.endpoint, JANITOR_ARM_CA_CERT: emulator.caCertPath }),
    { timeoutMs: ARM_TIMEOUT_MS },
  );
  // Saved plans only in plan-apply cases: every other seed makes the same service calls as before they existed.
  const { plans, ...stores } = storage;
  const real: EngineServices = {
    jobs: arm.jobs,
    subscriptions: arm.subscriptions,
    ...stores,
    ...(c.planApply && { plans }),
    ...(c.discovery && { jobIndex: arm.jobIndex }),
  };
  const faulty = faultyStorage(real, c.storageFaults, figures);
  const policy = validatePolicy(c.policy, "chaos policy");
  const hash = policyHash(policy);
  const options = (worker: Worker): Partial<EngineOptions> => ({
    concurrency: c.concurrency,
    retry: { maxAttempts: 4, backoffBaseMs: 20, backoffMaxMs: 200, maxRetryAfterMs: 2_000 },
    leaseTtlMs: 1_500,
    actionMarginMs: 100,
    pageSize: 5,
    armTimeoutMs: ARM_TIMEOUT_MS,
    subscriptionsPerPart: c.subscriptionsPerPart,
    sleep: (ms, signal) => worker.sleep(ms, signal),
  });
  const engineFor = (worker: Worker, services: EngineServices = faulty.services) =>
    new JanitorEngine(workerServices(services, worker), policy, hash, options(worker));

  const deadlineMs = c.deadlineMs ?? 60_000;
  const windows: RunWindow[] = [];
  /** Every action a saved plan proposed (searched for canaries: plans are outputs too). */
  const proposedSeen: ProposedAction[] = [];
  const partsSeen: WorkPart[][] = [];
  let error: string | undefined;
  try {
    if (c.planApply) {
      // A fault-free plan run, approved by another principal; then the main run applies it under the faults.
      const planId = `chaos-${c.seed}-plan`;
      windows.push(await oneRun(planId, "plan", false, undefined, real));
      const approved = await approvePlan(planId);
      await control.addFaults(c.armFaults);
      const main = await oneRun(`chaos-${c.seed}-main`, "apply", true, planId);
      windows.push({ ...main, ...approved });
    } else {
      await control.addFaults(c.armFaults);
      windows.push(await oneRun(`chaos-${c.seed}-main`, c.mode, true));
    }
    if (c.nextRun) {
      faulty.disarm();
      await control.clearFaults();
      windows.push(await oneRun(`chaos-${c.seed}-next`, "apply", false));
    }
  } catch (err) {
    error = `${(err as Error)?.stack ?? String(err)}`;
  }
  // Let requests still in flight land before the log is read (a request the janitor timed out on is served
  // later: it belongs to this case, and its effect is part of the evidence).
  const slowest = Math.max(0, ...c.armFaults.map((f) => f.latencyMs ?? 0));
  // A Data Box delete the service accepted runs for the emulator's dataBoxDeleteMs (300 ms) before the job goes.
  await new Promise((r) => setTimeout(r, slowest + (c.boxJobs.length > 0 ? 450 : 150)));
  const log = await control.requests();
  figures.armRequests = log.total;
  // The Data Box jobs still there (a delete recorded succeeded must have removed its job).
  const boxJobsAfter = c.boxJobs.length > 0 ? await control.dataBoxJobs() : [];
  const violations = await checkInvariants({
    c,
    log: log.items,
    logDropped: log.dropped,
    windows,
    partsSeen,
    written: faulty.written,
    boxJobsAfter,
    proposed: proposedSeen,
    runs: storage.runs,
    azuriteConnection,
    tablePrefix,
    logs,
    figures,
  });
  if (error) violations.push({ invariant: "harness", detail: error.split("\n").slice(0, 3).join(" | ") });
  if (process.env.CHAOS_DEBUG) {
    const trail = [];
    for (const w of windows)
      trail.push(...(await storage.audit.query({ runId: w.runId, limit: 1000 })).items);
    writeFileSync(
      `${process.env.CHAOS_DEBUG}/chaos-${c.seed}.json`,
      JSON.stringify(
        { case: c, windows, violations, log: log.items, trail: trail.sort((a, b) => a.seq - b.seq) },
        (_key, value: unknown) => (value instanceof Map ? [...value] : value),
        1,
      ),
    );
  }
  return { seed: c.seed, violations, figures, error };

  /**
   * Approves the saved plan `planId` as `chaos-approver` (four-eyes: the plan's requester is `chaos`), excluding
   * the drawn proposed action, then changes the drawn planned job in the service. Answers the actions the apply
   * may carry out: the plan's, minus the exclusion, minus the changed job (its state differs from the plan's).
   */
  async function approvePlan(
    planId: string,
  ): Promise<Pick<RunWindow, "planId" | "allowed" | "excluded" | "changed">> {
    const proposed: ProposedAction[] = [];
    let cursor: string | undefined;
    do {
      const page = await retry(() => storage.plans.readActions(planId, { limit: 7, cursor }));
      proposed.push(...page.items);
      proposedSeen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    // Each of the exclusion and the change takes one action out, as long as at least one is left to apply.
    const at = (f: number | undefined, keep: number) =>
      f === undefined || proposed.length <= keep ? undefined : proposed[Math.floor(f * proposed.length)];
    const excluded = at(c.planApply?.exclude, 1);
    const reviewer = { name: "chaos-approver", trigger: "http" as const, authenticated: true };
    await retry(() =>
      engineFor(new Worker(), real)
        .planReview()
        .approve(planId, reviewer, {
          rule: "four-eyes",
          exclude: excluded ? [excluded.jobId] : [],
          comment: `chaos seed ${c.seed}`,
        }),
    );
    let changed: ProposedAction | undefined;
    const change = c.planApply?.change;
    const candidate = at(change?.pick, excluded ? 2 : 1);
    if (change && candidate && candidate !== excluded) {
      const state = change.state === candidate.state ? "Closed" : change.state;
      if (state !== candidate.state) {
        const ref = {
          subscriptionId: candidate.subscriptionId,
          resourceGroup: candidate.resourceGroup,
          name: candidate.jobName,
        };
        // A Data Box job moves to the drawn name as its stage (a classic state name is no Data Box stage).
        if (candidate.source === "databox") await control.setDataBoxStatus(ref, state);
        else await control.setState(ref, state);
        changed = candidate;
      }
    }
    const key = (a: ProposedAction) => a.jobId.toLowerCase();
    const allowed = new Map(
      proposed.filter((a) => a !== excluded && a !== changed).map((a) => [key(a), a.action]),
    );
    return {
      planId,
      allowed,
      ...(excluded && { excluded: key(excluded) }),
      ...(changed && { changed: key(changed) }),
    };
  }

  async function oneRun(
    runId: string,
    mode: "plan" | "apply",
    chaos: boolean,
    planId?: string,
    services?: EngineServices,
  ): Promise<RunWindow> {
    figures.runs++;
    const startMs = Date.now();
    await retry(() =>
      planId
        ? engineFor(new Worker(), services).requestPlanApply(
            { trigger: "http", requestedBy: "chaos" },
            planId,
            runId,
          )
        : engineFor(new Worker(), services).requestRun(
            { trigger: "http", mode, requestedBy: "chaos" },
            runId,
          ),
    );
    // The coordinator: a failed delivery is delivered again (attempt + 1); a redelivery re-plans.
    const planned: WorkPart[][] = [];
    for (let attempt = 0; planned.length === 0 && attempt < MAX_DELIVERIES; attempt++) {
      try {
        planned.push((await engineFor(new Worker(), services).planRun(runId, attempt)).parts);
      } catch {
        figures.recoveries++;
      }
    }
    if (chaos && c.coordinatorRedelivery) {
      if (c.lateSubscription)
        await control.addJobs({
          subscriptions: [{ subscriptionId: c.lateSubscription, state: "Enabled" }],
          jobs: c.lateJobs.map((j) => j.seed),
        });
      try {
        planned.push((await engineFor(new Worker()).planRun(runId, 1)).parts);
        figures.recoveries++;
      } catch {
        // the first plan's messages are queued already
      }
    }
    // The parts-fixed invariant reads the main run's deliveries first: a plan-apply case's plan run is not one.
    if (services === undefined) partsSeen.push(...planned);
    // Every message either coordinator delivery queued is delivered (the queue cannot take one back).
    const messages = planned.flat();
    await Promise.all(messages.map((part) => deliverPart(part, chaos, services)));
    const run = await retry(() => storage.runs.get(runId));
    return { runId, mode, startMs, endMs: Date.now(), run: run as RunRecord | undefined };
  }

  async function deliverPart(part: WorkPart, chaos: boolean, services?: EngineServices): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (let attempt = 0; attempt < MAX_DELIVERIES; attempt++) {
      const kill = chaos ? c.kills.find((k) => k.attempt === attempt) : undefined;
      const worker = new Worker(kill);
      figures.deliveries++;
      if (attempt > 0) figures.recoveries++;
      const sweeping = engineFor(worker, services).sweepPart(part, {
        attempt,
        deadline: new Date(Date.now() + deadlineMs),
      });
      sweeping.catch(() => undefined);
      if (chaos && attempt === 0 && c.duplicateAfterMs !== undefined) {
        // The message became visible again while this delivery still works: another worker takes it.
        await Promise.race([new Promise((r) => setTimeout(r, c.duplicateAfterMs)), worker.died]);
        figures.deliveries++;
        const dup = engineFor(new Worker(), services).sweepPart(part, {
          attempt: attempt + 1,
          deadline: new Date(Date.now() + deadlineMs),
        });
        pending.push(dup.catch(() => undefined));
        attempt++;
      }
      const ended = await Promise.race([
        sweeping.then(
          () => "done" as const,
          () => "failed" as const,
        ),
        worker.died.then(() => "killed" as const),
      ]);
      if (ended === "killed") figures.kills++;
      await Promise.all(pending);
      const run = await retry(() => storage.runs.get(part.runId));
      if (ended === "done" || run?.partsCompleted?.includes(part.index)) {
        if (run?.partsCompleted?.includes(part.index)) return;
      }
    }
    // Poison: the queue gives up on the message.
    figures.poisoned++;
    await retry(() => engineFor(new Worker(), services).failPart(part, "chaos: too many deliveries"));
  }
}

async function retry<T>(f: () => Promise<T>, times = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (i >= times) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
