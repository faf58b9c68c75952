import { RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";
import { toAuditRows } from "../../../../src/adapters/storage/auditEntity";
import { TableAuditStore } from "../../../../src/adapters/storage/TableAuditStore";
import { TableRunStore } from "../../../../src/adapters/storage/TableRunStore";
import { isTransient } from "../../../../src/adapters/storage/tableAccess";
import { AuditWriteError } from "../../../../src/errors";
import { minimalEntry, runRecord } from "../../../support/auditEntries";
import { FakeTable, pageToken, restError } from "./fakeTable";

const retry = { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
const clock = () => new Date("2026-11-25T00:00:00Z");
const T0 = Date.parse("2026-11-20T12:00:00Z");
const entries = (n: number, runId = "run-fake") =>
  Array.from({ length: n }, (_, i) => minimalEntry(T0 + i, runId, i));

describe("audit query paging", () => {
  it("keeps reading through empty pages that carry a continuation token", async () => {
    // Prepare: the real service may answer a filtered query with empty pages before and between results.
    const table = new FakeTable();
    const [a, b, c] = entries(3)
      .reverse()
      .map((e) => toAuditRows(e).time);
    table.scriptedPages = [
      { items: [], token: pageToken(1) },
      { items: [], token: pageToken(2) },
      { items: [a!, b!], token: pageToken(3) },
      { items: [], token: pageToken(4) },
      { items: [c!] },
    ];
    const store = new TableAuditStore(table, { retry, clock });
    const range = { from: "2026-11-20T00:00:00Z", to: "2026-11-21T00:00:00Z" }; // one query per lookup
    // Act
    const all = await store.query(range);
    const firstTwo = await store.query({ ...range, limit: 2 });
    // Assess
    expect(all.items.map((e) => e.seq)).toEqual([2, 1, 0]);
    expect(all.nextCursor).toBeUndefined();
    expect(firstTwo.items.map((e) => e.seq)).toEqual([2, 1]);
    expect(firstTwo.nextCursor).toBeDefined();
    expect(table.calls.listEntities).toBe(5 + 5);
  });

  it("resumes a page read after a transient failure", async () => {
    const table = new FakeTable();
    table.scriptedPages = [{ items: [], token: pageToken(1) }, { items: [toAuditRows(entries(1)[0]!).time] }];
    table.fail({ method: "listEntities", status: 503, times: 1 });
    const store = new TableAuditStore(table, { retry, clock });
    expect((await store.query({ runId: "run-fake" })).items).toHaveLength(1);
  });

  it("builds the filter from allow-listed fields with quoted values only", async () => {
    const table = new FakeTable();
    const store = new TableAuditStore(table, { retry, clock });
    await store.query({
      from: "2026-11-20T00:00:00Z",
      to: "2026-11-21T00:00:00Z",
      resourceGroup: "rg(1)",
      action: "delete",
    });
    expect(table.filters[0]).toBe(
      "PartitionKey ge 't979222!00000-20261120T235959' and PartitionKey le 't979222-20261120' and " +
        "RowKey ge '8204780800000' and RowKey lt '8204867200000' and resourceGroupKey eq 'rg(1)' and action eq 'delete'",
    );
  });
});

describe("audit writes against failures", () => {
  it("retries transient errors and writes every row once", async () => {
    const table = new FakeTable();
    table.fail({ method: "submitTransaction", status: 503, times: 2 });
    await new TableAuditStore(table, { retry, clock }).append(entries(2));
    expect(table.calls.submitTransaction).toBe(2 + 2); // time rows (after two 503s), then run copies
    expect(table.rows.size).toBe(4);
  });

  it("retries dropped connections", async () => {
    const table = new FakeTable();
    const store = new TableAuditStore(table, { retry, clock });
    let calls = 0;
    const create = table.createEntity.bind(table);
    table.createEntity = (entity) => {
      if (calls++ === 0) return Promise.reject(new RestError("socket hang up", { code: "ECONNRESET" }));
      return create(entity);
    };
    await store.append(entries(1));
    expect(table.rows.size).toBe(2);
  });

  it("rejects with AuditWriteError when the failure persists, and does not go on to the copies", async () => {
    const table = new FakeTable();
    table.fail({ method: "submitTransaction", status: 500, times: Infinity });
    const err = await new TableAuditStore(table, { retry, clock })
      .append(entries(3))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditWriteError);
    expect((err as Error).message).toMatch(/status 500/);
    expect(table.calls.submitTransaction).toBe(retry.attempts);
    expect(table.rows.size).toBe(0);
  });

  it("does not retry a permanent refusal", async () => {
    const table = new FakeTable();
    table.fail({ method: "submitTransaction", status: 400, times: 1 });
    await expect(new TableAuditStore(table, { retry, clock }).append(entries(2))).rejects.toBeInstanceOf(
      AuditWriteError,
    );
    expect(table.calls.submitTransaction).toBe(1);
  });

  it("recognises a batch that landed although its answer was lost", async () => {
    const table = new FakeTable();
    table.fail({ method: "submitTransaction", status: 500, times: 1, lands: true });
    await new TableAuditStore(table, { retry, clock }).append(entries(3));
    expect(table.rows.size).toBe(6);
  });

  it("refuses to overwrite a stored entry with other content", async () => {
    const table = new FakeTable();
    const store = new TableAuditStore(table, { retry, clock });
    const [entry] = entries(1);
    await store.append([entry!]);
    await expect(store.append([{ ...entry!, reason: "paused" }])).rejects.toThrow(/never overwritten/);
    expect([...table.rows.values()].every((row) => row.reason === "listing-failed")).toBe(true);
  });
});

describe("run store against failures", () => {
  it("applies a count update once when the write landed but its answer was lost", async () => {
    const table = new FakeTable();
    const runs = new TableRunStore(table, { retry });
    await runs.create(runRecord("run-lost"));
    table.fail({ method: "updateEntity", status: 503, times: 1, lands: true });
    const after = await runs.addCounts("run-lost", { deleted: 1 });
    expect(after.counts.deleted).toBe(1);
    expect((await runs.get("run-lost"))?.counts.deleted).toBe(1);
  });

  it("follows empty pages when listing runs", async () => {
    const table = new FakeTable();
    const runs = new TableRunStore(table, { retry });
    await runs.create(runRecord("run-b"));
    await runs.create(runRecord("run-a"));
    const stored = [...table.rows.values()];
    table.scriptedPages = [{ items: [], token: pageToken(1) }, { items: stored }];
    expect((await runs.list({})).items.map((r) => r.runId).sort()).toEqual(["run-a", "run-b"]);
  });
});

describe("isTransient", () => {
  it.each([
    [restError(500), true],
    [restError(503), true],
    [restError(408), true],
    [restError(429), true],
    [restError(501), false],
    [restError(400), false],
    [restError(409), false],
    [restError(412), false],
    [new RestError("reset", { code: "ECONNRESET" }), true],
    [new RestError("refused", { code: "ECONNREFUSED" }), true],
    [new Error("bug"), false],
  ])("%s -> %s", (err, expected) => {
    expect(isTransient(err)).toBe(expected);
  });
});
