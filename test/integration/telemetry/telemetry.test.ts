// Telemetry for real: the app's own start-up (src/adapters/telemetry) with the real Azure Monitor exporter,
// pointed by its connection string (IngestionEndpoint=) at a loopback ingestion receiver, a plan and an apply
// against the emulator and Azurite, and a poisoned notification through the app's handler. What arrives is
// checked by the names the alerts and workbook query (src/domain/telemetryNames.ts), for the seeded canaries
// of personal data and secrets, and against a run without the setting: nothing sent, no SDK even loaded.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRICS, RECORDS, SPANS } from "../../../src/domain/telemetryNames";
import type { RunRecord } from "../../../src/domain/records";
import { EmulatorControlClient } from "../../../tools/emulator/src/controlClient";
import { startEmulator, type RunningEmulator } from "../../../tools/emulator/src/server";
import { startAzurite, type AzuriteProcess } from "../../../tools/local-functions-host/src/azuriteProcess";
import {
  startIngestionReceiver,
  type Envelope,
  type IngestionReceiver,
} from "../../support/ingestionReceiver";
import { FAKE_EMAIL, FAKE_KEY, FAKE_PHONE, guid, seedJob, subscription } from "../../support/jobFactory";
import { FAST_ENGINE } from "../../support/janitorHarness";

// The child runs the built app (dist/src/...): test/support/buildSetup.ts builds it first.
const CHILD = path.resolve(__dirname, "../../support/telemetryRun.cjs");
const SUB_A = guid(0xa1);
const SUB_B = guid(0xb2);

const POLICY = {
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
  ],
  guards: { gracePeriod: "PT0S" },
  limits: { maxEligibleFraction: 0.5, minJobsForFraction: 2 },
};

const SEED = {
  subscriptions: [subscription(SUB_A), subscription(SUB_B)],
  jobs: [
    // A: two of four eligible (not more than half): both deleted by the apply.
    seedJob({ sub: SUB_A, name: "draft-stale", state: "Creating", days: 10, systemData: true }),
    seedJob({ sub: SUB_A, name: "completed-old", state: "Completed", days: 40, systemData: true }),
    seedJob({ sub: SUB_A, name: "draft-fresh", state: "Creating", days: 1, systemData: true }),
    seedJob({ sub: SUB_A, name: "shipping", state: "Shipping", days: 3, systemData: true }),
    // B: both eligible, more than half: the breaker trips.
    seedJob({ sub: SUB_B, name: "old-one", state: "Completed", days: 50, systemData: true }),
    seedJob({ sub: SUB_B, name: "old-two", state: "Completed", days: 60, systemData: true }),
  ],
};

interface ChildResult {
  runs: (RunRecord & { elapsedMs: number })[];
  telemetry: boolean;
  sdkLoaded: boolean;
}

let emulator: RunningEmulator;
let azurite: AzuriteProcess;
let control: EmulatorControlClient;
let receiver: IngestionReceiver;
let prefix = 0;

beforeAll(async () => {
  [emulator, azurite, receiver] = await Promise.all([
    startEmulator({ seed: { subscriptions: [], jobs: [] } }),
    startAzurite(),
    startIngestionReceiver(),
  ]);
  control = new EmulatorControlClient(emulator);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([emulator?.close(), azurite?.stop(), receiver?.close()]);
});

async function runChild(extraEnv: Record<string, string>): Promise<ChildResult> {
  // Throttling on, with tiny read buckets and the janitor's own pacing off: the apply meets 429s.
  await control.reset({
    seed: SEED,
    settings: { throttling: { reads: { capacity: 3, refillPerSecond: 2 } } },
  });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    JANITOR_ARM_ENDPOINT: emulator.endpoint,
    JANITOR_ARM_CA_CERT: emulator.caCertPath,
    JANITOR_STORAGE: azurite.connectionString,
    JANITOR_POLICY: JSON.stringify(POLICY),
    TEST_TABLE_PREFIX: `Tel${process.pid}x${++prefix}`,
    TEST_ENGINE: JSON.stringify({ ...FAST_ENGINE, pacing: false, concurrency: 2 }),
    // Nothing of the exporter's own usage statistics goes to Microsoft from a test.
    APPLICATIONINSIGHTS_STATSBEAT_DISABLED: "true",
    APPLICATIONINSIGHTS_SDKSTATS_DISABLED: "true",
    ...extraEnv,
  };
  const child = spawn(process.execPath, [CHILD], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  expect(code, stderr).toBe(0);
  const last = stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(last) as ChildResult;
}

const byType = (envelopes: Envelope[], baseType: string) =>
  envelopes.filter((e) => e.data?.baseType === baseType);

describe("telemetry to Application Insights", () => {
  let withTelemetry: ChildResult;

  it("sends the spans, metrics and records of a plan and an apply to the ingestion endpoint", async () => {
    withTelemetry = await runChild({
      APPLICATIONINSIGHTS_CONNECTION_STRING: receiver.connectionString,
      NODE_EXTRA_CA_CERTS: receiver.caCertPath,
    });
    expect(withTelemetry.telemetry).toBe(true);
    const [plan, apply] = withTelemetry.runs;
    expect(plan!.counts.breakersTripped, JSON.stringify(withTelemetry.runs)).toBe(1);
    expect(apply!.counts.deleted).toBe(2);
    expect(apply!.counts.breakersTripped).toBe(1);

    const envelopes = receiver.envelopes;
    expect(envelopes.length).toBeGreaterThan(0);

    // Spans: internal spans arrive as dependencies named by the span.
    const spans = byType(envelopes, "RemoteDependencyData");
    const spanNames = new Set(spans.map((s) => s.data.baseData.name as string));
    for (const name of Object.values(SPANS)) expect([...spanNames], name).toContain(name);
    const subscriptionSpans = spans.filter((s) => s.data.baseData.name === SPANS.subscription);
    expect(subscriptionSpans.map((s) => s.data.baseData.properties?.subscriptionId)).toEqual(
      expect.arrayContaining([SUB_A, SUB_B]),
    );
    expect(subscriptionSpans.every((s) => s.data.baseData.properties?.runId)).toBe(true);
    // ARM dependency spans (HTTP to the emulator) alongside the janitor's own.
    const armPort = new URL(emulator.endpoint).port;
    expect(spans.some((s) => String(s.data.baseData.target ?? "").includes(armPort))).toBe(true);

    // Metrics.
    const metrics = byType(envelopes, "MetricData").flatMap(
      (e) => e.data.baseData.metrics as { name: string; value: number }[],
    );
    const metricNames = new Set(metrics.map((m) => m.name));
    for (const name of [METRICS.jobsSeen, METRICS.actions, METRICS.runDuration, METRICS.armThrottled])
      expect(metricNames, name).toContain(name);
    const seen = metrics.filter((m) => m.name === METRICS.jobsSeen).reduce((n, m) => n + m.value, 0);
    expect(seen).toBe(12); // six jobs, listed by the plan and by the apply
    const actionDims = byType(envelopes, "MetricData")
      .filter((e) => (e.data.baseData.metrics as { name: string }[])[0]?.name === METRICS.actions)
      .map((e) => e.data.baseData.properties);
    expect(actionDims).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: "delete", outcome: "succeeded" }),
        expect.objectContaining({ action: "delete", outcome: "planned" }),
      ]),
    );

    // Records, as custom events.
    const events = byType(envelopes, "EventData");
    const named = (name: string) => events.filter((e) => e.data.baseData.name === name);
    const finished = named(RECORDS.runFinished).map((e) => e.data.baseData.properties!);
    expect(finished.map((p) => p.runId).sort()).toEqual([plan!.runId, apply!.runId].sort());
    const applied = finished.find((p) => p.runId === apply!.runId)!;
    expect(applied).toMatchObject({ status: apply!.status, mode: "apply", deleted: "2" });
    expect(
      named(RECORDS.actionOutcome)
        .map((e) => e.data.baseData.properties!.jobName)
        .sort(),
    ).toEqual(["completed-old", "draft-stale"]);
    const breakers = named(RECORDS.breakerTripped).map((e) => e.data.baseData.properties!);
    expect(breakers).toHaveLength(2);
    expect(breakers.every((b) => b.subscriptionId === SUB_B)).toBe(true);
    const failedNotice = named(RECORDS.notificationFailed).map((e) => e.data.baseData.properties!);
    expect(failedNotice).toEqual([
      expect.objectContaining({ runId: apply!.runId, target: "ops-webhook", event: "run-finished" }),
    ]);

    // No personal data or secret of the seeded jobs, anywhere in what was sent.
    const everything = receiver.rawBodies.join("\n");
    for (const canary of [FAKE_PHONE, FAKE_EMAIL, FAKE_KEY, "Pat Doe", "1 Example Way", "98052"])
      expect(everything, canary).not.toContain(canary);
  }, 180_000);

  it("sends nothing, and loads no SDK, without APPLICATIONINSIGHTS_CONNECTION_STRING", async () => {
    const before = receiver.requests;
    const result = await runChild({ NODE_EXTRA_CA_CERTS: receiver.caCertPath });
    expect(result.telemetry).toBe(false);
    expect(result.sdkLoaded).toBe(false);
    expect(result.runs[1]!.counts.deleted).toBe(2);
    // Give a stray exporter time to send, were there one.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.requests).toBe(before);
  }, 180_000);

  it("an unreachable ingestion endpoint changes nothing about the runs", async () => {
    const closed =
      "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/";
    const result = await runChild({ APPLICATIONINSIGHTS_CONNECTION_STRING: closed });
    expect(result.telemetry).toBe(true);
    const strip = (r: RunRecord) => ({ status: r.status, counts: r.counts });
    expect(result.runs.map(strip)).toEqual(withTelemetry.runs.map(strip));
  }, 180_000);
});
