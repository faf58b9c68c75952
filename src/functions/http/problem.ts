import type { HttpResponseInit } from "@azure/functions";
import {
  ConflictError,
  ForbiddenError,
  JanitorError,
  NotFoundError,
  ValidationError,
  type FieldProblem,
} from "../../errors";

/** RFC 9457 problem details: what every HTTP error of the app looks like. Never a stack or a secret. */
export function problem(
  status: number,
  title: string,
  detail?: string,
  errors?: FieldProblem[],
): HttpResponseInit {
  return {
    status,
    headers: { "content-type": "application/problem+json" },
    body: JSON.stringify({
      type: `https://httpstatuses.io/${status}`,
      title,
      status,
      ...(detail && { detail }),
      ...(errors && errors.length > 0 && { errors }),
    }),
  };
}

/**
 * A refusal decided at the HTTP edge that is not a field-by-field 400 (413 too large, 415 wrong media type, ...).
 * Thrown by the body and query readers, mapped by `problemFromError`.
 */
export class HttpProblem extends Error {
  override name = "HttpProblem";
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldProblem[],
  ) {
    super(detail);
  }
}

/** 405 for a known route asked with another method; `Allow` lists the ones it takes. */
export function methodNotAllowed(allowed: readonly string[]): HttpResponseInit {
  const response = problem(405, "Method not allowed", `this route takes ${allowed.join(", ")}`);
  return {
    ...response,
    headers: { ...(response.headers as Record<string, string>), allow: allowed.join(", ") },
  };
}

export function badRequest(errors: FieldProblem[]): HttpResponseInit {
  return problem(400, "Bad request", errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors);
}

/** Maps an error to a response: the user's faults as 4xx with their fields, everything else as a bare 500/503. */
export function problemFromError(err: unknown, log: (message: string) => void): HttpResponseInit {
  if (err instanceof ValidationError) return badRequest(err.problems);
  if (err instanceof HttpProblem) return problem(err.status, err.title, err.detail, err.errors);
  if (err instanceof NotFoundError) return problem(404, "Not found", err.message);
  if (err instanceof ConflictError) return problem(409, "Conflict", err.message);
  if (err instanceof ForbiddenError) return problem(403, "Forbidden", err.message);
  // Details go to the log (which holds no secrets either); the caller gets no internals.
  log(`unhandled error: ${err instanceof JanitorError ? err.message : ((err as Error)?.name ?? "error")}`);
  return problem(500, "Internal error", "the request could not be completed; see the app's logs");
}

export function json(status: number, body: unknown): HttpResponseInit {
  return { status, jsonBody: body, headers: { "content-type": "application/json" } };
}
