import { describe, expect, it } from "vitest";
import {
  actionableState,
  canonicalState,
  KNOWN_STATES,
  serviceAllows,
  statesAllowing,
} from "../../../src/domain/jobStates";

const plain = { closedCountsAsCompleted: false };
const closedAsCompleted = { closedCountsAsCompleted: true };

describe("jobStates", () => {
  it("allows delete only in Creating and Completed (docs/service.md#state-rules)", () => {
    expect(statesAllowing("delete", plain)).toEqual(["Creating", "Completed"]);
  });

  it("allows delete in Closed only when Closed counts as Completed", () => {
    expect(serviceAllows("delete", "Closed", plain)).toBe(false);
    expect(serviceAllows("delete", "Closed", closedAsCompleted)).toBe(true);
    expect(statesAllowing("delete", closedAsCompleted)).toEqual(["Creating", "Completed", "Closed"]);
  });

  it("allows cancel only before Packaging", () => {
    expect(statesAllowing("cancel", plain)).toEqual(["Creating", "Shipping", "Received", "Transferring"]);
    expect(statesAllowing("cancel", closedAsCompleted)).toEqual([
      "Creating",
      "Shipping",
      "Received",
      "Transferring",
    ]);
  });

  it("matches states case-insensitively and gives their documented spelling", () => {
    expect(canonicalState("cOMPLETED")).toBe("Completed");
    // Exact names only: whitespace or control characters make a state the service does not document, which
    // the janitor never acts in (the service applies its rules to the state as it stored it).
    expect(canonicalState(" creating ")).toBeUndefined();
    expect(canonicalState("Completed\t")).toBeUndefined();
    expect(serviceAllows("delete", "COMPLETED", plain)).toBe(true);
    expect(serviceAllows("cancel", "shipping", plain)).toBe(true);
  });

  it("never acts in unknown states", () => {
    for (const state of ["Canceled", "Cancelled", "", "Deleting", "Creating2", undefined]) {
      expect(canonicalState(state)).toBeUndefined();
      for (const options of [plain, closedAsCompleted]) {
        expect(serviceAllows("delete", state, options)).toBe(false);
        expect(serviceAllows("cancel", state, options)).toBe(false);
      }
    }
  });

  it("treats Closed as unknown without the guard", () => {
    expect(canonicalState("Closed")).toBe("Closed");
    expect(actionableState("closed", plain)).toBeUndefined();
    expect(actionableState("closed", closedAsCompleted)).toBe("Closed");
  });

  it("lists the states in the order of a job's life", () => {
    expect(KNOWN_STATES).toEqual([
      "Creating",
      "Shipping",
      "Received",
      "Transferring",
      "Packaging",
      "Completed",
      "Closed",
    ]);
  });
});
