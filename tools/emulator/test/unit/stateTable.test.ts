// The emulator keeps its own copy of the service's state rules (as the docs state them, so it can stand in for the
// service independently of the janitor's code); this test keeps the two from drifting apart.
import { describe, expect, it } from "vitest";
import { KNOWN_STATES, statesAllowing } from "../../../../src/domain/jobStates";
import { DEFAULT_SETTINGS } from "../../src/settings";

describe("the emulator's state rules", () => {
  it("delete in the states the product's table allows (Closed only by the janitor's own policy guard)", () => {
    expect([...DEFAULT_SETTINGS.deleteStates].sort()).toEqual(
      statesAllowing("delete", { closedCountsAsCompleted: false }, "importexport").sort(),
    );
  });

  it("cancel in the states the product's table allows, whatever the Closed guard says", () => {
    for (const closedCountsAsCompleted of [false, true]) {
      expect([...DEFAULT_SETTINGS.cancelStates].sort()).toEqual(
        statesAllowing("cancel", { closedCountsAsCompleted }, "importexport").sort(),
      );
    }
  });

  it("name only states the product knows", () => {
    for (const state of [...DEFAULT_SETTINGS.deleteStates, ...DEFAULT_SETTINGS.cancelStates]) {
      expect(KNOWN_STATES).toContain(state);
    }
  });
});
