import type { HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { ValidationError } from "../../errors";
import { allowed, readCaller, type Caller } from "./caller";
import { problem, problemFromError } from "./problem";

export type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/**
 * The edge every HTTP function goes through: who is calling and may they, then the handler, with every error
 * mapped to problem+json (no stack traces, no secrets).
 */
export function guarded(
  need: "operate" | "read",
  handler: (request: HttpRequest, caller: Caller, context: InvocationContext) => Promise<HttpResponseInit>,
): HttpHandler {
  return async (request, context) => {
    try {
      const caller = readCaller(request);
      if ("error" in caller) return problem(401, "Unauthorized", caller.error);
      if (!allowed(caller, need))
        return problem(
          403,
          "Forbidden",
          need === "operate"
            ? "this needs the app role Janitor.Operator"
            : "this needs the app role Janitor.Reader or Janitor.Operator",
        );
      return await handler(request, caller, context);
    } catch (err) {
      return problemFromError(err, (m) => context.error(m));
    }
  };
}

/** Largest request body accepted; a run request is a few hundred bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Reads a JSON body with a size limit; a missing, oversized or non-JSON body is a 400 naming `body`. */
export async function readJsonBody(request: HttpRequest): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) throw tooLarge();
  if (text.trim() === "")
    throw new ValidationError([{ field: "body", message: "a JSON object is required" }]);
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError([{ field: "body", message: "is not valid JSON" }]);
  }
}

function tooLarge() {
  return new ValidationError([{ field: "body", message: `is larger than ${MAX_BODY_BYTES} bytes` }]);
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
