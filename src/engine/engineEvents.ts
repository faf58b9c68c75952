import type { JanitorEvent } from "../domain/notifications/events";
import type { EngineEvents } from "./ports";

/** Hands an event to the listener, if any; a listener that throws is ignored (a notice is never worth a run). */
export function emitSafely(events: EngineEvents | undefined, event: JanitorEvent): void {
  if (!events) return;
  try {
    events.emit(event);
  } catch {
    // The listener records its own failures; the sweep goes on.
  }
}

/** One listener for several (notifications and telemetry); each is called, a throwing one skipped. */
export function allListeners(...listeners: (EngineEvents | undefined)[]): EngineEvents | undefined {
  const present = listeners.filter((l): l is EngineEvents => l !== undefined);
  if (present.length <= 1) return present[0];
  return { emit: (event) => present.forEach((listener) => emitSafely(listener, event)) };
}
