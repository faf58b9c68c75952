import { createHttpHeaders } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";

import {
  MAX_MESSAGE_LENGTH,
  readRateLimitRemaining,
  readRetryAfterMs,
  readServiceError,
  sanitizeServiceMessage,
} from "../../../../src/adapters/arm/armResponse";

describe("readRetryAfterMs", () => {
  const now = Date.parse("2025-03-01T12:00:00Z");

  it("prefers the millisecond headers", () => {
    expect(readRetryAfterMs(createHttpHeaders({ "retry-after-ms": "1500", "retry-after": "9" }), now)).toBe(
      1500,
    );
    expect(readRetryAfterMs(createHttpHeaders({ "x-ms-retry-after-ms": "20" }), now)).toBe(20);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(readRetryAfterMs(createHttpHeaders({ "Retry-After": "3600" }), now)).toBe(3_600_000);
    expect(readRetryAfterMs(createHttpHeaders({ "Retry-After": "Sat, 01 Mar 2025 12:00:30 GMT" }), now)).toBe(
      30_000,
    );
    expect(readRetryAfterMs(createHttpHeaders({ "Retry-After": "Sat, 01 Mar 2025 11:00:00 GMT" }), now)).toBe(
      0,
    );
  });

  it("is undefined when no usable header is there", () => {
    expect(readRetryAfterMs(createHttpHeaders({}), now)).toBeUndefined();
    expect(readRetryAfterMs(createHttpHeaders({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(readRetryAfterMs(createHttpHeaders({ "retry-after-ms": "-5" }), now)).toBeUndefined();
  });
});

describe("readRateLimitRemaining", () => {
  it("reads the three subscription buckets and ignores junk", () => {
    const headers = createHttpHeaders({
      "x-ms-ratelimit-remaining-subscription-reads": "11999",
      "x-ms-ratelimit-remaining-subscription-writes": "1199",
      "x-ms-ratelimit-remaining-subscription-deletes": "lots",
      "x-ms-ratelimit-remaining-tenant-reads": "5",
    });

    expect(readRateLimitRemaining(headers)).toEqual({ reads: 11999, writes: 1199 });
  });
});

describe("sanitizeServiceMessage", () => {
  it("redacts e-mail addresses and phone numbers", () => {
    expect(sanitizeServiceMessage("Contact alex@example.com or +31 (20) 555-0100 now")).toBe(
      "Contact [redacted] or [redacted] now",
    );
  });

  it("drops an echoed body and folds whitespace", () => {
    expect(sanitizeServiceMessage('Bad request.\n  Body: {"returnAddress":{"city":"X"}}')).toBe(
      "Bad request. Body:",
    );
  });

  it("cuts long messages", () => {
    const message = sanitizeServiceMessage("word ".repeat(100)) ?? "";
    expect(message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(message.endsWith("…")).toBe(true);
  });

  it("keeps nothing that is not a string", () => {
    expect(sanitizeServiceMessage({ message: "x" })).toBeUndefined();
    expect(sanitizeServiceMessage("   ")).toBeUndefined();
  });
});

describe("readServiceError", () => {
  it("takes code and message only from an ARM ErrorResponse", () => {
    expect(readServiceError('{"error":{"code":"Conflict","message":"Not now.","target":"x"}}')).toEqual({
      code: "Conflict",
      message: "Not now.",
    });
    expect(readServiceError('{"code":"Conflict","message":"top-level"}')).toEqual({});
    // A code that is not an identifier could carry the service's free text into the audit log: dropped.
    expect(readServiceError('{"error":{"code":"Refused for Jane Doe, 1 Main St","message":"x"}}').code).toBe(
      undefined,
    );
    expect(readServiceError(`{"error":{"code":"${"A".repeat(101)}"}}`).code).toBe(undefined);
    expect(readServiceError('{"error":{"code":"Microsoft.DataBox.InvalidJobState"}}').code).toBe(
      "Microsoft.DataBox.InvalidJobState",
    );
    expect(readServiceError("<html>")).toEqual({});
    expect(readServiceError(undefined)).toEqual({});
  });
});
