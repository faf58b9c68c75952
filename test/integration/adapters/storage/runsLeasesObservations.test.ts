import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createQueueClient,
  newRunId,
  parseStorageSettings,
  type Storage,
} from "../../../../src/adapters/storage";
import type { Observation } from "../../../../src/domain/records";
import { ConcurrencyError, NotFoundError, ValidationError } from "../../../../src/errors";
import { startAzurite, type AzuriteProcess } from "../../../../tools/local-functions-host/src/azuriteProcess";
import { testStorage } from "../../../support/testStorage";
import { jobIdOf, runRecord, SUB_A, SUB_B } from "../../../support/auditEntries";

let azurite: AzuriteProcess;
let now = new Date("2026-11-21T10:00:00.000Z");

function storage(): Storage {
  return testStorage(azurite.connectionString, () => now);
}

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe("run records on Azurite", () => {
  it("creates, reads and updates a run, keeping fields it does not know about", async () => {
    const { runs } = storage();
    const run = { ...runRecord("20261121T100000Z-aaaa0001"), subscriptions: [SUB_A], partsCompleted: [0, 2] };
    await runs.create(run);
    expect(await runs.get(run.runId)).toEqual(run);
    expect(await runs.get("20261121T100000Z-ffff0000")).toBeUndefined();

    const updated = await runs.update(run.runId, (r) => ({
      ...r,
      status: "running",
      startedAt: "2026-11-21T10:00:01Z",
    }));
    expect(updated.status).toBe("running");
    expect(await runs.get(run.runId)).toEqual(updated);

    await expect(runs.create(run)).rejects.toBeInstanceOf(ConcurrencyError);
    await expect(runs.update("20261121T100000Z-ffff0000", (r) => r)).rejects.toBeInstanceOf(NotFoundError);
    await expect(runs.get("bad/id")).rejects.toBeInstanceOf(ValidationError);
  });

  it("stores a run record larger than one table property", async () => {
    const { runs } = storage();
    const run = {
      ...runRecord("20261121T100000Z-aaaa0002"),
      partsCompleted: Array.from({ length: 12_000 }, (_, i) => i),
    };
    await runs.create(run);
    expect(await runs.get(run.runId)).toEqual(run);
  });

  it("adds the counts of 8 concurrent writers exactly", async () => {
    const { runs } = storage();
    const runId = "20261121T100000Z-aaaa0003";
    await runs.create(runRecord(runId));
    const perWriter = 6;
    await Promise.all(
      Array.from({ length: 8 }, async (_, writer) => {
        for (let i = 0; i < perWriter; i++) {
          await runs.addCounts(runId, { jobsSeen: 10, deleted: 1, failed: writer === 0 ? 1 : 0 });
        }
      }),
    );
    const stored = await runs.get(runId);
    expect(stored?.counts.jobsSeen).toBe(8 * perWriter * 10);
    expect(stored?.counts.deleted).toBe(8 * perWriter);
    expect(stored?.counts.failed).toBe(perWriter);
  });

  it("lists runs newest first with a cursor", async () => {
    const { runs } = storage();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const id = newRunId(new Date(Date.parse("2026-11-01T00:00:00Z") + i * 3_600_000));
      ids.push(id);
      await runs.create(runRecord(id));
    }
    const first = await runs.list({ limit: 4 });
    const second = await runs.list({ limit: 4, cursor: first.nextCursor });
    expect([...first.items, ...second.items].map((r) => r.runId)).toEqual([...ids].reverse());
    expect(second.nextCursor).toBeUndefined();
    await expect(runs.list({ limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(runs.list({ cursor: "bm9wZQ" })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("leases on Azurite", () => {
  it("lets exactly one of many contenders take a free lease", async () => {
    const { leases } = storage();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => leases.acquire(`subscription:${SUB_A}`, `worker-${i}`, 60_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("lets exactly one contender take over an expired lease, and the old holder can no longer renew", async () => {
    const { leases } = storage();
    const key = `subscription:${SUB_B}`;
    const first = await leases.acquire(key, "crashed-worker", 30_000);
    expect(first).toBeDefined();
    expect(await leases.acquire(key, "other", 30_000)).toBeUndefined();

    now = new Date(now.getTime() + 31_000); // the holder crashed; its lease ran out
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => leases.acquire(key, `next-${i}`, 30_000)),
    );
    const winners = results.filter((l) => l !== undefined);
    expect(winners).toHaveLength(1);
    expect(await leases.renew(first!, 30_000)).toBe(false);

    expect(await leases.renew(winners[0]!, 30_000)).toBe(true);
    await leases.release(first!); // not ours any more: changes nothing
    expect(await leases.acquire(key, "other", 30_000)).toBeUndefined();
    await leases.release(winners[0]!);
    expect(await leases.acquire(key, "other", 30_000)).toBeDefined();
  });

  it("refuses bad lease arguments", async () => {
    const { leases } = storage();
    const err = await leases.acquire("", "h\u0000", 0).catch((e: unknown) => e);
    expect((err as ValidationError).problems.map((p) => p.field)).toEqual(["key", "holder", "ttlMs"]);
  });
});

describe("observations on Azurite", () => {
  const obs = (name: string, extra: Partial<Observation> = {}): Observation => ({
    jobId: jobIdOf(SUB_A, "rg", name).toLowerCase(),
    subscriptionId: SUB_A,
    state: "Creating",
    firstSeenInStateAt: "2026-11-01T00:00:00.000Z",
    ...extra,
  });

  it("saves, clears and removes observations per subscription in batches", async () => {
    const { observations } = storage();
    const many = Array.from({ length: 230 }, (_, i) =>
      obs(`job-${i}`, { firstEligibleAt: "2026-11-02T00:00:00.000Z" }),
    );
    await observations.save(SUB_A, { upserts: many, removals: [] });
    await observations.save(SUB_B, { upserts: [{ ...obs("job-b"), subscriptionId: SUB_B }], removals: [] });

    let loaded = await observations.loadSubscription(SUB_A.toUpperCase());
    expect(loaded.size).toBe(230);
    expect(loaded.get(many[5]!.jobId)).toEqual(many[5]);

    // job-0 lost its eligibility, job-1 changed state, job-2..101 are gone (one never stored).
    await observations.save(SUB_A, {
      upserts: [
        obs("job-0"),
        obs("job-1", { state: "Completed", firstSeenInStateAt: "2026-11-03T00:00:00.000Z" }),
      ],
      removals: [...many.slice(2, 102).map((o) => o.jobId.toUpperCase()), jobIdOf(SUB_A, "rg", "never")],
    });
    loaded = await observations.loadSubscription(SUB_A);
    expect(loaded.size).toBe(130);
    expect(loaded.get(many[0]!.jobId)).toEqual(obs("job-0"));
    expect(loaded.get(many[1]!.jobId)?.state).toBe("Completed");
    expect(loaded.has(many[2]!.jobId)).toBe(false);
    expect((await observations.loadSubscription(SUB_B)).size).toBe(1);
  });

  it("refuses observations of another subscription and jobs both saved and removed", async () => {
    const { observations } = storage();
    const err = await observations
      .save(SUB_A, {
        upserts: [{ ...obs("a"), subscriptionId: SUB_B }, obs("b")],
        removals: [obs("b").jobId],
      })
      .catch((e: unknown) => e);
    expect((err as ValidationError).problems.map((p) => p.field)).toEqual([
      "upserts[0].subscriptionId",
      "removals[0]",
    ]);
    expect((await observations.loadSubscription(SUB_A)).size).toBe(0);
  });
});

describe("storage connection on Azurite", () => {
  it("gives a queue client that sends and receives", async () => {
    const conn = parseStorageSettings(
      { AzureWebJobsStorage: azurite.connectionString },
      { need: ["table", "queue"] },
    );
    const queue = createQueueClient(conn, "janitor-test");
    await queue.createIfNotExists();
    await queue.sendMessage("hello");
    const received = await queue.receiveMessages();
    expect(received.receivedMessageItems.map((m) => m.messageText)).toEqual(["hello"]);
  });

  it("creates its tables once, and only then touches them", async () => {
    const store = storage();
    await Promise.all([store.ensureReady(), store.ensureReady()]);
    await expect(store.audit.query({ runId: "nothing-here" })).resolves.toEqual({ items: [] });
  });
});
