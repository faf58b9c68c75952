import { describe, expect, it } from "vitest";
import { resolveAppSettingExpression } from "../../src/appSettingExpression";

describe("appSettingExpression", () => {
  const settings: Record<string, string> = { JANITOR_SCHEDULE: "0 0 3 * * *", Q: "runs" };
  const lookup = (name: string) => settings[name];

  it("replaces %NAME% with the setting", () => {
    expect(resolveAppSettingExpression("%JANITOR_SCHEDULE%", lookup, "schedule")).toBe("0 0 3 * * *");
    expect(resolveAppSettingExpression("%Q%-parts", lookup, "queueName")).toBe("runs-parts");
    expect(resolveAppSettingExpression("plain", lookup, "queueName")).toBe("plain");
  });

  it("names a missing setting and where it was used", () => {
    expect(() => resolveAppSettingExpression("%NOPE%", lookup, "Function 'x' schedule")).toThrow(
      `Function 'x' schedule: app setting "NOPE" (from "%NOPE%") is not set.`,
    );
  });
});
