import { getContinuationToken, type JobResponse } from "@azure/arm-storageimportexport";
import { beforeEach, describe, expect, it } from "vitest";
import {
  armRequest,
  headerCapture,
  makeJob,
  sdkRejection as rejection,
  withEmulator,
} from "../../../../test/support/emulator";

const SUB = "aaaaaaaa-0000-4000-8000-000000000001";
const OTHER_SUB = "aaaaaaaa-0000-4000-8000-000000000002";
const JOBS_PATH = `/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs`;

describe("emulator: Import/Export jobs API through the real SDK", () => {
  const fx = withEmulator({ settings: { throttling: false } });

  beforeEach(async () => {
    // Prepare: 250 jobs in one subscription over two resource groups, a few in another.
    const jobs = Array.from({ length: 250 }, (_, i) =>
      makeJob(SUB, i % 2 === 0 ? "rg-even" : "rg-odd", `job-${String(i).padStart(3, "0")}`),
    );
    jobs.push(makeJob(OTHER_SUB, "rg-other", "elsewhere"));
    await fx.control.reset({ seed: { jobs } });
  });

  it("pages 250 jobs with top 100 in three pages, without duplicates or gaps", async () => {
    // Act
    const pages: JobResponse[][] = [];
    const links: Array<string | undefined> = [];
    for await (const page of fx.importExport(SUB).jobs.listBySubscription({ top: 100 }).byPage()) {
      pages.push(page);
      links.push(getContinuationToken(page));
    }

    // Assess
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    const names = pages.flat().map((j) => j.name);
    expect(new Set(names).size).toBe(250);
    expect(names).toEqual(Array.from({ length: 250 }, (_, i) => `job-${String(i).padStart(3, "0")}`));
    expect(links[2]).toBeUndefined();
    for (const link of links.slice(0, 2)) {
      const url = new URL(link!);
      expect(url.origin).toBe(fx.emulator.endpoint);
      expect(url.pathname).toBe(JOBS_PATH);
      expect(url.searchParams.get("api-version")).toBe("2021-01-01");
      expect(url.searchParams.get("$top")).toBe("100");
      expect(url.searchParams.get("$skiptoken")).toBeTruthy();
    }
  });

  it("lists one resource group only, also without $top (default page size)", async () => {
    const jobs: JobResponse[] = [];
    for await (const job of fx.importExport(SUB).jobs.listByResourceGroup("RG-ODD")) jobs.push(job);
    expect(jobs).toHaveLength(125);
    expect(jobs.every((j) => j.id!.includes("/resourceGroups/rg-odd/"))).toBe(true);
    const { items } = await fx.control.requests();
    const listCalls = items.filter((r) => r.operation === "Jobs_ListByResourceGroup");
    // 125 jobs at the default page size of 50: three requests.
    expect(listCalls).toHaveLength(3);
  });

  it("gets a job in the spec's JobResponse shape, with case-insensitive names", async () => {
    const job = await fx.importExport(SUB).jobs.get("JOB-007", "Rg-Odd");
    expect(job.name).toBe("job-007");
    expect(job.type).toBe("Microsoft.ImportExport/jobs");
    expect(job.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/rg-odd/providers/Microsoft.ImportExport/jobs/job-007`,
    );
    expect(job.properties?.state).toBe("Creating");
    expect(job.location).toBe("West US");
  });

  it("answers 404 ResourceNotFound for an unknown job on get, update, delete and listBitLockerKeys", async () => {
    const jobs = fx.importExport(SUB).jobs;
    for (const call of [
      () => jobs.get("nope", "rg-odd"),
      () => jobs.update("nope", "rg-odd", { tags: { a: "b" } }),
      () => jobs.delete("nope", "rg-odd"),
      () => fx.importExport(SUB).bitLockerKeys.list("nope", "rg-odd").next(),
    ]) {
      const error = await rejection(call());
      expect(error.statusCode).toBe(404);
      expect(error.code).toBe("ResourceNotFound");
    }
  });

  it("answers 404 SubscriptionNotFound for an unknown subscription", async () => {
    const error = await rejection(
      fx.importExport("ffffffff-0000-4000-8000-000000000000").jobs.get("job-001", "rg-odd"),
    );
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe("SubscriptionNotFound");
  });

  it("refuses $top above 100 with 400", async () => {
    const error = await rejection(fx.importExport(SUB).jobs.listBySubscription({ top: 101 }).next());
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain("$top");
  });

  it("creates with PUT (201 with systemData), replaces (200) and keeps the state", async () => {
    const jobs = fx.importExport(SUB).jobs;
    const body = {
      location: "West US",
      properties: {
        jobType: "Import",
        storageAccountId: "/subscriptions/x/storageAccounts/y",
        driveList: [],
      },
    };
    const statuses: number[] = [];
    const onResponse = (raw: { status: number }) => statuses.push(raw.status);
    const created = await jobs.create("new-job", "rg-new", body, { onResponse });
    const replaced = await jobs.create("new-job", "rg-new", { ...body, tags: { team: "a" } }, { onResponse });
    expect(statuses).toEqual([201, 200]);
    expect(created.properties?.state).toBe("Creating");
    expect(created.systemData?.createdAt).toBeInstanceOf(Date);
    expect(replaced.tags).toEqual({ team: "a" });
    expect(replaced.systemData?.createdAt?.getTime()).toBe(created.systemData?.createdAt?.getTime());
  });

  it("refuses a PUT without location, naming the field", async () => {
    const response = await armRequest(
      fx.emulator,
      "PUT",
      `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ImportExport/jobs/bad?api-version=2021-01-01`,
      { body: { properties: {} } },
    );
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ error: { code: "InvalidRequestContent", target: "location" } });
  });

  it("updates tags with PATCH and answers 200 with the job", async () => {
    const job = await fx.importExport(SUB).jobs.update("job-001", "rg-odd", { tags: { owner: "ops" } });
    expect(job.tags).toEqual({ owner: "ops" });
    expect((await fx.importExport(SUB).jobs.get("job-001", "rg-odd")).tags).toEqual({ owner: "ops" });
  });

  it("ships a Creating job with PATCH state Shipping and a delivery package", async () => {
    const job = await fx.importExport(SUB).jobs.update("job-002", "rg-even", {
      state: "Shipping",
      deliveryPackage: { carrierName: "FedEx", trackingNumber: "123", driveCount: 1, shipDate: "2024-01-01" },
      returnAddress: {
        recipientName: "Test Person",
        streetAddress1: "1 Test St",
        city: "Test",
        postalCode: "00000",
        countryOrRegion: "USA",
        phone: "555-0100",
        email: "test@example.com",
      },
    });
    expect(job.properties?.state).toBe("Shipping");
    expect(job.properties?.deliveryPackage?.trackingNumber).toBe("123");
  });

  it("lists BitLocker keys (a POST that counts as a write)", async () => {
    await fx.control.addJobs({
      jobs: [
        makeJob(SUB, "rg-keys", "with-keys", {
          driveList: [{ driveId: "D1", bitLockerKey: "111111-222222", state: "Specified" }],
        }),
      ],
    });
    const capture = headerCapture();
    const keys = [];
    for await (const key of fx
      .importExport(SUB)
      .bitLockerKeys.list("with-keys", "rg-keys", { onResponse: capture.onResponse }))
      keys.push(key);
    expect(keys).toEqual([{ driveId: "D1", bitLockerKey: "111111-222222" }]);
    expect(capture.get("x-ms-ratelimit-remaining-subscription-writes")).toBeDefined();
  });

  it("requires a bearer token (401) and a correct api-version (400)", async () => {
    const noToken = await armRequest(fx.emulator, "GET", `${JOBS_PATH}?api-version=2021-01-01`, {
      token: null,
    });
    expect(noToken.status).toBe(401);
    expect(noToken.json).toMatchObject({ error: { code: "AuthenticationFailed" } });

    const missing = await armRequest(fx.emulator, "GET", JOBS_PATH);
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ error: { code: "MissingApiVersionParameter" } });

    const wrong = await armRequest(fx.emulator, "GET", `${JOBS_PATH}?api-version=2016-11-01`);
    expect(wrong.status).toBe(400);
    expect(wrong.json).toMatchObject({ error: { code: "InvalidApiVersionParameter" } });

    const subscriptionsWithJobsVersion = await armRequest(
      fx.emulator,
      "GET",
      "/subscriptions?api-version=2021-01-01",
    );
    expect(subscriptionsWithJobsVersion.status).toBe(400);
  });

  it("puts x-ms-request-id and the bucket's remaining header on every ARM response", async () => {
    for (const [method, path, header] of [
      ["GET", `${JOBS_PATH}?api-version=2021-01-01`, "x-ms-ratelimit-remaining-subscription-reads"],
      ["GET", "/subscriptions?api-version=2022-12-01", "x-ms-ratelimit-remaining-tenant-reads"],
      [
        "DELETE",
        `/subscriptions/${SUB}/resourceGroups/rg-odd/providers/Microsoft.ImportExport/jobs/job-001?api-version=2021-01-01`,
        "x-ms-ratelimit-remaining-subscription-deletes",
      ],
    ] as const) {
      const response = await armRequest(fx.emulator, method, path);
      expect(response.status).toBe(200);
      expect(response.headers["x-ms-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers[header]).toMatch(/^\d+$/);
    }
    const unauthorized = await armRequest(fx.emulator, "GET", JOBS_PATH, { token: null });
    expect(unauthorized.headers["x-ms-request-id"]).toBeDefined();
  });

  it("serves nothing it does not know: 404 for other paths, 405 for other methods", async () => {
    expect(
      (
        await armRequest(
          fx.emulator,
          "GET",
          "/providers/Microsoft.ImportExport/locations?api-version=2021-01-01",
        )
      ).status,
    ).toBe(404);
    const post = await armRequest(
      fx.emulator,
      "POST",
      `/subscriptions/${SUB}/resourceGroups/rg-odd/providers/Microsoft.ImportExport/jobs/job-001?api-version=2021-01-01`,
    );
    expect(post.status).toBe(405);
  });
});
