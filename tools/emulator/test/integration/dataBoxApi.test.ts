import { DataBoxManagementClient, getContinuationToken, type JobResource } from "@azure/arm-databox";
import { beforeEach, describe, expect, it } from "vitest";
import type { DataBoxSeedJob } from "../../src/seed";
import {
  armRequest,
  devCredential,
  headerCapture,
  makeJob,
  sdkClientOptions,
  sdkRejection,
  withEmulator,
  type EmulatorFixture,
} from "../../../../test/support/emulator";

// The Data Box jobs API (Microsoft.DataBox/jobs, 2022-12-01) through the real @azure/arm-databox 5.0.0 client:
// paging, get, cancel, delete as a long-running operation, the refusals and what the request log says of them.

const SUB = "dbdbdbdb-0000-4000-8000-000000000001";
const READ_ONLY_SUB = "dbdbdbdb-0000-4000-8000-000000000002";
const RG = "rg-dbx";
const API = "api-version=2022-12-01";
const JOB_PATH = (name: string, sub = SUB) =>
  `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.DataBox/jobs/${name}`;

function dataBoxJob(
  name: string,
  status: string | undefined,
  extra: Partial<DataBoxSeedJob["properties"]> = {},
  more: Partial<DataBoxSeedJob> = {},
): DataBoxSeedJob {
  return {
    source: "databox",
    subscriptionId: SUB,
    resourceGroup: RG,
    name,
    location: "westus",
    sku: { name: "DataBoxCustomerDisk" },
    properties: {
      ...(status === undefined ? {} : { status }),
      transferType: "ImportToAzure",
      startTime: "2030-01-01T00:00:00.000Z",
      details: {
        jobDetailsType: "DataBoxCustomerDisk",
        contactDetails: {
          contactName: `CANARY-${name}`,
          phone: "+1 425-555-0100",
          emailList: ["c@example.com"],
        },
        shippingAddress: { streetAddress1: `CANARY-STREET-${name}`, country: "US" },
      },
      ...extra,
    },
    ...more,
  };
}

function client(fx: EmulatorFixture, subscriptionId = SUB): DataBoxManagementClient {
  return new DataBoxManagementClient(devCredential, subscriptionId, sdkClientOptions(fx.emulator));
}

/** Polls as fast as the test machine allows: the emulator's operations run on real time (dataBoxDeleteMs). */
const FAST_POLL = { updateIntervalInMs: 20 };

describe("emulator: Data Box jobs API through the real SDK", () => {
  const fx = withEmulator({ settings: { throttling: false } });

  beforeEach(async () => {
    await fx.control.reset({
      seed: {
        subscriptions: [{ subscriptionId: READ_ONLY_SUB, state: "Disabled" }],
        jobs: [
          dataBoxJob("done-old", "Completed", {}, { tags: { owner: "team-a" } }),
          dataBoxJob("draft", "AwaitingShipmentDetails"),
          dataBoxJob("in-transit", "ShippedToAzureDC"),
          dataBoxJob("says-no", "Completed", { isDeletable: false }),
          dataBoxJob("says-yes", "ShippedToAzureDC", { isDeletable: true, isCancellable: true }),
          dataBoxJob("no-stage", undefined),
          dataBoxJob("device", "Completed", {}, { sku: { name: "DataBox" } }),
          { ...dataBoxJob("frozen", "Completed"), subscriptionId: READ_ONLY_SUB },
          makeJob(SUB, RG, "classic-draft"),
        ],
      },
    });
  });

  it("gets a job in the JobResource shape, flags from the stage, and no details", async () => {
    // Act
    const job = await client(fx).jobs.get(RG, "DONE-OLD");
    const raw = await armRequest(fx.emulator, "GET", `${JOB_PATH("done-old")}?${API}`);

    // Assess
    expect(job).toMatchObject({
      id: JOB_PATH("done-old"),
      name: "done-old",
      type: "Microsoft.DataBox/jobs",
      location: "westus",
      tags: { owner: "team-a" },
      sku: { name: "DataBoxCustomerDisk" },
      status: "Completed",
      transferType: "ImportToAzure",
      isDeletable: true,
      isCancellable: false,
      isCancellableWithoutFee: false,
    });
    expect(job.startTime).toEqual(new Date("2030-01-01T00:00:00.000Z"));
    expect(job.details).toBeUndefined();
    expect(raw.text).not.toContain("CANARY");
    expect((raw.json as { properties: Record<string, unknown> }).properties).not.toHaveProperty("details");
    const log = await fx.control.requests();
    expect(log.forbiddenTotal).toBe(0);
    expect(log.items[0]).toMatchObject({
      operation: "DataBoxJobs_Get",
      status: 200,
      job: {
        source: "databox",
        status: "Completed",
        isDeletable: true,
        isCancellable: false,
        sku: "DataBoxCustomerDisk",
      },
    });
  });

  it("serves the seed's flags where they disagree with the stage, and none is invented without a stage", async () => {
    const jobs = client(fx).jobs;
    expect(await jobs.get(RG, "says-no")).toMatchObject({ status: "Completed", isDeletable: false });
    expect(await jobs.get(RG, "says-yes")).toMatchObject({ isDeletable: true, isCancellable: true });
    const noStage = await jobs.get(RG, "no-stage");
    expect(noStage.status).toBeUndefined();
    expect(noStage).toMatchObject({ isDeletable: false, isCancellable: false });
  });

  it("serves $expand=details with the contact details, but logs it forbidden", async () => {
    const job = await client(fx).jobs.get(RG, "draft", { expand: "details" });
    expect(job.details?.contactDetails?.contactName).toBe("CANARY-draft");
    const forbidden = await fx.control.requests({ forbidden: true });
    expect(forbidden.items).toMatchObject([
      { operation: "DataBoxJobs_Get", status: 200, forbidden: true, rule: "databox-expand-details" },
    ]);
  });

  it("answers listCredentials, logged forbidden", async () => {
    const raw = await armRequest(fx.emulator, "POST", `${JOB_PATH("draft")}/listCredentials?${API}`);
    expect(raw.status).toBe(200);
    const forbidden = await fx.control.requests({ forbidden: true });
    expect(forbidden.items).toMatchObject([
      { operation: "DataBoxJobs_ListCredentials", forbidden: true, rule: "databox-list-credentials" },
    ]);
  });

  it("lists only Data Box jobs, by subscription and by resource group, without details", async () => {
    const bySubscription: JobResource[] = [];
    for await (const job of client(fx).jobs.list()) bySubscription.push(job);
    const byGroup: JobResource[] = [];
    for await (const job of client(fx).jobs.listByResourceGroup("RG-DBX")) byGroup.push(job);

    expect(bySubscription.map((j) => j.name)).toEqual([
      "done-old",
      "draft",
      "in-transit",
      "says-no",
      "says-yes",
      "no-stage",
      "device",
    ]);
    expect(byGroup.map((j) => j.name)).toEqual(bySubscription.map((j) => j.name));
    expect(bySubscription.every((j) => j.details === undefined)).toBe(true);
    expect(bySubscription.find((j) => j.name === "device")?.sku?.name).toBe("DataBox");
    // And the classic API does not see them.
    const classic: string[] = [];
    for await (const job of fx.importExport(SUB).jobs.listBySubscription()) classic.push(job.name!);
    expect(classic).toEqual(["classic-draft"]);
  });

  it("cancels a cancellable job with 204: Cancelled at once, with the reason", async () => {
    // Act
    const capture = headerCapture();
    await client(fx).jobs.cancel(RG, "draft", { reason: "janitor rule stale-drafts, run r-1" }, capture);
    const after = await client(fx).jobs.get(RG, "draft");

    // Assess
    expect(capture.get("x-ms-ratelimit-remaining-subscription-writes")).toBeDefined();
    expect(after).toMatchObject({
      status: "Cancelled",
      cancellationReason: "janitor rule stale-drafts, run r-1",
      isCancellable: false,
      isDeletable: true,
    });
    const { items } = await fx.control.requests();
    const cancel = items.find((r) => r.operation === "DataBoxJobs_Cancel")!;
    expect(cancel).toMatchObject({
      method: "POST",
      status: 204,
      job: { status: "AwaitingShipmentDetails", isCancellable: true },
    });
    expect(cancel.forbidden).toBeUndefined();
  });

  it.each([
    ["{}", "reason: required"],
    ['{"reason": ""}', "reason: expected a non-empty string"],
    ['{"reason": 7}', "reason: expected a string"],
    ["", "must be a JSON object"],
  ])("refuses a cancel with body %s as 400 naming the reason", async (rawBody, message) => {
    const raw = await armRequest(fx.emulator, "POST", `${JOB_PATH("draft")}/cancel?${API}`, { rawBody });
    expect(raw.status).toBe(400);
    expect(raw.json).toMatchObject({ error: { code: "InvalidRequestContent" } });
    expect((raw.json as { error: { message: string } }).error.message).toContain(message);
    expect((await client(fx).jobs.get(RG, "draft")).status).toBe("AwaitingShipmentDetails");
  });

  it.each([
    ["in-transit", "databox-cancel-not-cancellable"],
    ["done-old", "databox-cancel-not-cancellable"],
    // The seed says cancellable, the emulator's stage rules do not.
    ["says-yes", "databox-cancel-not-allowed-in-stage"],
  ])("refuses to cancel %s: 409 ErrorResponse, logged forbidden (%s)", async (name, rule) => {
    const error = await sdkRejection(client(fx).jobs.cancel(RG, name, { reason: "test" }));
    expect(error.statusCode).toBe(409);
    expect(error.code).toBe("CancelNotAllowed");
    const forbidden = await fx.control.requests({ forbidden: true });
    expect(forbidden.items).toMatchObject([{ operation: "DataBoxJobs_Cancel", status: 409, rule }]);
  });

  it.each([
    ["in-transit", "databox-delete-not-deletable"],
    ["says-no", "databox-delete-not-deletable"],
    ["no-stage", "databox-delete-not-deletable"],
    // The seed says deletable, the emulator's stage rules do not.
    ["says-yes", "databox-delete-not-allowed-in-stage"],
  ])("refuses to delete %s: 409 ErrorResponse, logged forbidden (%s)", async (name, rule) => {
    const error = await sdkRejection(client(fx).jobs.beginDeleteAndWait(RG, name, FAST_POLL));
    expect(error.statusCode).toBe(409);
    expect(error.code).toBe("DeleteNotAllowed");
    expect(await client(fx).jobs.get(RG, name)).toMatchObject({ name });
    const forbidden = await fx.control.requests({ forbidden: true });
    expect(forbidden.items).toMatchObject([{ operation: "DataBoxJobs_Delete", status: 409, rule }]);
  });

  it("refuses cancel and delete in a disabled subscription as read-only", async () => {
    const jobs = client(fx, READ_ONLY_SUB).jobs;
    expect((await sdkRejection(jobs.beginDeleteAndWait(RG, "frozen", FAST_POLL))).code).toBe(
      "ReadOnlyDisabledSubscription",
    );
    const forbidden = await fx.control.requests({ forbidden: true });
    expect(forbidden.items.map((r) => r.rule)).toEqual(["subscription-read-only"]);
  });

  it("deletes as a long-running operation the SDK follows to its end; the job is gone (404)", async () => {
    // Act
    await client(fx).jobs.beginDeleteAndWait(RG, "done-old", FAST_POLL);

    // Assess
    const error = await sdkRejection(client(fx).jobs.get(RG, "done-old"));
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe("ResourceNotFound");
    expect((await fx.control.dataBoxJobs(SUB)).map((j) => j.name)).not.toContain("done-old");
    const { items } = await fx.control.requests();
    const operations = items.map((r) => `${r.operation} ${r.status}`);
    expect(operations[0]).toBe("DataBoxJobs_Delete 202");
    expect(operations).toContain("DataBoxOperationStatuses_Get 200");
    expect(items[0]!.job).toMatchObject({ status: "Completed", isDeletable: true });
    expect((await fx.control.requests({ forbidden: true })).items).toEqual([]);
  });

  it("cancels, then deletes the cancelled job", async () => {
    await client(fx).jobs.cancel(RG, "draft", { reason: "test" });
    await client(fx).jobs.beginDeleteAndWait(RG, "draft", FAST_POLL);
    expect((await sdkRejection(client(fx).jobs.get(RG, "draft"))).statusCode).toBe(404);
  });

  it("answers 404 ResourceNotFound for an unknown job on get, cancel and delete", async () => {
    const jobs = client(fx).jobs;
    for (const call of [
      () => jobs.get(RG, "nope"),
      () => jobs.cancel(RG, "nope", { reason: "x" }),
      () => jobs.beginDeleteAndWait(RG, "nope", FAST_POLL),
    ]) {
      const error = await sdkRejection(call());
      expect(error.statusCode).toBe(404);
      expect(error.code).toBe("ResourceNotFound");
    }
  });

  it("does not serve create, update or other Data Box operations", async () => {
    expect((await armRequest(fx.emulator, "PUT", `${JOB_PATH("new-job")}?${API}`, { body: {} })).status).toBe(
      405,
    );
    expect((await armRequest(fx.emulator, "PATCH", `${JOB_PATH("draft")}?${API}`, { body: {} })).status).toBe(
      405,
    );
    const other = await armRequest(fx.emulator, "POST", `${JOB_PATH("draft")}/markDevicesShipped?${API}`, {
      body: {},
    });
    expect(other.status).toBe(404);
    const wrongVersion = await armRequest(fx.emulator, "GET", `${JOB_PATH("draft")}?api-version=2021-01-01`);
    expect(wrongVersion.status).toBe(400);
    expect(wrongVersion.json).toMatchObject({ error: { code: "InvalidApiVersionParameter" } });
  });
});

describe("emulator: Data Box delete operation, raw", () => {
  const fx = withEmulator({ settings: { throttling: false } });

  beforeEach(async () => {
    await fx.control.reset({
      seed: { jobs: [dataBoxJob("done-a", "Completed"), dataBoxJob("done-b", "Cancelled")] },
      // Long enough that the operation is still running while the test looks at it.
      settings: { dataBoxDeleteMs: 600_000, dataBoxRetryAfterSeconds: 1 },
    });
  });

  it("answers 202 with Azure-AsyncOperation and Location on the emulator's origin; both say running", async () => {
    // Act
    const accepted = await armRequest(fx.emulator, "DELETE", `${JOB_PATH("done-a")}?${API}`);
    const statusUrl = new URL(String(accepted.headers["azure-asyncoperation"]));
    const resultUrl = new URL(String(accepted.headers.location));
    const status = await armRequest(fx.emulator, "GET", statusUrl.pathname + statusUrl.search);
    const result = await armRequest(fx.emulator, "GET", resultUrl.pathname + resultUrl.search);
    const again = await armRequest(fx.emulator, "DELETE", `${JOB_PATH("done-a")}?${API}`);

    // Assess
    expect(accepted.status).toBe(202);
    expect(accepted.text).toBe("");
    expect(accepted.headers["retry-after"]).toBe("1");
    for (const url of [statusUrl, resultUrl]) {
      expect(url.origin).toBe(fx.emulator.endpoint);
      expect(url.searchParams.get("api-version")).toBe("2022-12-01");
    }
    expect(statusUrl.pathname).toMatch(
      new RegExp(
        `^/subscriptions/${SUB}/providers/Microsoft.DataBox/locations/westus/operationStatuses/[0-9a-f-]{36}$`,
      ),
    );
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ status: "InProgress", name: statusUrl.pathname.split("/").pop() });
    expect(result.status).toBe(202);
    expect(result.headers.location).toBe(resultUrl.href);
    // A repeat while it runs answers the same operation; the job is still there meanwhile.
    expect(again.status).toBe(202);
    expect(again.headers["azure-asyncoperation"]).toBe(statusUrl.href);
    expect((await fx.control.dataBoxJobs(SUB)).find((j) => j.name === "done-a")?.deletingOperationId).toBe(
      statusUrl.pathname.split("/").pop(),
    );
    expect((await armRequest(fx.emulator, "GET", `${JOB_PATH("done-a")}?${API}`)).status).toBe(200);
  });

  it("ends Succeeded once dataBoxDeleteMs has passed: 204 on Location, the job 404", async () => {
    await fx.control.reset({
      seed: { jobs: [dataBoxJob("done-a", "Completed")] },
      settings: { dataBoxDeleteMs: 1 },
    });
    const accepted = await armRequest(fx.emulator, "DELETE", `${JOB_PATH("done-a")}?${API}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const statusUrl = new URL(String(accepted.headers["azure-asyncoperation"]));
    const resultUrl = new URL(String(accepted.headers.location));
    const status = await armRequest(fx.emulator, "GET", statusUrl.pathname + statusUrl.search);
    const result = await armRequest(fx.emulator, "GET", resultUrl.pathname + resultUrl.search);
    expect(status.json).toMatchObject({ status: "Succeeded" });
    expect((status.json as { endTime?: string }).endTime).toBeDefined();
    expect(result.status).toBe(204);
    expect((await armRequest(fx.emulator, "GET", `${JOB_PATH("done-a")}?${API}`)).status).toBe(404);
  });

  it("deletes at once with 200 when dataBoxDeleteMs is 0", async () => {
    await fx.control.reset({
      seed: { jobs: [dataBoxJob("done-a", "Completed")] },
      settings: { dataBoxDeleteMs: 0 },
    });
    const reply = await armRequest(fx.emulator, "DELETE", `${JOB_PATH("done-a")}?${API}`);
    expect(reply.status).toBe(200);
    expect(reply.headers["azure-asyncoperation"]).toBeUndefined();
    expect((await armRequest(fx.emulator, "GET", `${JOB_PATH("done-a")}?${API}`)).status).toBe(404);
  });

  it("a deleteOutcome fault makes the operation fail (the job stays) or run forever", async () => {
    // Prepare
    await fx.control.reset({
      seed: { jobs: [dataBoxJob("done-a", "Completed"), dataBoxJob("done-b", "Cancelled")] },
      settings: { dataBoxDeleteMs: 1 },
    });
    await fx.control.addFaults([
      { method: "DELETE", path: "/jobs/done-a$", deleteOutcome: "fail" },
      { method: "DELETE", path: "/jobs/done-b$", deleteOutcome: "never" },
    ]);

    // Act
    // core-lro rejects a failed operation with a plain Error (not a RestError) carrying the operation's error.
    const failed = await client(fx)
      .jobs.beginDeleteAndWait(RG, "done-a", FAST_POLL)
      .then(
        () => new Error("resolved"),
        (e: unknown) => e as Error,
      );
    const forever = await armRequest(fx.emulator, "DELETE", `${JOB_PATH("done-b")}?${API}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const statusUrl = new URL(String(forever.headers["azure-asyncoperation"]));
    const resultUrl = new URL(String(forever.headers.location));

    // Assess
    expect(failed.message).toContain("The long-running operation has failed. DeleteFailed.");
    expect(await client(fx).jobs.get(RG, "done-a")).toMatchObject({ status: "Completed", isDeletable: true });
    const log = await fx.control.requests();
    const poll = log.items.find((r) => r.operation === "DataBoxOperationStatuses_Get")!;
    const failedStatus = await armRequest(fx.emulator, "GET", `${poll.path}?${poll.query}`);
    expect(failedStatus.json).toMatchObject({ status: "Failed", error: { code: "DeleteFailed" } });
    const failedResult = await armRequest(
      fx.emulator,
      "GET",
      `${poll.path.replace("operationStatuses", "operationResults")}?${API}`,
    );
    expect(failedResult.status).toBe(500);
    expect(failedResult.json).toMatchObject({ error: { code: "DeleteFailed" } });
    for (let i = 0; i < 3; i++) {
      expect(
        (await armRequest(fx.emulator, "GET", statusUrl.pathname + statusUrl.search)).json,
      ).toMatchObject({
        status: "InProgress",
      });
      expect((await armRequest(fx.emulator, "GET", resultUrl.pathname + resultUrl.search)).status).toBe(202);
    }
    expect((await armRequest(fx.emulator, "GET", `${JOB_PATH("done-b")}?${API}`)).status).toBe(200);
  });

  it("path faults match the operation URLs too: a 503 on one poll, then the SDK's next poll succeeds", async () => {
    await fx.control.reset({
      seed: { jobs: [dataBoxJob("done-a", "Completed")] },
      settings: { dataBoxDeleteMs: 1 },
    });
    await fx.control.addFaults({ method: "GET", path: "/operationStatuses/", status: 503, count: 1 });
    const sdk = new DataBoxManagementClient(devCredential, SUB, sdkClientOptions(fx.emulator, 2));
    await sdk.jobs.beginDeleteAndWait(RG, "done-a", FAST_POLL);
    const { items } = await fx.control.requests();
    expect(items.filter((r) => r.fault === true).map((r) => r.status)).toEqual([503]);
    expect((await armRequest(fx.emulator, "GET", `${JOB_PATH("done-a")}?${API}`)).status).toBe(404);
  });

  it("a mutate fault changes the Data Box job under a request: the flag turns false before the delete", async () => {
    await fx.control.addFaults({
      method: "DELETE",
      path: "/jobs/done-a$",
      mutate: { isDeletable: false },
      count: 1,
    });
    const reply = await armRequest(fx.emulator, "DELETE", `${JOB_PATH("done-a")}?${API}`);
    expect(reply.status).toBe(409);
    expect((await fx.control.requests({ forbidden: true })).items).toMatchObject([
      { rule: "databox-delete-not-deletable", job: { isDeletable: false } },
    ]);
  });
});

describe("emulator: Data Box paging and throttling", () => {
  const fx = withEmulator();

  it("pages 120 jobs by $skipToken with absolute nextLinks carrying api-version", async () => {
    // Prepare
    const jobs = Array.from({ length: 120 }, (_, i) =>
      dataBoxJob(`job-${String(i).padStart(3, "0")}`, "Completed"),
    );
    await fx.control.reset({ seed: { jobs }, settings: { throttling: false } });

    // Act
    const pages: JobResource[][] = [];
    for await (const page of client(fx).jobs.list().byPage()) pages.push(page);

    // Assess
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    expect(pages.flat().map((j) => j.name)).toEqual(jobs.map((j) => j.name));
    for (const page of pages.slice(0, 2)) {
      const link = new URL(getContinuationToken(page)!);
      expect(link.origin).toBe(fx.emulator.endpoint);
      expect(link.pathname).toBe(`/subscriptions/${SUB}/providers/Microsoft.DataBox/jobs`);
      expect(link.searchParams.get("api-version")).toBe("2022-12-01");
      expect(link.searchParams.get("$skipToken")).toBeTruthy();
    }
    expect(getContinuationToken(pages[2]!)).toBeUndefined();
    const bad = await armRequest(
      fx.emulator,
      "GET",
      `/subscriptions/${SUB}/providers/Microsoft.DataBox/jobs?${API}&$skipToken=bogus`,
    );
    expect(bad.status).toBe(400);
  });

  it("counts gets as reads, cancel as a write and delete as a delete, in the subscription's buckets", async () => {
    await fx.control.reset({
      seed: {
        jobs: [
          dataBoxJob("draft", "AwaitingShipmentDetails"),
          dataBoxJob("done", "Completed"),
          makeJob(SUB, RG, "c"),
        ],
      },
      settings: {
        throttling: {
          reads: { capacity: 10, refillPerSecond: 0.01 },
          writes: { capacity: 3, refillPerSecond: 0.01 },
          deletes: { capacity: 1, refillPerSecond: 0.01 },
        },
        dataBoxDeleteMs: 0,
      },
    });
    const read = headerCapture();
    await client(fx).jobs.get(RG, "draft", read);
    const write = headerCapture();
    await client(fx).jobs.cancel(RG, "draft", { reason: "test" }, write);
    const del = headerCapture();
    await client(fx).jobs.beginDeleteAndWait(RG, "done", { ...FAST_POLL, onResponse: del.onResponse });
    // The classic API shares the same buckets: its one delete token is gone.
    const classic = await sdkRejection(fx.importExport(SUB).jobs.delete("c", RG));

    expect(read.get("x-ms-ratelimit-remaining-subscription-reads")).toBe("9");
    expect(write.get("x-ms-ratelimit-remaining-subscription-writes")).toBe("2");
    expect(del.get("x-ms-ratelimit-remaining-subscription-deletes")).toBe("0");
    expect(classic.statusCode).toBe(429);
  });
});
