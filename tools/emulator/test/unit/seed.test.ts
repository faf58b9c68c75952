import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../../src/errors";
import { parseSeed } from "../../src/seed";

const job = (extra: Record<string, unknown> = {}, properties: Record<string, unknown> = {}) => ({
  subscriptionId: "sub",
  resourceGroup: "rg",
  name: "job",
  location: "West US",
  properties: { jobType: "Import", state: "Creating", ...properties },
  ...extra,
});

function problemsOf(input: unknown, prefix?: string): string[] {
  try {
    parseSeed(input, prefix);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).problems.map((p) => `${p.field}: ${p.message}`);
  }
  throw new Error("expected a ValidationError");
}

describe("parseSeed", () => {
  it("accepts a seed and keeps unknown fields inside properties", () => {
    const seed = parseSeed({
      subscriptions: [{ subscriptionId: "sub", displayName: "Sub", state: "Warned" }],
      jobs: [job({ tags: { a: "b" } }, { somethingNew: { x: 1 } })],
    });
    expect(seed.jobs![0]!.properties.somethingNew).toEqual({ x: 1 });
    expect(seed.subscriptions![0]!.state).toBe("Warned");
  });

  it("accepts a job without a state (served without one, as the SDK trap needs)", () => {
    const input = job();
    delete (input.properties as Record<string, unknown>).state;
    expect(parseSeed({ jobs: [input] }).jobs![0]!.properties.state).toBeUndefined();
  });

  it("names the path of every bad field", () => {
    const problems = problemsOf({
      jobs: [job(), job(), job(), job({ name: "other" }, { state: 7, driveList: [{ state: "Lost" }] })],
    });
    expect(problems).toContain("jobs[3].properties.state: expected a string");
    expect(problems.some((p) => p.startsWith("jobs[3].properties.driveList[0].state: expected one of"))).toBe(
      true,
    );
  });

  it("says what is missing and what is unknown", () => {
    expect(
      problemsOf({ jobs: [{ subscriptionId: "s", resourceGroup: "r", name: "n", properties: {} }] }),
    ).toEqual(["jobs[0].location: is required (a string)"]);
    expect(problemsOf({ jobs: [job({ owner: "me" })] })).toEqual(["jobs[0].owner: is not an accepted field"]);
    expect(problemsOf({ job: [] })).toEqual(["job: is not an accepted field"]);
    expect(problemsOf("demo-ish")).toEqual(["seed: expected an object"]);
  });

  it("refuses names ARM could not address and bad timestamps", () => {
    expect(problemsOf({ jobs: [job({ name: "a/b" })] })[0]).toMatch(
      /^jobs\[0\]\.name: expected a job name without/,
    );
    expect(problemsOf({ jobs: [job({ createdAt: "last week" })] })[0]).toMatch(
      /^jobs\[0\]\.createdAt: expected an ISO 8601 date-time/,
    );
  });

  it("refuses duplicate jobs and subscriptions, case-insensitively", () => {
    expect(
      problemsOf({
        subscriptions: [{ subscriptionId: "SUB" }, { subscriptionId: "sub" }],
        jobs: [job(), job({ name: "JOB", resourceGroup: "RG" })],
      }),
    ).toEqual([
      "subscriptions[1].subscriptionId: duplicate of subscriptions[0]",
      "jobs[1].name: duplicate of jobs[0] (subscription, resource group and name are case-insensitive)",
    ]);
  });

  it("prefixes paths when asked", () => {
    expect(problemsOf({ jobs: [job({}, { state: 1 })] }, "seed")).toEqual([
      "seed.jobs[0].properties.state: expected a string",
    ]);
  });
});
