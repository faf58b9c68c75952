import { DataBoxManagementClient, type JobResource } from "@azure/arm-databox";
import { beforeEach, describe, expect, it } from "vitest";
import { EmulatorControlError } from "../../src/controlClient";
import { DEMO_SUBSCRIPTIONS } from "../../src/demoSeed";
import type { DataBoxSeedJob } from "../../src/seed";
import {
  armRequest,
  devCredential,
  makeJob,
  sdkClientOptions,
  sdkRejection,
  withEmulator,
} from "../../../../test/support/emulator";

// The control API with Data Box jobs: seeding them, listing both sources, forcing a stage, the counts, and the demo
// seed's Data Box jobs as the SDK sees them.

const SUB = "dbdbdbdb-1111-4000-8000-000000000001";
const RG = "rg-control";

const dataBoxJob = (name: string, status: string, properties: Partial<DataBoxSeedJob["properties"]> = {}) =>
  ({
    source: "databox",
    subscriptionId: SUB,
    resourceGroup: RG,
    name,
    location: "westus",
    sku: { name: "DataBoxCustomerDisk" },
    properties: { status, transferType: "ExportFromAzure", ...properties },
  }) satisfies DataBoxSeedJob;

describe("emulator: control API with Data Box jobs", () => {
  const fx = withEmulator({ settings: { throttling: false } });

  beforeEach(async () => {
    await fx.control.reset({ seed: { jobs: [makeJob(SUB, RG, "classic")] } });
  });

  it("adds Data Box jobs through POST /jobs, lists both sources and counts both", async () => {
    // Act
    const added = await fx.control.addJobs({
      jobs: [dataBoxJob("dbx-one", "Completed"), dataBoxJob("classic", "DataCopy")],
    });
    const all = await fx.control.allJobs(SUB);
    const summary = await fx.control.summary();

    // Assess
    expect(added).toEqual({ subscriptions: 0, added: 2, replaced: 0, dataBox: 2 });
    expect(all.map((j) => `${j.source} ${j.name}`)).toEqual([
      "importexport classic",
      "databox dbx-one",
      "databox classic",
    ]);
    expect((await fx.control.jobs()).map((j) => j.name)).toEqual(["classic"]);
    const dataBox = await fx.control.dataBoxJobs();
    expect(dataBox[0]).toMatchObject({
      source: "databox",
      name: "dbx-one",
      sku: "DataBoxCustomerDisk",
      status: "Completed",
      isDeletable: true,
      isCancellable: false,
      job: { type: "Microsoft.DataBox/jobs", properties: { status: "Completed", isDeletable: true } },
    });
    expect(summary).toMatchObject({ jobs: 3, classicJobs: 1, dataBoxJobs: 2 });
    const bad = await armRequest(fx.emulator, "GET", "/_emulator/jobs?source=floppy");
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("source: expected importexport or databox");
  });

  it("forces a Data Box stage through the state endpoint with source databox; flags follow the stage", async () => {
    // Prepare: the seed's flag disagrees with the stage until the stage changes.
    await fx.control.addJobs({ jobs: [dataBoxJob("dbx-one", "DataCopy", { isDeletable: true })] });

    // Act
    const moved = await fx.control.setDataBoxStatus(
      { subscriptionId: SUB, resourceGroup: RG, name: "DBX-ONE" },
      "Aborted",
    );
    const sdk = new DataBoxManagementClient(devCredential, SUB, sdkClientOptions(fx.emulator));
    const served = await sdk.jobs.get(RG, "dbx-one");

    // Assess
    expect(moved).toMatchObject({
      source: "databox",
      status: "Aborted",
      isDeletable: true,
      isCancellable: false,
    });
    expect(served).toMatchObject({ status: "Aborted", isDeletable: true });
    // Without source, a name only a Data Box job has is that job.
    const plain = await fx.control.call("POST", `jobs/${SUB}/${RG}/dbx-one/state`, { state: "DataCopy" });
    expect(plain).toMatchObject({ source: "databox", status: "DataCopy", isDeletable: false });
    // The classic one of the same name stays classic.
    await fx.control.addJobs({ jobs: [dataBoxJob("classic", "Completed")] });
    expect(
      await fx.control.call("POST", `jobs/${SUB}/${RG}/classic/state`, { state: "Shipping" }),
    ).toMatchObject({
      source: "importexport",
      state: "Shipping",
    });
    const error = await fx.control
      .call("POST", `jobs/${SUB}/${RG}/classic-only/state`, { state: "Completed", source: "databox" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(EmulatorControlError);
    expect((error as EmulatorControlError).status).toBe(404);
    expect((error as EmulatorControlError).message).toContain("No Data Box job 'classic-only'");
  });

  it("refuses a bad Data Box seed job naming the field, and changes nothing", async () => {
    const error = await fx.control
      .addJobs({
        jobs: [{ ...dataBoxJob("dbx-one", "Completed"), properties: { status: "Completed" } }] as never,
      })
      .then(
        () => undefined,
        (e: unknown) => e as EmulatorControlError,
      );
    expect(error?.status).toBe(400);
    expect(error?.message).toContain("jobs[0].properties.transferType:");
    expect(await fx.control.dataBoxJobs()).toEqual([]);
  });

  it("serves details on listings too with dataBoxDetails always", async () => {
    await fx.control.reset({
      seed: {
        jobs: [
          dataBoxJob("dbx-one", "Completed", {
            details: {
              jobDetailsType: "DataBoxCustomerDisk",
              contactDetails: { contactName: "CANARY-X", phone: "+1 425-555-0100", emailList: [] },
            },
          }),
        ],
      },
      settings: { throttling: false, dataBoxDetails: "always" },
    });
    const listed = await armRequest(
      fx.emulator,
      "GET",
      `/subscriptions/${SUB}/providers/Microsoft.DataBox/jobs?api-version=2022-12-01`,
    );
    expect(listed.text).toContain("CANARY-X");
    expect((await fx.control.requests({ forbidden: true })).forbiddenTotal).toBe(0);
  });
});

describe("emulator: a subscription that never registered Microsoft.DataBox", () => {
  const fx = withEmulator({ settings: { throttling: false } });

  it("answers every Data Box request there 409 MissingSubscriptionRegistration; the classic API is unaffected", async () => {
    // Prepare
    await fx.control.reset({
      seed: {
        subscriptions: [{ subscriptionId: SUB, dataBoxRegistered: false }],
        jobs: [makeJob(SUB, RG, "classic")],
      },
    });
    const sdk = new DataBoxManagementClient(devCredential, SUB, sdkClientOptions(fx.emulator));

    // Act
    const listing = await sdkRejection(sdk.jobs.list().next());
    const byGroup = await sdkRejection(sdk.jobs.listByResourceGroup(RG).next());
    const get = await sdkRejection(sdk.jobs.get(RG, "any-job"));
    const classic: string[] = [];
    for await (const job of fx.importExport(SUB).jobs.listBySubscription()) classic.push(job.name!);

    // Assess
    for (const error of [listing, byGroup, get]) {
      expect(error.statusCode).toBe(409);
      expect(error.code).toBe("MissingSubscriptionRegistration");
    }
    expect(listing.message).toContain("not registered to use namespace 'Microsoft.DataBox'");
    expect(classic).toEqual(["classic"]);
    expect((await fx.control.requests({ forbidden: true })).forbiddenTotal).toBe(0);
  });

  it("refuses a Data Box job for it, in one seed or a later POST /jobs", async () => {
    const seed = {
      subscriptions: [{ subscriptionId: SUB, dataBoxRegistered: false }],
      jobs: [dataBoxJob("dbx-one", "Completed")],
    };
    const inOneSeed = await fx.control.reset({ seed }).then(
      () => undefined,
      (e: unknown) => e as EmulatorControlError,
    );
    expect(inOneSeed?.message).toContain(
      "seed.jobs[0].subscriptionId: the seed says this subscription has dataBoxRegistered: false",
    );
    await fx.control.reset({ seed: { subscriptions: seed.subscriptions } });
    const later = await fx.control.addJobs({ jobs: seed.jobs }).then(
      () => undefined,
      (e: unknown) => e as EmulatorControlError,
    );
    expect(later?.status).toBe(400);
    expect(later?.message).toContain("jobs[0].subscriptionId: the subscription has dataBoxRegistered: false");
    expect(await fx.control.allJobs()).toEqual([]);
  });
});

describe("emulator: the demo seed's Data Box jobs", () => {
  const fx = withEmulator({ seed: "demo", settings: { throttling: false } });

  it("serves customer-disk jobs in several stages and one device order, flags from the stages", async () => {
    const sdk = new DataBoxManagementClient(
      devCredential,
      DEMO_SUBSCRIPTIONS.production,
      sdkClientOptions(fx.emulator),
    );
    const jobs: JobResource[] = [];
    for await (const job of sdk.jobs.list()) jobs.push(job);
    const byName = new Map(jobs.map((j) => [j.name!, j]));

    expect(jobs.length).toBeGreaterThanOrEqual(8);
    expect(byName.get("dbx-device-order")).toMatchObject({ sku: { name: "DataBox" }, status: "Completed" });
    expect(byName.get("dbx-completed-old")).toMatchObject({ isDeletable: true, isCancellable: false });
    expect(byName.get("dbx-draft-stale")).toMatchObject({
      status: "AwaitingShipmentDetails",
      isCancellable: true,
    });
    expect(byName.get("dbx-in-transit")).toMatchObject({ isCancellable: false, isDeletable: false });
    expect(byName.get("dbx-flag-says-no")).toMatchObject({ status: "Completed", isDeletable: false });
    // The canaries never leave without $expand=details.
    expect(JSON.stringify(jobs)).not.toContain("CANARY");
    const summary = await fx.control.summary();
    expect(summary.dataBoxJobs).toBe(12);
    expect(summary.jobs).toBe(summary.classicJobs + 12);
  });
});
