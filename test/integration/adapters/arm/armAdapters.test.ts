// The ARM adapters over the real SDK clients, over https with the emulator's CA, against the local emulator.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";

import {
  createArmAdapters,
  parseArmSettings,
  type ArmAdapters,
  type ArmSettings,
} from "../../../../src/adapters/arm";
import type { JobRef, JobSnapshot } from "../../../../src/domain/job";
import type { EmulatorSeed } from "../../../../tools/emulator/src/server";
import { DEFAULT_THROTTLING } from "../../../../tools/emulator/src/settings";
import { withEmulator } from "../../../support/emulator";

const SUB = "6a1b7c2d-0000-4000-8000-00000000a001";
const OTHER_SUB = "6a1b7c2d-0000-4000-8000-00000000a002";
const RG = "rg-imports";

const PERSONAL = ["Alex Example", "alex@example.com", "+31 20 555 0100", "111111-222222-333333"];

type SeedJob = NonNullable<EmulatorSeed["jobs"]>[number];

function seedJob(
  name: string,
  state: string | undefined,
  extra: Partial<SeedJob["properties"]> = {},
): SeedJob {
  return {
    subscriptionId: SUB,
    resourceGroup: RG,
    name,
    location: "West Europe",
    tags: { owner: "team-a" },
    systemData: { createdAt: new Date(Date.now() - 86_400_000).toISOString() },
    properties: {
      jobType: "Import",
      ...(state !== undefined && { state }),
      storageAccountId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/acct`,
      returnAddress: {
        recipientName: "Alex Example",
        streetAddress1: "1 Test Street",
        city: "Testville",
        postalCode: "1000 AA",
        countryOrRegion: "NL",
        phone: "+31 20 555 0100",
        email: "alex@example.com",
      },
      driveList: [{ driveId: "9CA995BB", bitLockerKey: "111111-222222-333333", state: "Specified" }],
      ...extra,
    },
  };
}

const SUBSCRIPTIONS: EmulatorSeed["subscriptions"] = [
  { subscriptionId: SUB, displayName: "Imports", state: "Enabled" },
  { subscriptionId: OTHER_SUB, displayName: "Old", state: "Disabled" },
];

const BASE_SEED: EmulatorSeed = {
  subscriptions: SUBSCRIPTIONS,
  jobs: [
    seedJob("draft", "Creating"),
    seedJob("done", "Completed", {
      returnPackage: {
        carrierName: "CarrierX",
        trackingNumber: "RET-1",
        driveCount: 1,
        shipDate: new Date().toISOString(),
      },
    }),
    seedJob("in-transit", "Shipping", {
      deliveryPackage: { carrierName: "CarrierX", trackingNumber: "TRK-1", driveCount: 1 },
    }),
    seedJob("packaging", "Packaging"),
    seedJob("stateless", undefined),
  ],
};

const ref = (name: string): JobRef => ({
  source: "importexport",
  subscriptionId: SUB,
  resourceGroup: RG,
  name,
});
/** The classic PATCH has no place for the reason: it is accepted and not sent. */
const REASON = "janitor rule cancel-stale, run 20261121T232400Z-3f9a1c2b";

describe("ARM adapters against the emulator", () => {
  const fixture = withEmulator({ settings: { throttling: false } });
  const control = () => fixture.control;
  let settings: ArmSettings;
  let arm: ArmAdapters;

  beforeAll(() => {
    // The same path the app takes: settings from the environment, CA from the PEM file, loopback -> dev token.
    const { endpoint, caCertPath } = fixture.emulator;
    settings = parseArmSettings({ JANITOR_ARM_ENDPOINT: endpoint, JANITOR_ARM_CA_CERT: caCertPath });
    // The classic source alone: the Data Box gateway has its own suite (dataBoxGateway.test.ts).
    arm = createArmAdapters(settings, { sources: ["importexport"] });
  });

  beforeEach(async () => {
    await control().reset({ seed: BASE_SEED, settings: { throttling: false } });
  });

  it("pages through 250 jobs, 100 at a time, with no duplicate and no gap", async () => {
    // Prepare
    const names = Array.from({ length: 250 }, (_, i) => `bulk-${String(i).padStart(3, "0")}`);
    const states = ["Creating", "Shipping", "Completed", "Packaging", "Closed"];
    await control().reset({
      seed: {
        subscriptions: SUBSCRIPTIONS,
        jobs: names.map((name, i) => seedJob(name, states[i % states.length])),
      },
      settings: { throttling: false },
    });

    // Act
    const pages: JobSnapshot[][] = [];
    const links: string[] = [];
    let nextLink: string | undefined;
    do {
      const result = await arm.jobs.listJobsPage(SUB, nextLink, { pageSize: 100 });
      if (!result.ok) throw new Error(`page failed: ${JSON.stringify(result.failure)}`);
      expect(result.value.malformed).toEqual([]);
      pages.push(result.value.jobs);
      nextLink = result.value.nextLink;
      if (nextLink) links.push(nextLink);
    } while (nextLink && pages.length < 10);

    // Assess
    expect(pages.map((page) => page.length)).toEqual([100, 100, 50]);
    const listed = pages.flat().map((job) => job.name);
    expect(new Set(listed).size).toBe(250);
    expect([...listed].sort()).toEqual(names);
    for (const link of links) expect(new URL(link).searchParams.get("api-version")).toBe("2021-01-01");
    expect(pages.flat().every((job) => job.subscriptionId === SUB && job.resourceGroup === RG)).toBe(true);
  });

  it("reports a job without state as malformed in a listing and on get", async () => {
    const page = await arm.jobs.listJobsPage(SUB, undefined, { pageSize: 100 });

    expect(page.ok).toBe(true);
    if (!page.ok) return;
    expect(page.value.jobs.map((job) => job.name).sort()).toEqual([
      "done",
      "draft",
      "in-transit",
      "packaging",
    ]);
    expect(page.value.malformed).toEqual([
      expect.objectContaining({ name: "stateless", reason: "job has no properties.state" }),
    ]);
    expect(await arm.jobs.getJob(ref("stateless"))).toMatchObject({
      ok: false,
      failure: { kind: "malformed", status: 200 },
    });
  });

  it("gets a job with only what decisions need and the remaining-reads header", async () => {
    await control().reset({ seed: BASE_SEED, settings: { throttling: DEFAULT_THROTTLING } });

    const result = await arm.jobs.getJob(ref("in-transit"));

    expect(result).toMatchObject({
      ok: true,
      status: 200,
      value: {
        subscriptionId: SUB,
        resourceGroup: RG,
        name: "in-transit",
        state: "Shipping",
        jobType: "Import",
        tags: { owner: "team-a" },
        hasDeliveryTrackingNumber: true,
      },
    });
    expect(result.remaining.reads).toBeTypeOf("number");
    const text = JSON.stringify(result);
    for (const secret of PERSONAL) expect(text).not.toContain(secret);
  });

  it("cancels a shipping job: cancelRequested true, state unchanged", async () => {
    const result = await arm.jobs.cancelJob(ref("in-transit"), REASON);

    expect(result).toMatchObject({
      ok: true,
      status: 200,
      value: { state: "Shipping", cancelRequested: true },
    });
    const [stored] = (await control().jobs(SUB)).filter((job) => job.name === "in-transit");
    expect((stored?.job.properties as Record<string, unknown>).cancelRequested).toBe(true);
  });

  it.each(["draft", "done"])("deletes the %s job (Creating / Completed)", async (name) => {
    const result = await arm.jobs.deleteJob(ref(name));

    expect(result).toMatchObject({ ok: true, status: 200 });
    expect((await control().jobs(SUB)).some((job) => job.name === name)).toBe(false);
    expect(await arm.jobs.getJob(ref(name))).toMatchObject({
      ok: false,
      failure: { kind: "gone", status: 404 },
    });
  });

  it("maps the refused delete of a Packaging job to not-allowed with status and code", async () => {
    const result = await arm.jobs.deleteJob(ref("packaging"));

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failure).toMatchObject({ kind: "not-allowed", status: 409 });
    expect(result.failure.kind === "not-allowed" && result.failure.code).toMatch(/\w+/);
    expect((await control().jobs(SUB)).some((job) => job.name === "packaging")).toBe(true);
  });

  it("maps an unknown job to gone on get, cancel and delete", async () => {
    const missing = ref("never-existed");

    expect(await arm.jobs.getJob(missing)).toMatchObject({
      ok: false,
      failure: { kind: "gone", status: 404 },
    });
    expect(await arm.jobs.cancelJob(missing, REASON)).toMatchObject({ ok: false, failure: { kind: "gone" } });
    expect(await arm.jobs.deleteJob(missing)).toMatchObject({ ok: false, failure: { kind: "gone" } });
  });

  it("maps a drained read bucket to throttled with retryAfterMs", async () => {
    // Prepare: a read bucket of 3 that hardly refills.
    await control().reset({
      seed: BASE_SEED,
      settings: { throttling: { ...DEFAULT_THROTTLING, reads: { capacity: 3, refillPerSecond: 0.01 } } },
    });

    // Act
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await arm.jobs.getJob(ref("draft")));

    // Assess
    expect(results.slice(0, 3).every((result) => result.ok)).toBe(true);
    expect(results.slice(0, 3).map((result) => result.remaining.reads)).toEqual([2, 1, 0]);
    const throttled = results[3];
    expect(throttled).toMatchObject({ ok: false, failure: { kind: "throttled", status: 429 } });
    const wait =
      throttled && !throttled.ok && throttled.failure.kind === "throttled"
        ? throttled.failure.retryAfterMs
        : 0;
    expect(wait).toBeGreaterThan(0);
  });

  it("maps an injected 503 to transient, and the next call succeeds", async () => {
    await control().addFaults({ method: "GET", path: "/jobs/draft$", status: 503, count: 1 });

    expect(await arm.jobs.getJob(ref("draft"))).toMatchObject({
      ok: false,
      failure: { kind: "transient", status: 503 },
    });
    expect(await arm.jobs.getJob(ref("draft"))).toMatchObject({ ok: true, value: { state: "Creating" } });
  });

  it("maps a dropped connection to transient and sends the page again from the same link", async () => {
    const first = await arm.jobs.listJobsPage(SUB, undefined, { pageSize: 2 });
    const link = first.ok ? first.value.nextLink : undefined;
    expect(link).toBeDefined();
    await control().addFaults({ method: "GET", path: "Microsoft.ImportExport/jobs$", reset: true, count: 1 });

    const dropped = await arm.jobs.listJobsPage(SUB, link, { pageSize: 2 });
    const retried = await arm.jobs.listJobsPage(SUB, link, { pageSize: 2 });

    expect(dropped).toMatchObject({ ok: false, failure: { kind: "transient" } });
    expect(retried).toMatchObject({ ok: true });
    expect(retried.ok && retried.value.jobs).toHaveLength(2);
  });

  it("maps a reply slower than the timeout to transient Timeout", async () => {
    // A read of a job no other test uses: the emulator still answers it after we gave up, harmlessly.
    const impatient = createArmAdapters(settings, { timeoutMs: 200, sources: ["importexport"] });
    await control().addFaults({ method: "GET", path: "/jobs/slow-reply$", latencyMs: 1_500, count: 1 });

    expect(await impatient.jobs.getJob(ref("slow-reply"))).toMatchObject({
      ok: false,
      failure: { kind: "transient", code: "Timeout" },
    });
  });

  it("discovers subscriptions with their states", async () => {
    const found = await arm.subscriptions.listSubscriptions();

    expect(found).toEqual(
      expect.arrayContaining([
        { subscriptionId: SUB, displayName: "Imports", state: "Enabled" },
        { subscriptionId: OTHER_SUB, displayName: "Old", state: "Disabled" },
      ]),
    );
    expect(found).toHaveLength(2);
  });

  it("asks again for a page of the subscription listing after a 429 or a 5xx, and gives up after four tries", async () => {
    await control().addFaults([
      { method: "GET", path: "^/subscriptions$", status: 503, count: 1 },
      { method: "GET", path: "^/subscriptions$", status: 429, retryAfter: 0, count: 1 },
    ]);
    expect(await arm.subscriptions.listSubscriptions()).toHaveLength(2);
    const listings = (await control().requests()).items.filter((r) => r.path === "/subscriptions");
    expect(listings.map((r) => r.status)).toEqual([503, 429, 200]);

    await control().addFaults({ method: "GET", path: "^/subscriptions$", status: 500, count: 10 });
    await expect(arm.subscriptions.listSubscriptions()).rejects.toMatchObject({
      failure: { kind: "transient", status: 500 },
    });
    // A refusal is an answer: asked once.
    await control().clearFaults();
    await control().addFaults({ method: "GET", path: "^/subscriptions$", status: 403, count: 2 });
    const before = (await control().requests()).total;
    await expect(arm.subscriptions.listSubscriptions()).rejects.toMatchObject({ failure: { status: 403 } });
    expect((await control().requests()).total - before).toBe(1);
  });

  it("sends only requests the documented state rules allow, each logged by the emulator as served", async () => {
    await arm.jobs.listJobsPage(SUB, undefined);
    await arm.jobs.deleteJob(ref("draft"));
    await arm.jobs.cancelJob(ref("in-transit"), REASON);

    const log = await control().requests();

    expect(log.forbiddenTotal).toBe(0);
    const mine = log.items.filter((item) => !item.path.endsWith("/slow-reply"));
    expect(mine.map((item) => [item.method, item.status])).toEqual([
      ["GET", 200],
      ["DELETE", 200],
      ["PATCH", 200],
    ]);
  });
});
