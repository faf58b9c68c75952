import { aJob } from "./jobFixtures";
import { describe, expect, it } from "vitest";
import {
  actionableState,
  canonicalState,
  KNOWN_STATES,
  cancelReason,
  DATABOX_STAGES,
  showsCancelled,
  sourceHasState,
  STATE_NAMES,
  serviceAllows,
  statesAllowing,
} from "../../../src/domain/jobStates";

const plain = { closedCountsAsCompleted: false };
const closedAsCompleted = { closedCountsAsCompleted: true };

describe("jobStates", () => {
  it("allows delete only in Creating and Completed (docs/service.md#state-rules)", () => {
    expect(statesAllowing("delete", plain, "importexport")).toEqual(["Creating", "Completed"]);
  });

  it("allows delete in Closed only when Closed counts as Completed", () => {
    expect(serviceAllows("delete", "Closed", plain, "importexport")).toBe(false);
    expect(serviceAllows("delete", "Closed", closedAsCompleted, "importexport")).toBe(true);
    expect(statesAllowing("delete", closedAsCompleted, "importexport")).toEqual([
      "Creating",
      "Completed",
      "Closed",
    ]);
  });

  it("allows cancel only before Packaging", () => {
    expect(statesAllowing("cancel", plain, "importexport")).toEqual([
      "Creating",
      "Shipping",
      "Received",
      "Transferring",
    ]);
    expect(statesAllowing("cancel", closedAsCompleted, "importexport")).toEqual([
      "Creating",
      "Shipping",
      "Received",
      "Transferring",
    ]);
  });

  it("matches states case-insensitively and gives their documented spelling", () => {
    expect(canonicalState("cOMPLETED", "importexport")).toBe("Completed");
    // Exact names only: whitespace or control characters make a state the service does not document, which
    // the janitor never acts in (the service applies its rules to the state as it stored it).
    expect(canonicalState(" creating ", "importexport")).toBeUndefined();
    expect(canonicalState("Completed\t", "importexport")).toBeUndefined();
    expect(serviceAllows("delete", "COMPLETED", plain, "importexport")).toBe(true);
    expect(serviceAllows("cancel", "shipping", plain, "importexport")).toBe(true);
  });

  it("never acts in unknown states", () => {
    for (const state of ["Canceled", "Cancelled", "", "Deleting", "Creating2", undefined]) {
      expect(canonicalState(state, "importexport")).toBeUndefined();
      for (const options of [plain, closedAsCompleted]) {
        expect(serviceAllows("delete", state, options, "importexport")).toBe(false);
        expect(serviceAllows("cancel", state, options, "importexport")).toBe(false);
      }
    }
  });

  it("treats Closed as unknown without the guard", () => {
    expect(canonicalState("Closed", "importexport")).toBe("Closed");
    expect(actionableState("closed", plain, "importexport")).toBeUndefined();
    expect(actionableState("closed", closedAsCompleted, "importexport")).toBe("Closed");
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

  describe("Data Box customer-disk jobs (their own table, by stage name)", () => {
    it("delete only in the terminal stages, cancel only before anything ships", () => {
      expect(statesAllowing("delete", plain, "databox")).toEqual([
        "Completed",
        "CompletedWithErrors",
        "CompletedWithWarnings",
        "Cancelled",
        "Aborted",
      ]);
      expect(statesAllowing("cancel", plain, "databox")).toEqual([
        "DeviceOrdered",
        "AwaitingShipmentDetails",
      ]);
    });

    it("keeps the two tables apart: a classic state is not a Data Box stage and the other way round", () => {
      expect(canonicalState("Creating", "databox")).toBeUndefined();
      expect(serviceAllows("delete", "Creating", plain, "databox")).toBe(false);
      expect(canonicalState("Cancelled", "importexport")).toBeUndefined();
      expect(serviceAllows("delete", "Cancelled", plain, "importexport")).toBe(false);
      // Closed is classic only; its guard has no meaning for Data Box.
      expect(serviceAllows("delete", "Closed", closedAsCompleted, "databox")).toBe(false);
      expect(canonicalState("completedwitherrors", "databox")).toBe("CompletedWithErrors");
      expect(canonicalState("Completed ", "databox")).toBeUndefined();
    });

    it("names every stage once for a policy, classic states first", () => {
      expect(new Set(STATE_NAMES).size).toBe(STATE_NAMES.length);
      expect(STATE_NAMES.slice(0, KNOWN_STATES.length)).toEqual(KNOWN_STATES);
      for (const stage of DATABOX_STAGES) expect(STATE_NAMES).toContain(stage);
      expect(sourceHasState("databox", "Completed")).toBe(true);
      expect(sourceHasState("importexport", "Completed")).toBe(true);
      expect(sourceHasState("importexport", "DeviceOrdered")).toBe(false);
    });

    it("shows a cancel by the Cancelled stage or the service no longer offering it; a classic job by cancelRequested", () => {
      const box = aJob({ source: "databox", state: "DeviceOrdered", isCancellable: true });
      expect(showsCancelled(box)).toBe(false);
      expect(showsCancelled({ ...box, state: "Cancelled" })).toBe(true);
      expect(showsCancelled({ ...box, isCancellable: false })).toBe(true);
      expect(showsCancelled({ ...box, isCancellable: undefined })).toBe(false);
      expect(showsCancelled(aJob({ cancelRequested: true }))).toBe(true);
      expect(showsCancelled(aJob({ cancelRequested: false, isCancellable: false }))).toBe(false);
    });

    it("says who cancels in the cancel's reason, with nothing but the rule and the run", () => {
      expect(cancelReason("stale-drafts", "20261201T100000Z-abc")).toBe(
        "Cancelled by importexport-janitor: rule stale-drafts, run 20261201T100000Z-abc",
      );
    });
  });
});
