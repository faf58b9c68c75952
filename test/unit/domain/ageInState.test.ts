import { describe, expect, it } from "vitest";
import { ageInState } from "../../../src/domain/ageInState";
import { aJob, anObservation, daysAgo, NOW } from "./jobFixtures";

describe("ageInState", () => {
  it("counts Creating from systemData.createdAt", () => {
    const job = aJob({ state: "Creating", createdAt: daysAgo(8), lastModifiedAt: daysAgo(1) });
    expect(ageInState(job, NOW)).toMatchObject({
      ageDays: 8,
      basis: "systemData.createdAt",
      since: daysAgo(8),
    });
  });

  it("counts other states from systemData.lastModifiedAt", () => {
    const job = aJob({ state: "Shipping", createdAt: daysAgo(40), lastModifiedAt: daysAgo(3.5) });
    expect(ageInState(job, NOW)).toMatchObject({ ageDays: 3.5, basis: "systemData.lastModifiedAt" });
  });

  it("counts Completed from returnPackage.shipDate when there is no lastModifiedAt", () => {
    const job = aJob({ state: "completed", createdAt: daysAgo(90), returnShipDate: daysAgo(31) });
    expect(ageInState(job, NOW)).toMatchObject({ ageDays: 31, basis: "returnPackage.shipDate" });
  });

  it("counts Completed from the newest of lastModifiedAt and the return ship date", () => {
    const modifiedLater = aJob({
      state: "Completed",
      lastModifiedAt: daysAgo(2),
      returnShipDate: daysAgo(31),
    });
    expect(ageInState(modifiedLater, NOW)).toMatchObject({ ageDays: 2, basis: "systemData.lastModifiedAt" });
    // Last modified 61 days ago, shipped back 5 days ago: Completed for 5 days, not 61.
    const shippedLater = aJob({
      state: "Completed",
      lastModifiedAt: daysAgo(61),
      returnShipDate: daysAgo(5),
    });
    expect(ageInState(shippedLater, NOW)).toMatchObject({
      ageDays: 5,
      basis: "returnPackage.shipDate",
      since: daysAgo(5),
    });
  });

  it("compares the evidence as instants, whatever offset each is written in", () => {
    // 2025-05-27T23:00:00-05:00 is 2025-05-28T04:00:00Z: later than 2025-05-28T02:00:00+00:00.
    const job = aJob({
      state: "Completed",
      lastModifiedAt: "2025-05-28T02:00:00+00:00",
      returnShipDate: "2025-05-27T23:00:00-05:00",
    });
    expect(ageInState(job, NOW)).toMatchObject({
      basis: "returnPackage.shipDate",
      since: "2025-05-28T04:00:00.000Z",
    });
  });

  it("counts a future return ship date as age 0: the newest evidence wins even when it is skewed", () => {
    const job = aJob({ state: "Completed", lastModifiedAt: daysAgo(61), returnShipDate: daysAgo(-1) });
    expect(ageInState(job, NOW)).toMatchObject({ ageMs: 0, basis: "returnPackage.shipDate" });
  });

  it("does not use the return ship date for states other than Completed", () => {
    const job = aJob({ state: "Closed", returnShipDate: daysAgo(31) });
    expect(ageInState(job, NOW)).toMatchObject({ ageMs: 0, basis: "first-observed" });
  });

  it("does not use createdAt for states after Creating (it says nothing about when the state began)", () => {
    const job = aJob({ state: "Completed", createdAt: daysAgo(60) });
    expect(ageInState(job, NOW)).toMatchObject({ ageMs: 0, basis: "first-observed" });
  });

  it("falls back to the janitor's first observation of the job in the same state", () => {
    const job = aJob({ state: "Completed" });
    const seen = anObservation(job, { state: "COMPLETED", firstSeenInStateAt: daysAgo(12) });
    expect(ageInState(job, NOW, seen)).toMatchObject({
      ageDays: 12,
      basis: "first-observed",
      since: daysAgo(12),
    });
  });

  it("treats an observation of another state as no evidence: a fresh sighting, age 0", () => {
    const job = aJob({ state: "Completed" });
    const seen = anObservation(job, { state: "Transferring", firstSeenInStateAt: daysAgo(50) });
    expect(ageInState(job, NOW, seen)).toEqual({
      ageMs: 0,
      ageDays: 0,
      basis: "first-observed",
      since: NOW.toISOString(),
    });
  });

  it("treats an observation of another job as no evidence", () => {
    const job = aJob({ state: "Creating" });
    const other = anObservation(aJob({ name: "other" }), { firstSeenInStateAt: daysAgo(50) });
    expect(ageInState(job, NOW, other)).toMatchObject({ ageMs: 0, basis: "first-observed" });
  });

  it("gives a fresh sighting age 0 without an observation", () => {
    expect(ageInState(aJob({ state: "Creating" }), NOW)).toMatchObject({ ageMs: 0, basis: "first-observed" });
  });

  it("counts a timestamp in the future as age 0", () => {
    const job = aJob({ state: "Creating", createdAt: daysAgo(-2) });
    expect(ageInState(job, NOW)).toMatchObject({
      ageMs: 0,
      basis: "systemData.createdAt",
      since: NOW.toISOString(),
    });
  });

  it("ignores an unparseable timestamp and uses the next evidence", () => {
    const job = aJob({ state: "Completed", lastModifiedAt: "yesterday", returnShipDate: daysAgo(5) });
    expect(ageInState(job, NOW)).toMatchObject({ ageDays: 5, basis: "returnPackage.shipDate" });
  });

  // Date.parse reads all of these, most of them as years ago, or in the host's time zone.
  it.each([
    "1",
    "Jan 1",
    "2020",
    "2025-01-01",
    "2025-01-01T00:00:00",
    "1/1/2025 10:00:00 PM",
    "2025-02-30T00:00:00Z",
  ])("takes %j for no evidence, never a lenient guess", (text) => {
    const draft = aJob({ state: "Creating", createdAt: text });
    expect(ageInState(draft, NOW)).toMatchObject({ ageMs: 0, basis: "first-observed" });
    const completed = aJob({ state: "Completed", lastModifiedAt: text, returnShipDate: text });
    expect(ageInState(completed, NOW)).toMatchObject({ ageMs: 0, basis: "first-observed" });
  });

  it("skips a lenient timestamp for the next evidence, and for the first sighting", () => {
    const job = aJob({ state: "Completed", lastModifiedAt: "2020", returnShipDate: daysAgo(3) });
    expect(ageInState(job, NOW)).toMatchObject({ ageDays: 3, basis: "returnPackage.shipDate" });
    const seen = anObservation(aJob({ state: "Shipping" }), { firstSeenInStateAt: daysAgo(9) });
    const shipping = aJob({ state: "Shipping", lastModifiedAt: "Jan 1" });
    expect(ageInState(shipping, NOW, seen)).toMatchObject({ ageDays: 9, basis: "first-observed" });
  });

  it("takes a first sighting written without an offset for none (a fresh sighting)", () => {
    const job = aJob({ state: "Completed" });
    const seen = anObservation(job, { firstSeenInStateAt: "2025-01-01T00:00:00" });
    expect(ageInState(job, NOW, seen)).toMatchObject({ ageMs: 0, basis: "first-observed" });
  });

  it("rounds days down, so a job is never shown older than it is", () => {
    const job = aJob({
      state: "Creating",
      createdAt: new Date(NOW.getTime() - 7 * 86_400_000 + 1).toISOString(),
    });
    expect(ageInState(job, NOW).ageDays).toBe(6.99);
  });
});
