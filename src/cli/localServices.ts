// `--emulator`: a private emulator (demo seed) and a private in-memory Azurite for one command, so a newcomer can
// try every command with no Azure and no settings. Development only; loaded lazily.
import type { Env } from "../settings/settings";
import { loadEmulator, loadLocalHost } from "./devTools";

export interface LocalServices {
  env: Env;
  close(): Promise<void>;
}

export async function startLocalServices(baseEnv: Env): Promise<LocalServices> {
  const { startEmulator, DEMO_POLICY_JSON } = await loadEmulator();
  const { startAzurite } = await loadLocalHost();
  const started = await Promise.allSettled([startEmulator({ seed: "demo" }), startAzurite()]);
  const [emulatorResult, azuriteResult] = started;
  if (emulatorResult.status === "rejected" || azuriteResult.status === "rejected") {
    // Stop whichever did start before reporting the one that did not.
    if (emulatorResult.status === "fulfilled") await emulatorResult.value.close().catch(() => undefined);
    if (azuriteResult.status === "fulfilled") await azuriteResult.value.stop().catch(() => undefined);
    throw emulatorResult.status === "rejected"
      ? emulatorResult.reason
      : (azuriteResult as PromiseRejectedResult).reason;
  }
  const emulator = emulatorResult.value;
  const azurite = azuriteResult.value;
  const env: Env = {
    ...baseEnv,
    JANITOR_ARM_ENDPOINT: emulator.endpoint,
    JANITOR_ARM_CA_CERT: emulator.caCertPath,
    JANITOR_STORAGE: azurite.connectionString,
    AzureWebJobsStorage: azurite.connectionString,
    AZURE_CLIENT_ID: undefined,
  };
  // The demo policy (no grace period) unless the user gave one: otherwise a first run on a fresh store would
  // only ever show `grace-period`.
  if (!baseEnv.JANITOR_POLICY && !baseEnv.JANITOR_POLICY_PATH) env.JANITOR_POLICY = DEMO_POLICY_JSON;
  return {
    env,
    close: async () => {
      await Promise.allSettled([emulator.close(), azurite.stop()]);
    },
  };
}
