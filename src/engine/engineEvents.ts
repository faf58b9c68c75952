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
