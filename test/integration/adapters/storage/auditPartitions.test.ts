// The audit log's per-second time and run partitions on Azurite, through the real SDK client: lookups over many
// seconds and across midnight, rows written by an older version in per-day and per-run partitions (written raw,
// as that version wrote them) mixed with new ones, and retention over both.
import { odata, TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTableClient, parseStorageSettings, tableNames } from "../../../../src/adapters/storage";
import {
  entryRowKey,
  legacyRunPartition,
  legacyTimePartition,
  toAuditRows,
} from "../../../../src/adapters/storage/auditEntity";
import { TableAuditStore } from "../../../../src/adapters/storage/TableAuditStore";
import type { AuditEntry } from "../../../../src/domain/records";
import type { AuditQuery } from "../../../../src/engine/ports";
import { startAzurite, type AzuriteProcess } from "../../../../tools/local-functions-host/src/azuriteProcess";
import { jobIdOf, minimalEntry, SUB_A } from "../../../support/auditEntries";
import { readStoredTrail } from "../../../support/storedTrail";

const NOW = new Date("2026-11-30T00:00:00.000Z");
let azurite: AzuriteProcess;
let tables = 0;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

/** A store on a table of its own, and the raw client to write rows as an older version did and to count keys. */
async function freshStore(): Promise<{ store: TableAuditStore; raw: TableClient; prefix: string }> {
  const conn = parseStorageSettings({ JANITOR_STORAGE: azurite.connectionString });
  const prefix = `Aud${process.pid}x${Date.now().toString(36)}x${tables++}`;
  const raw = createTableClient(conn, tableNames(prefix).audit);
  await raw.createTable();
  return {
    store: new TableAuditStore(raw, {
      retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
      clock: () => NOW,
    }),
    raw,
    prefix,
  };
}

const key = (e: AuditEntry) => `${e.runId}#${e.seq}`;
const rowKeyOf = (e: AuditEntry) => entryRowKey(Date.parse(e.timestamp), e.runId, e.seq);
/** The order every lookup returned before the change: RowKey order (newest first, a later seq first). */
const inKeyOrder = (list: AuditEntry[]) =>
  [...list].sort((a, b) => (rowKeyOf(a) < rowKeyOf(b) ? -1 : 1)).map(key);

/** Every page of a query, with a small page size, checking each page's size. */
async function readAll(store: TableAuditStore, query: AuditQuery): Promise<AuditEntry[]> {
  const seen: AuditEntry[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.query({ ...query, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(query.limit ?? 100);
    seen.push(...page.items);
    cursor = page.nextCursor;
    if (++pages > 10_000) throw new Error("paging does not end");
  } while (cursor);
  return seen;
}

/** Writes entries as the version before per-second partitions did: day and run partitions, same job copies. */
async function writeLegacy(raw: TableClient, entries: AuditEntry[]): Promise<void> {
  for (const entry of entries) {
    const rows = toAuditRows(entry);
    await raw.createEntity({ ...rows.time, partitionKey: legacyTimePartition(rows.ms) });
    await raw.createEntity({ ...rows.byRun, partitionKey: legacyRunPartition(entry.runId) });
    if (rows.byJob) await raw.createEntity(rows.byJob);
  }
}

async function partitionKeys(raw: TableClient, from: string, below: string): Promise<string[]> {
  const filter = odata`PartitionKey ge ${from} and PartitionKey lt ${below}`;
  const keys: string[] = [];
  for await (const row of raw.listEntities({ queryOptions: { filter, select: ["PartitionKey"] } }))
    keys.push(row.partitionKey!);
  return keys;
}

const JOB_1 = jobIdOf(SUB_A, "rg-p", "job-1");
const JOB_2 = jobIdOf(SUB_A, "rg-p", "job-2");

describe("audit partitions per second on Azurite", () => {
  it("returns entries spread over many seconds and across midnight complete and newest first, page by page", async () => {
    // Prepare: two runs, one id the prefix of the other, 23:59:45 to 00:00:15, a few entries per second.
    const { store } = await freshStore();
    const start = Date.parse("2026-11-21T23:59:45.000Z");
    const entries: AuditEntry[] = [];
    for (let i = 0; i < 240; i++) {
      const runId = i % 3 === 0 ? "run-spread-2" : "run-spread";
      entries.push(
        minimalEntry(start + i * 125, runId, i, {
          ...(i % 4 !== 3
            ? { jobId: i % 2 === 0 ? JOB_1 : JOB_2, jobName: i % 2 === 0 ? "job-1" : "job-2" }
            : {}),
          action: i % 5 === 0 ? "delete" : "none",
        }),
      );
    }
    // Two calls, the later entries first: the store must not rely on write order.
    await store.append(entries.slice(120));
    await store.append(entries.slice(0, 120));
    const at = (iso: string) => Date.parse(iso);
    const within = (from: string, to: string) =>
      entries.filter((e) => Date.parse(e.timestamp) >= at(from) && Date.parse(e.timestamp) < at(to));

    // Act and assess: every lookup, paged with small pages, against RowKey order.
    const day = { from: "2026-11-21T00:00:00Z", to: "2026-11-23T00:00:00Z" };
    expect((await readAll(store, { ...day, limit: 7 })).map(key)).toEqual(inKeyOrder(entries));
    const aroundMidnight = { from: "2026-11-21T23:59:58.300Z", to: "2026-11-22T00:00:03.050Z" };
    expect((await readAll(store, { ...aroundMidnight, limit: 4 })).map(key)).toEqual(
      inKeyOrder(within(aroundMidnight.from, aroundMidnight.to)),
    );
    expect((await readAll(store, { ...day, action: "delete", limit: 3 })).map(key)).toEqual(
      inKeyOrder(entries.filter((e) => e.action === "delete")),
    );
    for (const runId of ["run-spread", "run-spread-2"]) {
      const ofRun = entries.filter((e) => e.runId === runId);
      expect((await readAll(store, { runId, limit: 9 })).map(key)).toEqual(inKeyOrder(ofRun));
      expect((await readAll(store, { runId, ...aroundMidnight, limit: 5 })).map(key)).toEqual(
        inKeyOrder(within(aroundMidnight.from, aroundMidnight.to).filter((e) => e.runId === runId)),
      );
      expect(
        (await readAll(store, { runId, subscriptionId: SUB_A, action: "delete", limit: 2 })).map(key),
      ).toEqual(inKeyOrder(ofRun.filter((e) => e.action === "delete")));
    }
    expect((await readAll(store, { jobId: JOB_1, limit: 6 })).map(key)).toEqual(
      inKeyOrder(entries.filter((e) => e.jobId === JOB_1)),
    );
    expect((await readAll(store, { jobId: JOB_2, runId: "run-spread-2", limit: 6 })).map(key)).toEqual(
      inKeyOrder(entries.filter((e) => e.jobId === JOB_2 && e.runId === "run-spread-2")),
    );
    // The full entries come back, not only their keys.
    expect((await store.query({ runId: "run-spread", limit: 1000 })).items).toEqual(
      inKeyOrder(entries.filter((e) => e.runId === "run-spread")).map((k) =>
        entries.find((e) => key(e) === k)!,
      ),
    );
  });

  it("reads, orders and purges rows written before in day and run partitions together with new ones", async () => {
    // Prepare: a run that wrote entries before the upgrade (raw, old keys) over two days and goes on after it,
    // the same day and the next; another run only before.
    const { store, raw, prefix } = await freshStore();
    const legacy: AuditEntry[] = [];
    const before = Date.parse("2026-11-20T22:00:00.000Z");
    for (let i = 0; i < 24; i++)
      legacy.push(
        minimalEntry(before + i * 25 * 60_000, i % 4 === 0 ? "run-old" : "run-mixed", i, {
          ...(i % 2 === 0 ? { jobId: JOB_1, jobName: "job-1" } : {}),
        }),
      );
    await writeLegacy(raw, legacy);
    const after = Date.parse("2026-11-21T10:00:00.000Z");
    const fresh: AuditEntry[] = [];
    for (let i = 0; i < 40; i++)
      fresh.push(
        minimalEntry(after + i * 900 + (i >= 30 ? 16 * 3_600_000 : 0), "run-mixed", 100 + i, {
          ...(i % 2 === 0 ? { jobId: JOB_1, jobName: "job-1" } : {}),
        }),
      );
    await store.append(fresh);
    const all = [...legacy, ...fresh];
    expect(new Set([...legacy, ...fresh].map((e) => e.timestamp.slice(0, 10)))).toEqual(
      new Set(["2026-11-20", "2026-11-21", "2026-11-22"]),
    );

    // Act and assess: lookups see both formats, newest first, paged.
    const range = { from: "2026-11-19T00:00:00Z", to: "2026-11-29T00:00:00Z" };
    expect((await readAll(store, { ...range, limit: 5 })).map(key)).toEqual(inKeyOrder(all));
    // A range that starts among the old rows of the day the new ones begin.
    const sameDay = { from: "2026-11-21T06:00:00Z", to: "2026-11-21T10:00:10Z" };
    expect((await readAll(store, { ...sameDay, limit: 3 })).map(key)).toEqual(
      inKeyOrder(
        all.filter((e) => e.timestamp >= "2026-11-21T06:00:00" && e.timestamp < "2026-11-21T10:00:10"),
      ),
    );
    expect((await readAll(store, { runId: "run-mixed", limit: 4 })).map(key)).toEqual(
      inKeyOrder(all.filter((e) => e.runId === "run-mixed")),
    );
    expect((await readAll(store, { runId: "run-old", limit: 4 })).map(key)).toEqual(
      inKeyOrder(all.filter((e) => e.runId === "run-old")),
    );
    expect((await readAll(store, { runId: "run-mixed", ...sameDay, limit: 2 })).map(key)).toEqual(
      inKeyOrder(
        all.filter(
          (e) =>
            e.runId === "run-mixed" &&
            e.timestamp >= "2026-11-21T06:00:00" &&
            e.timestamp < "2026-11-21T10:00:10",
        ),
      ),
    );
    expect((await readAll(store, { jobId: JOB_1, limit: 4 })).map(key)).toEqual(
      inKeyOrder(all.filter((e) => e.jobId === JOB_1)),
    );

    // The tests' own reader of run copies (test/support/storedTrail.ts) sees both formats too.
    const trailKeys = async (runId?: string) =>
      (await readStoredTrail(azurite.connectionString, prefix, runId)).map(key).sort();
    expect(await trailKeys("run-mixed")).toEqual(
      all
        .filter((e) => e.runId === "run-mixed")
        .map(key)
        .sort(),
    );
    expect(await trailKeys()).toEqual(all.map(key).sort());

    // Purge: every old row, and the new ones before the cutoff, in both formats and every copy.
    const cutoff = Date.parse("2026-11-21T10:00:10.000Z");
    const old = all.filter((e) => Date.parse(e.timestamp) < cutoff);
    const kept = all.filter((e) => Date.parse(e.timestamp) >= cutoff);
    expect(old.filter((e) => legacy.includes(e))).toHaveLength(legacy.length);
    expect(old.length).toBeGreaterThan(legacy.length);
    const result = await store.purgeOlderThan(new Date(cutoff));
    expect(result.removed).toBe(old.length);

    const rows: { partitionKey?: string; rowKey?: string }[] = [];
    for await (const row of raw.listEntities({ queryOptions: { select: ["PartitionKey", "RowKey"] } }))
      rows.push(row);
    const copiesOf = (e: AuditEntry) => (e.jobId ? 3 : 2);
    expect(rows).toHaveLength(kept.reduce((n, e) => n + copiesOf(e), 0));
    const keptKeys = new Set(kept.map(rowKeyOf));
    for (const row of rows) expect(keptKeys.has(row.rowKey!.slice(row.rowKey!.indexOf("~") + 1))).toBe(true);
    expect(rows.some((r) => r.partitionKey!.startsWith("r-") || /^t\d{6}-/.test(r.partitionKey!))).toBe(
      false,
    );
    expect((await readAll(store, { ...range, limit: 5 })).map(key)).toEqual(inKeyOrder(kept));
    expect((await readAll(store, { runId: "run-mixed", limit: 5 })).map(key)).toEqual(inKeyOrder(kept));
    expect((await store.purgeOlderThan(new Date(cutoff))).removed).toBe(0);
  });

  it("spreads a run of 2,000 entries over several seconds across time and run partitions", async () => {
    const { store, raw } = await freshStore();
    const start = Date.parse("2026-11-21T12:00:00.400Z");
    const entries = Array.from({ length: 2000 }, (_, i) => minimalEntry(start + i * 3, "run-big", i));
    await store.append(entries);
    const seconds = new Set(entries.map((e) => Math.floor(Date.parse(e.timestamp) / 1000)));
    expect(seconds.size).toBe(7); // 12:00:00.400 to 12:00:06.397

    const timePartitions = new Set(await partitionKeys(raw, "t", "u"));
    const runPartitions = new Set(await partitionKeys(raw, "r!", "r."));
    expect(timePartitions.size).toBe(seconds.size);
    expect(runPartitions.size).toBe(seconds.size);
    expect([...runPartitions].every((pk) => pk.startsWith("r!run-big!"))).toBe(true);
    expect((await readAll(store, { runId: "run-big", limit: 1000 })).map(key)).toEqual(inKeyOrder(entries));
  });
});
