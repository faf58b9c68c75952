import { describe, expect, it } from "vitest";
import {
  buildDemoSeed,
  classicJobsOf,
  dataBoxJobsOf,
  DEMO_SUBSCRIPTIONS,
  personalDataIn,
} from "../../src/demoSeed";
import { parseSeed } from "../../src/seed";

const NOW = Date.parse("2030-06-01T12:00:00Z");
const DAY = 86_400_000;

describe("demo seed", () => {
  const seed = buildDemoSeed(NOW);
  const jobs = classicJobsOf(seed);
  const dataBox = dataBoxJobsOf(seed);

  it("is a valid seed of 30 to 60 classic jobs, then the Data Box jobs", () => {
    expect(() => parseSeed(seed)).not.toThrow();
    expect(jobs.length).toBeGreaterThanOrEqual(30);
    expect(jobs.length).toBeLessThanOrEqual(60);
    // Classic jobs first and unchanged in order, so their generated data (indices) stays as it was.
    expect(seed.jobs!.slice(0, jobs.length)).toEqual(jobs);
    expect(jobs.length + dataBox.length).toBe(seed.jobs!.length);
  });

  it("has customer-disk jobs in several stages and one device order", () => {
    const disks = dataBox.filter((j) => j.sku.name === "DataBoxCustomerDisk");
    const stages = new Set(disks.map((j) => j.properties.status));
    for (const s of [
      "Completed",
      "Cancelled",
      "CompletedWithErrors",
      "Aborted",
      "AwaitingShipmentDetails",
      "ShippedToAzureDC",
    ])
      expect(stages).toContain(s);
    expect(
      dataBox.filter((j) => j.sku.name !== "DataBoxCustomerDisk").map((j) => [j.name, j.sku.name]),
    ).toEqual([["dbx-device-order", "DataBox"]]);
    // One job whose flag disagrees with its stage, and the rest left to the emulator's stage rules.
    expect(dataBox.filter((j) => j.properties.isDeletable !== undefined).map((j) => j.name)).toEqual([
      "dbx-flag-says-no",
    ]);
    expect(new Set(dataBox.map((j) => j.properties.transferType))).toEqual(
      new Set(["ImportToAzure", "ExportFromAzure"]),
    );
    expect(dataBox.some((j) => j.systemData === undefined)).toBe(true);
    expect(dataBox.some((j) => j.tags?.janitor === "exempt")).toBe(true);
    // The Data Box API's job names: 3 to 24 characters.
    for (const j of dataBox) expect(j.name).toMatch(/^[-\w.]{3,24}$/);
  });

  it("keeps Data Box contact details and addresses as canaries that personalDataIn finds", () => {
    const values = personalDataIn(seed);
    for (const j of dataBox) {
      const contact = j.properties.details!.contactDetails as { contactName: string; emailList: string[] };
      expect(contact.contactName).toMatch(/^CANARY-/);
      expect(values).toContain(contact.contactName);
      expect(values).toContain(contact.emailList[0]);
      expect(values).toContain(
        (j.properties.details!.shippingAddress as { streetAddress1: string }).streetAddress1,
      );
    }
  });

  it("has subscriptions in several states, one of them Disabled", () => {
    expect(seed.subscriptions!.map((s) => s.state)).toEqual([
      "Enabled",
      "Enabled",
      "Warned",
      "PastDue",
      "Disabled",
    ]);
    expect(seed.subscriptions!.map((s) => s.subscriptionId)).toEqual(Object.values(DEMO_SUBSCRIPTIONS));
  });

  it("covers every state, an unknown one, both job types, and young and old jobs", () => {
    const states = new Set(jobs.map((j) => j.properties.state));
    for (const s of [
      "Creating",
      "Shipping",
      "Received",
      "Transferring",
      "Packaging",
      "Completed",
      "Closed",
      "Canceled",
    ]) {
      expect(states).toContain(s);
    }
    expect(new Set(jobs.map((j) => j.properties.jobType))).toEqual(new Set(["Import", "Export"]));
    const ages = jobs.map((j) => (NOW - Date.parse(j.stateEnteredAt!)) / DAY);
    expect(Math.min(...ages)).toBeLessThan(3);
    expect(Math.max(...ages)).toBeGreaterThan(60);
  });

  it("has the cases a janitor must tell apart", () => {
    expect(jobs.some((j) => j.systemData === undefined)).toBe(true);
    expect(jobs.some((j) => j.systemData !== undefined)).toBe(true);
    expect(jobs.some((j) => j.tags?.janitor === "exempt")).toBe(true);
    expect(
      jobs.some((j) => j.properties.state === "Creating" && j.properties.deliveryPackage?.trackingNumber),
    ).toBe(true);
    expect(jobs.some((j) => j.properties.state === "Creating" && !j.properties.deliveryPackage)).toBe(true);
    expect(jobs.some((j) => j.properties.returnPackage?.shipDate)).toBe(true);
    expect(jobs.some((j) => j.properties.cancelRequested === true)).toBe(true);
    // Nothing past the service's own expiries: every job is alive at `now`.
    for (const j of jobs) {
      const inState = (NOW - Date.parse(j.stateEnteredAt!)) / DAY;
      if (j.properties.state === "Creating") expect(inState).toBeLessThan(14);
      if (j.properties.state === "Completed" || j.properties.state === "Closed")
        expect(inState).toBeLessThan(90);
    }
  });

  it("carries fake personal data and keys that personalDataIn finds", () => {
    const values = personalDataIn(seed);
    expect(values.some((v) => /@example\.com$/.test(v))).toBe(true);
    expect(values.some((v) => /^\+1 425-555-01\d\d$/.test(v))).toBe(true);
    expect(values.some((v) => /^(\d{6}-){7}\d{6}$/.test(v))).toBe(true);
    for (const j of jobs) {
      expect(j.properties.returnAddress?.phone).toBeTruthy();
      expect(j.properties.driveList?.every((d) => d.bitLockerKey)).toBe(true);
    }
  });

  it("is built relative to now", () => {
    const later = buildDemoSeed(NOW + 10 * DAY);
    expect(Date.parse(classicJobsOf(later)[0]!.createdAt!) - Date.parse(jobs[0]!.createdAt!)).toBe(10 * DAY);
    const firstDataBox = dataBoxJobsOf(later)[0]!;
    expect(Date.parse(firstDataBox.stageEnteredAt!) - Date.parse(dataBox[0]!.stageEnteredAt!)).toBe(10 * DAY);
  });
});
