import { describe, expect, it } from "vitest";
import { DEFAULT_BODY_LIMIT, requestBodyLimit } from "../../src/requestBody";

describe("requestBodyLimit", () => {
  it("reads FUNCTIONS_REQUEST_BODY_SIZE_LIMIT in bytes", () => {
    expect(requestBodyLimit(() => "65536")).toBe(65_536);
  });

  it.each([undefined, "", "64k", "-1", "1.5"])("falls back to 100 MB for %j, as the host does", (value) => {
    expect(requestBodyLimit(() => value)).toBe(DEFAULT_BODY_LIMIT);
    expect(DEFAULT_BODY_LIMIT).toBe(104_857_600);
  });
});
