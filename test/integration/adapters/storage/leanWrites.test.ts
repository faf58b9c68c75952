// The storage round trips a sweep saves, on Azurite: concurrent audit appends go out together (group commit)
// without one caller's failure failing another's, and a lease is released with one conditional delete.
import { TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStorage, parseStorageSettings, tableNames } from "../../../../src/adapters/storage";
import { TableAuditStore } from "../../../../src/adapters/storage/TableAuditStore";
import { TableLeaseStore } from "../../../../src/adapters/storage/TableLeaseStore";
import { legacyJobPartition, toAuditRows } from "../../../../src/adapters/storage/auditEntity";
import type { TableLike } from "../../../../src/adapters/storage/tableAccess";
import type { AuditEntry } from "../../../../src/domain/records";
import { AuditWriteError } from "../../../../src/errors";
import { startAzurite, type AzuriteProcess } from "../../../../tools/local-functions-host/src/azuriteProcess";
import { fullEntry, jobIdOf } from "../../../support/auditEntries";

let azurite: AzuriteProcess;
let tables = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

/** A real Azurite table, counting the calls a store makes on it. */
async function countedTable(): Promise<{ table: TableLike; calls: Record<string, number> }> {
  const client = TableClient.fromConnectionString(
    azurite.connectionString,
    `Lean${process.pid}x${++tables}`,
    {
      allowInsecureConnection: true,
    },
  );
  await client.createTable();
  const calls: Record<string, number> = {};
  const table = new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls[String(property)] = (calls[String(property)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as unknown as TableLike;
  return { table, calls };
}

const retry = { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 };

/** Subscription `s`'s entries of one run: `n` outcome entries about its jobs, in its own seq block. */
function entriesOf(s: number, n: number, runId = "20261201T100000Z-0a1b2c3d"): AuditEntry[] {
  const subscriptionId = `1b2c3d4e-0000-4000-8000-${String(s).padStart(12, "0")}`;
  return Array.from({ length: n }, (_, i) =>
    fullEntry({
      runId,
      seq: s * 1_000_000 + i + 1,
      mode: "plan",
      outcome: "planned",
      subscriptionId,
      jobName: `job-${i}`,
      jobId: jobIdOf(subscriptionId, "rg-imports", `job-${i}`),
    }),
  );
}

describe("audit appends of many subscriptions at once", () => {
  it("share transactions: 16 concurrent appends take fewer writes than the same appends one after another", async () => {
    const { table, calls } = await countedTable();
    const audit = new TableAuditStore(table, { retry });
    const runId = "20261201T100000Z-0a1b2c3d";
    await Promise.all(Array.from({ length: 16 }, (_, s) => audit.append(entriesOf(s, 10, runId))));

    const stored = [];
    let cursor: string | undefined;
    do {
      const page = await audit.query({ runId, limit: 1000, cursor });
      stored.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(stored).toHaveLength(160);
    // Written one call at a time: 16 time-copy and 16 run-copy transactions, plus the job copies. Grouped, the
    // time and run copies of several calls share transactions.
    const separate = await countedTable();
    const one = new TableAuditStore(separate.table, { retry });
    for (let s = 0; s < 16; s++) await one.append(entriesOf(s, 10, runId));
    const total = (c: Record<string, number>) => (c.createEntity ?? 0) + (c.submitTransaction ?? 0);
    expect(total(calls)).toBeLessThan(total(separate.calls));
  });

  it("one call's collision fails that call only; the others of its group are stored", async () => {
    const { table } = await countedTable();
    const audit = new TableAuditStore(table, { retry });
    const runId = "20261201T110000Z-0a1b2c3d";
    const [taken] = entriesOf(1, 1, runId);
    await audit.append([taken!]);
    // Another entry under the same run and seq (other content): history is never overwritten.
    const colliding = { ...taken!, reason: "exempt-tag" as const, outcome: "skipped" as const };
    const results = await Promise.allSettled([
      audit.append(entriesOf(2, 5, runId)),
      audit.append([colliding]),
      audit.append(entriesOf(3, 5, runId)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(AuditWriteError);
    const stored = (await audit.query({ runId, limit: 100 })).items;
    expect(stored).toHaveLength(11);
    expect(stored.find((e) => e.seq === taken!.seq)).toEqual(taken);
  });

  it("a group whose table fails rejects every call in it with an AuditWriteError", async () => {
    const { table } = await countedTable();
    const failing = new Proxy(table, {
      get(target, property, receiver) {
        if (property === "submitTransaction" || property === "createEntity")
          return () => Promise.reject(Object.assign(new Error("unavailable"), { statusCode: 503 }));
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const audit = new TableAuditStore(failing, { retry });
    const results = await Promise.allSettled([audit.append(entriesOf(1, 3)), audit.append(entriesOf(2, 3))]);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AuditWriteError);
    }
  });
});

describe("job copies", () => {
  it("go in one transaction per subscription; older ones in the legacy buckets are still found, paged and purged", async () => {
    const { table, calls } = await countedTable();
    const audit = new TableAuditStore(table, { retry, clock: () => new Date("2026-12-01T12:00:00Z") });
    const runId = "20261201T120000Z-0a1b2c3d";
    // One call about 10 jobs of one subscription: time, run and job copies, one transaction each.
    await audit.append(entriesOf(4, 10, runId));
    expect(calls.submitTransaction).toBe(3);
    expect(calls.createEntity ?? 0).toBe(0);

    // An entry about one of those jobs written by the version that spread job copies over 16 buckets.
    const [newer] = entriesOf(4, 1, runId);
    const older = { ...newer!, runId: "20261120T120000Z-0a1b2c3d", timestamp: "2026-11-20T12:00:00.000Z" };
    const rows = toAuditRows(older);
    const { jobCopyPartition: _unknownThen, ...legacyCopy } = rows.byJob!;
    for (const row of [
      rows.time,
      rows.byRun,
      { ...legacyCopy, partitionKey: legacyJobPartition(older.jobId!) },
    ])
      await (table as unknown as TableClient).createEntity(
        Object.fromEntries(Object.entries(row).filter(([k]) => k !== "jobCopyPartition")) as never,
      );

    const first = await audit.query({ jobId: newer!.jobId!, limit: 1 });
    expect(first.items).toEqual([newer]);
    const second = await audit.query({ jobId: newer!.jobId!, limit: 1, cursor: first.nextCursor });
    expect(second.items).toEqual([older]);
    expect(second.nextCursor).toBeUndefined();

    expect(await audit.purgeOlderThan(new Date("2026-11-21T00:00:00Z"))).toEqual({ removed: 1 });
    expect((await audit.query({ jobId: newer!.jobId!, limit: 10 })).items).toEqual([newer]);
    expect((await audit.query({ runId: older.runId })).items).toEqual([]);
  });
});

describe("lease release", () => {
  it("is one conditional delete after an acquire, with no read first", async () => {
    const { table, calls } = await countedTable();
    const leases = new TableLeaseStore(table, { retry });
    const lease = await leases.acquire("subscription:one", "run-a/part-0/attempt-0-aaa", 60_000);
    expect(lease).toBeDefined();
    const before = { ...calls };
    await leases.release(lease!);
    expect((calls.getEntity ?? 0) - (before.getEntity ?? 0)).toBe(0);
    expect((calls.deleteEntity ?? 0) - (before.deleteEntity ?? 0)).toBe(1);
    expect(await leases.holderOf("subscription:one")).toBeUndefined();
  });

  it("never deletes a lease another worker took over after this one's ran out", async () => {
    const prefix = `Lease${process.pid}x${++tables}`;
    let now = new Date("2026-12-01T10:00:00Z");
    const options = { tablePrefix: prefix, clock: () => now, retry };
    const settings = parseStorageSettings({ JANITOR_STORAGE: azurite.connectionString });
    // Two workers (two processes): each its own store over the same table.
    const first = createStorage(settings, options);
    const second = createStorage(settings, options);
    await first.ensureReady();
    expect(tableNames(prefix).leases).toBe(`${prefix}Leases`);
    const mine = await first.leases.acquire("subscription:two", "run-a/part-0/attempt-0-aaa", 30_000);
    expect(mine).toBeDefined();
    now = new Date(now.getTime() + 31_000); // the first worker stalled; its lease ran out
    const theirs = await second.leases.acquire("subscription:two", "run-b/part-0/attempt-0-bbb", 30_000);
    expect(theirs).toBeDefined();
    await first.leases.release(mine!); // its remembered row changed since: nothing is deleted
    expect(await second.leases.holderOf("subscription:two")).toBe("run-b/part-0/attempt-0-bbb");
    await second.leases.release(theirs!);
    expect(await first.leases.holderOf("subscription:two")).toBeUndefined();
  });
});
