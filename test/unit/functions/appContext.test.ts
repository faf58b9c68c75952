import { describe, expect, it } from "vitest";
import { SettingsError } from "../../../src/errors";
import { createAppContext } from "../../../src/functions/appContext";

const base = { JANITOR_STORAGE: "UseDevelopmentStorage=true" };

function problems(env: Record<string, string>) {
  try {
    createAppContext(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return (err as SettingsError).problems;
  }
  throw new Error("expected the app not to start");
}

describe("app start", () => {
  it("starts on defaults with only storage set", () => {
    expect(createAppContext(base).settings.core.mode).toBe("plan");
  });

  it("stops on a bad policy, naming the setting and the field", () => {
    const found = problems({
      ...base,
      JANITOR_POLICY: JSON.stringify({
        version: 1,
        rules: [{ name: "x", states: ["Packaging"], olderThan: "P1D", action: "cancel" }],
      }),
    });
    expect(found[0]!.field).toContain("JANITOR_POLICY");
    expect(found[0]!.field).toContain("rules[0]");
  });

  it("stops on an unreadable policy file", () => {
    expect(problems({ ...base, JANITOR_POLICY_PATH: "/nonexistent/policy.yaml" })[0]!.field).toContain(
      "JANITOR_POLICY_PATH",
    );
  });

  it("reports every bad setting of every part at once", () => {
    const fields = problems({
      JANITOR_STORAGE: "nonsense",
      JANITOR_MODE: "later",
      JANITOR_ARM_ENDPOINT: "http://management.azure.com",
    }).map((p) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining(["JANITOR_STORAGE", "JANITOR_MODE", "JANITOR_ARM_ENDPOINT"]),
    );
  });
});
