// DataBoxJobsGateway over the real @azure/arm-databox client and pipeline; a scripted HttpClient answers under
// it and records every request (the emulator-backed tests are in test/integration/adapters/arm).
import { describe, expect, it } from "vitest";

import {
  armClientOptions,
  DEVELOPMENT_TOKEN,
  DevelopmentTokenCredential,
  parseArmSettings,
} from "../../../../src/adapters/arm";
import { DataBoxJobsGateway, DATABOX_API_VERSION } from "../../../../src/adapters/arm/DataBoxJobsGateway";
import type { JobRef } from "../../../../src/domain/job";
import { ValidationError } from "../../../../src/errors";
import { FakeHttpClient } from "./fakeHttpClient";
import { DATABOX_PERSONAL, dataBoxJobId, ENDPOINT, RG, SUB, wireDataBoxJob } from "./wireDataBoxJobs";
import { jobId, wireJob } from "./wireJobs";

const REF: JobRef = { source: "databox", subscriptionId: SUB, resourceGroup: RG, name: "disk-job-1" };
const REASON = "janitor rule cancel-stale-drafts, run 20261121T232400Z-3f9a1c2b";
const JOB_PATH = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.DataBox/jobs/disk-job-1`;
const LIST_PATH = `/subscriptions/${SUB}/providers/Microsoft.DataBox/jobs`;
const OPERATIONS = `${ENDPOINT}/subscriptions/${SUB}/providers/Microsoft.DataBox/locations/westeurope`;
const STATUS_URL = `${OPERATIONS}/operationStatuses/op-1?api-version=${DATABOX_API_VERSION}`;
const RESULT_URL = `${OPERATIONS}/operationResults/op-1?api-version=${DATABOX_API_VERSION}`;

function gateway(options: { timeoutMs?: number } = {}): { jobs: DataBoxJobsGateway; http: FakeHttpClient } {
  const http = new FakeHttpClient();
  const jobs = new DataBoxJobsGateway({
    credential: new DevelopmentTokenCredential(),
    clientOptions: armClientOptions(parseArmSettings({ JANITOR_ARM_ENDPOINT: ENDPOINT })),
    timeoutMs: options.timeoutMs ?? 5_000,
    httpClient: http,
  });
  return { jobs, http };
}

function expectNoPersonalData(value: unknown): void {
  const text = JSON.stringify(value);
  for (const secret of DATABOX_PERSONAL) expect(text).not.toContain(secret);
}

/** Nothing the gateway sent asked for details or credentials. */
function expectNothingForbidden(http: FakeHttpClient): void {
  for (const request of http.sent) {
    expect(request.url.toLowerCase()).not.toContain("$expand");
    expect(request.url.toLowerCase()).not.toContain("%24expand");
    expect(request.url.toLowerCase()).not.toContain("listcredentials");
  }
}

describe("DataBoxJobsGateway.listJobsPage", () => {
  it("fetches the first page by subscription with api-version 2022-12-01, no $top and no $expand", async () => {
    const { jobs, http } = gateway();
    const nextLink = `${ENDPOINT}${LIST_PATH}?api-version=${DATABOX_API_VERSION}&$skipToken=page2`;
    http.reply({
      status: 200,
      json: {
        value: [wireDataBoxJob("disk-job-1"), wireDataBoxJob("disk-job-2", { status: "DeviceOrdered" })],
        nextLink,
      },
      headers: { "x-ms-ratelimit-remaining-subscription-reads": "248" },
    });

    const result = await jobs.listJobsPage(SUB, undefined, { pageSize: 2 });

    expect(http.sent).toHaveLength(1);
    const url = new URL(http.sent[0]?.url ?? "");
    expect(url.origin + url.pathname).toBe(`${ENDPOINT}${LIST_PATH}`);
    expect([...url.searchParams.keys()]).toEqual(["api-version"]);
    expect(url.searchParams.get("api-version")).toBe("2022-12-01");
    expect(http.sent[0]?.authorization).toBe(`Bearer ${DEVELOPMENT_TOKEN}`);
    expect(result).toMatchObject({
      ok: true,
      status: 200,
      remaining: { reads: 248 },
      value: {
        jobs: [
          { source: "databox", name: "disk-job-1", state: "Completed", sku: "DataBoxCustomerDisk" },
          { source: "databox", name: "disk-job-2", state: "DeviceOrdered" },
        ],
        malformed: [],
        nextLink,
      },
    });
    expectNoPersonalData(result);
  });

  it("follows the given nextLink as one request and ends without a nextLink", async () => {
    const { jobs, http } = gateway();
    const link = `${ENDPOINT}${LIST_PATH}?api-version=${DATABOX_API_VERSION}&$skipToken=page2`;
    http.reply({ status: 200, json: { value: [wireDataBoxJob("disk-job-3")] } });

    const result = await jobs.listJobsPage(SUB, link);

    expect(http.sent.map((request) => request.url)).toEqual([link]);
    expect(result).toMatchObject({ ok: true, value: { jobs: [{ name: "disk-job-3" }] } });
    expect(result.ok && "nextLink" in result.value).toBe(false);
  });

  it("adds api-version to a nextLink that lacks it and drops a $expand the link carries", async () => {
    const { jobs, http } = gateway();
    http.reply({
      status: 200,
      json: { value: [], nextLink: `${ENDPOINT}${LIST_PATH}?$skipToken=p2&$expand=details` },
    });

    const result = await jobs.listJobsPage(SUB, undefined);

    expect(result.ok).toBe(true);
    const next = new URL(result.ok ? (result.value.nextLink ?? "") : "");
    expect(next.searchParams.get("$skipToken")).toBe("p2");
    expect(next.searchParams.get("api-version")).toBe(DATABOX_API_VERSION);
    expect(next.searchParams.has("$expand")).toBe(false);
  });

  it.each([
    [
      "another origin",
      `https://attacker.example${LIST_PATH}?api-version=${DATABOX_API_VERSION}&$skipToken=x`,
    ],
    ["another port", `https://127.0.0.1:9999${LIST_PATH}?$skipToken=x`],
    [
      "another subscription",
      `${ENDPOINT}/subscriptions/99999999-9999-9999-9999-999999999999/providers/Microsoft.DataBox/jobs?$skipToken=x`,
    ],
    ["another path", `${ENDPOINT}${JOB_PATH}/listCredentials`],
  ])(
    "reports a page whose nextLink goes to %s as malformed, and refuses that link as a cursor",
    async (_what, link) => {
      const { jobs, http } = gateway();
      http.reply({ status: 200, json: { value: [wireDataBoxJob("disk-job-1")], nextLink: link } });

      expect(await jobs.listJobsPage(SUB, undefined)).toMatchObject({
        ok: false,
        failure: { kind: "malformed", status: 200 },
      });
      await expect(jobs.listJobsPage(SUB, link)).rejects.toBeInstanceOf(ValidationError);
      expect(http.sent).toHaveLength(1);
    },
  );

  it("puts jobs without a status, with an Import/Export id or of another subscription into malformed", async () => {
    const { jobs, http } = gateway();
    const other = "99999999-9999-9999-9999-999999999999";
    http.reply({
      status: 200,
      json: {
        value: [
          wireDataBoxJob("disk-job-1"),
          wireDataBoxJob("no-status", { status: undefined }),
          wireJob("classic"),
          wireDataBoxJob("foreign", {}, { id: dataBoxJobId("foreign", other) }),
        ],
      },
    });

    const result = await jobs.listJobsPage(SUB, undefined);

    expect(result.ok && result.value.jobs.map((job) => job.name)).toEqual(["disk-job-1"]);
    expect(result.ok && result.value.malformed).toEqual([
      { id: dataBoxJobId("no-status"), name: "no-status", reason: "job has no properties.status" },
      { id: jobId("classic"), name: "classic", reason: "id is not a Microsoft.DataBox/jobs resource id" },
      { id: dataBoxJobId("foreign", other), name: "foreign", reason: "job belongs to another subscription" },
    ]);
    expectNoPersonalData(result);
  });

  it("refuses page sizes outside 1..100 and bad subscription ids before sending", async () => {
    const { jobs, http } = gateway();
    await expect(jobs.listJobsPage(SUB, undefined, { pageSize: 0 })).rejects.toThrow(/pageSize/);
    await expect(jobs.listJobsPage("not-a-guid", undefined)).rejects.toThrow(/subscriptionId/);
    expect(http.sent).toEqual([]);
  });

  it("maps a 404 of the listing to not-allowed (a listing never vanishes) and a page without value to malformed", async () => {
    const { jobs, http } = gateway();
    http.reply(
      { status: 404, json: { error: { code: "NotFound", message: "no" } } },
      { status: 200, json: {} },
    );

    expect(await jobs.listJobsPage(SUB, undefined)).toMatchObject({
      ok: false,
      failure: { kind: "not-allowed" },
    });
    expect(await jobs.listJobsPage(SUB, undefined)).toMatchObject({
      ok: false,
      failure: { kind: "malformed" },
    });
  });
});

describe("DataBoxJobsGateway.listJobsPage in a subscription without the Data Box provider", () => {
  const unregistered = {
    status: 409,
    json: {
      error: {
        code: "MissingSubscriptionRegistration",
        message: "The subscription is not registered to use namespace 'Microsoft.DataBox'.",
      },
    },
  };

  it("reads MissingSubscriptionRegistration on the first page as an empty, last page", async () => {
    const { jobs, http } = gateway();
    http.reply(unregistered);

    expect(await jobs.listJobsPage(SUB, undefined)).toEqual({
      ok: true,
      status: 409,
      value: { jobs: [], malformed: [] },
      remaining: {},
    });
  });

  it("keeps it a failure on a later page, and any other 409 on the first", async () => {
    const { jobs, http } = gateway();
    http.reply(unregistered, { status: 409, json: { error: { code: "Conflict", message: "no" } } });

    expect(await jobs.listJobsPage(SUB, `${ENDPOINT}${LIST_PATH}?$skipToken=2`)).toMatchObject({
      ok: false,
      failure: { kind: "not-allowed", status: 409, code: "MissingSubscriptionRegistration" },
    });
    expect(await jobs.listJobsPage(SUB, undefined)).toMatchObject({
      ok: false,
      failure: { kind: "not-allowed", status: 409, code: "Conflict" },
    });
  });
});

describe("DataBoxJobsGateway.getJob", () => {
  it("gets the job without $expand and keeps only what decisions need", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, json: wireDataBoxJob("disk-job-1") });

    const result = await jobs.getJob(REF);

    const url = new URL(http.sent[0]?.url ?? "");
    expect(http.sent[0]?.method).toBe("GET");
    expect(url.pathname).toBe(JOB_PATH);
    expect([...url.searchParams.keys()]).toEqual(["api-version"]);
    expect(result).toMatchObject({
      ok: true,
      status: 200,
      value: { source: "databox", id: dataBoxJobId("disk-job-1"), isDeletable: true, isCancellable: false },
    });
    expectNoPersonalData(result);
  });

  it("reports a body without status as malformed (the SDK's model would still look like a job)", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, json: wireDataBoxJob("disk-job-1", { status: undefined }) });

    expect(await jobs.getJob(REF)).toMatchObject({
      ok: false,
      failure: { kind: "malformed", status: 200, message: "job has no properties.status" },
    });
  });

  it("refuses a body that describes another job, and one that is not JSON", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, json: wireDataBoxJob("other") }, { status: 200, text: "<html>" });

    expect(await jobs.getJob(REF)).toMatchObject({ ok: false, failure: { kind: "malformed" } });
    expect(await jobs.getJob(REF)).toMatchObject({
      ok: false,
      failure: { kind: "malformed", message: "response body is not JSON" },
    });
  });

  it("maps 404 to gone", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 404, json: { error: { code: "ResourceNotFound", message: "gone" } } });

    expect(await jobs.getJob(REF)).toMatchObject({
      ok: false,
      failure: { kind: "gone", status: 404, code: "ResourceNotFound" },
    });
  });

  it("refuses a ref of the other source and names that would change the path, sending nothing", async () => {
    const { jobs, http } = gateway();
    await expect(jobs.getJob({ ...REF, source: "importexport" })).rejects.toThrow(/source/);
    await expect(jobs.getJob({ ...REF, name: ".." })).rejects.toThrow(/name/);
    await expect(jobs.deleteJob({ ...REF, resourceGroup: "a/b" })).rejects.toThrow(/resourceGroup/);
    expect(http.sent).toEqual([]);
  });
});

describe("DataBoxJobsGateway.cancelJob", () => {
  it("sends POST .../cancel with only the reason, and reads 204 as done with no value", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 204, headers: { "x-ms-ratelimit-remaining-subscription-writes": "199" } });

    const result = await jobs.cancelJob(REF, REASON);

    expect(http.sent).toHaveLength(1);
    expect(http.sent[0]?.method).toBe("POST");
    const url = new URL(http.sent[0]?.url ?? "");
    expect(url.pathname).toBe(`${JOB_PATH}/cancel`);
    expect(url.searchParams.get("api-version")).toBe(DATABOX_API_VERSION);
    expect(JSON.parse(http.sent[0]?.body ?? "null")).toEqual({ reason: REASON });
    expect(result).toEqual({ ok: true, value: undefined, status: 204, remaining: { writes: 199 } });
  });

  it.each([
    [
      409,
      { error: { code: "CancelNotAllowed", message: "The job cannot be cancelled." } },
      { kind: "not-allowed", status: 409, code: "CancelNotAllowed" },
    ],
    [400, { error: { code: "BadRequest", message: "no" } }, { kind: "not-allowed", status: 400 }],
    [404, { error: { code: "ResourceNotFound", message: "no" } }, { kind: "gone", status: 404 }],
    [429, undefined, { kind: "throttled", status: 429 }],
    [500, undefined, { kind: "transient", status: 500 }],
    [200, wireDataBoxJob("disk-job-1"), { kind: "malformed", status: 200 }],
  ])("maps %i to the usual failure", async (status, json, failure) => {
    const { jobs, http } = gateway();
    http.reply({ status, ...(json !== undefined && { json }) });

    expect(await jobs.cancelJob(REF, REASON)).toMatchObject({ ok: false, failure });
  });

  it.each(["", "   ", "x".repeat(1025)])("refuses a reason of %j length without sending", async (reason) => {
    const { jobs, http } = gateway();
    await expect(jobs.cancelJob(REF, reason)).rejects.toThrow(/reason/);
    expect(http.sent).toEqual([]);
  });
});

describe("DataBoxJobsGateway.deleteJob", () => {
  it("sends one DELETE and reads 200 as deleted", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, headers: { "x-ms-ratelimit-remaining-subscription-deletes": "41" } });

    const result = await jobs.deleteJob(REF);

    expect(http.sent.map((request) => [request.method, request.url])).toEqual([
      ["DELETE", `${ENDPOINT}${JOB_PATH}?api-version=${DATABOX_API_VERSION}`],
    ]);
    expect(http.sent[0]?.authorization).toBe(`Bearer ${DEVELOPMENT_TOKEN}`);
    expect(result).toEqual({ ok: true, value: undefined, status: 200, remaining: { deletes: 41 } });
  });

  it("reads 204 as gone: ARM's answer for a resource that is not there", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 204 });

    expect(await jobs.deleteJob(REF)).toEqual({
      ok: false,
      failure: { kind: "gone", status: 204 },
      remaining: {},
    });
  });

  it("reads 202 as started, preferring Azure-AsyncOperation, with Retry-After, and never polls by itself", async () => {
    const { jobs, http } = gateway();
    http.reply({
      status: 202,
      headers: { "azure-asyncoperation": STATUS_URL, location: RESULT_URL, "retry-after": "5" },
    });

    const result = await jobs.deleteJob(REF);

    expect(result).toEqual({
      ok: true,
      status: 202,
      value: { operationUrl: STATUS_URL, retryAfterMs: 5_000 },
      remaining: {},
    });
    // Only the DELETE: any further request would have found no scripted reply and failed the call.
    expect(http.sent).toHaveLength(1);
  });

  it("falls back to Location when Azure-AsyncOperation is missing or leaves the endpoint", async () => {
    const { jobs, http } = gateway();
    http.reply(
      { status: 202, headers: { location: RESULT_URL } },
      {
        status: 202,
        headers: { "azure-asyncoperation": "https://elsewhere.example/op", location: RESULT_URL },
      },
    );

    expect(await jobs.deleteJob(REF)).toMatchObject({ ok: true, value: { operationUrl: RESULT_URL } });
    expect(await jobs.deleteJob(REF)).toMatchObject({ ok: true, value: { operationUrl: RESULT_URL } });
  });

  it("names no operation URL when neither header stays on this subscription's Data Box provider", async () => {
    const { jobs, http } = gateway();
    http.reply(
      {
        status: 202,
        headers: {
          "azure-asyncoperation": "https://elsewhere.example/op",
          location: "http://127.0.0.1:8443/x",
        },
      },
      {
        status: 202,
        headers: {
          location: `${ENDPOINT}/subscriptions/99999999-9999-9999-9999-999999999999/providers/Microsoft.DataBox/locations/x/operationResults/1`,
        },
      },
      { status: 202 },
    );

    for (let i = 0; i < 3; i++) {
      expect(await jobs.deleteJob(REF)).toEqual({ ok: true, status: 202, value: {}, remaining: {} });
    }
  });

  it("maps a 409 refusal to not-allowed without echoing personal data", async () => {
    const { jobs, http } = gateway();
    http.reply({
      status: 409,
      json: {
        error: { code: "DeleteNotAllowed", message: "Refused for Casey Canary casey.canary@example.com" },
      },
    });

    const result = await jobs.deleteJob(REF);

    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "not-allowed", status: 409, code: "DeleteNotAllowed" },
    });
    expect(JSON.stringify(result)).not.toContain("casey.canary@example.com");
  });

  it("maps a dropped connection to transient", async () => {
    const { jobs, http } = gateway();
    http.reply({ networkError: "ECONNRESET" });

    expect(await jobs.deleteJob(REF)).toMatchObject({ ok: false, failure: { kind: "transient" } });
  });

  it("rejects with the AbortError when the caller aborts, and times out to transient Timeout", async () => {
    const { jobs, http } = gateway({ timeoutMs: 50 });
    http.reply({ hang: true }, { hang: true });
    const controller = new AbortController();
    const pending = jobs.deleteJob(REF, controller.signal);
    setTimeout(() => controller.abort(), 10);

    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(await jobs.deleteJob(REF)).toMatchObject({
      ok: false,
      failure: { kind: "transient", code: "Timeout" },
    });
  });
});

describe("DataBoxJobsGateway.pollDelete", () => {
  it.each([
    [{ status: "InProgress" }, "running"],
    [{ status: "Deleting" }, "running"],
    [{ status: "Succeeded" }, "succeeded"],
    [{ status: "Failed", error: { code: "InternalError", message: "x" } }, "failed"],
    [{ status: "Canceled" }, "failed"],
  ])("reads an Azure-AsyncOperation body %j as %s", async (json, status) => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, json, headers: { "retry-after": "2" } });

    const result = await jobs.pollDelete(REF, STATUS_URL);

    expect(http.sent.map((request) => [request.method, request.url, request.authorization])).toEqual([
      ["GET", STATUS_URL, `Bearer ${DEVELOPMENT_TOKEN}`],
    ]);
    expect(result).toEqual({
      ok: true,
      status: 200,
      value: { status, ...(status === "running" && { retryAfterMs: 2_000 }) },
      remaining: {},
    });
  });

  it("reads Location answers: 202 running, 204 and an empty 200 succeeded", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 202, headers: { "retry-after": "1" } }, { status: 204 }, { status: 200 });

    expect(await jobs.pollDelete(REF, RESULT_URL)).toMatchObject({
      ok: true,
      value: { status: "running", retryAfterMs: 1_000 },
    });
    expect(await jobs.pollDelete(REF, RESULT_URL)).toMatchObject({
      ok: true,
      value: { status: "succeeded" },
    });
    expect(await jobs.pollDelete(REF, RESULT_URL)).toMatchObject({
      ok: true,
      value: { status: "succeeded" },
    });
  });

  it.each([
    ["a body that is not JSON", { status: 200, text: "done!" }],
    ["an object without status", { status: 200, json: { id: "op-1" } }],
    ["a status that is not text", { status: 200, json: { status: 1 } }],
    ["an empty status", { status: 200, json: { status: "" } }],
    ["an array", { status: 200, json: [{ status: "Succeeded" }] }],
  ])("reads %s as malformed", async (_what, reply) => {
    const { jobs, http } = gateway();
    http.reply(reply);

    expect(await jobs.pollDelete(REF, STATUS_URL)).toMatchObject({
      ok: false,
      failure: { kind: "malformed", status: 200 },
    });
  });

  it("maps a 404 to not-allowed (the operation is unknown, which says nothing about the job), 5xx to transient", async () => {
    const { jobs, http } = gateway();
    http.reply(
      { status: 404, json: { error: { code: "OperationNotFound", message: "no" } } },
      { status: 500 },
    );

    expect(await jobs.pollDelete(REF, STATUS_URL)).toMatchObject({
      ok: false,
      failure: { kind: "not-allowed", status: 404 },
    });
    expect(await jobs.pollDelete(REF, RESULT_URL)).toMatchObject({
      ok: false,
      failure: { kind: "transient", status: 500 },
    });
  });

  it.each([
    ["another origin", "https://attacker.example/subscriptions/x/providers/Microsoft.DataBox/op"],
    ["plain http", STATUS_URL.replace("https:", "http:")],
    ["another subscription", STATUS_URL.replace(SUB, "99999999-9999-9999-9999-999999999999")],
    ["another provider", `${ENDPOINT}/subscriptions/${SUB}/providers/Microsoft.ImportExport/operations/1`],
    ["listCredentials", `${ENDPOINT}${JOB_PATH}/listCredentials?api-version=${DATABOX_API_VERSION}`],
    ["not a URL", "http://["],
  ])("refuses an operation URL on %s without sending", async (_what, url) => {
    const { jobs, http } = gateway();
    await expect(jobs.pollDelete(REF, url)).rejects.toThrow(/operationUrl/);
    expect(http.sent).toEqual([]);
  });

  it("drops a $expand from an operation URL", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 204 });

    await jobs.pollDelete(REF, `${STATUS_URL}&$expand=details`);

    expectNothingForbidden(http);
    expect(http.sent[0]?.url).toBe(STATUS_URL);
  });
});

describe("DataBoxJobsGateway requests", () => {
  it("never ask for $expand or credentials across list, get, cancel, delete and poll", async () => {
    const { jobs, http } = gateway();
    http.reply(
      {
        status: 200,
        json: { value: [wireDataBoxJob("disk-job-1")], nextLink: `${ENDPOINT}${LIST_PATH}?$skipToken=2` },
      },
      { status: 200, json: { value: [] } },
      { status: 200, json: wireDataBoxJob("disk-job-1") },
      { status: 204 },
      { status: 202, headers: { "azure-asyncoperation": STATUS_URL } },
      { status: 200, json: { status: "Succeeded" } },
    );

    const first = await jobs.listJobsPage(SUB, undefined);
    await jobs.listJobsPage(SUB, first.ok ? first.value.nextLink : undefined);
    await jobs.getJob(REF);
    await jobs.cancelJob(REF, REASON);
    const started = await jobs.deleteJob(REF);
    await jobs.pollDelete(REF, (started.ok && started.value?.operationUrl) || "");

    expect(http.sent.map((request) => request.method)).toEqual([
      "GET",
      "GET",
      "GET",
      "POST",
      "DELETE",
      "GET",
    ]);
    expectNothingForbidden(http);
  });
});
