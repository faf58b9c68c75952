import { describe, expect, it } from "vitest";
import { ArmCaller } from "../../../src/engine/armCaller";
import { ArmPacer } from "../../../src/engine/pacing/armPacer";
import { TokenBucket } from "../../../src/engine/pacing/tokenBucket";
import type { ArmResult } from "../../../src/engine/ports";

/** A clock that only moves when sleep is called, so pacing is checked without waiting. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    advance: (ms: number) => (now += ms),
  };
}

describe("TokenBucket", () => {
  it("gives its capacity at once, then one token per refill interval", () => {
    const t = fakeTime();
    const bucket = new TokenBucket(3, 10, t.now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([0, 0, 0]);
    expect(bucket.tryTake()).toBe(100);
    t.advance(100);
    expect(bucket.tryTake()).toBe(0);
  });

  it("never believes it has more tokens than the service says remain", () => {
    const t = fakeTime();
    const bucket = new TokenBucket(250, 25, t.now);
    bucket.capAt(2);
    expect(bucket.available()).toBe(2);
    bucket.capAt(100); // a higher figure does not add tokens
    expect(bucket.available()).toBe(2);
  });
});

describe("ArmPacer", () => {
  it("paces a burst beyond the bucket at the refill rate", async () => {
    // Prepare
    const t = fakeTime();
    const pacer = new ArmPacer(
      {
        read: { capacity: 5, refillPerSecond: 5 },
        write: { capacity: 1, refillPerSecond: 1 },
        delete: { capacity: 1, refillPerSecond: 1 },
      },
      t.sleep,
      t.now,
    );
    // Act
    let waited = 0;
    for (let i = 0; i < 15; i++) if (await pacer.acquire("sub", "read")) waited++;
    // Assess: 5 at once, then 10 more at 5/s = 2 s
    expect(t.now()).toBe(2000);
    expect(waited).toBe(10);
  });

  it("keeps subscriptions and operation kinds apart", async () => {
    const t = fakeTime();
    const pacer = new ArmPacer(
      {
        read: { capacity: 1, refillPerSecond: 1 },
        write: { capacity: 1, refillPerSecond: 1 },
        delete: { capacity: 1, refillPerSecond: 1 },
      },
      t.sleep,
      t.now,
    );
    await pacer.acquire("a", "read");
    await pacer.acquire("b", "read");
    await pacer.acquire("a", "delete");
    expect(t.now()).toBe(0);
  });
});

describe("ArmCaller", () => {
  const ok: ArmResult<string> = { ok: true, value: "x", status: 200, remaining: {} };
  const throttled = (retryAfterMs?: number): ArmResult<string> => ({
    ok: false,
    failure: { kind: "throttled", status: 429, retryAfterMs },
    remaining: {},
  });
  const transient: ArmResult<string> = {
    ok: false,
    failure: { kind: "transient", status: 503 },
    remaining: {},
  };

  function caller(deadlineMs: number) {
    const t = fakeTime();
    const pacer = new ArmPacer(false, t.sleep, t.now);
    return { t, arm: new ArmCaller(pacer, deadlineMs, undefined, t.sleep, t.now) };
  }

  it("waits out a Retry-After that fits the deadline, then succeeds", async () => {
    const { t, arm } = caller(60_000);
    const answers = [throttled(5_000), ok];
    const result = await arm.call("s", "read", async () => answers.shift()!);
    expect(result.ok).toBe(true);
    expect(t.sleeps).toEqual([5_000]);
    expect(arm.stats).toMatchObject({ throttled: 1, retries: 1, requests: { read: 2 } });
  });

  it("does not wait a Retry-After beyond the deadline: returns the 429", async () => {
    const { t, arm } = caller(10_000);
    const result = await arm.call("s", "read", async () => throttled(3_600_000));
    expect(result.ok).toBe(false);
    expect(t.sleeps).toEqual([]);
  });

  it("backs off on its own after a 429 without Retry-After", async () => {
    const { t, arm } = caller(600_000);
    const answers = [throttled(undefined), throttled(undefined), ok];
    const result = await arm.call("s", "delete", async () => answers.shift()!);
    expect(result.ok).toBe(true);
    expect(t.sleeps).toHaveLength(2);
    expect(t.sleeps[0]).toBeGreaterThanOrEqual(500);
    expect(t.sleeps[1]!).toBeGreaterThanOrEqual(1_000);
  });

  it("retries transient errors on reads, a bounded number of times", async () => {
    const { arm } = caller(600_000);
    let calls = 0;
    const result = await arm.call("s", "read", async () => {
      calls++;
      return transient;
    });
    expect(result.ok).toBe(false);
    expect(calls).toBe(4);
  });

  it("does not resend an action after a transient error (the engine re-reads instead)", async () => {
    const { arm } = caller(600_000);
    let calls = 0;
    await arm.call("s", "delete", async () => (calls++, transient), { retryTransient: false });
    expect(calls).toBe(1);
  });
});
