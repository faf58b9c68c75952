// JobSourcesGateway over the two real gateways (real SDK clients and pipelines), each over a scripted HttpClient.
import { describe, expect, it } from "vitest";

import {
  armClientOptions,
  ArmJobsGateway,
  DevelopmentTokenCredential,
  parseArmSettings,
} from "../../../../src/adapters/arm";
import { DataBoxJobsGateway } from "../../../../src/adapters/arm/DataBoxJobsGateway";
import { JobSourcesGateway } from "../../../../src/adapters/arm/JobSourcesGateway";
import type { JobRef, JobSource } from "../../../../src/domain/job";
import { ValidationError } from "../../../../src/errors";
import { FakeHttpClient } from "./fakeHttpClient";
import { wireDataBoxJob } from "./wireDataBoxJobs";
import { ENDPOINT, RG, SUB, wireJob } from "./wireJobs";

const CLASSIC_LIST = `${ENDPOINT}/subscriptions/${SUB}/providers/Microsoft.ImportExport/jobs`;
const DATABOX_LIST = `${ENDPOINT}/subscriptions/${SUB}/providers/Microsoft.DataBox/jobs`;

function sources(enabled: JobSource[] = ["importexport", "databox"]) {
  const classicHttp = new FakeHttpClient();
  const dataBoxHttp = new FakeHttpClient();
  const shared = {
    credential: new DevelopmentTokenCredential(),
    clientOptions: armClientOptions(parseArmSettings({ JANITOR_ARM_ENDPOINT: ENDPOINT })),
    timeoutMs: 5_000,
  };
  const jobs = new JobSourcesGateway(enabled, {
    importexport: new ArmJobsGateway({ ...shared, httpClient: classicHttp }),
    databox: new DataBoxJobsGateway({ ...shared, httpClient: dataBoxHttp }),
  });
  return { jobs, classicHttp, dataBoxHttp };
}

const ref = (source: JobSource, name: string): JobRef => ({
  source,
  subscriptionId: SUB,
  resourceGroup: RG,
  name,
});

describe("JobSourcesGateway.listJobsPage", () => {
  it("walks the classic pages, then the Data Box pages, under one cursor", async () => {
    const { jobs, classicHttp, dataBoxHttp } = sources();
    const classicNext = `${CLASSIC_LIST}?api-version=2021-01-01&$top=100&$skiptoken=c2`;
    const dataBoxNext = `${DATABOX_LIST}?api-version=2022-12-01&$skipToken=d2`;
    classicHttp.reply(
      { status: 200, json: { value: [wireJob("classic-1")], nextLink: classicNext } },
      { status: 200, json: { value: [wireJob("classic-2")] } },
    );
    dataBoxHttp.reply(
      { status: 200, json: { value: [wireDataBoxJob("disk-1")], nextLink: dataBoxNext } },
      { status: 200, json: { value: [wireDataBoxJob("disk-2")] } },
    );

    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await jobs.listJobsPage(SUB, cursor);
      if (!page.ok) throw new Error(`page failed: ${page.failure.kind}`);
      pages.push({
        jobs: page.value.jobs.map((job) => `${job.source}/${job.name}`),
        next: page.value.nextLink,
      });
      cursor = page.value.nextLink;
    } while (cursor !== undefined);

    expect(pages).toEqual([
      { jobs: ["importexport/classic-1"], next: `importexport:${classicNext}` },
      { jobs: ["importexport/classic-2"], next: "databox:" },
      { jobs: ["databox/disk-1"], next: `databox:${dataBoxNext}` },
      { jobs: ["databox/disk-2"], next: undefined },
    ]);
    expect(classicHttp.sent.map((request) => new URL(request.url).searchParams.get("$skiptoken"))).toEqual([
      null,
      "c2",
    ]);
    expect(dataBoxHttp.sent.map((request) => request.url)).toEqual([
      `${DATABOX_LIST}?api-version=2022-12-01`,
      dataBoxNext,
    ]);
  });

  it("lists only the enabled source", async () => {
    const dataBoxOnly = sources(["databox"]);
    dataBoxOnly.dataBoxHttp.reply({ status: 200, json: { value: [wireDataBoxJob("disk-1")] } });
    const classicOnly = sources(["importexport"]);
    classicOnly.classicHttp.reply({ status: 200, json: { value: [wireJob("classic-1")] } });

    const dataBoxPage = await dataBoxOnly.jobs.listJobsPage(SUB, undefined);
    const classicPage = await classicOnly.jobs.listJobsPage(SUB, undefined);

    expect(dataBoxPage).toMatchObject({ ok: true, value: { jobs: [{ source: "databox", name: "disk-1" }] } });
    expect(dataBoxPage.ok && "nextLink" in dataBoxPage.value).toBe(false);
    expect(classicPage.ok && "nextLink" in classicPage.value).toBe(false);
    expect(dataBoxOnly.classicHttp.sent).toEqual([]);
    expect(classicOnly.dataBoxHttp.sent).toEqual([]);
  });

  it("passes a failed page through unchanged, so the engine retries it from the same cursor", async () => {
    const { jobs, dataBoxHttp } = sources();
    dataBoxHttp.reply({ status: 503 }, { status: 200, json: { value: [wireDataBoxJob("disk-1")] } });

    expect(await jobs.listJobsPage(SUB, "databox:")).toMatchObject({
      ok: false,
      failure: { kind: "transient", status: 503 },
    });
    expect(await jobs.listJobsPage(SUB, "databox:")).toMatchObject({
      ok: true,
      value: { jobs: [{ name: "disk-1" }] },
    });
  });

  it.each([
    ["a bare link", `${CLASSIC_LIST}?$skiptoken=c2`],
    ["an unknown source", "devices:"],
    ["no separator", "databox"],
    ["an empty cursor", ""],
  ])("refuses %s as a cursor without sending anything", async (_what, cursor) => {
    const { jobs, classicHttp, dataBoxHttp } = sources();

    await expect(jobs.listJobsPage(SUB, cursor)).rejects.toBeInstanceOf(ValidationError);
    expect([...classicHttp.sent, ...dataBoxHttp.sent]).toEqual([]);
  });

  it("refuses a cursor of a source that is not enabled, and a link the source's gateway refuses", async () => {
    const { jobs, dataBoxHttp } = sources(["databox"]);

    await expect(jobs.listJobsPage(SUB, "importexport:")).rejects.toThrow(/nextLink/);
    await expect(jobs.listJobsPage(SUB, "databox:https://elsewhere.example/x")).rejects.toThrow(/nextLink/);
    expect(dataBoxHttp.sent).toEqual([]);
  });
});

describe("JobSourcesGateway routing", () => {
  it("sends get, cancel, delete and poll to the gateway of the job's source", async () => {
    const { jobs, classicHttp, dataBoxHttp } = sources();
    classicHttp.reply(
      { status: 200, json: wireJob("classic-1") },
      { status: 200, json: wireJob("classic-1", { cancelRequested: true }) },
      { status: 200 },
    );
    const operation = `${ENDPOINT}/subscriptions/${SUB}/providers/Microsoft.DataBox/locations/x/operationStatuses/1`;
    dataBoxHttp.reply(
      { status: 200, json: wireDataBoxJob("disk-1") },
      { status: 204 },
      { status: 202, headers: { "azure-asyncoperation": operation } },
      { status: 200, json: { status: "Succeeded" } },
    );

    expect(await jobs.getJob(ref("importexport", "classic-1"))).toMatchObject({
      ok: true,
      value: { source: "importexport" },
    });
    expect(await jobs.cancelJob(ref("importexport", "classic-1"), "r")).toMatchObject({
      ok: true,
      status: 200,
    });
    expect(await jobs.deleteJob(ref("importexport", "classic-1"))).toMatchObject({ ok: true, status: 200 });
    expect(await jobs.getJob(ref("databox", "disk-1"))).toMatchObject({
      ok: true,
      value: { source: "databox" },
    });
    expect(await jobs.cancelJob(ref("databox", "disk-1"), "r")).toMatchObject({ ok: true, status: 204 });
    expect(await jobs.deleteJob(ref("databox", "disk-1"))).toMatchObject({
      ok: true,
      value: { operationUrl: operation },
    });
    expect(await jobs.pollDelete(ref("databox", "disk-1"), operation)).toMatchObject({
      ok: true,
      value: { status: "succeeded" },
    });

    expect(classicHttp.sent.map((request) => request.method)).toEqual(["GET", "PATCH", "DELETE"]);
    expect(dataBoxHttp.sent.map((request) => request.method)).toEqual(["GET", "POST", "DELETE", "GET"]);
  });

  it("refuses a job of a source that is not enabled, sending nothing", async () => {
    const { jobs, classicHttp, dataBoxHttp } = sources(["importexport"]);

    await expect(jobs.getJob(ref("databox", "disk-1"))).rejects.toThrow(/JANITOR_SOURCES/);
    await expect(jobs.deleteJob(ref("databox", "disk-1"))).rejects.toBeInstanceOf(ValidationError);
    expect([...classicHttp.sent, ...dataBoxHttp.sent]).toEqual([]);
  });

  it.each([[[]], [["databox", "databox"]], [["devices"]]])("refuses the source list %j", (list) => {
    expect(() => sources(list as JobSource[])).toThrow(/sources/);
  });

  it("lists in the fixed order whatever order the setting names them in", () => {
    expect(sources(["databox", "importexport"]).jobs.sources).toEqual(["importexport", "databox"]);
  });
});
