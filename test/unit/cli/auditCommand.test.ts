import { describe, expect, it } from "vitest";
import { runAuditCommand } from "../../../src/cli/commands/audit";
import { runRunsCommand } from "../../../src/cli/commands/runs";
import { EXIT } from "../../../src/cli/io";
import { AUDIT_FIELDS } from "../../../src/domain/auditCsv";
import type { AuditEntry, RunRecord } from "../../../src/domain/records";
import type { AuditQuery, AuditStore, Page, RunStore } from "../../../src/engine/ports";
import { AuditWriteError, ValidationError } from "../../../src/errors";
import { fullEntry, runRecord } from "../../support/auditEntries";
import { captureIO } from "../../support/captureIO";

const NOW = new Date("2026-11-21T12:00:00Z");

/** An audit store answering with fixed entries, recording what it was asked. */
function auditStore(page: Page<AuditEntry> | Error): AuditStore & { queries: AuditQuery[] } {
  const queries: AuditQuery[] = [];
  return {
    queries,
    append: async () => {},
    query: async (q) => {
      queries.push(q);
      if (page instanceof Error) throw page;
      return page;
    },
  };
}

const entries = [
  fullEntry({ seq: 2, errorMessage: 'quota "exceeded", retry\nlater' }),
  fullEntry({ seq: 1, jobName: "job,with,commas", outcome: "planned" }),
];

describe("ie-janitor audit", () => {
  it("--format csv writes a header row and one CSV row per entry, quoted as CSV requires", async () => {
    const io = captureIO();
    const store = auditStore({ items: entries });
    const code = await runAuditCommand(
      { run: entries[0]!.runId, format: "csv" },
      { audit: store, now: NOW },
      io,
    );
    expect(code).toBe(EXIT.done);
    const lines = io.out.split("\r\n");
    expect(lines[0]).toBe(AUDIT_FIELDS.join(","));
    expect(io.out).toContain('"quota ""exceeded"", retry\nlater"');
    expect(io.out).toContain('"job,with,commas"');
    expect(io.out.match(/\r\n/g)).toHaveLength(3);
    expect(store.queries).toEqual([{ runId: entries[0]!.runId, limit: 100 }]);
  });

  it("--format json prints items and nextCursor like the HTTP API", async () => {
    const io = captureIO();
    const store = auditStore({ items: entries, nextCursor: "abc" });
    const flags = {
      from: "2026-11-20T00:00:00Z",
      subscription: entries[0]!.subscriptionId,
      action: "delete",
      limit: "2",
      format: "json",
    };
    expect(await runAuditCommand(flags, { audit: store, now: NOW }, io)).toBe(EXIT.done);
    expect(JSON.parse(io.out)).toEqual({ items: entries, nextCursor: "abc" });
    expect(store.queries[0]).toEqual({
      from: "2026-11-20T00:00:00.000Z",
      subscriptionId: entries[0]!.subscriptionId,
      action: "delete",
      limit: 2,
    });
    const empty = captureIO();
    await runAuditCommand(
      { run: "run-1", format: "json" },
      { audit: auditStore({ items: [] }), now: NOW },
      empty,
    );
    expect(JSON.parse(empty.out)).toEqual({ items: [], nextCursor: null });
  });

  it("prints a readable table by default, with the next cursor on stderr", async () => {
    const io = captureIO();
    await runAuditCommand(
      { job: entries[0]!.jobId },
      { audit: auditStore({ items: entries, nextCursor: "next1" }), now: NOW },
      io,
    );
    const [header, first] = io.out.split("\n");
    expect(header).toMatch(/^TIME\s+RUN\s+SEQ\s+PHASE\s+ACTION\s+OUTCOME\s+REASON\s+JOB/);
    expect(first).toMatch(
      /2026-11-21T10:00:00Z\s+20261121T100000Z-0a1b2c3d\s+2\s+outcome\s+delete\s+succeeded\s+rule-matched\s+rg-imports\/job-001\s+Creating->Deleted\s+12d/,
    );
    expect(io.err).toContain("2 entries");
    expect(io.err).toContain("--cursor next1");
  });

  it("names each bad flag and what it accepts on stderr, exits 2 and queries nothing", async () => {
    const io = captureIO();
    const store = auditStore({ items: [] });
    const code = await runAuditCommand(
      { from: "yesterday", action: "purge", limit: "lots", format: "xml", subscription: "me" },
      { audit: store, now: NOW },
      io,
    );
    expect(code).toBe(EXIT.usage);
    expect(io.out).toBe("");
    expect(io.err).toMatch(/--format: must be one of table, json, csv/);
    expect(io.err).toMatch(/--from: must be an ISO 8601/);
    expect(io.err).toMatch(/--action: must be one of: delete, cancel, none/);
    expect(io.err).toMatch(/--limit: must be a whole number from 1 to 1000/);
    expect(io.err).toMatch(/--subscription: must be a subscription id \(GUID/);
    expect(store.queries).toEqual([]);
  });

  it("asks for a range in the CLI's words", async () => {
    const io = captureIO();
    expect(await runAuditCommand({}, { audit: auditStore({ items: [] }), now: NOW }, io)).toBe(EXIT.usage);
    expect(io.err).toMatch(/--from: is required unless --run or --job is given/);
  });

  it("exits 2 for a cursor the store refuses, 1 when the store fails", async () => {
    const refused = captureIO();
    const mismatch = new ValidationError([{ field: "cursor", message: "was issued for different filters" }]);
    expect(
      await runAuditCommand(
        { run: "run-1", cursor: "abc" },
        { audit: auditStore(mismatch), now: NOW },
        refused,
      ),
    ).toBe(EXIT.usage);
    expect(refused.err).toMatch(/--cursor: was issued for different filters/);

    const failed = captureIO();
    const down = new AuditWriteError("storage unreachable");
    expect(await runAuditCommand({ run: "run-1" }, { audit: auditStore(down), now: NOW }, failed)).toBe(
      EXIT.failed,
    );
    expect(failed.err).toMatch(/failed: storage unreachable/);
  });
});

function runStore(items: RunRecord[], nextCursor?: string): Pick<RunStore, "list"> & { asked: unknown[] } {
  const asked: unknown[] = [];
  return {
    asked,
    list: async (options) => {
      asked.push(options);
      return { items, ...(nextCursor ? { nextCursor } : {}) };
    },
  };
}

describe("ie-janitor runs", () => {
  const runs = [
    runRecord("20261121T100000Z-00000002", {
      status: "partial",
      counts: { ...runRecord("x").counts, jobsSeen: 40, deleted: 3 },
    }),
    runRecord("20261121T090000Z-00000001", { status: "succeeded", finishedAt: "2026-11-21T09:05:00.000Z" }),
  ];

  it("lists runs newest first as a table", async () => {
    const io = captureIO();
    const store = runStore(runs);
    expect(await runRunsCommand({}, { runs: store }, io)).toBe(EXIT.done);
    const lines = io.out.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^RUN\s+STATUS\s+MODE\s+TRIGGER\s+QUEUED\s+FINISHED\s+SUBS\s+JOBS\s+PLANNED\s+DELETED/,
    );
    expect(lines[1]).toMatch(
      /^20261121T100000Z-00000002\s+partial\s+plan\s+http\s+2026-11-21T10:00:00Z\s+0\s+40\s+0\s+3/,
    );
    expect(lines).toHaveLength(3);
    expect(store.asked).toEqual([{ limit: 20 }]);
  });

  it("--json prints items and nextCursor", async () => {
    const io = captureIO();
    expect(await runRunsCommand({ json: true, limit: "5" }, { runs: runStore(runs, "more") }, io)).toBe(
      EXIT.done,
    );
    expect(JSON.parse(io.out)).toEqual({ items: runs, nextCursor: "more" });
  });

  it("refuses a bad --limit with exit 2", async () => {
    for (const limit of ["0", "1001", "ten", "-1"]) {
      const io = captureIO();
      expect(await runRunsCommand({ limit }, { runs: runStore(runs) }, io)).toBe(EXIT.usage);
      expect(io.err).toMatch(/--limit: must be a whole number from 1 to 1000/);
      expect(io.out).toBe("");
    }
  });
});
