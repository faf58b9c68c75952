import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readDataBoxJob } from "../../../src/adapters/arm/dataBoxJobFromWire";
import { readJob } from "../../../src/adapters/arm/jobFromWire";
import { newRunId } from "../../../src/adapters/storage";
import { toAuditRows } from "../../../src/adapters/storage/auditEntity";
import { descendingKey } from "../../../src/adapters/storage/tableKeys";
import {
  DATABOX_JOB_ID_MAX,
  formatDataBoxJobResourceId,
  formatJobResourceId,
  formatSourcedJobResourceId,
  isGuid,
  isJobName,
  isResourceGroupName,
  isRunId,
  isSubscriptionId,
  JOB_ID_MAX,
  JOB_NAME_MAX,
  parseDataBoxJobResourceId,
  parseJobResourceId,
  parseSourcedJobResourceId,
  RESOURCE_GROUP_NAME_MAX,
  RUN_ID_MAX,
  RUN_ID_PATTERN,
  type JobResourceId,
} from "../../../src/domain/armIds";
import { parseAuditQuery } from "../../../src/domain/auditFilter";
import type { AuditEntry } from "../../../src/domain/records";
import { readPartMessage, readRunMessage } from "../../../src/functions/workQueues";

const SUB = "11111111-1111-4111-8111-111111111111";

// Generators of valid parts, written from the rules in docs (not from the module's patterns).
const subscriptionId = fc.uuid().chain((u) => fc.constantFrom(u, u.toUpperCase()));
const rgChar = fc.constantFrom(..."abcXYZ019_-.()üÉж中٣");
const rgLast = fc.constantFrom(..."abcXYZ019_-()üÉж中٣");
const resourceGroup = fc
  .tuple(fc.array(rgChar, { maxLength: RESOURCE_GROUP_NAME_MAX - 1 }), rgLast)
  .map(([chars, last]) => chars.join("") + last);
const jobName = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 60 })
  .filter((s) => s.length <= JOB_NAME_MAX && !/[/\\?#\p{Cc}\u2028\u2029]/u.test(s))
  .filter((s) => s.trim() !== "" && s !== "." && s !== "..");
const jobRef: fc.Arbitrary<JobResourceId> = fc.record({ subscriptionId, resourceGroup, name: jobName });
const runId = fc.stringMatching(RUN_ID_PATTERN);

describe("subscription ids", () => {
  it("are GUIDs in either case", () => {
    expect(isSubscriptionId(SUB)).toBe(true);
    expect(isSubscriptionId(SUB.toUpperCase())).toBe(true);
    for (const bad of ["", "sub-1", `${SUB} `, `{${SUB}}`, SUB.replace(/-/g, ""), 42, undefined]) {
      expect(isSubscriptionId(bad)).toBe(false);
    }
    expect(isGuid("00000000-0000-0000-0000-000000000000")).toBe(true);
  });
});

describe("resource group names (ARM's documented rule)", () => {
  it("take Unicode letters and digits, _ - . ( ), 1-90 characters, not ending in '.'", () => {
    for (const ok of ["a", "rg-migration", "RG_1.(x)", "rg-(ü)", "Ресурсы", "資源", "rg٣", "x".repeat(90)]) {
      expect(isResourceGroupName(ok), ok).toBe(true);
    }
    for (const bad of [
      "",
      "rg.",
      "x".repeat(91),
      "a b",
      "a/b",
      "a#b",
      "a?b",
      "a\\b",
      "a'b",
      "a\u0000",
      "a²",
    ]) {
      expect(isResourceGroupName(bad), bad).toBe(false);
    }
  });
});

describe("job names (a safe superset of what the service returns)", () => {
  it("take 1-260 characters without / \\ ? # or control characters, and not . or ..", () => {
    for (const ok of ["a", "job-1", "Job_1.x", "draft exempt", "ö", "a.", "x".repeat(JOB_NAME_MAX)]) {
      expect(isJobName(ok), ok).toBe(true);
    }
    const bad = [
      "",
      ".",
      "..",
      " ",
      "a/b",
      "a\\b",
      "a?b",
      "a#b",
      "a\nb",
      "a\u0085",
      "a\u2028",
      "\uD800",
      "x".repeat(261),
    ];
    for (const name of bad) expect(isJobName(name), JSON.stringify(name)).toBe(false);
  });
});

describe("run ids", () => {
  it("take 1-64 letters, digits and '-', starting with a letter or digit", () => {
    for (const ok of ["a", "20261121T232400Z-3f9a1c2b", "x".repeat(RUN_ID_MAX)])
      expect(isRunId(ok)).toBe(true);
    for (const bad of ["", "-a", "a.b", "a_b", "a b", "x".repeat(65), "../a"])
      expect(isRunId(bad)).toBe(false);
  });

  it("include every id newRunId makes", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2000-01-01Z"), max: new Date("2199-12-31Z"), noInvalidDate: true }),
        (d) => isRunId(newRunId(d)),
      ),
    );
  });

  it("are accepted alike by the queue messages, the run and audit keys and the audit query", () => {
    fc.assert(
      fc.property(runId, (id) => {
        expect(readRunMessage(JSON.stringify({ runId: id }))).toEqual({ runId: id });
        expect(
          readPartMessage({ runId: id, index: 0, subscriptions: [{ subscriptionId: SUB, slot: 0 }] }).runId,
        ).toBe(id);
        expect(() => descendingKey(id)).not.toThrow();
        expect(() => toAuditRows(auditEntry({ runId: id }))).not.toThrow();
        expect(parseAuditQuery({ runId: id }, new Date()).runId).toBe(id);
      }),
    );
  });

  it("are refused alike outside the rule", () => {
    for (const id of ["a.b", "a_b", "-a", "x".repeat(65)]) {
      expect(() => readRunMessage({ runId: id })).toThrow();
      expect(() => toAuditRows(auditEntry({ runId: id }))).toThrow(/runId/);
      expect(() => parseAuditQuery({ runId: id }, new Date())).toThrow(/runId/);
    }
  });
});

describe("job resource ids", () => {
  it("format then parse gives the parts back", () => {
    fc.assert(
      fc.property(jobRef, (ref) => {
        const id = formatJobResourceId(ref);
        expect(id.length).toBeLessThanOrEqual(JOB_ID_MAX);
        expect(parseJobResourceId(id)).toEqual(ref);
        expect(parseJobResourceId(`${id}/`)).toEqual(ref);
        expect(parseJobResourceId(id.slice(1))).toEqual(ref);
      }),
    );
  });

  it("parse the fixed segments in any case", () => {
    fc.assert(
      fc.property(jobRef, fc.boolean(), (ref, upper) => {
        const id = formatJobResourceId(ref).replace(
          /subscriptions|resourceGroups|providers|Microsoft\.ImportExport|jobs/g,
          (s) => (upper ? s.toUpperCase() : s.toLowerCase()),
        );
        const parsed = parseJobResourceId(id);
        expect(parsed?.subscriptionId).toBe(ref.subscriptionId);
        // The replacement may also touch the variable parts; compare those case-insensitively.
        expect(parsed?.resourceGroup.toLowerCase()).toBe(ref.resourceGroup.toLowerCase());
      }),
    );
  });

  it("refuse other shapes and parts outside their rules", () => {
    const good = formatJobResourceId({ subscriptionId: SUB, resourceGroup: "rg", name: "job" });
    for (const bad of [
      "",
      `/subscriptions/${SUB}`,
      good.replace("Microsoft.ImportExport", "Microsoft.DataBox"),
      good.replace("/jobs/", "/job/"),
      good.replace(SUB, "x"),
      good.replace("/rg/", "/rg./"),
      `${good}/extra`,
      `${good}//`,
      good.replace("/job", "/.."),
    ]) {
      expect(parseJobResourceId(bad), bad).toBeUndefined();
    }
    expect(parseJobResourceId(42)).toBeUndefined();
  });

  it("that the wire reader takes are the ids the audit query takes, and the other way round", () => {
    fc.assert(
      fc.property(jobRef, (ref) => {
        const id = formatJobResourceId(ref);
        const read = readJob({ id, name: ref.name, properties: { state: "Creating" } });
        expect(read.ok).toBe(true);
        expect(parseAuditQuery({ jobId: id }, new Date()).jobId).toBe(id.toLowerCase());
      }),
    );
  });

  it("outside the rules are malformed on the wire and refused by the audit query", () => {
    const id = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ImportExport/jobs/a\u0001b`;
    const read = readJob({ id, name: "a\u0001b", properties: { state: "Creating" } });
    expect(read.ok).toBe(false);
    expect(() => parseAuditQuery({ jobId: id }, new Date())).toThrow(/jobId/);
  });

  it("are matched by the audit query in the one spelling the audit log stores", () => {
    const id = formatJobResourceId({ subscriptionId: SUB, resourceGroup: "RG", name: "Job" });
    expect(parseAuditQuery({ jobId: `${id.slice(1)}/` }, new Date()).jobId).toBe(id.toLowerCase());
  });
});

describe("Data Box job resource ids", () => {
  it("format then parse gives the parts back, and the source-aware parser names the source", () => {
    fc.assert(
      fc.property(jobRef, (ref) => {
        const id = formatDataBoxJobResourceId(ref);
        expect(id.length).toBeLessThanOrEqual(DATABOX_JOB_ID_MAX);
        expect(id).toContain("/providers/Microsoft.DataBox/jobs/");
        expect(parseDataBoxJobResourceId(id)).toEqual(ref);
        expect(parseDataBoxJobResourceId(`${id}/`)).toEqual(ref);
        expect(parseSourcedJobResourceId(id)).toEqual({ source: "databox", ...ref });
        expect(parseSourcedJobResourceId(formatJobResourceId(ref))).toEqual({
          source: "importexport",
          ...ref,
        });
        expect(formatSourcedJobResourceId({ source: "databox", ...ref })).toBe(id);
      }),
    );
  });

  it("are not Import/Export ids and the other way round", () => {
    const ref = { subscriptionId: SUB, resourceGroup: "rg", name: "job" };
    expect(parseJobResourceId(formatDataBoxJobResourceId(ref))).toBeUndefined();
    expect(parseDataBoxJobResourceId(formatJobResourceId(ref))).toBeUndefined();
  });

  it("parse the fixed segments in any case (the spec's examples write resourcegroups)", () => {
    const id = `/SUBSCRIPTIONS/${SUB}/resourcegroups/rg/PROVIDERS/microsoft.databox/JOBS/job`;
    expect(parseDataBoxJobResourceId(id)).toEqual({ subscriptionId: SUB, resourceGroup: "rg", name: "job" });
  });

  it("refuse other shapes and parts outside their rules", () => {
    const good = formatDataBoxJobResourceId({ subscriptionId: SUB, resourceGroup: "rg", name: "job" });
    for (const bad of [
      "",
      good.replace("Microsoft.DataBox", "Microsoft.DataBoxEdge"),
      good.replace("/jobs/", "/orders/"),
      good.replace(SUB, "x"),
      good.replace("/rg/", "/rg./"),
      `${good}/cancel`,
      `${good}/listCredentials`,
      good.replace("/job", "/.."),
      good.replace("/job", "/a#b"),
    ]) {
      expect(parseDataBoxJobResourceId(bad), bad).toBeUndefined();
      expect(parseSourcedJobResourceId(bad), bad).toBeUndefined();
    }
    expect(parseSourcedJobResourceId(undefined)).toBeUndefined();
  });

  it("that the Data Box wire reader takes are exactly the ids the parser takes", () => {
    fc.assert(
      fc.property(jobRef, (ref) => {
        const id = formatDataBoxJobResourceId(ref);
        const read = readDataBoxJob({ id, name: ref.name, properties: { status: "Completed" } });
        expect(read.ok).toBe(true);
        expect(read.ok && read.job.source).toBe("databox");
      }),
    );
  });
});

function auditEntry(patch: Partial<AuditEntry>): AuditEntry {
  return {
    timestamp: "2026-11-21T23:24:00.000Z",
    runId: "r1",
    seq: 0,
    mode: "plan",
    trigger: "timer",
    actor: "timer",
    subscriptionId: SUB,
    action: "none",
    phase: "outcome",
    outcome: "skipped",
    reason: "no-rule",
    policyHash: "abc",
    ...patch,
  };
}
