import type { JobResponse } from "@azure/arm-storageimportexport";
import { beforeEach, describe, expect, it } from "vitest";
import { makeJob, sdkRejection, withEmulator } from "../../../../test/support/emulator";

// The service's own expiries (docs/service.md#state-rules), on the emulator clock: a Creating job without a tracking
// number goes after 14 days from creation; Completed and Closed jobs 90 days after entering the state.

const SUB = "cccccccc-0000-4000-8000-000000000001";
const RG = "rg-life";
const DAY = 86_400_000;

describe("emulator: the service's expiries and the clock", () => {
  const fx = withEmulator({ settings: { throttling: false } });
  const jobs = () => fx.importExport(SUB).jobs;
  const listNames = async () => {
    const names: string[] = [];
    for await (const job of jobs().listBySubscription()) names.push(job.name!);
    return names.sort();
  };

  beforeEach(async () => {
    const now = Date.now();
    const ago = (days: number) => new Date(now - days * DAY).toISOString();
    await fx.control.reset({
      seed: {
        jobs: [
          // Created 10 days ago: 4 days to live.
          makeJob(SUB, RG, "draft", { state: "Creating" }, { createdAt: ago(10) }),
          makeJob(
            SUB,
            RG,
            "draft-shipped-info",
            { state: "Creating", deliveryPackage: { carrierName: "FedEx", trackingNumber: "1Z" } },
            { createdAt: ago(10) },
          ),
          // Completed 80 days ago per systemData: 10 days to live.
          makeJob(
            SUB,
            RG,
            "completed",
            { state: "Completed" },
            { systemData: { createdAt: ago(100), lastModifiedAt: ago(80) } },
          ),
          // Closed 85 days ago per the emulator-only timestamp, no systemData shown: 5 days to live.
          makeJob(SUB, RG, "closed", { state: "Closed" }, { createdAt: ago(95), stateEnteredAt: ago(85) }),
          makeJob(
            SUB,
            RG,
            "shipping",
            { state: "Shipping" },
            { createdAt: ago(200), stateEnteredAt: ago(200) },
          ),
        ],
      },
    });
  });

  it("removes a Creating job without tracking number 14 days after creation, and keeps one with it", async () => {
    await fx.control.advanceClock("P3DT23H");
    expect(await listNames()).toContain("draft");
    await fx.control.advanceClock("PT2H");

    expect(await listNames()).toEqual(["closed", "completed", "draft-shipped-info", "shipping"]);
    const error = await sdkRejection(jobs().get("draft", RG));
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe("ResourceNotFound");
  });

  it("removes Completed and Closed jobs 90 days after they got there", async () => {
    await fx.control.advanceClock("P6D");
    expect(await listNames()).toEqual(["completed", "draft-shipped-info", "shipping"]);
    await fx.control.advanceClock("P5D");
    expect(await listNames()).toEqual(["draft-shipped-info", "shipping"]);
    expect((await sdkRejection(jobs().get("completed", RG))).statusCode).toBe(404);
    expect((await fx.control.jobs(SUB)).map((j) => j.name).sort()).toEqual([
      "draft-shipped-info",
      "shipping",
    ]);
  });

  it("keeps jobs seeded without systemData without it, and gives PUT-created jobs systemData", async () => {
    const closed: JobResponse = await jobs().get("closed", RG);
    expect(closed.systemData).toBeUndefined();
    const created = await jobs().create("fresh", RG, {
      location: "West US",
      properties: { jobType: "Export" },
    });
    expect(created.systemData?.createdAt).toBeInstanceOf(Date);
  });

  it("moves a cancelled job to Completed and then expires it 90 days after completion", async () => {
    await jobs().update("shipping", RG, { cancelRequested: true });
    await fx.control.advanceClock("PT1H");
    const views = await fx.control.jobs(SUB);
    const view = views.find((v) => v.name === "shipping")!;
    expect(view.state).toBe("Completed");
    await fx.control.advanceClock("P89D");
    expect(await listNames()).toContain("shipping");
    await fx.control.advanceClock("P1D");
    expect(await listNames()).not.toContain("shipping");
  });

  it("sets the clock to a given instant and reports it", async () => {
    const target = new Date(Date.now() + 120 * DAY).toISOString();
    const now = await fx.control.setClock(target);
    expect(Math.abs(Date.parse(now) - Date.parse(target))).toBeLessThan(5_000);
    expect(await listNames()).toEqual(["draft-shipped-info", "shipping"]);
  });

  it("forces a state through the control API, which restarts the time in state", async () => {
    const view = await fx.control.setState(
      { subscriptionId: SUB, resourceGroup: RG, name: "SHIPPING" },
      "Completed",
    );
    expect(view.state).toBe("Completed");
    expect((await jobs().get("shipping", RG)).properties?.state).toBe("Completed");
    await fx.control.advanceClock("P89D");
    expect(await listNames()).toContain("shipping");
  });
});
