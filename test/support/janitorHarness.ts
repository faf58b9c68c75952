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
import { EmulatorControlClient } from "../../tools/emulator/src/controlClient";
import type { EmulatorSeed } from "../../tools/emulator/src/seed";
import type { EmulatorSettings } from "../../tools/emulator/src/settings";
import { startEmulator, type RunningEmulator } from "../../tools/emulator/src/server";
import { startAzurite, type AzuriteProcess } from "../../tools/local-functions-host/src/azuriteProcess";
import {
  readStoredTrail,
  trailViolations,
  type StoredAuditEntry,
  type TrailCheckOptions,
} from "./storedTrail";

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
  /** The run's audit entries as stored, each with the table's own Timestamp (`storedAt`). */
  audit: StoredAuditEntry[];
}

export interface Scenario {
  janitor: Janitor;
  control: EmulatorControlClient;
  run(mode: Mode, options?: { deadlineMs?: number; subscriptions?: string[] }): Promise<RunResult>;
  /** Every run's audit entries in this scenario's table, as stored (for checks across runs). */
  trail(): Promise<StoredAuditEntry[]>;
}

/** Test-friendly engine defaults: real pacing stays on, but retries and margins are short. */
export const FAST_ENGINE: Partial<EngineOptions> = {
  retry: { maxAttempts: 4, backoffBaseMs: 50, backoffMaxMs: 400, maxRetryAfterMs: 5_000 },
  actionMarginMs: 0,
  redeliveryDelayMs: 20,
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
    const tablePrefix = `T${process.pid}x${++counter}`;
    const janitor = await createJanitor(env, {
      engine: { ...FAST_ENGINE, ...options.engine },
      tablePrefix,
    });
    if (options.wrapGateway) {
      const services = janitor.engine.services as { jobs: JobsGateway };
      services.jobs = options.wrapGateway(services.jobs, control);
    }
    const ctl = control;
    const connectionString = azurite.connectionString;
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
        const audit = await readStoredTrail(connectionString, tablePrefix, runId);
        return { run, decisions, audit };
      },
      trail: () => readStoredTrail(connectionString, tablePrefix),
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

/**
 * The safety invariants every scenario must keep, checked against the emulator's request log: no forbidden
 * request; every delete or cancel sent after its intent was stored (the table's Timestamp against the
 * request's arrival, not the entries' seq); each intent with exactly one outcome; no acted outcome without an
 * intent. Pass the trail of every run the scenario made (`scenario.trail()`) when it ran more than once.
 */
export async function expectSafe(
  control: EmulatorControlClient,
  trail: readonly StoredAuditEntry[],
  options: TrailCheckOptions = {},
): Promise<void> {
  const forbidden = await control.requests({ forbidden: true });
  expect(forbidden.forbiddenTotal, JSON.stringify(forbidden.items)).toBe(0);
  const log = await control.requests();
  expect(log.dropped, "the request log dropped entries: too many requests to check").toBe(0);
  expect(trailViolations(log.items, trail, options)).toEqual([]);
}
