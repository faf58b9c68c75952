// Vitest helper: a real emulator over https for one test file (started in beforeAll, closed in afterAll), its
// control client, and real SDK clients pointed at it.
import type { TokenCredential } from "@azure/core-auth";
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import { StorageImportExport } from "@azure/arm-storageimportexport";
import https from "node:https";
import { isRestError, type RestError } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, expect } from "vitest";
import { EmulatorControlClient } from "../../tools/emulator/src/controlClient";
import type { SeedJob } from "../../tools/emulator/src/seed";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "../../tools/emulator/src/server";

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

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when empty. */
  json: unknown;
}

/**
 * One raw https request to the emulator (for what the SDK cannot send: no token, no api-version, bad bodies).
 * `token: null` sends no Authorization header.
 */
export function armRequest(
  emulator: RunningEmulator,
  method: string,
  pathAndQuery: string,
  options: { token?: string | null; body?: unknown; rawBody?: string } = {},
): Promise<RawResponse> {
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const token = options.token === undefined ? "dev" : options.token;
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(pathAndQuery, emulator.endpoint),
      {
        method,
        ca: emulator.caCertPem,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(payload === undefined ? {} : { "content-type": "application/json" }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: text === "" ? undefined : JSON.parse(text),
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** A minimal valid seed job (Import, Creating unless told), for tests that build their own data. */
export function makeJob(
  subscriptionId: string,
  resourceGroup: string,
  name: string,
  properties: SeedJob["properties"] = {},
  extra: Partial<Omit<SeedJob, "subscriptionId" | "resourceGroup" | "name" | "properties">> = {},
): SeedJob {
  return {
    subscriptionId,
    resourceGroup,
    name,
    location: "West US",
    properties: { jobType: "Import", state: "Creating", cancelRequested: false, ...properties },
    ...extra,
  };
}

/** Captures the response headers of one SDK call: pass `onResponse` in the operation options. */
export function headerCapture(): {
  onResponse: (raw: { headers: { get(name: string): string | undefined } }) => void;
  get(name: string): string | undefined;
} {
  let last: { get(name: string): string | undefined } | undefined;
  return {
    onResponse: (raw) => {
      last = raw.headers;
    },
    get: (name) => last?.get(name),
  };
}

/** The RestError an SDK call rejects with (fails the test when it resolves or throws something else). */
export async function sdkRejection(promise: Promise<unknown>): Promise<RestError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  // The SDK may load its own copy of core-rest-pipeline, so check the shape rather than the class identity.
  expect(isRestError(error), `expected a RestError, got ${String(error)}`).toBe(true);
  return error as RestError;
}
