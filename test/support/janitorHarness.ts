// Scenario harness: the real emulator over https and a real Azurite for one test file, and a janitor built
// from settings exactly as the app builds it. Each scenario gets a fresh emulator state and its own tables.
import { afterAll, beforeAll, expect } from "vitest";
import { createJanitor, type Janitor } from "../../src/composition";
import type { PolicyDocument } from "../../src/domain/policy";
import type { AuditEntry, RunRecord } from "../../src/domain/records";
import type { Mode } from "../../src/domain/vocabulary";
import type { EngineOptions } from "../../src/engine/janitorEngine";
import type { JobsGateway } from "../../src/engine/ports";
import type { DecisionReport } from "../../src/engine/sweepSubscription";
import { EmulatorControlClient } from "../../src/emulator/controlClient";
import type { EmulatorSeed } from "../../src/emulator/seed";
import type { EmulatorSettings } from "../../src/emulator/settings";
import { startEmulator, type RunningEmulator } from "../../src/emulator/server";
import { startAzurite, type AzuriteProcess } from "../../src/localHost/azuriteProcess";

export interface ScenarioOptions {
  seed: EmulatorSeed;
  policy?: PolicyDocument;
  emulatorSettings?: Partial<EmulatorSettings>;
  engine?: Partial<EngineOptions>;
  /** Wraps the real gateway, e.g. to change a job at the moment the engine re-reads it. */
  wrapGateway?: (gateway: JobsGateway, control: EmulatorControlClient) => JobsGateway;
}

export interface RunResult {
  run: RunRecord;
  decisions: DecisionReport[];
  audit: AuditEntry[];
}

export interface Scenario {
  janitor: Janitor;
  control: EmulatorControlClient;
  run(mode: Mode, options?: { deadlineMs?: number; subscriptions?: string[] }): Promise<RunResult>;
}

/** Test-friendly engine defaults: real pacing stays on, but retries and margins are short. */
export const FAST_ENGINE: Partial<EngineOptions> = {
  retry: { maxAttempts: 4, backoffBaseMs: 50, backoffMaxMs: 400, maxRetryAfterMs: 5_000 },
  actionMarginMs: 0,
};

let counter = 0;

export function withScenarios() {
  let emulator: RunningEmulator | undefined;
  let azurite: AzuriteProcess | undefined;
  let control: EmulatorControlClient | undefined;
  beforeAll(async () => {
    [emulator, azurite] = await Promise.all([
      startEmulator({ seed: { subscriptions: [], jobs: [] } }),
      startAzurite(),
    ]);
    control = new EmulatorControlClient(emulator);
  });
  afterAll(async () => {
    await Promise.allSettled([emulator?.close(), azurite?.stop()]);
  });

  async function scenario(options: ScenarioOptions): Promise<Scenario> {
    if (!emulator || !azurite || !control) throw new Error("use scenarios inside tests");
    await control.reset({ seed: options.seed, settings: options.emulatorSettings });
    const env = {
      JANITOR_ARM_ENDPOINT: emulator.endpoint,
      JANITOR_ARM_CA_CERT: emulator.caCertPath,
      JANITOR_STORAGE: azurite.connectionString,
      ...(options.policy && { JANITOR_POLICY: JSON.stringify(options.policy) }),
    };
    const janitor = await createJanitor(env, {
      engine: { ...FAST_ENGINE, ...options.engine },
      tablePrefix: `T${process.pid}x${++counter}`,
    });
    if (options.wrapGateway) {
      const services = janitor.engine.services as { jobs: JobsGateway };
      services.jobs = options.wrapGateway(services.jobs, control);
    }
    const ctl = control;
    return {
      janitor,
      control: ctl,
      async run(mode, runOptions = {}) {
        const decisions: DecisionReport[] = [];
        const runId = `${mode}-${Date.now()}-${++counter}`;
        const run = await janitor.engine.executeRun(
          { trigger: "cli", mode, requestedBy: "cli:test", subscriptions: runOptions.subscriptions },
          runId,
          {
            deadline: new Date(Date.now() + (runOptions.deadlineMs ?? 120_000)),
            onDecision: (d) => decisions.push(d),
          },
        );
        const audit = await auditOfRun(janitor, runId);
        return { run, decisions, audit };
      },
    };
  }
  return { scenario, control: () => control! };
}

export async function auditOfRun(janitor: Janitor, runId: string): Promise<AuditEntry[]> {
  const items: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await janitor.storage.audit.query({ runId, limit: 1000, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items.sort((a, b) => a.seq - b.seq);
}

/** The safety invariants every scenario must keep. */
export async function expectSafe(control: EmulatorControlClient, audit: AuditEntry[]): Promise<void> {
  const forbidden = await control.requests({ forbidden: true });
  expect(forbidden.forbiddenTotal, JSON.stringify(forbidden.items)).toBe(0);
  // Every intent is followed by exactly one outcome for the same job, and no outcome of an action lacks its intent.
  const intents = audit.filter((e) => e.phase === "intent");
  for (const intent of intents) {
    const outcomes = audit.filter(
      (e) =>
        e.phase === "outcome" && e.jobId === intent.jobId && e.seq > intent.seq && e.action === intent.action,
    );
    expect(outcomes.length, `outcome after intent for ${intent.jobId}`).toBeGreaterThanOrEqual(1);
  }
  const acted = audit.filter(
    (e) => e.phase === "outcome" && ["succeeded", "refused", "failed"].includes(e.outcome ?? ""),
  );
  for (const outcome of acted) {
    if (outcome.reason === "listing-failed" || !outcome.jobId) continue;
    const intent = intents.find((i) => i.jobId === outcome.jobId && i.seq < outcome.seq);
    expect(intent, `intent before ${outcome.outcome} of ${outcome.jobId}`).toBeDefined();
  }
}
