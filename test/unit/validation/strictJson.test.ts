import { describe, expect, it } from "vitest";
import { findDuplicateKey, parseStrictJson, StrictJsonError } from "../../../src/validation/strictJson";

const bytes = (text: string) => new TextEncoder().encode(text);

function refusal(input: Uint8Array): { field: string; message: string } {
  try {
    parseStrictJson(input);
  } catch (err) {
    if (err instanceof StrictJsonError) return { field: err.field, message: err.message };
    throw err;
  }
  throw new Error("accepted");
}

describe("parseStrictJson", () => {
  it("parses UTF-8 JSON, keeping non-ASCII text intact", () => {
    expect(parseStrictJson(bytes('{"mode":"plan","reason":"café \u{1F600}"}'))).toEqual({
      mode: "plan",
      reason: "café \u{1F600}",
    });
  });

  it("refuses a duplicate key instead of keeping the last", () => {
    expect(refusal(bytes('{"mode":"apply","mode":"plan"}'))).toEqual({
      field: "mode",
      message: "is given more than once",
    });
  });

  it("compares keys decoded and names nested duplicates by path", () => {
    expect(refusal(bytes('{"mode":"plan","mo\\u0064e":"apply"}')).field).toBe("mode");
    expect(refusal(bytes('{"a":[{"b":1},{"c":1,"c":2}]}')).field).toBe("a[1].c");
  });

  it("makes an invented duplicate key safe to echo", () => {
    expect(refusal(bytes('{"<script>":1,"<script>":2}')).field).toBe("_script_");
  });

  it("accepts the same key in different objects and keys inside strings", () => {
    expect(parseStrictJson(bytes('{"a":{"k":1},"b":{"k":2},"s":"\\"k\\":1,\\"k\\""}'))).toBeTruthy();
    expect(findDuplicateKey('[{"k":1},{"k":1}]')).toBeUndefined();
  });

  it("refuses invalid UTF-8 rather than replacing it", () => {
    const invalid = Uint8Array.from([...bytes('{"mode":"plan","reason":"caf'), 0xe9, ...bytes('"}')]);
    expect(refusal(invalid)).toEqual({ field: "body", message: "is not valid UTF-8" });
  });

  it("refuses lone surrogates from escapes, naming the value", () => {
    expect(refusal(bytes('{"mode":"plan","reason":"x\\ud800y"}')).field).toBe("reason");
    expect(refusal(bytes('{"list":["ok","\\udc00"]}')).field).toBe("list[1]");
    // A proper pair written as escapes is fine.
    expect(parseStrictJson(bytes('{"reason":"\\ud83d\\ude00"}'))).toEqual({ reason: "\u{1F600}" });
  });

  it("refuses empty and non-JSON bodies", () => {
    expect(refusal(bytes("  ")).field).toBe("body");
    expect(refusal(bytes("{mode:")).message).toBe("is not valid JSON");
  });
});
