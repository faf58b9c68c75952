// The checks behind expectSafe, on planted trails: each kind of bad trail is caught, a good one passes.
import { describe, expect, it } from "vitest";
import type { LoggedRequest } from "../../tools/emulator/src/controlClient";
import { fullEntry, jobIdOf, SUB_A } from "./auditEntries";
import { isoMs, trailViolations, type StoredAuditEntry } from "./storedTrail";

const RUN = "20261121T100000Z-0a1b2c3d";
const JOB = jobIdOf(SUB_A, "rg-imports", "job-001");
const T0 = Date.parse("2026-11-21T10:00:00.000Z");
/** Azure Tables' 7-digit fractional seconds, at `ms` after T0. */
const stored = (ms: number) => new Date(T0 + ms).toISOString().replace("Z", "1234Z");
const received = (ms: number) => new Date(T0 + ms).toISOString();

function intent(storedMs: number, seq: number, extra: Partial<StoredAuditEntry> = {}): StoredAuditEntry {
  return {
    ...fullEntry({ runId: RUN, seq, phase: "intent", outcome: undefined, stateAfter: undefined }),
    storedAt: stored(storedMs),
    ...extra,
  };
}

function outcome(storedMs: number, seq: number, extra: Partial<StoredAuditEntry> = {}): StoredAuditEntry {
  return {
    ...fullEntry({ runId: RUN, seq, phase: "outcome", outcome: "succeeded" }),
    storedAt: stored(storedMs),
    ...extra,
  };
}

function request(seq: number, receivedMs: number, extra: Partial<LoggedRequest> = {}): LoggedRequest {
  return {
    seq,
    method: "DELETE",
    path: JOB,
    status: 200,
    at: "2030-01-01T00:00:00.000Z", // the emulator clock: never used for ordering
    receivedAt: received(receivedMs),
    ...extra,
  };
}

describe("trailViolations (the checks behind expectSafe)", () => {
  it("passes a good trail: intent stored, then the request, then one outcome", () => {
    const trail = [intent(0, 1), outcome(20, 2)];
    expect(trailViolations([request(1, 5), { ...request(2, 6), method: "GET" }], trail)).toEqual([]);
  });

  it("catches an intent stored after its request, even though its seq comes first", () => {
    // The entry was made first (seq 1) but written only after the delete had reached the service.
    const trail = [intent(30, 1), outcome(40, 2)];
    const violations = trailViolations([request(1, 10)], trail);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatch(/sent before its intent was stored/);
  });

  it("catches a request with no intent at all, and a write the janitor never sends", () => {
    const violations = trailViolations(
      [
        request(1, 10),
        request(2, 11, { method: "PUT" }),
        request(3, 12, { path: `/subscriptions/${SUB_A}` }),
      ],
      [],
    );
    expect(violations).toHaveLength(3);
    expect(violations[0]).toMatch(/no intent/);
    expect(violations[1]).toMatch(/no such write/);
  });

  it("ignores requests the test marks as someone else's", () => {
    expect(trailViolations([request(1, 10)], [], { foreign: (r) => r.seq === 1 })).toEqual([]);
  });

  it("catches an intent with two outcomes, and one with none", () => {
    expect(trailViolations([request(1, 5)], [intent(0, 1), outcome(20, 2), outcome(30, 3)])).toEqual([
      expect.stringMatching(/has 2 outcomes, expected exactly 1/),
    ]);
    expect(trailViolations([request(1, 5)], [intent(0, 1)])).toEqual([
      expect.stringMatching(/has 0 outcomes, expected exactly 1/),
    ]);
  });

  it("counts outcomes per intent: the next intent for the job starts a new window", () => {
    const other = jobIdOf(SUB_A, "rg-imports", "job-002");
    const good = [
      intent(0, 1),
      outcome(10, 2, { outcome: "failed" }),
      intent(20, 3),
      outcome(30, 4),
      intent(5, 5, { jobId: other, jobName: "job-002" }),
      outcome(6, 6, { jobId: other, jobName: "job-002" }),
    ];
    expect(trailViolations([], good)).toEqual([]);
    // A redelivery closes an interrupted intent (failed), then decides the job again (capped): a new decision.
    expect(
      trailViolations(
        [],
        [
          intent(0, 1),
          outcome(10, 2, { outcome: "failed" }),
          outcome(20, 3, { outcome: "deferred", reason: "cap-subscription" }),
        ],
      ),
    ).toEqual([]);
    // Both outcomes after the second intent: the first intent has none, the second two.
    const bad = [intent(0, 1), intent(20, 3), outcome(30, 2, { outcome: "failed" }), outcome(31, 4)];
    expect(trailViolations([], bad)).toEqual([
      expect.stringMatching(/seq 1,.* has 0 outcomes/),
      expect.stringMatching(/seq 3,.* has 2 outcomes/),
    ]);
  });

  it("orders by stored time, not seq: an outcome stored before its intent belongs to no intent", () => {
    const violations = trailViolations([], [outcome(0, 2), intent(10, 1)]);
    expect(violations).toEqual([
      expect.stringMatching(/has 0 outcomes/),
      expect.stringMatching(/succeeded delete .* has no intent stored before it/),
    ]);
  });

  it("catches one intent answered by two requests the service handled, but not retries it refused", () => {
    const trail = [intent(0, 1), outcome(50, 2)];
    const throttledThenSent = [
      request(1, 5, { status: 429 }),
      request(2, 10, { status: 0, fault: true }),
      request(3, 20),
    ];
    expect(trailViolations(throttledThenSent, trail)).toEqual([]);
    expect(trailViolations([request(1, 5), request(2, 20, { status: 404 })], trail)).toEqual([
      expect.stringMatching(/sent 2 times: requests 1, 2/),
    ]);
  });

  it("matches a cancel (PATCH) to a cancel intent only, and job ids case-insensitively", () => {
    const cancel = { action: "cancel" as const };
    const trail = [intent(0, 1, cancel), outcome(20, 2, cancel)];
    expect(trailViolations([request(1, 5, { method: "PATCH", path: JOB.toUpperCase() })], trail)).toEqual([]);
    expect(trailViolations([request(1, 5)], trail)).toEqual([expect.stringMatching(/no intent/)]);
  });

  it("reads Azure Tables' 7-digit times to the millisecond, and refuses anything but UTC ISO 8601", () => {
    expect(isoMs("2026-11-21T10:00:00.1239999Z")).toBe(T0 + 123);
    expect(isoMs("2026-11-21T10:00:00Z")).toBe(T0);
    expect(() => isoMs("2026-11-21T10:00:00+01:00")).toThrow(/not a UTC/);
  });
});
