// Pure readers of an ARM HTTP response: rate-limit headers, Retry-After, the error code, and the mapping of a
// status to the failure kinds the engine acts on (docs/service.md#state-rules, #sdk-traps, #arm-throttling).
import type { HttpHeaders } from "@azure/core-rest-pipeline";

import type { ArmFailure, RateLimitRemaining } from "../../engine/ports";

/** The longest service message kept in a failure; enough to explain, too short to carry a body dump. */
export const MAX_MESSAGE_LENGTH = 200;

const REMAINING_HEADERS: ReadonlyArray<[keyof RateLimitRemaining, string]> = [
  ["reads", "x-ms-ratelimit-remaining-subscription-reads"],
  ["writes", "x-ms-ratelimit-remaining-subscription-writes"],
  ["deletes", "x-ms-ratelimit-remaining-subscription-deletes"],
];

export function readRateLimitRemaining(headers: HttpHeaders | undefined): RateLimitRemaining {
  const remaining: RateLimitRemaining = {};
  if (!headers) return remaining;
  for (const [key, name] of REMAINING_HEADERS) {
    const value = headers.get(name)?.trim();
    if (value && /^\d+$/.test(value)) remaining[key] = Number(value);
  }
  return remaining;
}

/**
 * How long the service asked us to wait, from `retry-after-ms` / `x-ms-retry-after-ms` (milliseconds) or
 * `Retry-After` (seconds or an HTTP date); undefined when none is usable. Never capped here: capping is the
 * engine's decision.
 */
export function readRetryAfterMs(
  headers: HttpHeaders | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const value = headers.get(name)?.trim();
    if (value && /^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value));
  }
  const retryAfter = headers.get("retry-after")?.trim();
  if (!retryAfter) return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
  const date = Date.parse(retryAfter);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

const EMAIL = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+\.[a-z]{2,}/gi;
// Seven or more digits, possibly split by spaces, dots, dashes or brackets: phone numbers and the like.
const DIGIT_RUN = /\+?\d(?:[\s().-]*\d){6,}/g;

/**
 * A service message made safe to record: one line, e-mail addresses and phone-like digit runs redacted,
 * anything from the first `{` or `[` on dropped (an echoed body), cut to MAX_MESSAGE_LENGTH.
 */
export function sanitizeServiceMessage(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  let message = text.replace(/\s+/g, " ");
  const echo = message.search(/[{[]/);
  if (echo >= 0) message = message.slice(0, echo);
  message = message.replace(EMAIL, "[redacted]").replace(DIGIT_RUN, "[redacted]").trim();
  if (message.length > MAX_MESSAGE_LENGTH) message = `${message.slice(0, MAX_MESSAGE_LENGTH - 1).trimEnd()}…`;
  return message || undefined;
}

/**
 * ARM error codes are identifiers (`InvalidJobState`, `ResourceNotFound`); only such a code is kept, since it goes
 * into the audit log beside the janitor's own words and must not carry the service's free text.
 */
const SERVICE_ERROR_CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

/** `error.code` and a sanitized `error.message` from an ARM ErrorResponse body; nothing else of the body. */
export function readServiceError(bodyAsText: string | undefined): { code?: string; message?: string } {
  const body = parseJson(bodyAsText);
  const error = isObject(body) && isObject(body.error) ? body.error : undefined;
  if (!error) return {};
  const code = typeof error.code === "string" && SERVICE_ERROR_CODE.test(error.code) ? error.code : undefined;
  const message = sanitizeServiceMessage(error.message);
  return { ...(code && { code }), ...(message && { message }) };
}

/** Where a failing call sits: a listing never "vanishes", so 404 there is not `gone`. */
export type CallKind = "job" | "listing";

/** The failure for a non-success status (success statuses are decided by the caller). */
export function failureForStatus(
  status: number,
  headers: HttpHeaders | undefined,
  bodyAsText: string | undefined,
  kind: CallKind,
): ArmFailure {
  const { code, message } = readServiceError(bodyAsText);
  if (status === 429) {
    const retryAfterMs = readRetryAfterMs(headers);
    return {
      kind: "throttled",
      status: 429,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
      ...(code && { code }),
    };
  }
  if (status === 404 && kind === "job") return { kind: "gone", status, ...(code && { code }) };
  if (status === 408 || status >= 500) {
    return { kind: "transient", status, ...(code && { code }), ...(message && { message }) };
  }
  if (status >= 400)
    return { kind: "not-allowed", status, ...(code && { code }), ...(message && { message }) };
  if (status >= 200 && status < 300) {
    return { kind: "malformed", status, message: `unexpected success status ${status}` };
  }
  // 1xx or an unfollowed 3xx: nothing was decided by the service; worth another try later.
  return { kind: "transient", status, message: `unexpected status ${status}` };
}

export function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
