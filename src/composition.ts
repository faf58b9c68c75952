// The composition root: settings -> adapters -> engine. The Functions app and the CLI both build the janitor
// here, so they run the same code against the same settings.
import { createArmAdapters } from "./adapters/arm";
import { parseArmSettings, type ArmSettings } from "./adapters/arm/armSettings";
import {
  createStorage,
  parseStorageSettings,
  type Storage,
  type StorageConnection,
} from "./adapters/storage";
import { loadPolicy, type LoadedPolicy } from "./domain/policy/loadPolicy";
import { JanitorEngine, type EngineOptions } from "./engine/janitorEngine";
import { collectSettings, parseCoreSettings, type CoreSettings, type Env } from "./settings/settings";
import { SettingsError, ValidationError } from "./errors";
import { createNotifier, type QueueNotifier } from "./adapters/notify";
import { parseNotifySettings, type NotifySettings } from "./settings/notifySettings";
import { runningTelemetry } from "./adapters/telemetry";
import { allListeners } from "./engine/engineEvents";

export interface JanitorSettings {
  core: CoreSettings;
  arm: ArmSettings;
  storage: StorageConnection;
  notify: NotifySettings;
}

/** Every setting checked at once; throws SettingsError naming each bad one. */
export function readSettings(env: Env): JanitorSettings {
  return collectSettings<JanitorSettings>({
    core: () => parseCoreSettings(env),
    arm: () => parseArmSettings(env),
    storage: () => parseStorageSettings(env),
    notify: () => parseNotifySettings(env),
  });
}

/**
 * The effective policy from `JANITOR_POLICY` / `JANITOR_POLICY_PATH` (or an explicit `--policy` file). Synchronous,
 * so the app can check it when it loads: a bad policy stops it like any other bad setting, naming the setting.
 */
export function readPolicy(env: Env, policyFile?: string): LoadedPolicy {
  if (policyFile) return loadPolicy({ path: policyFile });
  try {
    return loadPolicy({ inlineJson: env.JANITOR_POLICY, path: env.JANITOR_POLICY_PATH });
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const setting = env.JANITOR_POLICY?.trim() ? "JANITOR_POLICY" : "JANITOR_POLICY_PATH";
    throw new SettingsError(
      err.problems.map((p) => ({ field: `${setting}: ${p.field}`, message: p.message })),
    );
  }
}

export interface Janitor {
  settings: JanitorSettings;
  policy: LoadedPolicy;
  storage: Storage;
  engine: JanitorEngine;
  /** Set when `JANITOR_NOTIFY` names targets: the engine's events go to the `janitor-notify` queue. */
  notifier?: QueueNotifier;
}

/** Builds the janitor from settings. Creates no Azure resource until used, except the tables (ensureReady). */
export async function createJanitor(
  env: Env,
  options: {
    policyFile?: string;
    /** A policy already read (the app reads it once, when it loads). */
    policy?: LoadedPolicy;
    engine?: Partial<EngineOptions>;
    tablePrefix?: string;
  } = {},
): Promise<Janitor> {
  const settings = readSettings(env);
  const policy = options.policy ?? readPolicy(env, options.policyFile);
  const arm = createArmAdapters(settings.arm, {
    timeoutMs: settings.core.armTimeoutMs,
    // JANITOR_SOURCES: which job APIs the gateway lists and acts through (both by default).
    sources: settings.core.sources,
  });
  const storage = createStorage(settings.storage, { tablePrefix: options.tablePrefix });
  await storage.ensureReady();
  const notifier = await createNotifier(settings.storage, settings.notify, {
    tablePrefix: options.tablePrefix,
  });
  // Telemetry is on when the app (or a test) started it: src/adapters/telemetry/startTelemetry.ts.
  const telemetry = runningTelemetry();
  const events = allListeners(notifier, telemetry);
  const engine = new JanitorEngine(
    {
      jobs: arm.jobs,
      subscriptions: arm.subscriptions,
      audit: storage.audit,
      runs: storage.runs,
      observations: storage.observations,
      leases: storage.leases,
      plans: storage.plans,
      // JANITOR_DISCOVERY=resource-graph: Resource Graph narrows which subscriptions are listed.
      ...(settings.core.discovery === "resource-graph" && { jobIndex: arm.jobIndex }),
      ...(events && { events }),
      ...(telemetry && { telemetry }),
    },
    policy.policy,
    policy.hash,
    {
      concurrency: settings.core.concurrency,
      armTimeoutMs: settings.core.armTimeoutMs,
      // Margin before the deadline for starting an action: its read, its request and its check.
      actionMarginMs: 3 * settings.core.armTimeoutMs,
      leaseTtlMs: settings.core.leaseTtlMs,
      planTtlMs: settings.core.planTtlMs,
      ...options.engine,
    },
    settings.core.paused,
  );
  return { settings, policy, storage, engine, ...(notifier && { notifier }) };
}
