import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_RUNS, DEFAULT_SEED, fastCheckSettings } from "../../support/fastCheckSettings";

describe("fastCheckSettings", () => {
  it("uses a fixed seed and run count by default", () => {
    expect(fastCheckSettings({})).toEqual({ seed: DEFAULT_SEED, numRuns: DEFAULT_RUNS, drawn: false });
    expect(fastCheckSettings({ FC_SEED: "", FC_RUNS: " " })).toEqual(fastCheckSettings({}));
  });

  it("takes a seed and run count from FC_SEED and FC_RUNS", () => {
    expect(fastCheckSettings({ FC_SEED: "-42", FC_RUNS: "5000" })).toEqual({
      seed: -42,
      numRuns: 5000,
      drawn: false,
    });
  });

  it("draws a seed for FC_SEED=random", () => {
    expect(fastCheckSettings({ FC_SEED: "random" }, () => 777)).toEqual({
      seed: 777,
      numRuns: DEFAULT_RUNS,
      drawn: true,
    });
  });

  it.each([
    [{ FC_SEED: "abc" }, "FC_SEED"],
    [{ FC_SEED: "1.5" }, "FC_SEED"],
    [{ FC_RUNS: "0" }, "FC_RUNS"],
    [{ FC_RUNS: "-3" }, "FC_RUNS"],
    [{ FC_RUNS: "many" }, "FC_RUNS"],
  ])("refuses %j", (env, name) => {
    expect(() => fastCheckSettings(env)).toThrow(name);
  });

  it("is what the property tests run with (the vitest setup file applied it)", () => {
    const expected = fastCheckSettings(process.env, () => fc.readConfigureGlobal().seed!);
    expect(fc.readConfigureGlobal()).toMatchObject({ seed: expected.seed, numRuns: expected.numRuns });
  });

  it("makes a property without a seed of its own draw the same cases every time", () => {
    const run = () => {
      const cases: number[] = [];
      fc.assert(fc.property(fc.integer(), (n) => void cases.push(n)));
      return cases;
    };
    const first = run();
    expect(first).toHaveLength(fc.readConfigureGlobal().numRuns!);
    expect(run()).toEqual(first);
  });
});
