// The Data Box jobs gateway through the real @azure/arm-databox client, over https with the emulator's CA,
// against the emulator's Data Box API (tools/emulator, Microsoft.DataBox/jobs 2022-12-01), built the way the
// app builds it (createArmAdapters: JobSourcesGateway over both sources).
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";

import { createArmAdapters, parseArmSettings, type ArmAdapters } from "../../../../src/adapters/arm";
import type { JobRef, JobSnapshot } from "../../../../src/domain/job";
import type { ArmResult, DeleteProgress } from "../../../../src/engine/ports";
import type { DataBoxSeedJob } from "../../../../tools/emulator/src/seed";
import { makeJob, withEmulator } from "../../../support/emulator";

const SUB = "dbdbdbdb-0000-4000-8000-00000000c001";
const RG = "rg-disks";
const REASON = "janitor rule cancel-stale-drafts, run 20261201T110000Z-0a1b2c3d";
/** Personal data and secrets in the seeded details: never in a snapshot, a failure or a request. */
const CANARIES = [
  "CANARY-Contact-Name",
  "canary.contact@example.com",
  "+1 425-555-0199",
  "CANARY-Street-1",
  "CANARY-Company",
  "CANARY-DEVICE-PASSWORD",
];

function diskJob(
  name: string,
  status: string,
  extra: Partial<DataBoxSeedJob["properties"]> = {},
  more: Partial<DataBoxSeedJob> = {},
): DataBoxSeedJob {
  return {
    source: "databox",
    subscriptionId: SUB,
    resourceGroup: RG,
    name,
    location: "westeurope",
    tags: { owner: "team-disks" },
    sku: { name: "DataBoxCustomerDisk" },
    systemData: { createdAt: "2026-01-02T03:04:05Z", lastModifiedAt: "2026-02-03T04:05:06Z" },
    properties: {
      status,
      transferType: "ExportFromAzure",
      startTime: "2026-01-02T03:04:05+01:00",
      details: {
        jobDetailsType: "DataBoxCustomerDisk",
        contactDetails: {
          contactName: "CANARY-Contact-Name",
          phone: "+1 425-555-0199",
          emailList: ["canary.contact@example.com"],
        },
        shippingAddress: { streetAddress1: "CANARY-Street-1", companyName: "CANARY-Company", country: "US" },
        devicePassword: "CANARY-DEVICE-PASSWORD",
      },
      ...extra,
    },
    ...more,
  } as DataBoxSeedJob;
}

const ref = (name: string): JobRef => ({ source: "databox", subscriptionId: SUB, resourceGroup: RG, name });

function expectNoCanary(value: unknown): void {
  const text = JSON.stringify(value);
  for (const canary of CANARIES) expect(text).not.toContain(canary);
}

describe("DataBoxJobsGateway against the emulator", () => {
  const fixture = withEmulator({ settings: { throttling: false } });
  const control = () => fixture.control;
  let arm: ArmAdapters;

  beforeAll(() => {
    const { endpoint, caCertPath } = fixture.emulator;
    arm = createArmAdapters(
      parseArmSettings({ JANITOR_ARM_ENDPOINT: endpoint, JANITOR_ARM_CA_CERT: caCertPath }),
    );
  });

  beforeEach(async () => {
    await control().reset({
      seed: {
        jobs: [
          diskJob("done", "Completed"),
          diskJob("draft", "AwaitingShipmentDetails"),
          diskJob("in-transit", "ShippedToAzureDC"),
          diskJob("says-no", "Completed", { isDeletable: false }),
          diskJob("device-order", "Completed", {}, { sku: { name: "DataBox" } }),
          makeJob(SUB, RG, "classic-draft"),
        ],
      },
      settings: { throttling: false },
    });
  });

  /** Every request the emulator saw since the reset: none forbidden, none asking for details or credentials. */
  async function expectNothingForbidden(): Promise<void> {
    const log = await control().requests();
    expect(log.forbiddenTotal).toBe(0);
    for (const item of log.items) {
      expect(`${item.path}?${item.query ?? ""}`.toLowerCase()).not.toMatch(/expand|listcredentials/);
    }
  }

  /** Polls the delete until its operation ends, as the engine would (a bounded loop, not a timing check). */
  async function pollToEnd(job: JobRef, operationUrl: string): Promise<ArmResult<DeleteProgress>[]> {
    const answers: ArmResult<DeleteProgress>[] = [];
    for (let i = 0; i < 500; i++) {
      const answer = await arm.jobs.pollDelete(job, operationUrl);
      answers.push(answer);
      if (!answer.ok || answer.value.status !== "running") return answers;
      await sleep(20);
    }
    return answers;
  }

  it("lists both sources of a subscription page by page through the real SDK, no job twice, none missed", async () => {
    // Prepare: 23 more customer-disk jobs, Data Box pages of 5.
    const more = Array.from({ length: 23 }, (_, i) =>
      diskJob(`bulk-${String(i).padStart(2, "0")}`, "Completed"),
    );
    await control().addJobs({ jobs: more });
    await control().updateSettings({ dataBoxPageSize: 5 });

    // Act
    const seen: JobSnapshot[] = [];
    const cursors: Array<string | undefined> = [];
    let cursor: string | undefined;
    do {
      const page = await arm.jobs.listJobsPage(SUB, cursor);
      if (!page.ok) throw new Error(`page failed: ${JSON.stringify(page.failure)}`);
      seen.push(...page.value.jobs);
      expect(page.value.malformed).toEqual([]);
      cursor = page.value.nextLink;
      cursors.push(cursor);
    } while (cursor !== undefined);

    // Assess
    const dataBoxNames = seen.filter((job) => job.source === "databox").map((job) => job.name);
    expect(dataBoxNames).toHaveLength(28);
    expect(new Set(dataBoxNames).size).toBe(28);
    expect(seen.filter((job) => job.source === "importexport").map((job) => job.name)).toEqual([
      "classic-draft",
    ]);
    expect(cursors[0]).toBe("databox:");
    expect(
      cursors.slice(1, -1).every((c) => c?.startsWith("databox:https://") && c.includes("$skipToken=")),
    ).toBe(true);
    expect(seen.find((job) => job.name === "device-order")).toMatchObject({
      sku: "DataBox",
      state: "Completed",
    });
    expectNoCanary(seen);
    const log = await control().requests();
    const lists = log.items.filter((item) => item.operation === "DataBoxJobs_List");
    expect(lists).toHaveLength(6);
    expect(lists.every((item) => item.status === 200)).toBe(true);
    await expectNothingForbidden();
  });

  it("gets a job with the stage, the SKU, the service's flags and the dates, and nothing personal", async () => {
    const result = await arm.jobs.getJob(ref("done"));

    expect(result).toEqual({
      ok: true,
      status: 200,
      remaining: expect.any(Object),
      value: {
        source: "databox",
        id: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.DataBox/jobs/done`,
        subscriptionId: SUB,
        resourceGroup: RG,
        name: "done",
        location: "westeurope",
        tags: { owner: "team-disks" },
        jobType: "Export",
        state: "Completed",
        createdAt: "2026-01-02T03:04:05Z",
        lastModifiedAt: "2026-02-03T04:05:06Z",
        hasDeliveryTrackingNumber: false,
        sku: "DataBoxCustomerDisk",
        isDeletable: true,
        isCancellable: false,
        startTime: "2026-01-02T03:04:05+01:00",
      },
    });
    expectNoCanary(result);
    expect(await arm.jobs.getJob(ref("never-existed"))).toMatchObject({
      ok: false,
      failure: { kind: "gone", status: 404 },
    });
    await expectNothingForbidden();
  });

  it("cancels a cancellable job: POST with the reason, 204, and a read shows it cancelled", async () => {
    const result = await arm.jobs.cancelJob(ref("draft"), REASON);

    expect(result).toMatchObject({ ok: true, status: 204, value: undefined });
    const after = await arm.jobs.getJob(ref("draft"));
    expect(after).toMatchObject({ ok: true, value: { isCancellable: false } });
    expect(after.ok && after.value.state).not.toBe("AwaitingShipmentDetails");
    const log = await control().requests();
    expect(log.items.find((item) => item.operation === "DataBoxJobs_Cancel")).toMatchObject({
      method: "POST",
      status: 204,
    });
    await expectNothingForbidden();
  });

  it("maps a refused cancel to not-allowed 409 with the service's code (the emulator logs the refusal)", async () => {
    const result = await arm.jobs.cancelJob(ref("in-transit"), REASON);

    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "not-allowed", status: 409, code: "CancelNotAllowed" },
    });
    expectNoCanary(result);
  });

  it("deletes as a long-running operation: 202, polled through Azure-AsyncOperation to Succeeded, then gone", async () => {
    const started = await arm.jobs.deleteJob(ref("done"));

    expect(started).toMatchObject({ ok: true, status: 202 });
    const operationUrl = started.ok ? started.value?.operationUrl : undefined;
    expect(operationUrl).toMatch(
      /\/providers\/Microsoft\.DataBox\/locations\/westeurope\/operationStatuses\//,
    );
    const answers = await pollToEnd(ref("done"), operationUrl!);
    expect(answers.at(-1)).toMatchObject({ ok: true, status: 200, value: { status: "succeeded" } });
    expect(answers.slice(0, -1).every((a) => a.ok && a.value.status === "running")).toBe(true);
    // The Location URL of the same operation says the same, its own way (204).
    const location = operationUrl!.replace("/operationStatuses/", "/operationResults/");
    expect(await arm.jobs.pollDelete(ref("done"), location)).toMatchObject({
      ok: true,
      status: 204,
      value: { status: "succeeded" },
    });
    expect(await arm.jobs.getJob(ref("done"))).toMatchObject({
      ok: false,
      failure: { kind: "gone", status: 404 },
    });
    const log = await control().requests();
    expect(log.items.filter((item) => item.method === "DELETE")).toHaveLength(1);
    await expectNothingForbidden();
  });

  it("reads a delete that ends Failed as failed, and the job is still there", async () => {
    await control().addFaults({ method: "DELETE", path: "/jobs/done$", deleteOutcome: "fail", count: 1 });

    const started = await arm.jobs.deleteJob(ref("done"));
    const operationUrl = started.ok ? started.value?.operationUrl : undefined;
    const answers = await pollToEnd(ref("done"), operationUrl!);

    expect(answers.at(-1)).toMatchObject({ ok: true, value: { status: "failed" } });
    expect(await arm.jobs.getJob(ref("done"))).toMatchObject({ ok: true, value: { state: "Completed" } });
    await expectNothingForbidden();
  });

  it("reads a delete that never ends as running on every poll, on both operation URLs", async () => {
    await control().addFaults({ method: "DELETE", path: "/jobs/done$", deleteOutcome: "never", count: 1 });

    const started = await arm.jobs.deleteJob(ref("done"));
    const operationUrl = started.ok ? started.value?.operationUrl : undefined;
    const location = operationUrl!.replace("/operationStatuses/", "/operationResults/");
    const answers: ArmResult<DeleteProgress>[] = [];
    for (let i = 0; i < 4; i++) {
      answers.push(await arm.jobs.pollDelete(ref("done"), operationUrl!));
      answers.push(await arm.jobs.pollDelete(ref("done"), location));
    }

    expect(answers.map((a) => (a.ok ? `${a.status} ${a.value.status}` : a.failure.kind))).toEqual(
      Array.from({ length: 4 }, () => ["200 running", "202 running"]).flat(),
    );
    expect(await arm.jobs.getJob(ref("done"))).toMatchObject({ ok: true });
    await expectNothingForbidden();
  });

  it("reads an immediate delete (200) as deleted, and a refused one as not-allowed", async () => {
    await control().updateSettings({ dataBoxDeleteMs: 0 });

    expect(await arm.jobs.deleteJob(ref("done"))).toEqual({
      ok: true,
      status: 200,
      value: undefined,
      remaining: expect.any(Object),
    });
    expect(await arm.jobs.getJob(ref("done"))).toMatchObject({ ok: false, failure: { kind: "gone" } });
    expect(await arm.jobs.deleteJob(ref("says-no"))).toMatchObject({
      ok: false,
      failure: { kind: "not-allowed", status: 409, code: "DeleteNotAllowed" },
    });
  });

  it("refuses a nextLink to another origin: the page is malformed and nothing more is sent", async () => {
    await control().addFaults({
      method: "GET",
      path: "Microsoft.DataBox/jobs$",
      status: 200,
      body: {
        value: [],
        nextLink: `https://attacker.example/subscriptions/${SUB}/providers/Microsoft.DataBox/jobs?$skipToken=x`,
      },
      count: 1,
    });

    const page = await arm.jobs.listJobsPage(SUB, "databox:");

    expect(page).toMatchObject({ ok: false, failure: { kind: "malformed", status: 200 } });
    const log = await control().requests();
    expect(log.items.map((item) => [item.method, item.path])).toEqual([
      ["GET", `/subscriptions/${SUB}/providers/Microsoft.DataBox/jobs`],
    ]);
  });
});
