// Starts OpenTelemetry with the Azure Monitor distro when APPLICATIONINSIGHTS_CONNECTION_STRING is set, and
// nothing otherwise: no SDK, no exporter, not a byte sent. The distro's own instrumentations add the dependency
// spans of HTTP (ARM) and the Azure SDK (Table and Queue storage); the Functions instrumentation carries the
// host's trace context into each invocation and sends context.log through OpenTelemetry
// (https://learn.microsoft.com/azure/azure-functions/opentelemetry-howto,
// https://learn.microsoft.com/javascript/api/overview/azure/monitor-opentelemetry-readme).
// Loaded lazily, so an app without the setting never even loads the SDK.
import type { TokenCredential } from "@azure/identity";
import type { Env } from "../../settings/settings";
import { OpenTelemetryJanitor } from "./openTelemetry";

export const CONNECTION_STRING_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING";
/**
 * Entra ingestion (`Authorization=AAD;ClientId=<identity>`), which the Functions host reads and the infra sets:
 * the Application Insights resource refuses telemetry without a token when its local auth is off
 * (https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication).
 */
export const AUTHENTICATION_STRING_SETTING = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

let running: OpenTelemetryJanitor | undefined;

export interface StartOptions {
  /**
   * The `@azure/functions` module, when running as a Functions app: instrumented directly (rather than by a
   * require hook, which a bundle would defeat). Must be called before any function is registered.
   */
  functions?: unknown;
  /** Extra exporter options (tests: no offline storage). */
  exporter?: Record<string, unknown>;
}

/**
 * Starts telemetry once, if the connection string is set; returns the engine-facing recorder, or undefined when
 * telemetry is off. A failure to start is reported on stderr and leaves the app running without telemetry.
 */
export function startTelemetry(env: Env, options: StartOptions = {}): OpenTelemetryJanitor | undefined {
  if (running) return running;
  const connectionString = env[CONNECTION_STRING_SETTING]?.trim();
  if (!connectionString) return undefined;
  try {
    const { useAzureMonitor } =
      require("@azure/monitor-opentelemetry") as typeof import("@azure/monitor-opentelemetry");
    useAzureMonitor({
      azureMonitorExporterOptions: {
        connectionString,
        ...entraCredential(env[AUTHENTICATION_STRING_SETTING]),
        ...options.exporter,
      },
      // A run a day and its records: every span and record is kept (alerts count records).
      samplingRatio: 1,
      tracesPerSecond: 0,
      enableTraceBasedSamplingForLogs: false,
      enableLiveMetrics: false,
    });
    if (options.functions) instrumentFunctions(options.functions);
    running = new OpenTelemetryJanitor();
    return running;
  } catch (err) {
    console.error(
      `telemetry not started: ${(err as Error)?.name ?? "error"}: ${(err as Error)?.message ?? ""}`,
    );
    return undefined;
  }
}

/** The recorder when telemetry was started in this process, else undefined. */
export function runningTelemetry(): OpenTelemetryJanitor | undefined {
  return running;
}

/** Sends what is buffered and stops the SDK (tests; a CLI that exits). Never throws. */
export async function stopTelemetry(): Promise<void> {
  if (!running) return;
  running = undefined;
  try {
    const { shutdownAzureMonitor } =
      require("@azure/monitor-opentelemetry") as typeof import("@azure/monitor-opentelemetry");
    await shutdownAzureMonitor();
  } catch {
    // Nothing more to send.
  }
}

function instrumentFunctions(functions: unknown): void {
  const { AzureFunctionsInstrumentation } =
    require("@azure/functions-opentelemetry-instrumentation") as typeof import("@azure/functions-opentelemetry-instrumentation");
  // Disabled as a require hook; its patch is applied to the module the app uses.
  const instrumentation = new AzureFunctionsInstrumentation({ enabled: false });
  for (const definition of instrumentation.getModuleDefinitions())
    (definition.patch as ((exports: unknown) => unknown) | undefined)?.(functions);
}

/** `{ credential }` for `Authorization=AAD` (the managed identity named by ClientId), else nothing. */
function entraCredential(setting: string | undefined): { credential?: TokenCredential } {
  const fields = new Map(
    (setting ?? "")
      .split(";")
      .map((pair) => pair.split("=").map((part) => part.trim()))
      .filter((pair) => pair.length === 2 && pair[0])
      .map(([key, value]) => [key!.toLowerCase(), value!]),
  );
  if (fields.get("authorization")?.toLowerCase() !== "aad") return {};
  const { ManagedIdentityCredential } = require("@azure/identity") as typeof import("@azure/identity");
  const clientId = fields.get("clientid");
  return {
    credential: clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential(),
  };
}
