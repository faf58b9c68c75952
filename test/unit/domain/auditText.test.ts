import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toAuditRows } from "../../../src/adapters/storage/auditEntity";
import { auditSafe, cleanText, cutAtCodePoint } from "../../../src/domain/auditText";
import type { AuditEntry } from "../../../src/domain/records";

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const entry = (fields: Partial<AuditEntry>): AuditEntry => ({
  timestamp: "2026-12-01T00:00:00.000Z",
  runId: "run-1",
  seq: 1,
  trigger: "http",
  mode: "plan",
  actor: "http:function-key",
  subscriptionId: "11111111-1111-4111-8111-111111111111",
  action: "none",
  phase: "outcome",
  outcome: "skipped",
  reason: "unknown-state",
  policyHash: "abc",
  ...fields,
});

describe("cleanText", () => {
  it("never ends inside a surrogate pair", () => {
    const name = `${"a".repeat(127)}\u{1F600}`;
    const cut = cutAtCodePoint(name, 128);
    expect(cut).toBe("a".repeat(127));
    expect(LONE.test(cut)).toBe(false);
  });

  it("removes control characters and replaces lone surrogates", () => {
    expect(cleanText("Comp\tleted\u0000", 64)).toBe("Completed");
    expect(cleanText("a\uD800b", 64)).toBe("a\uFFFDb");
  });
});

describe("auditSafe", () => {
  it("makes any text from the service or a caller acceptable to the audit store", () => {
    const text = fc.string({ unit: "binary", maxLength: 300 });
    fc.assert(
      fc.property(
        text,
        text,
        text,
        text,
        text,
        (actor, stateBefore, jobName, resourceGroup, errorMessage) => {
          const safe = auditSafe(entry({ actor, stateBefore, jobName, resourceGroup, errorMessage }));
          expect(() => toAuditRows(safe)).not.toThrow();
          expect(safe.actor.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it("keeps ordinary values as they are", () => {
    const plain = entry({ jobName: "draft-1", stateBefore: "Creating", resourceGroup: "rg-(prod).eu" });
    expect(auditSafe(plain)).toEqual(plain);
  });
});
