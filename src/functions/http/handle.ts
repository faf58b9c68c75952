import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { ValidationError } from "../../errors";
import { parseStrictJson, StrictJsonError } from "../../validation/strictJson";
import { safeFieldName } from "../../validation/zodProblems";
import { allowed, readCaller, type Caller } from "./caller";
import { HttpProblem, problem, problemFromError } from "./problem";

export type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

export interface EdgeOptions {
  /** Easy Auth is on (the platform's `WEBSITE_AUTH_ENABLED`): only then is the principal header trusted. */
  easyAuth: boolean;
  /** What the caller must be allowed to do; `anonymous` skips the principal entirely (health). */
  need: "operate" | "read" | "approve" | "anonymous";
  /** The query parameters the route takes; any other is a 400 (`code`, the function key, is always allowed). */
  query: readonly string[];
}

/**
 * The edge every HTTP function goes through: unknown query parameters refused, who is calling and may they, then
 * the handler, with every error mapped to problem+json (no stack traces, no secrets).
 */
export function guarded(
  options: EdgeOptions,
  handler: (request: HttpRequest, caller: Caller, context: InvocationContext) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (request, context) => {
    try {
      checkQueryNames(request, options.query);
      if (options.need === "anonymous")
        return await handler(request, { authenticated: false, name: "anonymous", roles: [] }, context);
      const caller = readCaller(request, options.easyAuth);
      if ("error" in caller) return problem(401, "Unauthorized", caller.error);
      if (!allowed(caller, options.need))
        return problem(
          403,
          "Forbidden",
          options.need === "operate"
            ? "this needs the app role Janitor.Operator"
            : options.need === "approve"
              ? "this needs the app role Janitor.Approver"
              : "this needs the app role Janitor.Reader, Janitor.Operator or Janitor.Approver",
        );
      return await handler(request, caller, context);
    } catch (err) {
      return problemFromError(err, (m) => context.error(m));
    }
  };
}

/** The function key may travel in the query string as `code` on every route. */
const KEY_PARAMETER = "code";

/** Refuses query parameters the route does not take, naming each (made safe to echo). */
export function checkQueryNames(request: HttpRequest, accepted: readonly string[]): void {
  const unknown = [...new Set(request.query.keys())].filter(
    (name) => name !== KEY_PARAMETER && !accepted.includes(name),
  );
  if (unknown.length === 0) return;
  const message =
    accepted.length === 0
      ? "is not a known parameter; this route takes none"
      : `is not a known parameter; accepted: ${accepted.join(", ")}`;
  throw new ValidationError(unknown.map((name) => ({ field: safeFieldName(name), message })));
}

/** Largest request body accepted; a run request is a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a JSON request body under the edge's rules: a declared `content-length` over the limit is a 413 before the
 * body is read; a type other than `application/json` (charset utf-8 or none) is a 415; invalid UTF-8, invalid
 * JSON, duplicate keys and lone surrogates are 400s naming where.
 */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  checkJsonMediaType(request.headers.get("content-type"));
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
  try {
    return parseStrictJson(bytes);
  } catch (err) {
    if (err instanceof StrictJsonError)
      throw new ValidationError([{ field: err.field, message: err.message }]);
    throw err;
  }
}

function tooLarge(): HttpProblem {
  return new HttpProblem(413, "Content too large", `the body is larger than ${MAX_BODY_BYTES} bytes`, [
    { field: "body", message: `must be at most ${MAX_BODY_BYTES} bytes` },
  ]);
}

/** `application/json`, with no charset or `charset=utf-8` (any case, quoted or not); other parameters ignored. */
export function checkJsonMediaType(contentType: string | null): void {
  const [type = "", ...params] = (contentType ?? "").split(";").map((p) => p.trim());
  const charset = params.map((p) => /^charset\s*=\s*"?([^"]*)"?$/i.exec(p)?.[1]).find((c) => c !== undefined);
  const ok = type.toLowerCase() === "application/json" && (charset === undefined || /^utf-8$/i.test(charset));
  if (!ok)
    throw new HttpProblem(415, "Unsupported media type", "the body must be application/json in UTF-8", [
      { field: "content-type", message: "must be application/json (charset utf-8 or none)" },
    ]);
}

/** Query parameters as a plain record; a repeated parameter becomes an array (which validation refuses). */
export function queryRecord(request: HttpRequest): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(request.query.keys())) {
    const values = request.query.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}
