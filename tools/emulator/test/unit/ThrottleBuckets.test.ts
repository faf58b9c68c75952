import { describe, expect, it } from "vitest";
import { ThrottleBuckets } from "../../src/ThrottleBuckets";

const bucket = { capacity: 3, refillPerSecond: 0.5 };
const settings = { reads: bucket, writes: bucket, deletes: { capacity: 1, refillPerSecond: 2 } };

describe("ThrottleBuckets", () => {
  it("counts down, refuses when empty with a Retry-After of at least a second, and refills with time", () => {
    let now = 0;
    const buckets = new ThrottleBuckets(settings, () => now);
    expect([1, 2, 3].map(() => buckets.take("sub", "reads"))).toEqual([
      { allowed: true, remaining: 2 },
      { allowed: true, remaining: 1 },
      { allowed: true, remaining: 0 },
    ]);
    expect(buckets.take("sub", "reads")).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 2 });
    now += 2_000;
    expect(buckets.take("sub", "reads")).toEqual({ allowed: true, remaining: 0 });
  });

  it("never says Retry-After 0, even for a fast refill", () => {
    let now = 0;
    const buckets = new ThrottleBuckets(settings, () => now);
    buckets.take("sub", "deletes");
    now += 100;
    expect(buckets.take("sub", "deletes")).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
  });

  it("keeps scopes and kinds apart, case-insensitively", () => {
    const buckets = new ThrottleBuckets(settings, () => 0);
    buckets.take("SUB", "deletes");
    expect(buckets.take("sub", "deletes").allowed).toBe(false);
    expect(buckets.take("other", "deletes").allowed).toBe(true);
    expect(buckets.take("sub", "writes")).toEqual({ allowed: true, remaining: 2 });
  });

  it("does not fill above capacity", () => {
    let now = 0;
    const buckets = new ThrottleBuckets(settings, () => now);
    buckets.take("sub", "reads");
    now += 3_600_000;
    expect(buckets.take("sub", "reads")).toEqual({ allowed: true, remaining: 2 });
  });

  it("when off, allows everything and reports ARM's full buckets", () => {
    const buckets = new ThrottleBuckets(false);
    for (let i = 0; i < 1000; i++)
      expect(buckets.take("sub", "writes")).toEqual({ allowed: true, remaining: 200 });
  });
});
