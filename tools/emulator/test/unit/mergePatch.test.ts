import { describe, expect, it } from "vitest";
import { mergePatch } from "../../src/wireFormat";

describe("mergePatch (RFC 7386, for seed wirePatch)", () => {
  it("merges objects, replaces other values, removes on null, and leaves the target unchanged", () => {
    const target = { a: 1, b: { c: 2, d: 3 }, e: [1, 2] };
    const out = mergePatch(target, { a: "x", b: { c: null, f: "\t" }, e: [3], g: { h: 1 } });
    expect(out).toEqual({ a: "x", b: { d: 3, f: "\t" }, e: [3], g: { h: 1 } });
    expect(target).toEqual({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] });
  });
});
