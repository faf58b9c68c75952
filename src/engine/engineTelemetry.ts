// Calls into the telemetry port (ports.ts EngineTelemetry), guarded: telemetry that throws, or never calls the
// work it wraps, changes nothing about a run. Without a port these cost a function call.
import type { SpanName, TelemetryAttributes } from "../domain/telemetryNames";
import type { EngineTelemetry } from "./ports";

/** Runs `fn` in a span; `fn` runs exactly once and its own result or error is what the caller gets. */
export async function withSpan<T>(
  telemetry: EngineTelemetry | undefined,
  name: SpanName,
  attributes: TelemetryAttributes,
  fn: () => Promise<T>,
): Promise<T> {
  if (!telemetry) return fn();
  let work: Promise<T> | undefined;
  const once = () => (work ??= fn());
  try {
    await telemetry.inSpan(name, attributes, once);
  } catch {
    // The work's own error (it is in `work`), or the span's: the work's answer is what counts.
  }
  // A span that failed before running the work, or never ran it: the work runs without one.
  return work ?? fn();
}

/** Hands a record or metric to the port, if any; a port that throws is ignored. */
export function recordSafely(
  telemetry: EngineTelemetry | undefined,
  record: (telemetry: EngineTelemetry) => void,
): void {
  if (!telemetry) return;
  try {
    record(telemetry);
  } catch {
    // Telemetry is never worth a run.
  }
}
