// The campaign's Data Box oracle and request parsing on hand-made cases: the oracle is the campaign's judge of
// every Data Box action, so it must refuse what docs/policy.md "Sources" and docs/service.md refuse.
import { describe, expect, it } from "vitest";
import type { PolicyDocument } from "../../src/domain/policy";
import type { LoggedRequest } from "../../tools/emulator/src/controlClient";
import type { DataBoxSeedJob } from "../../tools/emulator/src/seed";
import type { BoxChaosJob, ChaosCase } from "./generate";
import { actionOf, boxOracle, jobKeyOf } from "./invariants";

const DAY = 86_400_000;
const NOW = Date.parse("2026-06-01T00:00:00Z");
const SUB = "c4a05000-0000-4000-8000-000000000001";
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();

function policy(extra: Partial<PolicyDocument> = {}): PolicyDocument {
  return {
    version: 1,
    rules: [
      { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
      { name: "closed", states: ["Closed"], olderThan: "P7D", action: "delete" },
      {
        name: "box-never-shipped",
        sources: ["databox"],
        states: ["DeviceOrdered", "AwaitingShipmentDetails"],
        olderThan: "P14D",
        action: "cancel",
      },
      {
        name: "box-finished",
        sources: ["databox"],
        states: ["CompletedWithErrors", "Cancelled"],
        olderThan: "P30D",
        action: "delete",
      },
    ],
    scope: { subscriptions: ["*"], resourceGroups: ["*"], excludeResourceGroups: ["rg-keep-*"] },
    exemptions: { tags: { janitor: "exempt" }, jobNames: ["keep-*"] },
    guards: { gracePeriod: "PT0S" },
    ...extra,
  };
}

const chaosCase = (p: PolicyDocument = policy()) => ({ seed: 0, policy: p }) as unknown as ChaosCase;

function boxJob(status: string, overrides: Partial<DataBoxSeedJob> = {}, days = 45): BoxChaosJob {
  const seed: DataBoxSeedJob = {
    source: "databox",
    subscriptionId: SUB,
    resourceGroup: "rg-a",
    name: "box-1",
    location: "westus",
    sku: { name: "DataBoxCustomerDisk" },
    systemData: { createdAt: ago(days + 5), lastModifiedAt: ago(days) },
    properties: { status, transferType: "ImportToAzure", startTime: ago(days + 5) },
    ...overrides,
  };
  const served: Record<string, unknown> = {
    sku: seed.sku,
    properties: seed.properties,
    ...(seed.systemData && { systemData: seed.systemData }),
    ...(seed.wirePatch ?? {}),
  };
  return { seed, served, canaries: [] };
}

type Seen = NonNullable<LoggedRequest["job"]>;
const seen = (status: string, more: Partial<Seen> = {}): Seen => ({
  source: "databox",
  status,
  sku: "DataBoxCustomerDisk",
  isDeletable: true,
  isCancellable: true,
  ...more,
});

describe("the campaign's Data Box oracle", () => {
  it("allows a delete of an old customer-disk job in a terminal stage whose flag says yes, and nothing else", () => {
    const job = boxJob("Completed");
    expect(boxOracle(chaosCase(), job, seen("Completed"), "delete", NOW)).toBeUndefined();
    expect(boxOracle(chaosCase(), job, seen("Completed"), "cancel", NOW)).toBe(
      "first matching rule completed-retention says delete",
    );
    expect(boxOracle(chaosCase(), boxJob("completed"), seen("completed"), "delete", NOW)).toBeUndefined();
  });

  it("refuses a device order, a false or missing flag, and a stage the janitor's table does not allow", () => {
    const c = chaosCase();
    expect(boxOracle(c, boxJob("Completed"), seen("Completed", { sku: "DataBox" }), "delete", NOW)).toMatch(
      /device order/,
    );
    expect(
      boxOracle(c, boxJob("Completed"), seen("Completed", { sku: "databoxcustomerdisk" }), "delete", NOW),
    ).toMatch(/device order/);
    expect(boxOracle(c, boxJob("Completed"), seen("Completed", { isDeletable: false }), "delete", NOW)).toBe(
      "the service's isDeletable was false on the last read",
    );
    const noFlag = seen("DeviceOrdered");
    delete noFlag.isCancellable;
    expect(boxOracle(c, boxJob("DeviceOrdered"), noFlag, "cancel", NOW)).toMatch(
      /isCancellable was undefined/,
    );
    // "Closed" is a classic state: the shared rule names it, the Data Box table allows nothing there.
    expect(boxOracle(c, boxJob("Closed"), seen("Closed"), "delete", NOW)).toMatch(/table allows no delete/);
    expect(boxOracle(c, boxJob("Completed\t"), seen("Completed\t"), "delete", NOW)).toMatch(/no rule/);
    expect(boxOracle(c, boxJob("DataCopy"), seen("DataCopy"), "delete", NOW)).toMatch(/no rule/);
  });

  it("reads rule sources, scope, exemptions, job type and grace", () => {
    const classicFirst = policy();
    classicFirst.rules.unshift({
      name: "classic-completed-long",
      sources: ["importexport"],
      states: ["Completed"],
      olderThan: "P60D",
      action: "delete",
    });
    expect(boxOracle(chaosCase(classicFirst), boxJob("Completed"), seen("Completed"), "delete", NOW)).toBe(
      undefined,
    );
    const c = chaosCase();
    expect(
      boxOracle(c, boxJob("Completed"), seen("Completed", { tags: { janitor: "exempt" } }), "delete", NOW),
    ).toBe("exempt by tag");
    expect(boxOracle(c, boxJob("Completed", { name: "keep-1" }), seen("Completed"), "delete", NOW)).toBe(
      "exempt by name",
    );
    expect(
      boxOracle(c, boxJob("Completed", { resourceGroup: "rg-keep-1" }), seen("Completed"), "delete", NOW),
    ).toBe("resource group excluded");
    const exports = boxJob("Completed");
    (exports.served.properties as { transferType: string }).transferType = "ExportFromAzure";
    const importsOnly = policy({ scope: { subscriptions: ["*"], jobTypes: ["Import"] } });
    expect(boxOracle(chaosCase(importsOnly), exports, seen("Completed"), "delete", NOW)).toBe(
      "job type out of scope",
    );
    const grace = policy({ guards: { gracePeriod: "P1D" } });
    expect(boxOracle(chaosCase(grace), boxJob("Completed"), seen("Completed"), "delete", NOW)).toMatch(
      /grace/,
    );
  });

  it("takes age from createdAt / startTime in the first stages and lastModifiedAt later, valid RFC 3339 only", () => {
    const c = chaosCase();
    expect(boxOracle(c, boxJob("Completed", {}, 20), seen("Completed"), "delete", NOW)).toMatch(/too young/);
    // In DeviceOrdered the newest of createdAt and startTime counts: a recent startTime makes it young.
    const ordered = boxJob("DeviceOrdered", {}, 45);
    expect(boxOracle(c, ordered, seen("DeviceOrdered"), "cancel", NOW)).toBeUndefined();
    (ordered.served.properties as { startTime: string }).startTime = ago(2);
    expect(boxOracle(c, ordered, seen("DeviceOrdered"), "cancel", NOW)).toMatch(/too young: 2\.0 days/);
    const lenient = boxJob("Completed");
    lenient.served.systemData = { createdAt: "2020", lastModifiedAt: "Jan 1" };
    expect(boxOracle(c, lenient, seen("Completed"), "delete", NOW)).toMatch(/no valid timestamp/);
    // Moved to Cancelled during the campaign: lastModifiedAt is then.
    expect(boxOracle(c, boxJob("Completed"), seen("Cancelled"), "delete", NOW)).toMatch(/stage changed/);
  });
});

describe("the campaign's reading of Data Box requests", () => {
  const job = `/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.DataBox/jobs/box-1`;
  const req = (method: string, path: string) => ({ method, path }) as LoggedRequest;

  it("knows DELETE <job> and POST <job>/cancel as actions on the job, and operation polls as reads", () => {
    expect(actionOf(req("DELETE", job))).toBe("delete");
    expect(actionOf(req("POST", `${job}/cancel`))).toBe("cancel");
    expect(jobKeyOf(req("POST", `${job}/cancel`))).toBe(job.toLowerCase());
    expect(actionOf(req("GET", job))).toBeUndefined();
    expect(actionOf(req("POST", `${job}/listCredentials`))).toBeUndefined();
    expect(
      actionOf(
        req("GET", `/subscriptions/${SUB}/providers/Microsoft.DataBox/locations/westus/operationStatuses/x`),
      ),
    ).toBeUndefined();
    expect(
      actionOf(
        req("PATCH", `/subscriptions/${SUB}/resourceGroups/rg-a/providers/Microsoft.ImportExport/jobs/j`),
      ),
    ).toBe("cancel");
  });
});
