import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../../src/errors";
import { DataBoxJobStore } from "../../src/DataBoxJobStore";
import { EmulatorClock } from "../../src/EmulatorClock";
import { parseSeed, type DataBoxSeedJob } from "../../src/seed";
import { applySettings, DEFAULT_SETTINGS, type EmulatorSettings } from "../../src/settings";

const SUB = "sub-1";
const RG = "rg";

const dataBoxJob = (
  name: string,
  status: string | undefined,
  properties: Partial<DataBoxSeedJob["properties"]> = {},
  extra: Partial<DataBoxSeedJob> = {},
): DataBoxSeedJob => ({
  source: "databox",
  subscriptionId: SUB,
  resourceGroup: RG,
  name,
  location: "West US",
  sku: { name: "DataBoxCustomerDisk" },
  properties: { ...(status === undefined ? {} : { status }), transferType: "ImportToAzure", ...properties },
  ...extra,
});

/** A store on a hand-driven host clock, so operations settle exactly when the test says. */
function fixture(settings: EmulatorSettings = DEFAULT_SETTINGS) {
  const clock = new EmulatorClock();
  let real = 1_000_000;
  const current = { settings };
  const store = new DataBoxJobStore(
    clock,
    () => current.settings,
    () => real,
  );
  return {
    clock,
    store,
    current,
    advanceReal: (ms: number) => {
      real += ms;
    },
  };
}

describe("DataBoxJobStore", () => {
  it("derives the flags from the stage settings, case-insensitively; no stage means no", () => {
    const { store } = fixture();
    store.load([
      dataBoxJob("a", "completed"),
      dataBoxJob("b", "AwaitingShipmentDetails"),
      dataBoxJob("c", "DataCopy"),
      dataBoxJob("d", undefined),
    ]);
    const flags = store.all().map((j) => [j.name, store.flags(j)]);
    expect(flags).toEqual([
      ["a", { isCancellable: false, isDeletable: true, isCancellableWithoutFee: false }],
      ["b", { isCancellable: true, isDeletable: false, isCancellableWithoutFee: true }],
      ["c", { isCancellable: false, isDeletable: false, isCancellableWithoutFee: false }],
      ["d", { isCancellable: false, isDeletable: false, isCancellableWithoutFee: false }],
    ]);
  });

  it("serves seeded flags until the stage changes, then derives them again", () => {
    const { store, clock } = fixture();
    store.load([dataBoxJob("a", "Completed", { isDeletable: false, isCancellable: true })]);
    const job = store.get(SUB, RG, "A")!;
    expect(store.flags(job)).toMatchObject({ isDeletable: false, isCancellable: true });
    clock.advance(60_000);
    // The emulator clock runs on real time: the stage's start lies between the two readings.
    const before = clock.now();
    store.setStatus(job, "Cancelled");
    const after = clock.now();
    expect(store.flags(job)).toMatchObject({ isDeletable: true, isCancellable: false });
    expect(job.stageEnteredAtMs).toBeGreaterThanOrEqual(before);
    expect(job.stageEnteredAtMs).toBeLessThanOrEqual(after);
  });

  it("follows the stage settings in force", () => {
    const { store, current } = fixture();
    store.load([dataBoxJob("a", "DataCopy")]);
    current.settings = applySettings(DEFAULT_SETTINGS, { dataBoxDeletableStages: ["DataCopy"] });
    expect(store.flags(store.get(SUB, RG, "a")!).isDeletable).toBe(true);
  });

  it("defaults startTime and the stage's start from systemData, and keeps seeded values", () => {
    const { store, clock } = fixture();
    store.load([
      dataBoxJob(
        "a",
        "Completed",
        {},
        {
          systemData: { createdAt: "2030-01-01T00:00:00Z", lastModifiedAt: "2030-02-01T00:00:00Z" },
        },
      ),
      dataBoxJob(
        "b",
        "Completed",
        { startTime: "2030-03-01T00:00:00Z" },
        { stageEnteredAt: "2030-04-01T00:00:00Z" },
      ),
      dataBoxJob("c", "Completed"),
    ]);
    const [a, b, c] = store.all();
    expect(a!.properties.startTime).toBe("2030-01-01T00:00:00.000Z");
    expect(a!.stageEnteredAtMs).toBe(Date.parse("2030-02-01T00:00:00Z"));
    expect(b!.properties.startTime).toBe("2030-03-01T00:00:00Z");
    expect(b!.stageEnteredAtMs).toBe(Date.parse("2030-04-01T00:00:00Z"));
    expect(c!.stageEnteredAtMs).toBeLessThanOrEqual(clock.now());
  });

  it("runs a delete for dataBoxDeleteMs of real time, then removes the job", () => {
    const { store, advanceReal } = fixture(applySettings(DEFAULT_SETTINGS, { dataBoxDeleteMs: 1000 }));
    store.load([dataBoxJob("a", "Completed"), dataBoxJob("b", "Completed")]);
    const op = store.startDelete(store.get(SUB, RG, "a")!, "succeed");
    advanceReal(999);
    expect(store.operation(op.id)!.status).toBe("InProgress");
    expect(store.runningDelete(store.get(SUB, RG, "a")!)?.id).toBe(op.id);
    advanceReal(1);
    // A listing settles it too: the job is gone from the page without a poll.
    expect(store.page(SUB, undefined, 0, 10).items.map((j) => j.name)).toEqual(["b"]);
    expect(store.operation(op.id.toUpperCase())).toMatchObject({
      status: "Succeeded",
      endedAtRealMs: 1_001_000,
    });
    expect(store.get(SUB, RG, "a")).toBeUndefined();
  });

  it("a failed delete leaves the job, with no delete running; a never-ending one stays InProgress", () => {
    const { store, advanceReal } = fixture();
    store.load([dataBoxJob("a", "Completed"), dataBoxJob("b", "Completed")]);
    const failed = store.startDelete(store.get(SUB, RG, "a")!, "fail");
    const forever = store.startDelete(store.get(SUB, RG, "b")!, "never");
    advanceReal(3_600_000);
    expect(store.operation(failed.id)).toMatchObject({ status: "Failed", error: { code: "DeleteFailed" } });
    expect(store.operation(forever.id)!.status).toBe("InProgress");
    const a = store.get(SUB, RG, "a")!;
    expect(store.runningDelete(a)).toBeUndefined();
    expect(store.all().map((j) => j.name)).toEqual(["a", "b"]);
  });

  it("pages in insertion order without gaps when jobs go between pages", () => {
    const { store } = fixture();
    store.load(["j1", "j2", "j3", "j4", "j5"].map((n) => dataBoxJob(n, "Completed")));
    const first = store.page(SUB, RG, 0, 2);
    expect(first.items.map((j) => j.name)).toEqual(["j1", "j2"]);
    store.remove(store.get(SUB, RG, "j3")!);
    const second = store.page(SUB, RG, first.resumeAfter!, 2);
    expect(second.items.map((j) => j.name)).toEqual(["j4", "j5"]);
    expect(second.resumeAfter).toBeUndefined();
  });

  it("replaces a job with the same key in place", () => {
    const { store } = fixture();
    expect(store.load([dataBoxJob("a", "Completed"), dataBoxJob("b", "Completed")])).toEqual({
      added: 2,
      replaced: 0,
    });
    expect(store.load([dataBoxJob("A", "Cancelled")])).toEqual({ added: 0, replaced: 1 });
    expect(store.all().map((j) => [j.name, j.properties.status])).toEqual([
      ["a", "Cancelled"],
      ["b", "Completed"],
    ]);
  });

  it("gives Resource Graph every job with its SKU, and removed ones only while the lag lasts", () => {
    const { store, current, advanceReal } = fixture(
      applySettings(DEFAULT_SETTINGS, { resourceGraphLagMs: 5000 }),
    );
    store.load([
      dataBoxJob("a", "Completed"),
      dataBoxJob("d", "Completed", {}, { sku: { name: "DataBox" } }),
    ]);
    advanceReal(10);
    store.remove(store.get(SUB, RG, "a")!);
    expect(store.indexedResources(SUB.toUpperCase())).toEqual([
      { subscriptionId: SUB, type: "microsoft.databox/jobs", skuName: "DataBox", addedAtRealMs: 1_000_000 },
      {
        subscriptionId: SUB,
        type: "microsoft.databox/jobs",
        skuName: "DataBoxCustomerDisk",
        addedAtRealMs: 1_000_000,
        removedAtRealMs: 1_000_010,
      },
    ]);
    advanceReal(5000);
    expect(store.indexedResources(SUB).map((r) => r.skuName)).toEqual(["DataBox"]);
    current.settings = DEFAULT_SETTINGS;
    expect(store.indexedResources("other")).toEqual([]);
  });
});

describe("parseSeed: Data Box jobs", () => {
  function problemsOf(input: unknown): string[] {
    try {
      parseSeed(input, "seed");
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).problems.map((p) => `${p.field}: ${p.message}`);
    }
    throw new Error("expected a ValidationError");
  }

  it("accepts both sources in one seed, and source importexport on a classic job", () => {
    const seed = parseSeed({
      jobs: [
        dataBoxJob("dbx", "Completed", { somethingNew: 1 }),
        {
          subscriptionId: SUB,
          resourceGroup: RG,
          name: "classic",
          location: "West US",
          properties: {},
          source: "importexport",
        },
      ],
    });
    expect(seed.jobs!.map((j) => j.source)).toEqual(["databox", "importexport"]);
    expect((seed.jobs![0] as DataBoxSeedJob).properties.somethingNew).toBe(1);
  });

  it.each([
    [
      { ...dataBoxJob("ab", "Completed") },
      "seed.jobs[0].name: expected a Data Box job name of 3 to 24 characters",
    ],
    [{ ...dataBoxJob("a/b/c", "Completed") }, "seed.jobs[0].name: expected a Data Box job name of letters"],
    [
      { ...dataBoxJob("abc", "Completed"), sku: { name: "" } },
      "seed.jobs[0].sku.name: expected a non-empty SKU name",
    ],
    [{ ...dataBoxJob("abc", "Completed"), sku: undefined }, "seed.jobs[0].sku: is required"],
    [
      dataBoxJob("abc", "Completed", { transferType: "Sideways" as never }),
      "seed.jobs[0].properties.transferType",
    ],
    [dataBoxJob("abc", "Completed", { isDeletable: "yes" as never }), "seed.jobs[0].properties.isDeletable"],
    [
      dataBoxJob("abc", "Completed", { startTime: "Jan 1" }),
      "seed.jobs[0].properties.startTime: expected an ISO 8601",
    ],
    [
      dataBoxJob("abc", "Completed", { details: { jobDetailsType: "DataBoxCustomerDisk" } as never }),
      "seed.jobs[0].properties.details.contactDetails: is required",
    ],
    [
      { ...dataBoxJob("abc", "Completed"), state: "Completed" },
      "seed.jobs[0].state: is not an accepted field",
    ],
  ])("names the bad field of a Data Box job (%#)", (job, message) => {
    expect(problemsOf({ jobs: [job] }).join("; ")).toContain(message);
  });

  it("lets a classic job and a Data Box job share a name (two resource types)", () => {
    const classic = {
      subscriptionId: SUB,
      resourceGroup: RG,
      name: "same",
      location: "West US",
      properties: {},
    };
    expect(parseSeed({ jobs: [classic, dataBoxJob("same", "Completed")] }).jobs).toHaveLength(2);
  });

  it("accepts a SKU name the spec does not list (SkuName is an extensible enum)", () => {
    const seed = parseSeed({ jobs: [{ ...dataBoxJob("abc", "Completed"), sku: { name: "DataBoxFuture" } }] });
    expect((seed.jobs![0] as DataBoxSeedJob).sku.name).toBe("DataBoxFuture");
  });

  it("refuses a duplicate Data Box job, case-insensitively", () => {
    expect(problemsOf({ jobs: [dataBoxJob("abc", "Completed"), dataBoxJob("ABC", "Completed")] })).toEqual([
      "seed.jobs[1].name: duplicate of jobs[0] (subscription, resource group and name are case-insensitive)",
    ]);
  });

  it("validates the Data Box settings, naming the field", () => {
    const bad = (patch: unknown) => {
      try {
        applySettings(DEFAULT_SETTINGS, patch);
      } catch (error) {
        return (error as ValidationError).problems.map((p) => `${p.field}: ${p.message}`).join("; ");
      }
      return "accepted";
    };
    expect(bad({ dataBoxDeleteMs: -1 })).toContain(
      "settings.dataBoxDeleteMs: expected 0 or more milliseconds",
    );
    expect(bad({ dataBoxDeletableStages: [""] })).toContain("settings.dataBoxDeletableStages[0]");
    expect(bad({ dataBoxDetails: "sometimes" })).toContain("settings.dataBoxDetails");
    expect(bad({ dataBoxRetryAfterSeconds: null, dataBoxPageSize: 10 })).toBe("accepted");
  });
});
