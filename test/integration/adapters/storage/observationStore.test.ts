// The observation store's grace marks and job instances on Azurite, through the real SDK client, including rows
// written by an older version (a mark without rule and action, no jobCreatedAt).
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTableClient, parseStorageSettings } from "../../../../src/adapters/storage";
import { encodeKeyPart } from "../../../../src/adapters/storage/tableKeys";
import { TableObservationStore } from "../../../../src/adapters/storage/TableObservationStore";
import { decideJob } from "../../../../src/domain/decideJob";
import type { JobSnapshot } from "../../../../src/domain/job";
import { validatePolicy } from "../../../../src/domain/policy";
import type { Observation } from "../../../../src/domain/records";
import { ValidationError } from "../../../../src/errors";
import { startAzurite, type AzuriteProcess } from "../../../../tools/local-functions-host/src/azuriteProcess";
import { jobIdOf, SUB_A } from "../../../support/auditEntries";

let azurite: AzuriteProcess;
let tables = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

/** A store on a table of its own, and the raw client to write rows as an older version did. */
async function freshStore(): Promise<{ store: TableObservationStore; raw: TableClient }> {
  const conn = parseStorageSettings({ JANITOR_STORAGE: azurite.connectionString });
  const raw = createTableClient(conn, `Obs${process.pid}x${Date.now().toString(36)}x${tables++}`);
  await raw.createTable();
  return {
    store: new TableObservationStore(raw, { retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } }),
    raw,
  };
}

const NOW = new Date("2026-11-21T10:00:00.000Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

const POLICY = validatePolicy({
  version: 1,
  rules: [{ name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" }],
  guards: { gracePeriod: "P1D" },
});

function completedJob(name: string, createdAt?: string): JobSnapshot {
  return {
    source: "importexport",
    id: jobIdOf(SUB_A, "rg", name),
    subscriptionId: SUB_A,
    resourceGroup: "rg",
    name,
    tags: {},
    jobType: "Import",
    state: "Completed",
    hasDeliveryTrackingNumber: false,
    ...(createdAt && { createdAt }),
  };
}

describe("observation store on Azurite: grace marks and job instances", () => {
  it("keeps the rule, action and job createdAt of a mark, and clears them with the mark", async () => {
    // Prepare
    const { store } = await freshStore();
    const job = completedJob("marked", "2026-01-01T00:00:00+01:00");
    const marked = decideJob(job, {
      policy: POLICY,
      now: NOW,
      observation: {
        jobId: job.id.toLowerCase(),
        subscriptionId: SUB_A,
        jobCreatedAt: "2025-12-31T23:00:00.000Z",
        state: "Completed",
        firstSeenInStateAt: hoursAgo(40 * 24),
      },
    }).observation!;
    expect(marked).toMatchObject({ eligibleRule: "completed-retention", eligibleAction: "delete" });

    // Act
    await store.save(SUB_A, { upserts: [marked], removals: [] });
    const loaded = (await store.loadSubscription(SUB_A)).get(job.id.toLowerCase());

    // Assess
    expect(loaded).toEqual(marked);
    const later = new Date(NOW.getTime() + 24 * 3_600_000);
    expect(decideJob(job, { policy: POLICY, now: later, observation: loaded })).toMatchObject({
      reason: "rule-matched",
      eligible: true,
    });

    // The job stops being eligible: the stored row loses the mark and its rule and action.
    const { firstEligibleAt: _at, eligibleRule: _rule, eligibleAction: _action, ...unmarked } = marked;
    await store.save(SUB_A, { upserts: [unmarked], removals: [] });
    expect((await store.loadSubscription(SUB_A)).get(job.id.toLowerCase())).toEqual(unmarked);
  });

  it("loads a row of an older version, whose mark has no rule and action, as no mark: grace starts again", async () => {
    // Prepare: a row as the previous version wrote it, marked eligible three days ago.
    const { store, raw } = await freshStore();
    const job = completedJob("legacy");
    const jobId = job.id.toLowerCase();
    await raw.createEntity({
      partitionKey: `s-${encodeKeyPart(SUB_A.toLowerCase())}`,
      rowKey: encodeKeyPart(jobId),
      jobId,
      subscriptionId: SUB_A.toLowerCase(),
      state: "Completed",
      firstSeenInStateAt: hoursAgo(40 * 24),
      firstEligibleAt: hoursAgo(72),
    });

    // Act
    const loaded = (await store.loadSubscription(SUB_A)).get(jobId);
    const decision = decideJob(job, { policy: POLICY, now: NOW, observation: loaded });

    // Assess: the first sighting still ages the job, but the mark does not count.
    expect(loaded).toMatchObject({ firstEligibleAt: hoursAgo(72) });
    expect(loaded?.eligibleRule).toBeUndefined();
    expect(decision).toMatchObject({ reason: "grace-period", eligible: false, ageDays: 40 });
    expect(decision.observation).toMatchObject({
      firstEligibleAt: NOW.toISOString(),
      eligibleRule: "completed-retention",
      eligibleAction: "delete",
    });
  });

  it("drops an action it does not know from a stored row, so the mark counts as none", async () => {
    const { store, raw } = await freshStore();
    const job = completedJob("odd-action");
    const jobId = job.id.toLowerCase();
    await raw.createEntity({
      partitionKey: `s-${encodeKeyPart(SUB_A.toLowerCase())}`,
      rowKey: encodeKeyPart(jobId),
      jobId,
      subscriptionId: SUB_A.toLowerCase(),
      state: "Completed",
      firstSeenInStateAt: hoursAgo(40 * 24),
      firstEligibleAt: hoursAgo(72),
      eligibleRule: "completed-retention",
      eligibleAction: "purge",
    });
    const loaded = (await store.loadSubscription(SUB_A)).get(jobId);
    expect(loaded?.eligibleAction).toBeUndefined();
    expect(decideJob(job, { policy: POLICY, now: NOW, observation: loaded }).reason).toBe("grace-period");
  });

  it("starts afresh for a job re-created under the id of a stored one", async () => {
    // Prepare: the old instance, first seen Completed 40 days ago and marked.
    const { store } = await freshStore();
    const old = completedJob("recreated", "2026-01-01T00:00:00Z");
    const first = decideJob(old, { policy: POLICY, now: new Date(NOW.getTime() - 40 * 86_400_000) });
    const marked = decideJob(old, {
      policy: POLICY,
      now: new Date(NOW.getTime() - 2 * 86_400_000),
      observation: first.observation,
    });
    await store.save(SUB_A, { upserts: [marked.observation!], removals: [] });

    // Act: the same id, created again yesterday, already Completed.
    const fresh = completedJob("recreated", hoursAgo(24));
    const loaded = (await store.loadSubscription(SUB_A)).get(fresh.id.toLowerCase());
    const decision = decideJob(fresh, { policy: POLICY, now: NOW, observation: loaded });

    // Assess
    expect(decideJob(old, { policy: POLICY, now: NOW, observation: loaded }).reason).toBe("rule-matched");
    expect(decision).toMatchObject({ reason: "too-young", ageDays: 0, ageBasis: "first-observed" });
    expect(decision.observation).toMatchObject({
      jobCreatedAt: hoursAgo(24),
      firstSeenInStateAt: NOW.toISOString(),
    });
  });

  it("refuses an unknown action, an overlong rule name or createdAt", async () => {
    const { store } = await freshStore();
    const base: Observation = {
      jobId: jobIdOf(SUB_A, "rg", "bad").toLowerCase(),
      subscriptionId: SUB_A,
      state: "Completed",
      firstSeenInStateAt: NOW.toISOString(),
    };
    const err = await store
      .save(SUB_A, {
        upserts: [
          { ...base, eligibleAction: "purge" as never },
          { ...base, jobId: `${base.jobId}-2`, eligibleRule: "r".repeat(65) },
          { ...base, jobId: `${base.jobId}-3`, jobCreatedAt: "x".repeat(41) },
        ],
        removals: [],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems.map((p) => p.field)).toEqual([
      "upserts[0].eligibleAction",
      "upserts[1].eligibleRule",
      "upserts[2].jobCreatedAt",
    ]);
    expect((await store.loadSubscription(SUB_A)).size).toBe(0);
  });
});
