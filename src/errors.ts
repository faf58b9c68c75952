// A small error hierarchy. `fault` says whose fault it is: the edges map "user" to exit code 2 / HTTP 400 and
// "system" to exit code 1 / HTTP 5xx.

export interface FieldProblem {
  /** Dotted path or parameter name, e.g. `rules[1].action` or `limit`. */
  field: string;
  message: string;
}

export class JanitorError extends Error {
  readonly fault: "user" | "system" = "system";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: settings, policy, HTTP bodies and queries, CLI flags, seeds. Names every bad field. */
export class ValidationError extends JanitorError {
  override readonly fault = "user" as const;
  readonly problems: FieldProblem[];
  constructor(problems: FieldProblem[], summary?: string) {
    super(summary ?? problems.map((p) => `${p.field}: ${p.message}`).join("; "));
    this.problems = problems;
  }
}

/** A setting is missing or has a bad value; the app must not start. */
export class SettingsError extends ValidationError {}

/** The audit log could not be written: the engine stops acting. */
export class AuditWriteError extends JanitorError {}

/** A stored record changed under us more times than we retry (ETag conflicts). */
export class ConcurrencyError extends JanitorError {}

export class NotFoundError extends JanitorError {
  override readonly fault = "user" as const;
}

/** The request conflicts with the record's state (a plan already approved, applied, expired...): HTTP 409. */
export class ConflictError extends JanitorError {
  override readonly fault = "user" as const;
}

/** The caller may not take this step (four-eyes approval): HTTP 403. */
export class ForbiddenError extends JanitorError {
  override readonly fault = "user" as const;
}

/**
 * An error in the janitor's own words: a JanitorError's message (the janitor wrote it), else only the error's name
 * and HTTP status. Never another library's message, which can quote a response body.
 */
export function describeError(err: unknown): string {
  if (err instanceof JanitorError) return err.message;
  const status = (err as { statusCode?: unknown })?.statusCode;
  const name = (err as Error)?.name || "unexpected error";
  return typeof status === "number" ? `${name} (HTTP ${status})` : name;
}
