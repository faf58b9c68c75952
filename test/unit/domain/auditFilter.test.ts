import { describe, expect, it } from "vitest";
import { AUDIT_QUERY_PARAMETERS, parseAuditQuery, parseTime } from "../../../src/domain/auditFilter";
import { ValidationError } from "../../../src/errors";

const NOW = new Date("2026-11-21T12:00:00Z");
const SUB = "1B2C3D4E-0000-4000-8000-00000000000A";
const JOB_ID = `/subscriptions/${SUB}/resourceGroups/RG-One/providers/Microsoft.ImportExport/jobs/Job-1`;
const RANGE = { from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z" };

function problems(raw: Record<string, unknown>, now = NOW) {
  try {
    parseAuditQuery(raw, now);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems;
  }
  throw new Error("expected a ValidationError");
}

describe("parseAuditQuery", () => {
  it("normalizes a full query", () => {
    const query = parseAuditQuery(
      {
        from: "2026-11-01",
        to: "2026-11-02T01:30:00+01:00",
        subscriptionId: SUB,
        resourceGroup: "RG-One",
        jobName: "Job-1",
        jobId: JOB_ID,
        runId: "20261121T232400Z-3f9a1c2b",
        action: "delete",
        outcome: "succeeded",
        limit: "250",
        cursor: "abc_-123",
        format: "csv",
        code: "function-key",
      },
      NOW,
    );
    expect(query).toEqual({
      from: "2026-11-01T00:00:00.000Z",
      to: "2026-11-02T00:30:00.000Z",
      subscriptionId: SUB.toLowerCase(),
      resourceGroup: "RG-One",
      jobName: "Job-1",
      jobId: JOB_ID.toLowerCase(),
      runId: "20261121T232400Z-3f9a1c2b",
      action: "delete",
      outcome: "succeeded",
      limit: 250,
      cursor: "abc_-123",
    });
  });

  it("defaults limit to 100 and leaves an omitted `to` open (up to now)", () => {
    expect(parseAuditQuery({ from: "2026-11-20T00:00:00Z" }, NOW)).toEqual({
      from: "2026-11-20T00:00:00.000Z",
      limit: 100,
    });
    expect(parseAuditQuery({ runId: "run-1", limit: 5 }, NOW)).toEqual({ runId: "run-1", limit: 5 });
  });

  it("needs a range of at most 31 days unless a run or job is given", () => {
    expect(problems({})).toEqual([
      { field: "from", message: expect.stringMatching(/required unless runId or jobId/) },
    ]);
    expect(problems({ to: "2026-11-02T00:00:00Z" })[0]!.field).toBe("from");
    expect(problems({ from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:01Z" })).toEqual([
      { field: "to", message: expect.stringMatching(/at most 31 days/) },
    ]);
    expect(problems({ from: "2026-10-20T00:00:00Z" })).toEqual([
      { field: "from", message: expect.stringMatching(/at most 31 days.*defaults to now/) },
    ]);
    expect(problems({ from: "2026-11-02T00:00:00Z", to: "2026-11-01T00:00:00Z" })[0]!.message).toMatch(
      /earlier than to/,
    );
    expect(
      parseAuditQuery({ from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:00Z" }, NOW).from,
    ).toBeDefined();
    expect(parseAuditQuery({ from: "2025-01-01T00:00:00Z", jobId: JOB_ID }, NOW).jobId).toBeDefined();
  });

  const bad: [string, unknown, RegExp][] = [
    ["from", "yesterday", /ISO 8601/],
    ["from", "2026-02-30", /ISO 8601/],
    ["from", "2026-11-01T25:00:00Z", /ISO 8601/],
    ["from", "2026-11-01T10:00:00", /ISO 8601/], // no time zone
    ["to", "1999-12-31T00:00:00Z", /years 2000-2199/],
    ["subscriptionId", "not-a-guid", /GUID/],
    ["resourceGroup", "rg.", /resource group name/],
    ["resourceGroup", "a b", /resource group name/],
    // Job names follow src/domain/armIds.ts (a superset of the service's names): "-job" is taken now.
    ["jobName", "..", /job name/],
    ["jobName", "job#1", /job name/],
    ["jobName", "job/1", /job name/],
    [
      "jobId",
      "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ImportExport/jobs/j",
      /job resource id/,
    ],
    ["jobId", `${JOB_ID}/extra`, /job resource id/],
    ["runId", "run 1", /run id/],
    ["action", "DELETE", /one of: delete, cancel, none/],
    ["outcome", "done", /one of: planned, succeeded, skipped, refused, failed, deferred/],
    ["limit", "0", /1 to 1000/],
    ["limit", "1001", /1 to 1000/],
    ["limit", "10.5", /1 to 1000/],
    ["limit", 2.5, /1 to 1000/],
    ["cursor", "not a cursor!", /nextCursor/],
  ];
  it.each(bad)("refuses %s=%j, naming it and what is accepted", (field, value, accepted) => {
    const found = problems({ ...RANGE, [field]: value });
    expect(found).toHaveLength(1);
    expect(found[0]!.field).toBe(field);
    expect(found[0]!.message).toMatch(accepted);
  });

  it.each(AUDIT_QUERY_PARAMETERS)(
    "refuses lists, objects, null, empty, over-long and control characters in %s",
    (field) => {
      for (const value of [["a", "b"], { a: 1 }, null, "", "q".repeat(3000), "ab\u0000", "a\nb", "\ud800"]) {
        const found = problems({ ...RANGE, runId: "run-1", [field]: value });
        expect(found.map((p) => p.field)).toContain(field);
        expect(JSON.stringify(found)).not.toContain("qqqqqqqqqq");
      }
    },
  );

  it("lists every bad parameter at once and refuses unknown ones", () => {
    const found = problems({ from: "x", action: "y", limit: "z", subscription: SUB });
    expect(found.map((p) => p.field).sort()).toEqual(["action", "from", "limit", "subscription"]);
    expect(found.find((p) => p.field === "subscription")!.message).toMatch(
      /not a known parameter; accepted: from, to/,
    );
  });

  it("names parameters as the caller does", () => {
    try {
      const names = { runId: "--run", jobId: "--job", from: "--from", limit: "--limit" };
      parseAuditQuery({ to: "2026-11-01T00:00:00Z", limit: "0" }, NOW, names);
    } catch (err) {
      const found = (err as ValidationError).problems;
      expect(found.map((p) => p.field)).toEqual(["--limit", "--from"]);
      expect(found[1]!.message).toMatch(/unless --run or --job is given/);
      return;
    }
    throw new Error("expected a ValidationError");
  });
});

describe("parseTime", () => {
  it("reads dates, date-times with zones and fractions", () => {
    expect(parseTime("2026-11-21")).toBe(Date.UTC(2026, 10, 21));
    expect(parseTime("2026-11-21T10:20Z")).toBe(Date.UTC(2026, 10, 21, 10, 20));
    expect(parseTime("2026-11-21T10:20:30.1234567-02:30")).toBe(Date.UTC(2026, 10, 21, 12, 50, 30, 123));
    expect(parseTime("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
    expect(parseTime("2026-02-29T00:00:00Z")).toBeNull();
    expect(parseTime("2026-11-21T10:20:30+15:00")).toBeNull();
  });

  it("filters by job source and takes Data Box job ids, lower-cased like classic ones", () => {
    expect(parseAuditQuery({ ...RANGE, source: "databox" }, NOW)).toMatchObject({ source: "databox" });
    const boxId = `/subscriptions/${SUB}/resourceGroups/RG-One/providers/microsoft.databox/jobs/Disk-1`;
    expect(parseAuditQuery({ jobId: boxId }, NOW).jobId).toBe(
      `/subscriptions/${SUB.toLowerCase()}/resourcegroups/rg-one/providers/microsoft.databox/jobs/disk-1`,
    );
    expect(problems({ ...RANGE, source: "DataBox" })).toEqual([
      { field: "source", message: expect.stringContaining("one of: importexport, databox") },
    ]);
  });
});
