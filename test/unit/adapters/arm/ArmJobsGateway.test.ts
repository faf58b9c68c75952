import { describe, expect, it } from "vitest";

import {
  armClientOptions,
  ArmJobsGateway,
  DEFAULT_ARM_TIMEOUT_MS,
  DEVELOPMENT_TOKEN,
  DevelopmentTokenCredential,
  parseArmSettings,
} from "../../../../src/adapters/arm";
import type { JobRef } from "../../../../src/domain/job";
import type { JobsGateway } from "../../../../src/engine/ports";
import { ValidationError } from "../../../../src/errors";
import { FakeHttpClient } from "./fakeHttpClient";
import { ENDPOINT, jobId, PERSONAL, RG, SUB, wireJob, wireJobWithoutState } from "./wireJobs";

const REF: JobRef = { source: "importexport", subscriptionId: SUB, resourceGroup: RG, name: "job-1" };
/** What the engine passes as the cancel reason; the classic PATCH has no place for it. */
const REASON = "janitor rule cancel-stale, run 20261121T232400Z-3f9a1c2b";

function gateway(options: { timeoutMs?: number } = {}): { jobs: JobsGateway; http: FakeHttpClient } {
  const http = new FakeHttpClient();
  // The classic gateway itself: createArmAdapters wraps it with the Data Box one (JobSourcesGateway.test.ts).
  const jobs = new ArmJobsGateway({
    credential: new DevelopmentTokenCredential(),
    clientOptions: armClientOptions(parseArmSettings({ JANITOR_ARM_ENDPOINT: ENDPOINT })),
    timeoutMs: options.timeoutMs ?? DEFAULT_ARM_TIMEOUT_MS,
    httpClient: http,
  });
  return { jobs, http };
}

function expectNoPersonalData(value: unknown): void {
  const text = JSON.stringify(value);
  for (const secret of PERSONAL) expect(text).not.toContain(secret);
}

describe("ArmJobsGateway.getJob", () => {
  it("reads a job from the raw body, keeping only what decisions need", async () => {
    // Prepare
    const { jobs, http } = gateway();
    http.reply({
      status: 200,
      json: wireJob("job-1"),
      headers: { "x-ms-ratelimit-remaining-subscription-reads": "249" },
    });

    // Act
    const result = await jobs.getJob(REF);

    // Assess
    expect(result).toEqual({
      ok: true,
      status: 200,
      remaining: { reads: 249 },
      value: {
        source: "importexport",
        id: jobId("job-1"),
        subscriptionId: SUB,
        resourceGroup: RG,
        name: "job-1",
        location: "westeurope",
        tags: { owner: "team-a", keep: "true" },
        jobType: "Import",
        state: "Completed",
        cancelRequested: false,
        provisioningState: "Succeeded",
        createdAt: "2024-01-02T03:04:05Z",
        lastModifiedAt: "2024-01-05T06:07:08Z",
        hasDeliveryTrackingNumber: true,
        returnShipDate: "2024-02-01T00:00:00Z",
      },
    });
    expectNoPersonalData(result);
    expect(http.sent).toHaveLength(1);
    expect(http.sent[0]?.method).toBe("GET");
    expect(http.sent[0]?.url).toBe(
      `${ENDPOINT}/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs/job-1?api-version=2021-01-01`,
    );
    expect(http.sent[0]?.authorization).toBe(`Bearer ${DEVELOPMENT_TOKEN}`);
  });

  it("reports a body without properties.state as malformed instead of the SDK's default Creating", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, json: wireJobWithoutState("job-1") });

    const result = await jobs.getJob(REF);

    expect(result).toMatchObject({ ok: false, failure: { kind: "malformed", status: 200 } });
    expect(JSON.stringify(result)).not.toContain("Creating");
  });

  it("leaves cancelRequested undefined when the body does not say, rather than the SDK's false", async () => {
    const { jobs, http } = gateway();
    const body = wireJob("job-1", { state: "Creating" });
    delete (body.properties as Record<string, unknown>).cancelRequested;
    delete (body.properties as Record<string, unknown>).deliveryPackage;
    http.reply({ status: 200, json: body });

    const result = await jobs.getJob(REF);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.state).toBe("Creating");
    expect("cancelRequested" in result.value).toBe(false);
    expect(result.value.hasDeliveryTrackingNumber).toBe(false);
  });

  it("treats an absent systemData as unknown dates", async () => {
    const { jobs, http } = gateway();
    const body: Record<string, unknown> = wireJob("job-1");
    delete body.systemData;
    http.reply({ status: 200, json: body });

    const result = await jobs.getJob(REF);

    expect(result.ok && result.value.createdAt).toBe(undefined);
    expect(result.ok && result.value.lastModifiedAt).toBe(undefined);
  });

  it("parses subscription and resource group from the id whatever the case of its segments", async () => {
    const { jobs, http } = gateway();
    const id = `/SUBSCRIPTIONS/${SUB}/resourcegroups/${RG}/PROVIDERS/microsoft.importexport/JOBS/job-1`;
    http.reply({ status: 200, json: wireJob("job-1", {}, { id }) });

    const result = await jobs.getJob(REF);

    expect(result).toMatchObject({
      ok: true,
      value: { id, subscriptionId: SUB, resourceGroup: RG, name: "job-1" },
    });
  });

  it("refuses a body that describes another job than the one asked for", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, json: wireJob("job-2") });

    const result = await jobs.getJob(REF);

    expect(result).toMatchObject({ ok: false, failure: { kind: "malformed" } });
  });

  it("reports a 200 whose body is not JSON as malformed", async () => {
    const { jobs, http } = gateway();
    http.reply({
      status: 200,
      text: "<html>gateway</html>",
      headers: { "content-type": "application/json" },
    });

    const result = await jobs.getJob(REF);

    expect(result).toMatchObject({ ok: false, failure: { kind: "malformed", status: 200 } });
    expect(JSON.stringify(result)).not.toContain("gateway");
  });

  it("maps 404 to gone", async () => {
    const { jobs, http } = gateway();
    http.reply({
      status: 404,
      json: { error: { code: "ResourceNotFound", message: "The job was not found." } },
    });

    expect(await jobs.getJob(REF)).toEqual({
      ok: false,
      failure: { kind: "gone", status: 404, code: "ResourceNotFound" },
      remaining: {},
    });
  });

  it("refuses names that would change the request path, without sending anything", async () => {
    const { jobs, http } = gateway();

    await expect(jobs.getJob({ ...REF, name: ".." })).rejects.toBeInstanceOf(ValidationError);
    await expect(jobs.getJob({ ...REF, resourceGroup: "a/b" })).rejects.toThrow(/resourceGroup/);
    expect(http.sent).toHaveLength(0);
  });
});

describe("ArmJobsGateway.cancelJob", () => {
  it("sends a PATCH whose body holds cancelRequested and nothing else", async () => {
    const { jobs, http } = gateway();
    http.reply({
      status: 200,
      json: wireJob("job-1", { state: "Shipping", cancelRequested: true }),
      headers: { "x-ms-ratelimit-remaining-subscription-writes": "199" },
    });

    const result = await jobs.cancelJob(REF, REASON);

    expect(http.sent[0]?.method).toBe("PATCH");
    expect(JSON.parse(http.sent[0]?.body ?? "null")).toEqual({ properties: { cancelRequested: true } });
    expect(result).toMatchObject({
      ok: true,
      status: 200,
      value: { state: "Shipping", cancelRequested: true },
      remaining: { writes: 199 },
    });
  });

  it("keeps cancelRequested undefined when the reply omits it", async () => {
    const { jobs, http } = gateway();
    const body = wireJob("job-1", { state: "Shipping" });
    delete (body.properties as Record<string, unknown>).cancelRequested;
    http.reply({ status: 200, json: body });

    const result = await jobs.cancelJob(REF, REASON);

    expect(result).toMatchObject({ ok: true, value: { state: "Shipping" } });
    expect(result.ok && result.value !== undefined && "cancelRequested" in result.value).toBe(false);
  });

  it("reports a reply without state as malformed", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, json: wireJobWithoutState("job-1") });

    expect(await jobs.cancelJob(REF, REASON)).toMatchObject({
      ok: false,
      failure: { kind: "malformed", status: 200 },
    });
  });

  it("maps a 409 refusal to not-allowed with the service code and a short message", async () => {
    const { jobs, http } = gateway();
    const longMessage = `Job cannot be cancelled in state Packaging. ${"More detail. ".repeat(40)}`;
    http.reply({
      status: 409,
      json: { error: { code: "CancelNotAllowed", message: longMessage } },
      headers: { "x-ms-ratelimit-remaining-subscription-writes": "150" },
    });

    const result = await jobs.cancelJob(REF, REASON);

    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "not-allowed", status: 409, code: "CancelNotAllowed" },
      remaining: { writes: 150 },
    });
    const message = !result.ok && "message" in result.failure ? (result.failure.message ?? "") : "";
    expect(message.startsWith("Job cannot be cancelled in state Packaging.")).toBe(true);
    expect(message.length).toBeLessThanOrEqual(200);
  });
});

describe("ArmJobsGateway.deleteJob", () => {
  it("succeeds on 200 with an empty body", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, headers: { "x-ms-ratelimit-remaining-subscription-deletes": "42" } });

    const result = await jobs.deleteJob(REF);

    expect(result).toEqual({ ok: true, value: undefined, status: 200, remaining: { deletes: 42 } });
    expect(http.sent[0]?.method).toBe("DELETE");
    expect(http.sent[0]?.url).toContain(
      `/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs/job-1?api-version=`,
    );
  });

  it("maps 204 (the SDK throws on it) to gone", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 204 });

    expect(await jobs.deleteJob(REF)).toEqual({
      ok: false,
      failure: { kind: "gone", status: 204 },
      remaining: {},
    });
  });

  it("maps 404 to gone", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 404, json: { error: { code: "NotFound", message: "gone" } } });

    expect(await jobs.deleteJob(REF)).toMatchObject({ ok: false, failure: { kind: "gone", status: 404 } });
  });

  it("maps 400 to not-allowed without echoing personal data from the error body", async () => {
    const { jobs, http } = gateway();
    const echoed = JSON.stringify(wireJob("job-1").properties.returnAddress);
    http.reply({
      status: 400,
      json: {
        error: {
          code: "InvalidJobState",
          message: `Delete refused for recipient alex@example.com (phone +31 20 555 0100): ${echoed}`,
          details: [{ code: "Echo", message: echoed }],
        },
        job: wireJob("job-1"),
      },
    });

    const result = await jobs.deleteJob(REF);

    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "not-allowed", status: 400, code: "InvalidJobState" },
    });
    expectNoPersonalData(result);
    expect(JSON.stringify(result)).toContain("Delete refused for recipient");
  });

  it("keeps no message for an error body that is not an ARM ErrorResponse", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 409, json: wireJob("job-1") });

    const result = await jobs.deleteJob(REF);

    expect(result).toEqual({ ok: false, failure: { kind: "not-allowed", status: 409 }, remaining: {} });
  });
});

describe("ArmJobsGateway.pollDelete", () => {
  it("answers a clear malformed failure without sending anything: classic deletes are not long-running", async () => {
    const { jobs, http } = gateway();

    const result = await jobs.pollDelete(REF, `${ENDPOINT}/anything`);

    expect(result).toEqual({
      ok: false,
      failure: {
        kind: "malformed",
        status: 0,
        message: "Import/Export deletes are not long-running operations: there is nothing to poll",
      },
      remaining: {},
    });
    expect(http.sent).toEqual([]);
  });
});

describe("ArmJobsGateway and Data Box refs", () => {
  it("refuses a ref of another source before any request, so it cannot act on a classic job of that name", async () => {
    const { jobs, http } = gateway();
    const dataBoxRef: JobRef = { ...REF, source: "databox" };

    await expect(jobs.getJob(dataBoxRef)).rejects.toThrow(/source/);
    await expect(jobs.cancelJob(dataBoxRef, REASON)).rejects.toBeInstanceOf(ValidationError);
    await expect(jobs.deleteJob(dataBoxRef)).rejects.toBeInstanceOf(ValidationError);
    expect(http.sent).toEqual([]);
  });
});

describe("ArmJobsGateway throttling and transient failures", () => {
  it("maps 429 with Retry-After in seconds to throttled with retryAfterMs", async () => {
    const { jobs, http } = gateway();
    http.reply({
      status: 429,
      json: { error: { code: "TooManyRequests", message: "slow down" } },
      headers: { "retry-after": "17", "x-ms-ratelimit-remaining-subscription-deletes": "0" },
    });

    expect(await jobs.deleteJob(REF)).toEqual({
      ok: false,
      failure: { kind: "throttled", status: 429, retryAfterMs: 17_000, code: "TooManyRequests" },
      remaining: { deletes: 0 },
    });
    expect(http.sent).toHaveLength(1);
  });

  it("maps 429 with retry-after-ms", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 429, headers: { "retry-after-ms": "2500" } });

    expect(await jobs.getJob(REF)).toMatchObject({
      ok: false,
      failure: { kind: "throttled", retryAfterMs: 2500 },
    });
  });

  it("maps 429 with an HTTP-date Retry-After to a wait until that date", async () => {
    const { jobs, http } = gateway();
    const at = new Date(Date.now() + 60_000);
    http.reply({ status: 429, headers: { "retry-after": at.toUTCString() } });

    const result = await jobs.getJob(REF);

    const failure = !result.ok ? result.failure : undefined;
    expect(failure?.kind).toBe("throttled");
    const wait = failure?.kind === "throttled" ? failure.retryAfterMs : undefined;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60_000);
  });

  it("maps 429 without a retry header to throttled with no retryAfterMs", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 429 });

    expect(await jobs.cancelJob(REF, REASON)).toEqual({
      ok: false,
      failure: { kind: "throttled", status: 429 },
      remaining: {},
    });
  });

  it.each([500, 503, 408])("maps %i to transient without retrying inside the SDK", async (status) => {
    const { jobs, http } = gateway();
    http.reply({
      status,
      headers: { "retry-after": "1" },
      json: { error: { code: "ServerBusy", message: "busy" } },
    });

    const result = await jobs.getJob(REF);

    expect(result).toMatchObject({ ok: false, failure: { kind: "transient", status, code: "ServerBusy" } });
    expect(http.sent).toHaveLength(1);
  });

  it.each(["ECONNRESET", "ECONNREFUSED"])("maps a %s network error to transient", async (code) => {
    const { jobs, http } = gateway();
    http.reply({ networkError: code });

    expect(await jobs.deleteJob(REF)).toMatchObject({
      ok: false,
      failure: { kind: "transient", code },
      remaining: {},
    });
    expect(http.sent).toHaveLength(1);
  });

  it("maps no response within the timeout to transient Timeout", async () => {
    const { jobs, http } = gateway({ timeoutMs: 50 });
    http.reply({ hang: true });

    expect(await jobs.getJob(REF)).toMatchObject({
      ok: false,
      failure: { kind: "transient", code: "Timeout" },
    });
  });

  it("rejects with the AbortError when the caller aborts", async () => {
    const { jobs, http } = gateway();
    http.reply({ hang: true });
    const controller = new AbortController();

    const pending = jobs.deleteJob(REF, controller.signal);
    setTimeout(() => controller.abort(), 10);

    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });

  it("sends nothing when the caller's signal is already aborted", async () => {
    const { jobs, http } = gateway();

    await expect(jobs.getJob(REF, AbortSignal.abort())).rejects.toMatchObject({ name: "AbortError" });
    expect(http.sent).toHaveLength(0);
  });
});

describe("ArmJobsGateway.listJobsPage", () => {
  it("fetches one page with $top and returns the absolute nextLink for the next call", async () => {
    const { jobs, http } = gateway();
    const nextLink = `${ENDPOINT}/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01&$top=2&$skiptoken=abc`;
    http.reply({
      status: 200,
      json: { value: [wireJob("job-1"), wireJob("job-2", { state: "Creating" })], nextLink },
      headers: { "x-ms-ratelimit-remaining-subscription-reads": "248" },
    });

    const result = await jobs.listJobsPage(SUB, undefined, { pageSize: 2 });

    expect(http.sent).toHaveLength(1);
    const url = new URL(http.sent[0]?.url ?? "");
    expect(url.pathname).toBe(`/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs`);
    expect(url.searchParams.get("$top")).toBe("2");
    expect(url.searchParams.get("api-version")).toBe("2021-01-01");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.jobs.map((job) => [job.name, job.state])).toEqual([
      ["job-1", "Completed"],
      ["job-2", "Creating"],
    ]);
    expect(result.value.malformed).toEqual([]);
    expect(result.value.nextLink).toBe(nextLink);
    expect(result.remaining).toEqual({ reads: 248 });
    expectNoPersonalData(result);
  });

  it("follows the given nextLink verbatim, one request per call, and ends without a nextLink", async () => {
    const { jobs, http } = gateway();
    const nextLink = `${ENDPOINT}/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01&$skiptoken=p2`;
    http.reply({ status: 200, json: { value: [wireJob("job-3")] } });

    const result = await jobs.listJobsPage(SUB, nextLink, { pageSize: 100 });

    expect(http.sent.map((request) => request.url)).toEqual([nextLink]);
    expect(result).toMatchObject({ ok: true, value: { jobs: [{ name: "job-3" }] } });
    expect(result.ok && "nextLink" in result.value).toBe(false);
  });

  it("defaults $top to 100 and refuses page sizes outside 1..100", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, json: { value: [] } });

    await jobs.listJobsPage(SUB, undefined);

    expect(new URL(http.sent[0]?.url ?? "").searchParams.get("$top")).toBe("100");
    await expect(jobs.listJobsPage(SUB, undefined, { pageSize: 101 })).rejects.toThrow(/pageSize/);
    await expect(jobs.listJobsPage(SUB, undefined, { pageSize: 0 })).rejects.toThrow(/pageSize/);
  });

  it("puts jobs without a state, an id or a name into malformed, never into jobs", async () => {
    const { jobs, http } = gateway();
    const noId: Record<string, unknown> = wireJob("job-4");
    delete noId.id;
    const foreign = wireJob("job-5", {}, { id: jobId("job-5", "99999999-9999-9999-9999-999999999999") });
    http.reply({
      status: 200,
      json: { value: [wireJob("job-1"), wireJobWithoutState("job-2"), noId, "not a job", foreign] },
    });

    const result = await jobs.listJobsPage(SUB, undefined);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.jobs.map((job) => job.name)).toEqual(["job-1"]);
    expect(result.value.malformed).toEqual([
      { id: jobId("job-2"), name: "job-2", reason: "job has no properties.state" },
      { name: "job-4", reason: "job has no id" },
      { reason: "job is not a JSON object" },
      {
        id: jobId("job-5", "99999999-9999-9999-9999-999999999999"),
        name: "job-5",
        reason: "job belongs to another subscription",
      },
    ]);
    expectNoPersonalData(result);
  });

  it("adds api-version to a nextLink that lacks it", async () => {
    const { jobs, http } = gateway();
    http.reply({
      status: 200,
      json: {
        value: [],
        nextLink: `${ENDPOINT}/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs?$skiptoken=x`,
      },
    });

    const result = await jobs.listJobsPage(SUB, undefined);

    const link = result.ok ? result.value.nextLink : undefined;
    expect(new URL(link ?? "").searchParams.get("api-version")).toBe("2021-01-01");
    expect(new URL(link ?? "").searchParams.get("$skiptoken")).toBe("x");
  });

  it("refuses a nextLink that leaves the ARM endpoint, so no token is sent elsewhere", async () => {
    const { jobs, http } = gateway();
    http.reply({
      status: 200,
      json: { value: [wireJob("job-1")], nextLink: "https://elsewhere.example/steal?api-version=1" },
    });

    const result = await jobs.listJobsPage(SUB, undefined);

    expect(result).toMatchObject({ ok: false, failure: { kind: "malformed", status: 200 } });
    await expect(jobs.listJobsPage(SUB, "https://elsewhere.example/steal")).rejects.toThrow(/nextLink/);
    expect(http.sent).toHaveLength(1);
  });

  it("reports a page without a value array as malformed", async () => {
    const { jobs, http } = gateway();
    http.reply({ status: 200, json: { items: [] } });

    expect(await jobs.listJobsPage(SUB, undefined)).toMatchObject({
      ok: false,
      failure: { kind: "malformed" },
    });
  });

  it.each([
    [404, "not-allowed"],
    [403, "not-allowed"],
    [429, "throttled"],
    [503, "transient"],
  ])("maps %i on a listing page to %s (a listing never vanishes)", async (status, kind) => {
    const { jobs, http } = gateway();
    http.reply({
      status,
      json: { error: { code: "Refused", message: "no" } },
      headers: { "x-ms-ratelimit-remaining-subscription-reads": "7" },
    });

    expect(await jobs.listJobsPage(SUB, undefined)).toMatchObject({
      ok: false,
      failure: { kind, status },
      remaining: { reads: 7 },
    });
  });

  it("maps a dropped connection on a page to transient so the engine can retry that page", async () => {
    const { jobs, http } = gateway();
    const nextLink = `${ENDPOINT}/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01&$skiptoken=p2`;
    http.reply({ networkError: "ECONNRESET" }, { status: 200, json: { value: [wireJob("job-9")] } });

    const failed = await jobs.listJobsPage(SUB, nextLink);
    const retried = await jobs.listJobsPage(SUB, nextLink);

    expect(failed).toMatchObject({ ok: false, failure: { kind: "transient", code: "ECONNRESET" } });
    expect(retried).toMatchObject({ ok: true, value: { jobs: [{ name: "job-9" }] } });
    expect(http.sent.map((request) => request.url)).toEqual([nextLink, nextLink]);
  });
});
