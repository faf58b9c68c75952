import { describe, expect, it } from "vitest";
import { matchRoute } from "../../src/armApi";

const JOB = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ImportExport/jobs/j1";

describe("matchRoute", () => {
  it.each([
    [
      "GET",
      "/subscriptions",
      { operation: "Subscriptions_List", apiVersion: "2022-12-01", kind: "reads", scope: "tenant" },
    ],
    ["GET", "/subscriptions/s1", { operation: "Subscriptions_Get", subscriptionId: "s1" }],
    [
      "GET",
      "/subscriptions/s1/providers/microsoft.importexport/JOBS",
      { operation: "Jobs_ListBySubscription", scope: "s1" },
    ],
    [
      "GET",
      "/subscriptions/s1/resourcegroups/rg1/providers/Microsoft.ImportExport/jobs/",
      { operation: "Jobs_ListByResourceGroup", resourceGroup: "rg1" },
    ],
    ["GET", JOB, { operation: "Jobs_Get", jobName: "j1", kind: "reads" }],
    ["PUT", JOB, { operation: "Jobs_Create", kind: "writes" }],
    ["PATCH", JOB, { operation: "Jobs_Update", kind: "writes" }],
    ["DELETE", JOB, { operation: "Jobs_Delete", kind: "deletes", apiVersion: "2021-01-01" }],
    ["POST", `${JOB}/listBitLockerKeys`, { operation: "BitLockerKeys_List", kind: "writes" }],
    [
      "GET",
      "/subscriptions/s1/resourceGroups/my%20rg/providers/Microsoft.ImportExport/jobs/a%2Db",
      { resourceGroup: "my rg", jobName: "a-b" },
    ],
  ])("%s %s", (method, path, expected) => {
    expect(matchRoute(method, path)).toMatchObject(expected);
  });

  it.each([
    ["GET", "/providers/Microsoft.ImportExport/operations", 404],
    ["GET", "/subscriptions/s1/providers/Microsoft.Storage/storageAccounts", 404],
    ["POST", JOB, 405],
    ["GET", `${JOB}/listBitLockerKeys`, 405],
    ["GET", "/subscriptions/%E0%A4%A", 400],
  ])("%s %s answers %i", (method, path, status) => {
    expect(matchRoute(method, path)).toMatchObject({ status });
  });
});
