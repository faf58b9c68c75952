import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { breakerTrips, capReason, subscriptionAllowance } from "../../../src/domain/actionLimits";

const limitsArb = fc.record({
  maxActionsPerRun: fc.integer({ min: 0, max: 50 }),
  maxActionsPerSubscription: fc.integer({ min: 0, max: 50 }),
  maxEligibleFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  minJobsForFraction: fc.integer({ min: 0, max: 50 }),
});

describe("breakerTrips", () => {
  it("trips at exactly minJobsForFraction jobs, not only above it", () => {
    const limits = {
      maxActionsPerRun: 9,
      maxActionsPerSubscription: 9,
      maxEligibleFraction: 0.5,
      minJobsForFraction: 10,
    };
    expect(breakerTrips(6, 10, limits)).toBe(true);
    expect(breakerTrips(6, 9, limits)).toBe(false);
    expect(breakerTrips(5, 10, limits)).toBe(false); // exactly the fraction is allowed
  });

  it("trips exactly when there are enough jobs and more than the fraction is eligible", () => {
    fc.assert(
      fc.property(limitsArb, fc.nat(200), fc.nat(200), (limits, a, b) => {
        const jobs = Math.max(a, b);
        const eligible = Math.min(a, b);
        const expected =
          jobs >= limits.minJobsForFraction && jobs > 0 && eligible / jobs > limits.maxEligibleFraction;
        expect(breakerTrips(eligible, jobs, limits)).toBe(expected);
      }),
    );
  });
});

describe("caps", () => {
  it("never lets the actions of a subscription over all deliveries exceed its cap", () => {
    fc.assert(
      fc.property(limitsArb, fc.array(fc.nat(30), { maxLength: 6 }), (limits, deliveries) => {
        // Each delivery sees some candidates and may act on its allowance; what it starts adds up.
        let started = 0;
        for (const candidates of deliveries) started += subscriptionAllowance(candidates, started, limits);
        expect(started).toBeLessThanOrEqual(limits.maxActionsPerSubscription);
      }),
    );
  });

  it("defers candidates beyond the allowance as cap-subscription and beyond the grant as cap-run", () => {
    fc.assert(
      fc.property(fc.nat(40), fc.nat(40), fc.nat(40), (candidates, allowanceRaw, grantedRaw) => {
        const allowance = Math.min(candidates, allowanceRaw);
        const granted = Math.min(allowance, grantedRaw);
        const reasons = Array.from({ length: candidates }, (_, i) => capReason(i, allowance, granted));
        expect(reasons.filter((r) => r === undefined)).toHaveLength(granted);
        expect(reasons.filter((r) => r === "cap-run")).toHaveLength(allowance - granted);
        expect(reasons.filter((r) => r === "cap-subscription")).toHaveLength(candidates - allowance);
        // In decision order: the first `granted` go ahead.
        expect(reasons.slice(0, granted).every((r) => r === undefined)).toBe(true);
      }),
    );
  });

  it("gives a redelivered part what is left of the cap, never a fresh one", () => {
    const limits = { maxActionsPerSubscription: 10 };
    expect(subscriptionAllowance(10, 8, limits)).toBe(2);
    expect(subscriptionAllowance(10, 12, limits)).toBe(0);
    expect(subscriptionAllowance(3, 0, limits)).toBe(3);
  });
});
