import { describe, expect, it } from "vitest";
import { SettingsError } from "../../../src/errors";
import { checkSchedule, parseCoreSettings } from "../../../src/settings/settings";

function problemsOf(env: Record<string, string>) {
  try {
    parseCoreSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return (err as SettingsError).problems;
  }
  throw new Error("expected a SettingsError");
}

describe("core settings", () => {
  it("defaults to plan mode, the 03:00 schedule, not paused, manual apply disabled, 400 days retention", () => {
    const s = parseCoreSettings({});
    expect(s).toMatchObject({
      mode: "plan",
      schedule: "0 0 3 * * *",
      paused: false,
      manualApply: false,
      auditRetentionMs: 400 * 86_400_000,
    });
  });

  it("reads every setting it owns", () => {
    const s = parseCoreSettings({
      JANITOR_MODE: "apply",
      JANITOR_SCHEDULE: "0 */5 * * * *",
      JANITOR_PAUSED: "TRUE",
      JANITOR_MANUAL_APPLY: "enabled",
      JANITOR_AUDIT_RETENTION: "P30D",
      JANITOR_CONCURRENCY: "4",
    });
    expect(s).toMatchObject({ mode: "apply", paused: true, manualApply: true, concurrency: 4 });
  });

  it.each([
    ["JANITOR_MODE", "delete", "plan, apply or plan-approve"],
    ["JANITOR_APPROVAL", "none", "four-eyes or self-allowed"],
    ["JANITOR_DISCOVERY", "graph", "resource-graph or subscriptions"],
    ["JANITOR_SOURCES", "classic", "importexport, databox or both"],
    ["JANITOR_SOURCES", "databox,databox", "each once"],
    ["JANITOR_PLAN_TTL", "P1M", "days"],
    ["JANITOR_PAUSED", "yes", "true or false"],
    ["JANITOR_MANUAL_APPLY", "true", "enabled or disabled"],
    ["JANITOR_AUDIT_RETENTION", "1 year", "ISO 8601"],
    ["JANITOR_AUDIT_RETENTION", "P1Y", "days"],
    ["JANITOR_SCHEDULE", "0 3 * * *", "six-field"],
    ["JANITOR_SCHEDULE", "0 0 25 * * *", "NCRONTAB"],
    ["JANITOR_CONCURRENCY", "0", "1 to 64"],
    ["JANITOR_ARM_TIMEOUT", "PT0S", "too short"],
    ["JANITOR_LEASE_TTL", "PT1S", "too short"],
    ["JANITOR_LEASE_TTL", "P2D", "P1D"],
    ["JANITOR_RUN_TIMEOUT", "fast", "ISO 8601"],
  ])("refuses %s=%s naming the setting and what is accepted", (name, value, accepted) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe(name);
    expect(problems[0]!.message).toContain(accepted);
  });

  it("finds subscriptions through Resource Graph unless JANITOR_DISCOVERY says subscriptions", () => {
    expect(parseCoreSettings({}).discovery).toBe("resource-graph");
    expect(parseCoreSettings({ JANITOR_DISCOVERY: " subscriptions " }).discovery).toBe("subscriptions");
  });

  it("reports every bad setting at once", () => {
    const problems = problemsOf({ JANITOR_MODE: "x", JANITOR_PAUSED: "x" });
    expect(problems.map((p) => p.field).sort()).toEqual(["JANITOR_MODE", "JANITOR_PAUSED"]);
  });

  it("accepts six-field NCRONTAB", () => {
    expect(checkSchedule("*/10 * * * * *")).toBeUndefined();
    expect(checkSchedule("0/15 * * * * *")).toBeUndefined();
    expect(checkSchedule("0 0 0 13 * FRI")).toBeUndefined();
  });

  it("sweeps both job sources unless JANITOR_SOURCES names some, in the documented order", () => {
    expect(parseCoreSettings({}).sources).toEqual(["importexport", "databox"]);
    expect(parseCoreSettings({ JANITOR_SOURCES: " DataBox " }).sources).toEqual(["databox"]);
    expect(parseCoreSettings({ JANITOR_SOURCES: "databox,importexport" }).sources).toEqual([
      "importexport",
      "databox",
    ]);
  });
});
