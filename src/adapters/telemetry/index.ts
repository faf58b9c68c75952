export { OpenTelemetryJanitor } from "./openTelemetry";
export {
  CONNECTION_STRING_SETTING,
  runningTelemetry,
  startTelemetry,
  stopTelemetry,
  type StartOptions,
} from "./startTelemetry";
