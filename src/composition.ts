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
import { readFileSync } from "node:fs";
import { parsePolicy } from "./domain/policy";
import { loadPolicy, type LoadedPolicy } from "./domain/policy/loadPolicy";
import { JanitorEngine, type EngineOptions } from "./engine/janitorEngine";
import { collectSettings, parseCoreSettings, type CoreSettings, type Env } from "./settings/settings";
import { SettingsError, ValidationError } from "./errors";

export interface JanitorSettings {
  core: CoreSettings;
  arm: ArmSettings;
  storage: StorageConnection;
}

/** Every setting checked at once; throws SettingsError naming each bad one. */
export function readSettings(env: Env): JanitorSettings {
  return collectSettings<JanitorSettings>({
    core: () => parseCoreSettings(env),
    arm: () => parseArmSettings(env),
    storage: () => parseStorageSettings(env),
  });
}

/**
 * Checks the policy settings synchronously, for the app's start: a bad policy stops the app like any other bad
 * setting, instead of failing every invocation later.
 */
export function checkPolicySettings(env: Env): void {
  const inline = env.JANITOR_POLICY?.trim();
  const path = env.JANITOR_POLICY_PATH?.trim();
  const setting = inline ? "JANITOR_POLICY" : "JANITOR_POLICY_PATH";
  try {
    if (inline && path)
      throw new ValidationError([
        { field: "policy", message: "both JANITOR_POLICY and JANITOR_POLICY_PATH are set; set only one" },
      ]);
    if (inline) parsePolicy(inline, { format: "json", name: "JANITOR_POLICY" });
    else if (path) {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch {
        throw new ValidationError([{ field: "policy", message: `cannot read the policy file ${path}` }]);
      }
      parsePolicy(text, { name: path });
    }
  } catch (err) {
    if (err instanceof ValidationError)
      throw new SettingsError(
        err.problems.map((p) => ({ field: `${setting}: ${p.field}`, message: p.message })),
      );
    throw err;
  }
}

/** The policy from `JANITOR_POLICY` / `JANITOR_POLICY_PATH` (or an explicit file), as a settings error. */
export async function readPolicy(env: Env, policyFile?: string): Promise<LoadedPolicy> {
  try {
    if (policyFile) return await loadPolicy({ path: policyFile });
    return await loadPolicy({ inlineJson: env.JANITOR_POLICY, path: env.JANITOR_POLICY_PATH });
  } catch (err) {
    if (err instanceof ValidationError && !policyFile) {
      const setting = env.JANITOR_POLICY?.trim() ? "JANITOR_POLICY" : "JANITOR_POLICY_PATH";
      throw new SettingsError(
        err.problems.map((p) => ({ field: `${setting}: ${p.field}`, message: p.message })),
      );
    }
    throw err;
  }
}

export interface Janitor {
  settings: JanitorSettings;
  policy: LoadedPolicy;
  storage: Storage;
  engine: JanitorEngine;
}

/** Builds the janitor from settings. Creates no Azure resource until used, except the tables (ensureReady). */
export async function createJanitor(
  env: Env,
  options: { policyFile?: string; engine?: Partial<EngineOptions>; tablePrefix?: string } = {},
): Promise<Janitor> {
  const settings = readSettings(env);
  const policy = await readPolicy(env, options.policyFile);
  const arm = createArmAdapters(settings.arm, { timeoutMs: settings.core.armTimeoutMs });
  const storage = createStorage(settings.storage, { tablePrefix: options.tablePrefix });
  await storage.ensureReady();
  const engine = new JanitorEngine(
    {
      jobs: arm.jobs,
      subscriptions: arm.subscriptions,
      audit: storage.audit,
      runs: storage.runs,
      observations: storage.observations,
      leases: storage.leases,
    },
    policy.policy,
    policy.hash,
    {
      concurrency: settings.core.concurrency,
      armTimeoutMs: settings.core.armTimeoutMs,
      // Margin before the deadline for starting an action: its read, its request and its check.
      actionMarginMs: 3 * settings.core.armTimeoutMs,
      leaseTtlMs: settings.core.leaseTtlMs,
      ...options.engine,
    },
    settings.core.paused,
  );
  return { settings, policy, storage, engine };
}
