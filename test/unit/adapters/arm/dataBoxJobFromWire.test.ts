import { describe, expect, it } from "vitest";

import { readDataBoxJob } from "../../../../src/adapters/arm/dataBoxJobFromWire";
import type { JobSnapshot } from "../../../../src/domain/job";
import { jobId } from "./wireJobs";
import { DATABOX_PERSONAL, dataBoxJobId, RG, specFixture, SUB, wireDataBoxJob } from "./wireDataBoxJobs";

function snapshot(raw: unknown): JobSnapshot {
  const read = readDataBoxJob(raw);
  if (!read.ok) throw new Error(`malformed: ${read.malformed.reason}`);
  return read.job;
}

function reasonOf(raw: unknown): string | undefined {
  const read = readDataBoxJob(raw);
  return read.ok ? undefined : read.malformed.reason;
}

/** Personal data and secrets of the spec's own JobsGet example (contact, address, tax id). */
const SPEC_PERSONAL = [
  "Public SDK Test",
  "1234567890",
  "testing@microsoft.com",
  "16 TOWNSEND ST",
  "09AAACH7409R1ZZ",
];

describe("readDataBoxJob: the published spec's examples", () => {
  it("reads JobsGet (a device order with details) to what decisions need, and nothing of its details", () => {
    const fixture = specFixture<{ body: unknown }>("JobsGet.2022-12-01.json");

    const job = snapshot(fixture.body);

    expect(job).toEqual({
      source: "databox",
      id: "/subscriptions/fa68082f-8ff7-4a25-95c7-ce9da541242f/resourceGroups/SdkRg5154/providers/Microsoft.DataBox/jobs/SdkJob952",
      subscriptionId: "fa68082f-8ff7-4a25-95c7-ce9da541242f",
      resourceGroup: "SdkRg5154",
      name: "SdkJob952",
      location: "westus",
      tags: {},
      jobType: "Import",
      state: "DeviceOrdered",
      hasDeliveryTrackingNumber: false,
      sku: "DataBox",
      isDeletable: false,
      isCancellable: true,
      startTime: "2020-08-07T10:50:36.3341513+05:30",
    });
    const text = JSON.stringify(job);
    for (const secret of SPEC_PERSONAL) expect(text).not.toContain(secret);
  });

  it("reads JobsList items: lower-case segments and a resource group with brackets, SKU kept as sent", () => {
    const fixture = specFixture<{ value: unknown[] }>("JobsList.2022-12-01.json");

    const jobs = fixture.value.map(snapshot);

    expect(jobs.map((job) => [job.resourceGroup, job.name, job.sku, job.state, job.isDeletable])).toEqual([
      ["ausresgrpmn", "mnaustest", "DataBoxDisk", "Cancelled", true],
      [
        "akvenkat3198inh0-9)inh(il(h)_fyoin)(upf(yLASD0-FJ(hal-DSNWP0JDS0P3-0SJ93",
        "testbadresourcegroup",
        "DataBox",
        "Cancelled",
        true,
      ],
    ]);
    // cancellationReason is free text the service or a person wrote: never copied.
    expect(JSON.stringify(jobs)).not.toContain("Old job");
  });
});

describe("readDataBoxJob: a customer-disk job", () => {
  it("keeps only the decision fields: no contact, address, password, key, reason or creator", () => {
    const job = snapshot(wireDataBoxJob("disk-job-1"));

    expect(job).toEqual({
      source: "databox",
      id: dataBoxJobId("disk-job-1"),
      subscriptionId: SUB,
      resourceGroup: RG,
      name: "disk-job-1",
      location: "westeurope",
      tags: { owner: "team-a" },
      jobType: "Import",
      state: "Completed",
      createdAt: "2024-01-02T03:04:05Z",
      lastModifiedAt: "2024-01-05T06:07:08Z",
      hasDeliveryTrackingNumber: false,
      sku: "DataBoxCustomerDisk",
      isDeletable: true,
      isCancellable: false,
      startTime: "2024-01-02T03:04:05.1234567+01:00",
    });
    const text = JSON.stringify(job);
    for (const secret of DATABOX_PERSONAL) expect(text).not.toContain(secret);
  });

  it.each([
    ["ImportToAzure", "Import"],
    ["ExportFromAzure", "Export"],
    ["SomethingNew", "SomethingNew"],
  ])("reads transferType %s as job type %s", (transferType, jobType) => {
    expect(snapshot(wireDataBoxJob("j", { transferType })).jobType).toBe(jobType);
  });

  it("gives an empty job type when transferType is missing or not a string", () => {
    const job = wireDataBoxJob("j");
    delete (job.properties as Record<string, unknown>).transferType;
    expect(snapshot(job).jobType).toBe("");
    expect(snapshot(wireDataBoxJob("j", { transferType: 1 })).jobType).toBe("");
    // An inherited name is not a transfer type.
    expect(snapshot(wireDataBoxJob("j", { transferType: "toString" })).jobType).toBe("toString");
  });

  it.each([["true"], [1], [null], [{}]])("keeps the service's flags only as booleans, not %j", (flag) => {
    const job = snapshot(wireDataBoxJob("j", { isDeletable: flag, isCancellable: flag }));
    expect("isDeletable" in job).toBe(false);
    expect("isCancellable" in job).toBe(false);
  });

  it("leaves the flags undefined when the body does not say (the domain reads that as no)", () => {
    const body = wireDataBoxJob("j");
    delete (body.properties as Record<string, unknown>).isDeletable;
    delete (body.properties as Record<string, unknown>).isCancellable;
    const job = snapshot(body);
    expect(job.isDeletable).toBeUndefined();
    expect(job.isCancellable).toBeUndefined();
  });

  it("keeps sku undefined when the body has none or an empty name", () => {
    expect("sku" in snapshot(wireDataBoxJob("j", {}, { sku: undefined }))).toBe(false);
    expect("sku" in snapshot(wireDataBoxJob("j", {}, { sku: { name: "" } }))).toBe(false);
    expect("sku" in snapshot(wireDataBoxJob("j", {}, { sku: "DataBoxCustomerDisk" }))).toBe(false);
    expect(snapshot(wireDataBoxJob("j", {}, { sku: { name: "DataBoxHeavy" } })).sku).toBe("DataBoxHeavy");
  });

  it.each(["2024-01-02T03:04:05", "2024-01-02", "1/2/2024 3:04:05 AM", "0001-01-01T05:30:00", 1704164645000])(
    "drops a timestamp that is not RFC 3339 with an offset: %j",
    (value) => {
      const job = snapshot(
        wireDataBoxJob(
          "j",
          { startTime: value },
          { systemData: { createdAt: value, lastModifiedAt: value } },
        ),
      );
      expect(job.startTime).toBeUndefined();
      expect(job.createdAt).toBeUndefined();
      expect(job.lastModifiedAt).toBeUndefined();
    },
  );

  it("reads tags as the classic reader does: numbers and booleans as text, others dropped", () => {
    const job = snapshot(wireDataBoxJob("j", {}, { tags: { keep: true, n: 3, o: { a: 1 }, s: "x" } }));
    expect(job.tags).toEqual({ keep: "true", n: "3", s: "x" });
  });
});

describe("readDataBoxJob: bodies that cannot be trusted", () => {
  it("is malformed without a string status, never defaulted", () => {
    const body = wireDataBoxJob("j");
    delete (body.properties as Record<string, unknown>).status;
    expect(reasonOf(body)).toBe("job has no properties.status");
    expect(reasonOf(wireDataBoxJob("j", { status: "" }))).toBe("job has no properties.status");
    expect(reasonOf(wireDataBoxJob("j", { status: 7 }))).toBe("job has no properties.status");
    // The classic field name is no stand-in.
    const classic = wireDataBoxJob("j", { state: "Completed" });
    delete (classic.properties as Record<string, unknown>).status;
    expect(reasonOf(classic)).toBe("job has no properties.status");
  });

  it("is malformed with an Import/Export id, another id shape, or a name that is not the id's", () => {
    expect(reasonOf(wireDataBoxJob("j", {}, { id: jobId("j") }))).toBe(
      "id is not a Microsoft.DataBox/jobs resource id",
    );
    expect(reasonOf(wireDataBoxJob("j", {}, { id: `${dataBoxJobId("j")}/cancel` }))).toBe(
      "id is not a Microsoft.DataBox/jobs resource id",
    );
    expect(reasonOf(wireDataBoxJob("j", {}, { id: dataBoxJobId("..") }))).toBe(
      "id is not a Microsoft.DataBox/jobs resource id",
    );
    expect(reasonOf(wireDataBoxJob("j", {}, { name: "other" }))).toBe("name does not match the id");
  });

  it("is malformed without id, name or properties, and names what it had", () => {
    expect(readDataBoxJob({ name: "j", properties: { status: "Completed" } })).toEqual({
      ok: false,
      malformed: { name: "j", reason: "job has no id" },
    });
    expect(reasonOf({ id: dataBoxJobId("j"), properties: { status: "Completed" } })).toBe("job has no name");
    expect(reasonOf({ id: dataBoxJobId("j"), name: "j" })).toBe("job has no properties");
    expect(reasonOf(null)).toBe("job is not a JSON object");
    expect(reasonOf([wireDataBoxJob("j")])).toBe("job is not a JSON object");
  });

  it("never puts personal data into a malformed report", () => {
    const body = wireDataBoxJob("j", { status: undefined });
    const read = readDataBoxJob(body);
    expect(read.ok).toBe(false);
    const text = JSON.stringify(read);
    for (const secret of DATABOX_PERSONAL) expect(text).not.toContain(secret);
  });
});
