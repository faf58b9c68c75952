// The Functions app as deployed code runs it, but local: the built app (package.json `main`) on our local
// Functions host, with a real Azurite and the Import/Export emulator. HTTP calls go over real sockets.
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { EmulatorControlClient } from "../../tools/emulator/src/controlClient";
import type { EmulatorSeed } from "../../tools/emulator/src/seed";
import { startEmulator, type RunningEmulator } from "../../tools/emulator/src/server";
import { startAzurite, type AzuriteProcess } from "../../tools/local-functions-host/src/azuriteProcess";
import { startLocalHost, type LocalHost } from "../../tools/local-functions-host/src/host";
import { ensureBuilt } from "./build";

export const repoRoot = path.resolve(__dirname, "../..");
/** Always true: the built app is brought up to date here, or this throws and the suite fails (never skips). */
export const appBuilt: boolean = ensureBuilt();

export interface AppStack {
  host: LocalHost;
  api: string;
  control: EmulatorControlClient;
  emulator: RunningEmulator;
  azurite: AzuriteProcess;
  settings: Record<string, string>;
}

export function withAppStack(options: { seed: EmulatorSeed | "demo"; settings?: Record<string, string> }) {
  let stack: AppStack | undefined;
  beforeAll(async () => {
    const [emulator, azurite] = await Promise.all([startEmulator({ seed: options.seed }), startAzurite()]);
    const settings: Record<string, string> = {
      AzureWebJobsStorage: azurite.connectionString,
      JANITOR_STORAGE: azurite.connectionString,
      JANITOR_ARM_ENDPOINT: emulator.endpoint,
      JANITOR_ARM_CA_CERT: emulator.caCertPath,
      ...options.settings,
    };
    const host = await startLocalHost({
      appRoot: repoRoot,
      port: 0,
      env: settings,
      queuePollMs: 100,
      log: () => {},
    });
    stack = {
      host,
      api: `${host.url}/api`,
      control: new EmulatorControlClient(emulator),
      emulator,
      azurite,
      settings,
    };
  }, 60_000);
  afterAll(async () => {
    await stack?.host.close();
    await Promise.allSettled([stack?.emulator.close(), stack?.azurite.stop()]);
  });
  return () => {
    if (!stack) throw new Error("the app stack is not running");
    return stack;
  };
}

/** Easy Auth's principal header for a caller with these app roles. */
export function principal(name: string, roles: string[]): string {
  const claims = [{ typ: "name", val: name }, ...roles.map((val) => ({ typ: "roles", val }))];
  return Buffer.from(
    JSON.stringify({ auth_typ: "aad", name_typ: "name", role_typ: "roles", claims }),
  ).toString("base64");
}

export async function waitForRun(
  api: string,
  runId: string,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  for (;;) {
    const res = await fetch(`${api}/runs/${runId}`);
    const run = (await res.json()) as Record<string, unknown>;
    if (!["queued", "running"].includes(run.status as string)) return run;
    if (Date.now() - started > timeoutMs)
      throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
