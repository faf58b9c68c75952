import { describe, expect, it } from "vitest";
import { readJob } from "../../../../src/adapters/arm/jobFromWire";
import type { JobSnapshot } from "../../../../src/domain/job";
import { PERSONAL, wireJob } from "./wireJobs";

function snapshot(raw: unknown): JobSnapshot {
  const read = readJob(raw);
  if (!read.ok) throw new Error(`malformed: ${read.malformed.reason}`);
  return read.job;
}

describe("readJob: timestamps", () => {
  it("keeps systemData and returnPackage.shipDate when they are RFC 3339 with an offset, as sent", () => {
    const job = snapshot(
      wireJob(
        "job-1",
        { returnPackage: { carrierName: "CarrierX", shipDate: "2024-02-01T10:00:00.1234567+01:00" } },
        { systemData: { createdAt: "2024-01-02T03:04:05Z", lastModifiedAt: "2024-01-05t06:07:08z" } },
      ),
    );
    expect(job).toMatchObject({
      createdAt: "2024-01-02T03:04:05Z",
      lastModifiedAt: "2024-01-05t06:07:08z",
      returnShipDate: "2024-02-01T10:00:00.1234567+01:00",
    });
  });

  // The spec's own examples write shipDate as "9/29/2017 10:28:35 PM": Date.parse reads it in the host's zone.
  it.each([
    "9/29/2017 10:28:35 PM",
    "2024-02-01",
    "2024-02-01T00:00:00",
    "1",
    "Jan 1",
    "2020",
    "2024-02-30T00:00:00Z",
  ])("drops %j, which is no evidence", (text) => {
    const job = snapshot(
      wireJob(
        "job-1",
        { returnPackage: { shipDate: text } },
        { systemData: { createdAt: text, lastModifiedAt: text } },
      ),
    );
    expect(job.createdAt).toBeUndefined();
    expect(job.lastModifiedAt).toBeUndefined();
    expect(job.returnShipDate).toBeUndefined();
  });

  it("drops timestamps that are not strings", () => {
    const job = snapshot(
      wireJob(
        "job-1",
        { returnPackage: { shipDate: 1_706_745_600_000 } },
        { systemData: { createdAt: null, lastModifiedAt: { at: "2024-01-05T06:07:08Z" } } },
      ),
    );
    expect([job.createdAt, job.lastModifiedAt, job.returnShipDate]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("copies nothing else from the return package, and no personal data at all", () => {
    const job = snapshot(
      wireJob("job-1", {
        returnPackage: {
          carrierName: "CarrierX",
          trackingNumber: "RET-002",
          driveCount: 1,
          shipDate: "2024-02-01T00:00:00Z",
        },
      }),
    );
    const text = JSON.stringify(job);
    expect(job.returnShipDate).toBe("2024-02-01T00:00:00Z");
    for (const value of [...PERSONAL, "RET-002", "CarrierX", "Testville", "1000 AA"]) {
      expect(text).not.toContain(value);
    }
  });
});
