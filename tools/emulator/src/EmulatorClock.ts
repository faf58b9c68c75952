/**
 * The emulator's notion of "now": real time plus an offset, so it keeps moving on its own and tests can jump it
 * forward (`POST /_emulator/clock`) to make expiries and cancels happen without waiting.
 */
export class EmulatorClock {
  private offsetMs = 0;

  /** Milliseconds since the epoch on the emulator clock. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  set(epochMs: number): void {
    this.offsetMs = epochMs - Date.now();
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
