import { describe, expect, it } from "vitest";
import { globMatches, matchesAnyGlob } from "../../../src/domain/glob";

describe("glob", () => {
  it("matches * across any run of characters and ? one character", () => {
    expect(globMatches("rg-*", "rg-prod-weu")).toBe(true);
    expect(globMatches("rg-*", "rg-")).toBe(true);
    expect(globMatches("rg-?", "rg-1")).toBe(true);
    expect(globMatches("rg-?", "rg-12")).toBe(false);
    expect(globMatches("*-test-*", "team-test-01")).toBe(true);
    expect(globMatches("*", "")).toBe(true);
  });

  it("is case-insensitive", () => {
    expect(globMatches("RG-Prod-*", "rg-prod-01")).toBe(true);
    expect(globMatches("job?", "JOB1")).toBe(true);
  });

  it("matches the whole name, not a part", () => {
    expect(globMatches("prod", "rg-prod")).toBe(false);
    expect(globMatches("prod", "prod-rg")).toBe(false);
    expect(globMatches("prod", "prod")).toBe(true);
  });

  it("treats regex metacharacters as themselves", () => {
    expect(globMatches("rg.(1)", "rg.(1)")).toBe(true);
    expect(globMatches("rg.(1)", "rgx(1)")).toBe(false);
    expect(globMatches("a+b", "aab")).toBe(false);
    expect(globMatches("[ab]", "a")).toBe(false);
    expect(globMatches("[ab]", "[ab]")).toBe(true);
    expect(globMatches("a|b", "a")).toBe(false);
    expect(globMatches("^$\\{1}/-", "^$\\{1}/-")).toBe(true);
  });

  it("matches any of a list", () => {
    expect(matchesAnyGlob(["rg-a*", "rg-b*"], "RG-B2")).toBe(true);
    expect(matchesAnyGlob(["rg-a*", "rg-b*"], "rg-c")).toBe(false);
    expect(matchesAnyGlob([], "rg-c")).toBe(false);
  });
});
