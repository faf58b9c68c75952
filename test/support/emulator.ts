// Vitest helper: a real emulator over https for one test file (started in beforeAll, closed in afterAll), its
// control client, and real SDK clients pointed at it.
import type { TokenCredential } from "@azure/core-auth";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { StorageImportExport } from "@azure/arm-storageimportexport";
import { afterAll, beforeAll } from "vitest";
import { EmulatorControlClient } from "../../src/emulator/controlClient";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../src/emulator/server";

/** The emulator takes any bearer token; this credential hands out a fixed one, as the app does on loopback. */
export const devCredential: TokenCredential = {
  getToken: async () => ({ token: "dev", expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export interface EmulatorFixture {
  readonly emulator: RunningEmulator;
  readonly control: EmulatorControlClient;
  /** A real Import/Export SDK client for one subscription; no retries unless asked, so tests see every answer. */
  importExport(subscriptionId: string, options?: { maxRetries?: number }): StorageImportExport;
  /** A real subscriptions SDK client. */
  subscriptions(): SubscriptionClient;
}

export function sdkClientOptions(emulator: RunningEmulator, maxRetries = 0) {
  return {
    endpoint: emulator.endpoint,
    tlsOptions: { ca: emulator.caCertPem },
    retryOptions: { maxRetries },
  };
}

/** Starts an emulator for the enclosing test file (or describe block). Read its fields inside tests only. */
export function withEmulator(options: EmulatorOptions = {}): EmulatorFixture {
  let emulator: RunningEmulator | undefined;
  let control: EmulatorControlClient | undefined;
  beforeAll(async () => {
    emulator = await startEmulator(options);
    control = new EmulatorControlClient(emulator);
  });
  afterAll(async () => {
    await emulator?.close();
  });
  const running = () => {
    if (emulator === undefined) throw new Error("the emulator is not running: use the fixture inside tests");
    return emulator;
  };
  return {
    get emulator() {
      return running();
    },
    get control() {
      running();
      return control!;
    },
    importExport: (subscriptionId, o = {}) =>
      new StorageImportExport(devCredential, subscriptionId, sdkClientOptions(running(), o.maxRetries)),
    subscriptions: () => new SubscriptionClient(devCredential, sdkClientOptions(running())),
  };
}
