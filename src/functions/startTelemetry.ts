// Imported first by index.ts, before anything else loads an SDK: telemetry starts (when
// APPLICATIONINSIGHTS_CONNECTION_STRING is set) before the HTTP and Azure SDK modules it instruments are loaded,
// and before any function is registered (the Functions instrumentation tells the host the worker sends its own
// logs). Nothing is started without the setting.
import * as functions from "@azure/functions";
import { startTelemetry } from "../adapters/telemetry";

startTelemetry(process.env, { functions });
