import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Storage } from "../../../../src/adapters/storage";
import type { AuditEntry } from "../../../../src/domain/records";
import type { AuditQuery } from "../../../../src/engine/ports";
import { AuditWriteError, ValidationError } from "../../../../src/errors";
import { startAzurite, type AzuriteProcess } from "../../../../tools/local-functions-host/src/azuriteProcess";
import { testStorage } from "../../../support/testStorage";
import { fullEntry, jobIdOf, minimalEntry, SUB_A, SUB_B } from "../../../support/auditEntries";

const NOW = new Date("2026-11-25T00:00:00.000Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let azurite: AzuriteProcess;

function storage(): Storage {
  return testStorage(azurite.connectionString, () => NOW);
}

const key = (e: AuditEntry) => `${e.runId}#${e.seq}`;

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe("audit log on Azurite", () => {
  it("writes an entry with every field and reads it back unchanged", async () => {
    // Prepare
    const { audit } = storage();
    const entry = fullEntry();
    // Act
    await audit.append([entry]);
    const byRun = await audit.query({ runId: entry.runId });
    const byTime = await audit.query({ from: "2026-11-21T00:00:00Z", to: "2026-11-22T00:00:00Z" });
    // Assess
    expect(byRun.items).toEqual([entry]);
    expect(byTime.items).toEqual([entry]);
    expect(byRun.nextCursor).toBeUndefined();
  });

  it("keeps an entry with only the required fields as it was", async () => {
    const { audit } = storage();
    const entry = minimalEntry(Date.parse("2026-11-20T08:00:00Z"), "run-minimal", 7);
    await audit.append([entry]);
    expect((await audit.query({ runId: "run-minimal" })).items).toEqual([entry]);
  });

  it("cuts an over-long error message to 256 characters on one line instead of refusing the entry", async () => {
    const { audit } = storage();
    await audit.append([fullEntry({ runId: "run-long", errorMessage: `first\nsecond ${"x".repeat(400)}` })]);
    const [stored] = (await audit.query({ runId: "run-long" })).items;
    expect(stored!.errorMessage).toHaveLength(256);
    expect(stored!.errorMessage!.startsWith("first second xx")).toBe(true);
  });

  it("returns the newest entries first across days, and a later seq first within one millisecond", async () => {
    const { audit } = storage();
    const base = Date.parse("2026-11-20T12:00:00Z");
    const times = [base - 2 * DAY, base + 5 * HOUR, base - DAY + 1, base, base + 3 * DAY];
    const entries = times.map((ms, i) => minimalEntry(ms, "run-order", i));
    entries.push(minimalEntry(base, "run-order", 99)); // same millisecond as seq 3, later in the run
    await audit.append([...entries].reverse());

    const page = await audit.query({ from: "2026-11-15T00:00:00Z", to: "2026-11-25T00:00:00Z" });
    const got = page.items.map((e) => `${e.timestamp}/${e.seq}`);
    const expected = [...entries]
      .sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp) || b.seq - a.seq)
      .map((e) => `${e.timestamp}/${e.seq}`);
    expect(got).toEqual(expected);
    expect(got[0]).toBe(`${new Date(base + 3 * DAY).toISOString()}/4`);
  });

  it("applies from (inclusive) and to (exclusive) exactly", async () => {
    const { audit } = storage();
    const at = Date.parse("2026-11-10T00:00:00Z");
    await audit.append(
      [at - 1, at, at + 1, at + DAY - 1, at + DAY].map((ms, i) => minimalEntry(ms, "run-edges", i)),
    );
    const page = await audit.query({ from: "2026-11-10T00:00:00Z", to: "2026-11-11T00:00:00Z" });
    expect(page.items.map((e) => e.seq).sort()).toEqual([1, 2, 3]);
  });

  it("finds the entries of one run and of one job, whatever the case of the job id", async () => {
    const { audit } = storage();
    const t0 = Date.parse("2026-11-01T00:00:00Z");
    const jobX = jobIdOf(SUB_A, "rg-x", "job-x");
    const entries = [
      fullEntry({ runId: "run-1", seq: 1, timestamp: new Date(t0).toISOString(), jobId: jobX }),
      fullEntry({ runId: "run-1", seq: 2, timestamp: new Date(t0 + 1000).toISOString(), jobName: "job-y" }),
      fullEntry({ runId: "run-2", seq: 1, timestamp: new Date(t0 + 10 * DAY).toISOString(), jobId: jobX }),
      fullEntry({ runId: "run-3", seq: 1, timestamp: new Date(t0 + 40 * DAY).toISOString(), jobId: jobX }),
      // Same subscription, a job id that starts like jobX's.
      fullEntry({
        runId: "run-3",
        seq: 2,
        timestamp: new Date(t0 + 40 * DAY).toISOString(),
        jobId: `${jobX}1`,
      }),
    ];
    await audit.append(entries);

    const run1 = await audit.query({ runId: "run-1" });
    expect(run1.items.map(key)).toEqual(["run-1#2", "run-1#1"]);
    const job = await audit.query({
      jobId: jobX.toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/"),
    });
    expect(job.items.map(key)).toEqual(["run-3#1", "run-2#1", "run-1#1"]);
    const jobInRun = await audit.query({ jobId: jobX, runId: "run-2" });
    expect(jobInRun.items.map(key)).toEqual(["run-2#1"]);
    const jobInRange = await audit.query({
      jobId: jobX,
      from: "2026-11-05T00:00:00Z",
      to: "2026-11-20T00:00:00Z",
    });
    expect(jobInRange.items.map(key)).toEqual(["run-2#1"]);
  });

  it("filters by subscription, resource group, job name, action and outcome (case-insensitive names)", async () => {
    const { audit } = storage();
    const ts = "2026-11-02T10:00:00.000Z";
    await audit.append([
      fullEntry({ runId: "run-f", seq: 1, timestamp: ts, subscriptionId: SUB_B, resourceGroup: "RG-One" }),
      fullEntry({ runId: "run-f", seq: 2, timestamp: ts, action: "cancel", outcome: "refused" }),
      fullEntry({ runId: "run-f", seq: 3, timestamp: ts, jobName: "Other-Job" }),
    ]);
    const range = { from: "2026-11-02T00:00:00Z", to: "2026-11-03T00:00:00Z" };
    const seqs = async (q: AuditQuery) => (await audit.query({ ...range, ...q })).items.map((e) => e.seq);
    expect(await seqs({ subscriptionId: SUB_B.toUpperCase() })).toEqual([1]);
    expect(await seqs({ resourceGroup: "rg-one" })).toEqual([1]);
    expect(await seqs({ jobName: "other-job" })).toEqual([3]);
    expect(await seqs({ action: "cancel" })).toEqual([2]);
    expect(await seqs({ outcome: "refused", action: "cancel" })).toEqual([2]);
    expect(await seqs({ outcome: "succeeded" })).toEqual([3, 1]);
  });

  it("treats writing the same entries again as done, but refuses a different entry under the same key", async () => {
    const { audit } = storage();
    const entries = [1, 2, 3].map((seq) => fullEntry({ runId: "run-again", seq }));
    await audit.append(entries);
    await audit.append(entries); // a retry after a lost answer: nothing changes
    expect((await audit.query({ runId: "run-again" })).items).toHaveLength(3);

    const rewritten = { ...entries[1]!, outcome: "failed" as const };
    await expect(audit.append([rewritten])).rejects.toBeInstanceOf(AuditWriteError);
    await expect(audit.append([entries[0]!, rewritten])).rejects.toThrow(/never overwritten/);
    const stored = (await audit.query({ runId: "run-again" })).items.find((e) => e.seq === 2);
    expect(stored?.outcome).toBe("succeeded");
  });

  it("refuses entries with bad fields before writing anything", async () => {
    const { audit } = storage();
    const good = fullEntry({ runId: "run-bad", seq: 1 });
    const bad = {
      ...fullEntry({ runId: "run-bad", seq: 2 }),
      action: "explode",
      seq: -1,
    } as unknown as AuditEntry;
    const err = await audit.append([good, bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditWriteError);
    expect(String((err as Error).message)).toMatch(/seq: .*action: /);
    expect((await audit.query({ runId: "run-bad" })).items).toEqual([]);
    await expect(audit.append([good, { ...good }])).rejects.toThrow(/appears twice/);
  });

  it("keeps keys safe whatever the text: slashes, hashes, question marks, quotes, unicode", async () => {
    const { audit } = storage();
    const entry = fullEntry({
      runId: "run-keys",
      resourceGroup: "rg-(ü)",
      jobId: "/subscriptions/x/resourceGroups/a#b?c\\d'e/providers/Microsoft.ImportExport/jobs/ö",
      actor: "cli:O'Brien/ü",
    });
    await audit.append([entry]);
    expect((await audit.query({ runId: "run-keys" })).items).toEqual([entry]);
    expect((await audit.query({ runId: "run-keys", resourceGroup: "RG-(Ü)" })).items).toEqual([entry]);
  });
});

describe("audit paging on Azurite", () => {
  let store: Storage;
  const entries: AuditEntry[] = [];
  const start = Date.parse("2026-11-20T00:00:00Z");

  beforeAll(async () => {
    store = storage();
    // 2,600 entries over three days, 40 jobs, written in one batched call.
    for (let i = 0; i < 2600; i++) {
      const job = `job-${i % 40}`;
      entries.push(
        minimalEntry(start + Math.floor(i * 99_000), "run-paging", i, {
          resourceGroup: "rg-paging",
          jobName: job,
          jobId: jobIdOf(SUB_A, "rg-paging", job),
          action: i % 3 === 0 ? "delete" : "none",
        }),
      );
    }
    await store.audit.append(entries);
  });

  async function readAll(query: AuditQuery): Promise<AuditEntry[]> {
    const seen: AuditEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.audit.query({ ...query, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(query.limit ?? 100);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  }

  const newestFirst = (list: AuditEntry[]) => [...list].sort((a, b) => b.seq - a.seq).map(key);

  it("pages a time range of more than 2,500 entries with no duplicate and no gap", async () => {
    const seen = await readAll({ from: "2026-11-19T00:00:00Z", to: "2026-11-24T00:00:00Z", limit: 1000 });
    expect(seen).toHaveLength(2600);
    expect(seen.map(key)).toEqual(newestFirst(entries));
  });

  it("pages a run with an odd page size, and a filtered job range", async () => {
    const byRun = await readAll({ runId: "run-paging", limit: 333 });
    expect(byRun.map(key)).toEqual(newestFirst(entries));

    const jobId = jobIdOf(SUB_A, "rg-paging", "job-7");
    const byJob = await readAll({ jobId, action: "delete", limit: 7 });
    expect(byJob.map(key)).toEqual(
      newestFirst(entries.filter((e) => e.jobId === jobId && e.action === "delete")),
    );
  });

  it("gives no cursor on the last page, even when it is exactly full", async () => {
    const page = await store.audit.query({ jobId: jobIdOf(SUB_A, "rg-paging", "job-3"), limit: 65 });
    expect(page.items).toHaveLength(65);
    expect(page.nextCursor).toBeUndefined();
  });

  it("refuses a cursor reused with other filters, and a cursor that is not one", async () => {
    const range = { from: "2026-11-19T00:00:00Z", to: "2026-11-24T00:00:00Z", limit: 10 };
    const first = await store.audit.query(range);
    expect(first.nextCursor).toBeDefined();
    // The same filters with another page size are fine.
    await expect(store.audit.query({ ...range, limit: 20, cursor: first.nextCursor })).resolves.toBeDefined();
    for (const other of [
      { action: "delete" as const },
      { to: "2026-11-23T00:00:00Z" },
      { runId: "run-paging" },
    ]) {
      const err = await store.audit
        .query({ ...range, ...other, cursor: first.nextCursor })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems.map((p) => p.field)).toEqual(["cursor"]);
    }
    const forged = Buffer.from(JSON.stringify({ v: 1, t: "audit", f: "x", k: "' or 1 eq 1" })).toString(
      "base64url",
    );
    await expect(store.audit.query({ ...range, cursor: forged })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("audit query injection on Azurite", () => {
  let store: Storage;
  const range = { from: "2026-11-03T00:00:00Z", to: "2026-11-04T00:00:00Z" };
  beforeAll(async () => {
    store = storage();
    await store.audit.append([
      fullEntry({ runId: "run-inj", seq: 1, timestamp: "2026-11-03T01:00:00.000Z", resourceGroup: "rg(1)" }),
      fullEntry({ runId: "run-inj", seq: 2, timestamp: "2026-11-03T02:00:00.000Z", subscriptionId: SUB_B }),
      fullEntry({ runId: "run-other", seq: 3, timestamp: "2026-11-03T03:00:00.000Z", action: "cancel" }),
    ]);
  });

  const hostile: unknown[] = [
    "x' or '1' eq '1",
    "' or PartitionKey ne '",
    "a and RowKey gt ''",
    "rg(1)' or resourceGroupKey ne '",
    "rg(1) or true",
    ["rg(1)", "x"],
    { toString: () => "' or 1 eq 1" },
    null,
    "r".repeat(5000),
    "rg(1)\u0000",
    "rg\n(1)",
    12,
    true,
  ];
  const parameters = [
    "from",
    "to",
    "subscriptionId",
    "resourceGroup",
    "jobName",
    "jobId",
    "runId",
    "action",
    "outcome",
    "limit",
    "cursor",
  ] as const;

  it.each(parameters)(
    "%s: hostile values give a validation error naming it, or an exact match",
    async (param) => {
      for (const value of hostile) {
        const query = { ...range, [param]: value } as unknown as AuditQuery;
        const result = await store.audit.query(query).then(
          (page) => ({ page }),
          (err: unknown) => ({ err }),
        );
        if ("err" in result) {
          expect(result.err).toBeInstanceOf(ValidationError);
          expect((result.err as ValidationError).problems.map((p) => p.field)).toContain(param);
        } else {
          // Only values that are valid for the parameter get here, and then only rows that match exactly.
          // Job names may hold quotes and spaces (src/domain/armIds.ts): for them the exact match is the test.
          const exact = param === "resourceGroup" || param === "jobName";
          if (param === "limit") expect(result.page.items.length).toBeLessThanOrEqual(Number(value));
          else if (!exact) throw new Error(`${param} accepted a hostile value`);
          for (const item of result.page.items) {
            if (exact) expect(item[param]?.toLowerCase()).toBe(String(value).toLowerCase());
          }
        }
      }
    },
  );

  it("matches a resource group with parentheses exactly and nothing else", async () => {
    const page = await store.audit.query({ ...range, resourceGroup: "RG(1)" });
    expect(page.items.map((e) => e.seq)).toEqual([1]);
  });
});

describe("audit retention on Azurite", () => {
  it("removes exactly the entries older than the cutoff, with their run and job copies", async () => {
    const store = storage();
    const cutoff = Date.parse("2026-10-15T06:00:00Z");
    const entries: AuditEntry[] = [];
    for (let i = 0; i < 120; i++) {
      // from 15 days before to 15 days after the cutoff, one job per 10 entries, one run per 50
      const ms = cutoff + (i - 60) * 6 * HOUR + 1;
      entries.push(
        minimalEntry(ms, `run-ret-${Math.floor(i / 50)}`, i, {
          jobId: jobIdOf(SUB_A, "rg", `job-${Math.floor(i / 10)}`),
        }),
      );
    }
    entries.push(minimalEntry(cutoff - 1, "run-ret-edge", 1000), minimalEntry(cutoff, "run-ret-edge", 1001));
    await store.audit.append(entries);
    const old = entries.filter((e) => Date.parse(e.timestamp) < cutoff);

    const result = await store.retention.purgeOlderThan(new Date(cutoff));

    expect(result.removed).toBe(old.length);
    const remaining: AuditEntry[] = [];
    for (const runId of new Set(entries.map((e) => e.runId))) {
      let cursor: string | undefined;
      do {
        const page = await store.audit.query({ runId, limit: 1000, ...(cursor ? { cursor } : {}) });
        remaining.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
    }
    expect(remaining.map(key).sort()).toEqual(
      entries
        .filter((e) => !old.includes(e))
        .map(key)
        .sort(),
    );
    const job0 = await store.audit.query({ jobId: jobIdOf(SUB_A, "rg", "job-0") });
    expect(job0.items).toEqual([]);
    expect((await store.retention.purgeOlderThan(new Date(cutoff))).removed).toBe(0);
  });
});
