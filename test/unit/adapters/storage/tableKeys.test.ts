import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  entryRowKey,
  isLegacyTimePartition,
  legacyTimePartition,
  runPartition,
  runPartitionPrefix,
  TIME_PARTITION_END,
  timePartition,
} from "../../../../src/adapters/storage/auditEntity";
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

  it("spell one partition per UTC second: inverted day, inverted second of the day, readable time", () => {
    // 2026-11-21 is day 20778 since the epoch: 999999 - 20778 = 979221; 20:14:00 is second 72840: 86399 - 72840.
    expect(timePartition(Date.parse("2026-11-21T20:14:00.000Z"))).toBe("t979221!13559-20261121T201400");
    expect(timePartition(Date.parse("2026-11-21T20:14:00.999Z"))).toBe("t979221!13559-20261121T201400");
    expect(timePartition(Date.parse("2026-11-21T00:00:00.000Z"))).toBe("t979221!86399-20261121T000000");
    expect(timePartition(Date.parse("2026-11-21T23:59:59.999Z"))).toBe("t979221!00000-20261121T235959");
    // Across midnight: the next day's first second sorts before the day's last.
    expect(timePartition(Date.parse("2026-11-22T00:00:00.000Z"))).toBe("t979220!86399-20261122T000000");
    expect(timePartition(Date.parse("2000-01-01T00:00:00.000Z"))).toBe("t989042!86399-20000101T000000");
    expect(timePartition(Date.parse("2199-12-31T23:59:59.999Z"))).toBe("t915994!00000-21991231T235959");
    expect(legacyTimePartition(Date.parse("2026-11-20T12:00:00Z"))).toBe("t979222-20261120");
    expect(isLegacyTimePartition("t979222-20261120")).toBe(true);
    expect(isLegacyTimePartition("t979221!13559-20261121T201400")).toBe(false);
  });

  it("sort every per-second partition of a day between the next day's legacy partition and its own", () => {
    const day = fc.integer({ min: 10_957, max: 84_004 }); // days of 2000-2199
    const second = fc.integer({ min: 0, max: 86_399 });
    const milli = fc.integer({ min: 0, max: 999 });
    fc.assert(
      fc.property(day, second, milli, (d, s, m) => {
        const ms = d * 86_400_000 + s * 1000 + m;
        const partition = timePartition(ms);
        expect(partition < legacyTimePartition(ms)).toBe(true);
        expect(partition > legacyTimePartition(ms + 86_400_000)).toBe(true);
        expect(partition > "t" && partition < TIME_PARTITION_END).toBe(true);
      }),
    );
  });

  it("order (partition, RowKey) like RowKey alone, for time and run copies", () => {
    const ms = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2199, 11, 31) });
    const seq = fc.integer({ min: 0, max: 1e9 });
    // Nearby instants too, so that many pairs share a second.
    const near = fc.tuple(ms, fc.integer({ min: -3000, max: 3000 })).map(([a, d]) => [a, a + d] as const);
    const pairs = fc.oneof(fc.tuple(ms, ms), near);
    fc.assert(
      fc.property(pairs, seq, seq, ([a, b], seqA, seqB) => {
        fc.pre(a < b);
        // b is newer: its partitions sort no later, and its full key earlier, as its RowKey does.
        expect(timePartition(b) <= timePartition(a)).toBe(true);
        expect(runPartition("run-1", b) <= runPartition("run-1", a)).toBe(true);
        const rkA = entryRowKey(a, "run-1", seqA);
        const rkB = entryRowKey(b, "run-1", seqB);
        expect(rkB < rkA).toBe(true);
        const pkOrder = (pa: string, pb: string) => pb < pa || (pb === pa && rkB < rkA);
        expect(pkOrder(timePartition(a), timePartition(b))).toBe(true);
        expect(pkOrder(runPartition("run-1", a), runPartition("run-1", b))).toBe(true);
      }),
    );
  });

  it("keep each run's partitions within its own prefix range, apart from every other run's", () => {
    const id = fc.stringMatching(RUN_ID_PATTERN);
    const ms = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2199, 11, 31) });
    fc.assert(
      fc.property(id, id, ms, (a, b, at) => {
        const prefix = runPartitionPrefix(a);
        const inRange = (pk: string) => pk >= prefix && pk < `${prefix}~`;
        expect(inRange(runPartition(a, at))).toBe(true);
        if (a !== b) expect(inRange(runPartition(b, at))).toBe(false);
        expect(inRange(`r-${a}`)).toBe(false); // the legacy partition is read on its own
      }),
    );
    expect(runPartition("run-1", Date.parse("2026-11-21T20:14:00.500Z"))).toBe("r!run-1!98204707959");
    expect(() => runPartitionPrefix("a!b")).toThrow(/runId must be/);
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
