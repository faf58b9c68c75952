import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { entryRowKey, timePartition } from "../../../../src/adapters/storage/auditEntity";
import { newRunId } from "../../../../src/adapters/storage";
import { descendingKey, encodeKeyPart, invertedMs } from "../../../../src/adapters/storage/tableKeys";
import { RUN_ID_PATTERN } from "../../../../src/domain/armIds";

// Characters the service refuses in keys (docs/service.md#table-storage-and-azurite).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

describe("encodeKeyPart", () => {
  it("never yields a character the service refuses in keys, and stays short", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => {
        const key = encodeKeyPart(text);
        expect(key).not.toMatch(FORBIDDEN);
        expect(key).not.toContain("'");
        expect(key.length).toBeLessThanOrEqual(402);
      }),
    );
  });

  it("spells different texts differently", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 60 }),
        fc.string({ unit: "grapheme", maxLength: 60 }),
        (a, b) => {
          fc.pre(a !== b);
          expect(encodeKeyPart(a)).not.toBe(encodeKeyPart(b));
        },
      ),
    );
  });

  it("keeps plain ids readable and escapes the rest", () => {
    expect(encodeKeyPart("run-1.a_b")).toBe("run-1.a_b");
    expect(encodeKeyPart("/a#b?c\\d'é")).toBe("!2Fa!23b!3Fc!5Cd!27!C3!A9");
    expect(encodeKeyPart("x".repeat(1000))).toMatch(/^!h[0-9a-f]{64}$/);
  });
});

describe("time keys", () => {
  it("sort newer entries first, across days, by RowKey alone and by partition", () => {
    const ms = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2199, 11, 31) });
    fc.assert(
      fc.property(
        ms,
        ms,
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 0, max: 1e9 }),
        (a, b, seqA, seqB) => {
          fc.pre(a !== b);
          const [newer, older] = a > b ? [a, b] : [b, a];
          expect(entryRowKey(newer, "r", seqA) < entryRowKey(older, "r", seqB)).toBe(true);
          expect(timePartition(newer) <= timePartition(older)).toBe(true);
          expect(invertedMs(newer) < invertedMs(older)).toBe(true);
        },
      ),
    );
  });

  it("puts a later seq of one run first within one millisecond", () => {
    expect(entryRowKey(1000, "run", 2) < entryRowKey(1000, "run", 1)).toBe(true);
  });
});

describe("run ids", () => {
  it("are sortable by time, unique and key-safe", () => {
    const a = newRunId(new Date("2026-11-21T23:24:00.123Z"));
    const b = newRunId(new Date("2026-11-21T23:24:01Z"));
    expect(a).toMatch(/^20261121T232400Z-[0-9a-f]{8}$/);
    expect(RUN_ID_PATTERN.test(a)).toBe(true);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => newRunId(new Date()))).size).toBe(1000);
  });

  it("map to keys in the opposite order, a longer id before its own prefix", () => {
    const id = fc.stringMatching(RUN_ID_PATTERN);
    fc.assert(
      fc.property(id, id, (a, b) => {
        fc.pre(a !== b);
        expect(a < b).toBe(descendingKey(a) > descendingKey(b));
      }),
    );
  });
});
