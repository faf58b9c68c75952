import type { ArmFailure } from "../../engine/ports";
import { JanitorError } from "../../errors";

/** An ARM call that the caller cannot go on without (subscription discovery) failed; `failure` says how. */
export class ArmRequestError extends JanitorError {
  readonly failure: ArmFailure;
  /** HTTP status, when the service answered. */
  readonly status?: number;
  readonly code?: string;

  constructor(operation: string, failure: ArmFailure, options?: { cause?: unknown }) {
    super(`${operation} failed: ${describeFailure(failure)}`, options);
    this.failure = failure;
    if (failure.status !== undefined) this.status = failure.status;
    if ("code" in failure && failure.code !== undefined) this.code = failure.code;
  }
}

function describeFailure(failure: ArmFailure): string {
  const parts: string[] = [failure.kind];
  if (failure.status !== undefined) parts.push(`HTTP ${failure.status}`);
  if ("code" in failure && failure.code) parts.push(failure.code);
  if (failure.kind === "throttled" && failure.retryAfterMs !== undefined) {
    parts.push(`retry after ${failure.retryAfterMs} ms`);
  }
  // The service's own text can quote names and addresses: only the janitor's own detail of a malformed answer.
  const message = failure.kind === "malformed" ? failure.message : undefined;
  return message ? `${parts.join(", ")}: ${message}` : parts.join(", ");
}
