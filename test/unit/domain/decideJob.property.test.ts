// Property-based safety tests of the decisions (issue 4 acceptance): over random jobs, policies, observations and
// clocks, the janitor never asks for an action the service or the policy forbids.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ageInState } from "../../../src/domain/ageInState";
import { decideJob } from "../../../src/domain/decideJob";
import { parseDurationMs } from "../../../src/domain/duration";
import { globMatches } from "../../../src/domain/glob";
import type { JobSnapshot } from "../../../src/domain/job";
import { actionableState, canonicalState, STATE_NAMES } from "../../../src/domain/jobStates";
import { validatePolicy, type Policy } from "../../../src/domain/policy";
import type { Observation } from "../../../src/domain/records";
import { parseRfc3339 } from "../../../src/domain/rfc3339";
import { classicJob, dataBoxJob, job, now, observationOf, policyDocument } from "./policyArbitraries";

const policy = policyDocument.map((doc) => validatePolicy(doc));

/** A job whose state and type one of the policy's rules names, so that the rules and guards get exercised. */
const targetedJob = (p: Policy): fc.Arbitrary<JobSnapshot> =>
  p.rules.length === 0
    ? job
    : fc.constantFrom(...p.rules).chain((rule) =>
        fc
          .tuple(
            fc.constantFrom(...rule.sources).chain((src) => (src === "databox" ? dataBoxJob : classicJob)),
            fc.constantFrom(...rule.states),
            fc.constantFrom(...rule.jobTypes),
          )
          .map(([j, state, jobType]) => ({ ...j, state, jobType })),
      );

/** A job, a policy, a clock and maybe what the janitor stored about the job. */
const sighting = policy
  .chain((p) => fc.tuple(fc.constant(p), fc.oneof(job, targetedJob(p)), now))
  .chain(([p, j, n]) => observationOf(j).map((o) => ({ job: j, policy: p, now: n, observation: o })));

// Independent statements of the rules, written from docs/policy.md and docs/service.md#state-rules rather than from the code.
const DELETE_STATES = ["creating", "completed"];
const CANCEL_STATES = ["creating", "shipping", "received", "transferring"];
// Data Box customer-disk jobs: delete in the terminal stages, cancel before anything ships, each only with the
// service's own flag saying yes.
const DATABOX_DELETE_STAGES = [
  "completed",
  "completedwitherrors",
  "completedwithwarnings",
  "cancelled",
  "aborted",
];
const DATABOX_CANCEL_STAGES = ["deviceordered", "awaitingshipmentdetails"];
const lower = (s: string) => s.trim().toLowerCase();

function inScope(j: JobSnapshot, p: Policy): boolean {
  const sub = lower(j.subscriptionId);
  const listed = (ids: string[]) => ids.some((id) => id === "*" || lower(id) === sub);
  if (j.source === "databox" && j.sku !== "DataBoxCustomerDisk") return false;
  return (
    listed(p.scope.subscriptions) &&
    !listed(p.scope.excludeSubscriptions) &&
    p.scope.resourceGroups.some((g) => globMatches(g, j.resourceGroup)) &&
    !p.scope.excludeResourceGroups.some((g) => globMatches(g, j.resourceGroup)) &&
    p.scope.jobTypes.some((t) => lower(t) === lower(j.jobType))
  );
}

function exempt(j: JobSnapshot, p: Policy): boolean {
  const byTag = Object.entries(j.tags).some(([k, v]) =>
    Object.entries(p.exemptions.tags).some(([ek, ev]) => lower(ek) === lower(k) && lower(ev) === lower(v)),
  );
  return byTag || p.exemptions.jobNames.some((n) => globMatches(n, j.name));
}

function firstRule(j: JobSnapshot, p: Policy) {
  return p.rules.find(
    (r) =>
      r.enabled &&
      r.sources.includes(j.source) &&
      r.states.some((s) => lower(s) === lower(j.state)) &&
      r.jobTypes.some((t) => lower(t) === lower(j.jobType)),
  );
}

describe("decideJob (properties)", () => {
  it("never deletes outside Creating and Completed (Closed only with the guard); a Data Box job only when terminal, a customer-disk job, and isDeletable", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, policy: p, now: n, observation: o }) => {
        const d = decideJob(j, { policy: p, now: n, observation: o });
        if (d.eligible && d.action === "delete") {
          if (j.source === "databox") {
            expect(DATABOX_DELETE_STAGES).toContain(lower(j.state));
            expect(j.isDeletable).toBe(true);
            expect(j.sku).toBe("DataBoxCustomerDisk");
            return;
          }
          const closedOk = p.guards.closedCountsAsCompleted && lower(j.state) === "closed";
          expect(DELETE_STATES.includes(lower(j.state)) || closedOk).toBe(true);
        }
      }),
    );
  });

  it("never cancels at or after Packaging, or when a cancel was already requested; a Data Box job only before shipping, a customer-disk job, and isCancellable", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, policy: p, now: n, observation: o }) => {
        const d = decideJob(j, { policy: p, now: n, observation: o });
        if (d.eligible && d.action === "cancel") {
          if (j.source === "databox") {
            expect(DATABOX_CANCEL_STAGES).toContain(lower(j.state));
            expect(j.isCancellable).toBe(true);
            expect(j.sku).toBe("DataBoxCustomerDisk");
            return;
          }
          expect(CANCEL_STATES).toContain(lower(j.state));
          expect(j.cancelRequested).not.toBe(true);
        }
      }),
    );
  });

  it("is eligible only with an action, and never acts on an out-of-scope, exempt or unknown-state job", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, policy: p, now: n, observation: o }) => {
        const d = decideJob(j, { policy: p, now: n, observation: o });
        if (d.eligible) expect(d.action).not.toBe("none");
        const options = { closedCountsAsCompleted: p.guards.closedCountsAsCompleted };
        if (!inScope(j, p))
          expect(d).toMatchObject({ action: "none", reason: "out-of-scope", eligible: false });
        else if (exempt(j, p)) expect(d).toMatchObject({ action: "none", eligible: false });
        else if (canonicalState(j.state, j.source) === undefined) {
          expect(d).toMatchObject({ action: "none", reason: "unknown-state", eligible: false });
        } else if (actionableState(j.state, options, j.source) === undefined) {
          // Closed without closedCountsAsCompleted: documented, but no rule may act in it.
          expect(d).toMatchObject({ action: "none", reason: "no-rule", eligible: false });
        }
        if (d.reason === "unknown-state") expect(canonicalState(j.state, j.source)).toBeUndefined();
        if (d.reason === "exempt-tag" || d.reason === "exempt-name") expect(exempt(j, p)).toBe(true);
      }),
    );
  });

  it("never acts on a job younger than its rule's olderThan, by the evidence", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, policy: p, now: n, observation: o }) => {
        const d = decideJob(j, { policy: p, now: n, observation: o });
        if (!d.eligible) return;
        const rule = p.rules.find((r) => r.name === d.rule)!;
        const age = ageInState(j, n, o);
        expect(age.ageMs).toBeGreaterThanOrEqual(parseDurationMs(rule.olderThan));
        expect(d.ageBasis).toBe(age.basis);
      }),
    );
  });

  it("never acts on a Creating job with a tracking number while the guard is on", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, policy: p, now: n, observation: o }) => {
        const d = decideJob(j, { policy: p, now: n, observation: o });
        if (
          j.source === "importexport" &&
          canonicalState(j.state, j.source) === "Creating" &&
          j.hasDeliveryTrackingNumber &&
          p.guards.skipCreatingWithTrackingNumber
        ) {
          expect(d.eligible).toBe(false);
        }
      }),
    );
  });

  it("never acts before the job has been eligible for the grace period, by a stored mark of this state", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, policy: p, now: n, observation: o }) => {
        const d = decideJob(j, { policy: p, now: n, observation: o });
        const graceMs = parseDurationMs(p.guards.gracePeriod);
        if (!d.eligible || graceMs === 0) return;
        expect(o).toBeDefined();
        expect(lower(o!.state)).toBe(lower(j.state));
        // ...made under the same rule and action, for the same job instance.
        expect(o!.eligibleRule).toBe(d.rule);
        expect(o!.eligibleAction).toBe(d.action);
        expect(parseRfc3339(o!.jobCreatedAt)).toBe(parseRfc3339(j.createdAt));
        expect(n.getTime() - Date.parse(o!.firstEligibleAt!)).toBeGreaterThanOrEqual(graceMs);
      }),
    );
  });

  it("rests an age on a service timestamp only when it is RFC 3339 with an offset, and on the newest one", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, now: n, observation: o }) => {
        const age = ageInState(j, n, o);
        const field = {
          "systemData.createdAt": j.createdAt,
          "systemData.lastModifiedAt": j.lastModifiedAt,
          "returnPackage.shipDate": j.returnShipDate,
          startTime: j.startTime,
        } as const;
        if (age.basis === "first-observed" && j.source === "databox") {
          const stage = canonicalState(j.state, j.source);
          if (stage === "DeviceOrdered" || stage === "AwaitingShipmentDetails") {
            expect(parseRfc3339(j.createdAt)).toBeUndefined();
            expect(parseRfc3339(j.startTime)).toBeUndefined();
          } else expect(parseRfc3339(j.lastModifiedAt)).toBeUndefined();
          return;
        }
        if (age.basis === "first-observed") {
          const state = canonicalState(j.state, j.source);
          if (state === "Creating") expect(parseRfc3339(j.createdAt)).toBeUndefined();
          else if (state !== undefined) expect(parseRfc3339(j.lastModifiedAt)).toBeUndefined();
          if (state === "Completed") expect(parseRfc3339(j.returnShipDate)).toBeUndefined();
          return;
        }
        const used = parseRfc3339(field[age.basis]);
        expect(used).toBeDefined();
        expect(age.ageMs).toBe(Math.max(0, n.getTime() - used!));
        if (j.source === "importexport" && canonicalState(j.state, j.source) === "Completed") {
          for (const other of [j.lastModifiedAt, j.returnShipDate]) {
            expect(parseRfc3339(other) ?? -Infinity).toBeLessThanOrEqual(used!);
          }
        }
      }),
    );
  });

  it("lets the first matching enabled rule decide", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, policy: p, now: n, observation: o }) => {
        const d = decideJob(j, { policy: p, now: n, observation: o });
        const options = { closedCountsAsCompleted: p.guards.closedCountsAsCompleted };
        const considered =
          inScope(j, p) && !exempt(j, p) && actionableState(j.state, options, j.source) !== undefined;
        const rule = considered ? firstRule(j, p) : undefined;
        if (inScope(j, p) && !exempt(j, p) && canonicalState(j.state, j.source) === "Closed" && !considered)
          expect(d).toMatchObject({ action: "none", reason: "no-rule" });
        if (!considered) expect(d.rule).toBeUndefined();
        else if (rule === undefined) expect(d).toMatchObject({ action: "none", reason: "no-rule" });
        else expect(d).toMatchObject({ rule: rule.name, action: rule.action });
      }),
    );
  });

  it("returns an observation of this job in its state, never dated after now, marked only while eligible", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, policy: p, now: n, observation: o }) => {
        const d = decideJob(j, { policy: p, now: n, observation: o });
        const kept = d.observation;
        if (d.reason === "grace-period" || d.eligible) expect(kept?.firstEligibleAt).toBeDefined();
        if (kept === undefined) return;
        expect(kept.jobId).toBe(j.id.toLowerCase());
        expect(lower(kept.state)).toBe(lower(j.state));
        expect(Date.parse(kept.firstSeenInStateAt)).toBeLessThanOrEqual(n.getTime());
        if (kept.firstEligibleAt !== undefined) {
          expect(d.reason === "grace-period" || d.eligible).toBe(true);
          expect(Date.parse(kept.firstEligibleAt)).toBeLessThanOrEqual(n.getTime());
        }
        if (o !== undefined && lower(o.state) !== lower(j.state))
          expect(kept.firstSeenInStateAt).toBe(n.toISOString());
      }),
    );
  });

  it("never asks for a forbidden action even from a hand-built policy that skipped validation", () => {
    // Rules that name every state, including those where the service forbids the action.
    const reckless = fc
      .tuple(sighting, fc.constantFrom("delete" as const, "cancel" as const))
      .map(([x, action]) => {
        const p = structuredClone(x.policy);
        p.rules.unshift({
          ...(p.rules[0] ?? { name: "all", olderThan: "PT0S", jobTypes: ["Import", "Export"] }),
          name: "all",
          enabled: true,
          states: [...STATE_NAMES],
          sources: ["databox", "importexport"],
          action,
        });
        return { ...x, policy: p };
      });
    fc.assert(
      fc.property(reckless, ({ job: j, policy: p, now: n, observation: o }) => {
        const d = decideJob(j, { policy: p, now: n, observation: o });
        if (!d.eligible) return;
        if (j.source === "databox") {
          expect(j.sku).toBe("DataBoxCustomerDisk");
          if (d.action === "delete") expect(DATABOX_DELETE_STAGES).toContain(lower(j.state));
          if (d.action === "delete") expect(j.isDeletable).toBe(true);
          if (d.action === "cancel") expect(DATABOX_CANCEL_STAGES).toContain(lower(j.state));
          if (d.action === "cancel") expect(j.isCancellable).toBe(true);
          return;
        }
        const closedOk = p.guards.closedCountsAsCompleted && lower(j.state) === "closed";
        if (d.action === "delete") expect(DELETE_STATES.includes(lower(j.state)) || closedOk).toBe(true);
        if (d.action === "cancel") expect(CANCEL_STATES).toContain(lower(j.state));
      }),
    );
  });

  it("is pure: same answer twice, inputs untouched", () => {
    fc.assert(
      fc.property(sighting, ({ job: j, policy: p, now: n, observation: o }) => {
        const before = JSON.stringify([j, p, n, o]);
        const first = decideJob(j, { policy: p, now: n, observation: o });
        expect(decideJob(j, { policy: p, now: n, observation: o })).toEqual(first);
        expect(JSON.stringify([j, p, n, o])).toBe(before);
      }),
    );
  });

  it("over a series of sightings, acts only after an unbroken run of eligibility under one rule as long as the grace period", () => {
    const series = fc.tuple(
      job,
      policy,
      fc.array(
        fc.record({
          hours: fc.integer({ min: 0, max: 30 }),
          tracking: fc.boolean(),
          exemptTag: fc.boolean(),
          // A plan under a trial policy (the same rules under other names) sharing the observation table.
          trial: fc.boolean(),
        }),
        {
          minLength: 1,
          maxLength: 8,
        },
      ),
    );
    fc.assert(
      fc.property(series, ([j, p, steps]) => {
        let t = Date.parse("2025-06-01T00:00:00Z");
        let stored: Observation | undefined;
        let runStart: number | undefined; // first sighting of the current unbroken eligible run
        let runKey: string | undefined; // ...under this rule and action
        const graceMs = parseDurationMs(p.guards.gracePeriod);
        const trial: Policy = { ...p, rules: p.rules.map((r) => ({ ...r, name: `trial-${r.name}` })) };
        for (const step of steps) {
          t += step.hours * 3_600_000;
          const seen: JobSnapshot = {
            ...j,
            hasDeliveryTrackingNumber: step.tracking,
            tags: step.exemptTag ? { janitor: "exempt" } : {},
          };
          const d = decideJob(seen, {
            policy: step.trial ? trial : p,
            now: new Date(t),
            observation: stored,
          });
          const eligibleNow = d.eligible || d.reason === "grace-period";
          const key = eligibleNow ? `${d.rule}/${d.action}` : undefined;
          runStart = eligibleNow && key === runKey ? (runStart ?? t) : eligibleNow ? t : undefined;
          runKey = key;
          if (d.eligible) expect(t - runStart!).toBeGreaterThanOrEqual(graceMs);
          if (d.reason === "grace-period") expect(t - runStart!).toBeLessThan(graceMs);
          stored = d.observation;
        }
      }),
    );
  });
});
