import { describe, expect, it } from "vitest";
import {
  decideJob,
  isActionable,
  recheckBeforeAction,
  type JobDecision,
} from "../../../src/domain/decideJob";
import { DEFAULT_POLICY, validatePolicy, type Policy } from "../../../src/domain/policy";
import type { Observation } from "../../../src/domain/records";
import { aJob, anObservation, daysAgo, NOW, SUB } from "./jobFixtures";

const NO_GRACE: Policy = validatePolicy({
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
    { name: "stuck-shipping", states: ["Shipping"], olderThan: "P30D", action: "cancel" },
  ],
  guards: { gracePeriod: "PT0S" },
});

const decide = (job = aJob(), policy = NO_GRACE, observation?: Observation) =>
  decideJob(job, { policy, now: NOW, observation });

const staleDraft = (overrides = {}) => aJob({ state: "Creating", createdAt: daysAgo(10), ...overrides });

describe("decideJob", () => {
  it("acts on a stale draft through the first matching rule", () => {
    const decision = decide(staleDraft());
    expect(decision).toMatchObject({
      action: "delete",
      reason: "rule-matched",
      rule: "stale-drafts",
      eligible: true,
      ageDays: 10,
      ageBasis: "systemData.createdAt",
      state: "Creating",
    });
    expect(isActionable(decision)).toBe(true);
  });

  it("leaves a job outside the subscriptions in scope", () => {
    const policy = validatePolicy({
      ...NO_GRACE,
      scope: { subscriptions: ["22222222-2222-2222-2222-222222222222"] },
    });
    expect(decide(staleDraft(), policy)).toMatchObject({
      action: "none",
      reason: "out-of-scope",
      eligible: false,
    });
  });

  it("leaves a job in an excluded subscription (matched in any case)", () => {
    const policy = validatePolicy({ ...NO_GRACE, scope: { excludeSubscriptions: [SUB.toUpperCase()] } });
    expect(decide(staleDraft(), policy).reason).toBe("out-of-scope");
  });

  it("leaves a job whose resource group is not in scope or is excluded, by case-insensitive glob", () => {
    const only = validatePolicy({ ...NO_GRACE, scope: { resourceGroups: ["rg-test-*"] } });
    expect(decide(staleDraft({ resourceGroup: "RG-Prod" }), only).reason).toBe("out-of-scope");
    expect(decide(staleDraft({ resourceGroup: "RG-TEST-1" }), only).reason).toBe("rule-matched");
    const excluded = validatePolicy({ ...NO_GRACE, scope: { excludeResourceGroups: ["RG-PROD"] } });
    expect(decide(staleDraft({ resourceGroup: "rg-prod" }), excluded).reason).toBe("out-of-scope");
  });

  it("leaves a job whose type is not in scope, or is not a known type", () => {
    const exportsOnly = validatePolicy({ ...NO_GRACE, scope: { jobTypes: ["Export"] } });
    expect(decide(staleDraft({ jobType: "Import" }), exportsOnly).reason).toBe("out-of-scope");
    expect(decide(staleDraft({ jobType: "export" }), exportsOnly).reason).toBe("rule-matched");
    expect(decide(staleDraft({ jobType: "" })).reason).toBe("out-of-scope");
  });

  it("leaves a job with the exemption tag, names and values in any case", () => {
    expect(decide(staleDraft({ tags: { Janitor: "EXEMPT" } }))).toMatchObject({
      action: "none",
      reason: "exempt-tag",
    });
    expect(decide(staleDraft({ tags: { janitor: "keep" } })).reason).toBe("rule-matched");
  });

  it("leaves a job whose name matches an exempt pattern", () => {
    const policy = validatePolicy({ ...NO_GRACE, exemptions: { jobNames: ["keep-*"] } });
    expect(decide(staleDraft({ name: "KEEP-this" }), policy)).toMatchObject({
      action: "none",
      reason: "exempt-name",
    });
  });

  it("checks scope before exemptions", () => {
    const policy = validatePolicy({ ...NO_GRACE, scope: { excludeResourceGroups: ["rg-prod"] } });
    expect(decide(staleDraft({ tags: { janitor: "exempt" } }), policy).reason).toBe("out-of-scope");
  });

  it.each(["Canceled", "Deleting", "", "Weird"])("never acts in the unknown state %j", (state) => {
    expect(decide(aJob({ state, lastModifiedAt: daysAgo(100) }))).toMatchObject({
      action: "none",
      reason: "unknown-state",
      observation: undefined,
    });
  });

  it("treats Closed without closedCountsAsCompleted as a known state no rule may act in: no-rule", () => {
    // Prepare: a hand-built policy (validation would refuse it) whose rule names Closed.
    const handBuilt: Policy = {
      ...NO_GRACE,
      rules: [{ ...NO_GRACE.rules[1]!, name: "closed-too", states: ["Closed"] }],
    };
    for (const policy of [NO_GRACE, handBuilt]) {
      // Act
      const decision = decide(aJob({ state: "closed", lastModifiedAt: daysAgo(100) }), policy);
      // Assess
      expect(decision).toMatchObject({
        action: "none",
        reason: "no-rule",
        eligible: false,
        ageDays: 100,
        ageBasis: "systemData.lastModifiedAt",
      });
      expect(decision.rule).toBeUndefined();
      expect(decision.detail).toContain("closedCountsAsCompleted");
    }
  });

  it("acts in Closed only when Closed counts as Completed", () => {
    const policy = validatePolicy({
      version: 1,
      rules: [{ name: "closed", states: ["Closed", "Completed"], olderThan: "P30D", action: "delete" }],
      guards: { gracePeriod: "PT0S", closedCountsAsCompleted: true },
    });
    expect(decide(aJob({ state: "closed", lastModifiedAt: daysAgo(31) }), policy)).toMatchObject({
      action: "delete",
      reason: "rule-matched",
    });
  });

  it("says no-rule when no enabled rule names the state", () => {
    expect(decide(aJob({ state: "Packaging", lastModifiedAt: daysAgo(100) }))).toMatchObject({
      action: "none",
      reason: "no-rule",
      ageDays: 100,
    });
    expect(decide(aJob({ state: "Shipping", lastModifiedAt: daysAgo(100) }), DEFAULT_POLICY).reason).toBe(
      "no-rule",
    );
  });

  it("skips disabled rules and rules for another job type; the first matching one decides", () => {
    const policy = validatePolicy({
      version: 1,
      rules: [
        { name: "off", states: ["Creating"], olderThan: "PT0S", action: "delete", enabled: false },
        { name: "exports", states: ["Creating"], olderThan: "PT0S", action: "cancel", jobTypes: ["Export"] },
        { name: "slow", states: ["Creating"], olderThan: "P30D", action: "delete" },
        { name: "never-reached", states: ["Creating"], olderThan: "PT0S", action: "delete" },
      ],
      guards: { gracePeriod: "PT0S" },
    });
    expect(decide(staleDraft({ jobType: "Export" }), policy)).toMatchObject({
      rule: "exports",
      action: "cancel",
    });
    expect(decide(staleDraft({ jobType: "Import" }), policy)).toMatchObject({
      rule: "slow",
      action: "delete",
      reason: "too-young",
      eligible: false,
    });
  });

  it("says too-young, with the rule's action, below olderThan", () => {
    expect(decide(staleDraft({ createdAt: daysAgo(6.5) }))).toMatchObject({
      action: "delete",
      rule: "stale-drafts",
      reason: "too-young",
      eligible: false,
      ageDays: 6.5,
    });
  });

  it("acts at exactly olderThan", () => {
    expect(decide(staleDraft({ createdAt: daysAgo(7) })).reason).toBe("rule-matched");
  });

  it("leaves a draft with a delivery tracking number unless the guard is off", () => {
    expect(decide(staleDraft({ hasDeliveryTrackingNumber: true }))).toMatchObject({
      reason: "tracking-number-present",
      eligible: false,
    });
    const off = validatePolicy({
      ...NO_GRACE,
      guards: { gracePeriod: "PT0S", skipCreatingWithTrackingNumber: false },
    });
    expect(decide(staleDraft({ hasDeliveryTrackingNumber: true }), off).reason).toBe("rule-matched");
  });

  it("does not send a cancel that was already requested", () => {
    const job = aJob({ state: "Shipping", lastModifiedAt: daysAgo(40), cancelRequested: true });
    expect(decide(job)).toMatchObject({
      action: "cancel",
      reason: "already-cancel-requested",
      eligible: false,
    });
    expect(decide({ ...job, cancelRequested: false })).toMatchObject({
      action: "cancel",
      reason: "rule-matched",
    });
  });

  it("still deletes a draft whose cancel was requested (delete is allowed in Creating)", () => {
    expect(decide(staleDraft({ cancelRequested: true })).reason).toBe("rule-matched");
  });

  it("refuses, even from a hand-built policy, an action the service does not allow in the state", () => {
    const handBuilt = structuredClone(NO_GRACE);
    handBuilt.rules = [{ ...handBuilt.rules[0]!, states: ["Packaging"], action: "cancel" }];
    expect(decide(aJob({ state: "Packaging", lastModifiedAt: daysAgo(100) }), handBuilt)).toMatchObject({
      action: "cancel",
      reason: "not-allowed-in-state",
      eligible: false,
    });
  });

  describe("observations", () => {
    it("keeps the first sighting of a job without timestamps, and ages it from there", () => {
      const job = aJob({ state: "Completed" });
      const first = decide(job, DEFAULT_POLICY);
      expect(first).toMatchObject({ reason: "too-young", ageBasis: "first-observed", ageDays: 0 });
      expect(first.observation).toEqual({
        jobId: job.id.toLowerCase(),
        subscriptionId: SUB,
        state: "Completed",
        firstSeenInStateAt: NOW.toISOString(),
      });
      const later = new Date(NOW.getTime() + 31 * 86_400_000);
      const second = decideJob(job, { policy: NO_GRACE, now: later, observation: first.observation });
      expect(second).toMatchObject({ reason: "rule-matched", ageDays: 31, ageBasis: "first-observed" });
    });

    it("starts again when the state changes", () => {
      const job = aJob({ state: "Completed" });
      const old = anObservation(job, {
        state: "Transferring",
        firstSeenInStateAt: daysAgo(60),
        firstEligibleAt: daysAgo(5),
      });
      const decision = decide(job, NO_GRACE, old);
      expect(decision.reason).toBe("too-young");
      expect(decision.observation).toEqual({ ...anObservation(job), firstSeenInStateAt: NOW.toISOString() });
    });

    it("keeps none for a job aged from service timestamps and not waiting out a grace period", () => {
      expect(decide(staleDraft({ createdAt: daysAgo(1) })).observation).toBeUndefined();
    });

    it("ties the observation to the job instance by its createdAt", () => {
      const job = aJob({ state: "Completed", createdAt: "2025-01-01T00:00:00+01:00" });
      expect(decide(job, DEFAULT_POLICY).observation).toMatchObject({
        jobCreatedAt: "2024-12-31T23:00:00.000Z",
        firstSeenInStateAt: NOW.toISOString(),
      });
    });

    it("never lets a re-created job inherit the first sighting or mark of a deleted one with the same id", () => {
      // Prepare: the janitor saw the old job Completed 60 days ago and marked it eligible.
      const old = aJob({ state: "Completed", createdAt: daysAgo(200) });
      const stored = anObservation(old, {
        jobCreatedAt: old.createdAt,
        firstSeenInStateAt: daysAgo(60),
        firstEligibleAt: daysAgo(20),
        eligibleRule: "completed-retention",
        eligibleAction: "delete",
      });
      expect(decide(old, NO_GRACE, stored)).toMatchObject({ reason: "rule-matched", ageDays: 60 });
      // Act: the job was deleted and created again under the same name; it is Completed already.
      const recreated = aJob({ state: "Completed", createdAt: daysAgo(2) });
      const decision = decide(recreated, NO_GRACE, stored);
      // Assess: a fresh sighting of a new instance.
      expect(decision).toMatchObject({ reason: "too-young", ageDays: 0, ageBasis: "first-observed" });
      expect(decision.observation).toEqual({
        ...anObservation(recreated),
        jobCreatedAt: recreated.createdAt,
        firstSeenInStateAt: NOW.toISOString(),
      });
    });

    it("compares createdAt as an instant, and takes a row without one as another instance when the job has one", () => {
      const job = aJob({ state: "Completed", createdAt: "2025-01-01T01:00:00+01:00" });
      const seen = (jobCreatedAt?: string) =>
        anObservation(job, { firstSeenInStateAt: daysAgo(40), ...(jobCreatedAt && { jobCreatedAt }) });
      expect(decide(job, NO_GRACE, seen("2025-01-01T00:00:00.000Z")).ageDays).toBe(40);
      expect(decide(job, NO_GRACE, seen()).ageDays).toBe(0);
      expect(decide(job, NO_GRACE, seen("not a time")).ageDays).toBe(0);
      // A job whose createdAt is missing or unreadable matches only a row without one.
      const bare = aJob({ state: "Completed", createdAt: "Jan 1" });
      expect(decide(bare, NO_GRACE, anObservation(bare, { firstSeenInStateAt: daysAgo(40) })).ageDays).toBe(
        40,
      );
      expect(
        decide(
          bare,
          NO_GRACE,
          anObservation(bare, { firstSeenInStateAt: daysAgo(40), jobCreatedAt: daysAgo(300) }),
        ).ageDays,
      ).toBe(0);
    });

    it("drops the stored observation of an exempt or out-of-scope job", () => {
      const job = staleDraft({ tags: { janitor: "exempt" } });
      expect(decide(job, NO_GRACE, anObservation(job)).observation).toBeUndefined();
    });
  });

  describe("grace period", () => {
    const ONE_DAY_GRACE = validatePolicy({ ...NO_GRACE, guards: { gracePeriod: "P1D" } });
    const at = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000);

    it("marks the first eligible sighting and acts once the job has been eligible for the whole period", () => {
      const job = staleDraft();
      const first = decideJob(job, { policy: ONE_DAY_GRACE, now: at(0) });
      expect(first).toMatchObject({ action: "delete", reason: "grace-period", eligible: false });
      expect(first.observation?.firstEligibleAt).toBe(at(0).toISOString());

      const middle = decideJob(job, { policy: ONE_DAY_GRACE, now: at(23), observation: first.observation });
      expect(middle).toMatchObject({ reason: "grace-period", eligible: false });
      expect(middle.observation?.firstEligibleAt).toBe(at(0).toISOString());

      const end = decideJob(job, { policy: ONE_DAY_GRACE, now: at(24), observation: middle.observation });
      expect(end).toMatchObject({ reason: "rule-matched", eligible: true });
      expect(end.observation?.firstEligibleAt).toBe(at(0).toISOString());
    });

    it("loses the mark when the job stops being eligible", () => {
      const job = staleDraft();
      const first = decideJob(job, { policy: ONE_DAY_GRACE, now: at(0) });
      const exempt = decideJob(
        { ...job, hasDeliveryTrackingNumber: true },
        { policy: ONE_DAY_GRACE, now: at(12), observation: first.observation },
      );
      expect(exempt.reason).toBe("tracking-number-present");
      expect(exempt.observation?.firstEligibleAt).toBeUndefined();
      const again = decideJob(job, { policy: ONE_DAY_GRACE, now: at(30), observation: exempt.observation });
      expect(again).toMatchObject({ reason: "grace-period", eligible: false });
      expect(again.observation?.firstEligibleAt).toBe(at(30).toISOString());
    });

    it("records the rule and action with the mark", () => {
      const first = decideJob(staleDraft(), { policy: ONE_DAY_GRACE, now: at(0) });
      expect(first.observation).toMatchObject({
        firstEligibleAt: at(0).toISOString(),
        eligibleRule: "stale-drafts",
        eligibleAction: "delete",
      });
    });

    it("does not count a mark made under another rule: a trial policy cannot use up the grace period", () => {
      // Prepare: a trial policy marked the job two days ago under its own rule name.
      const trial = validatePolicy({
        ...ONE_DAY_GRACE,
        rules: [{ name: "trial-drafts", states: ["Creating"], olderThan: "P1D", action: "delete" }],
      });
      const job = staleDraft();
      const marked = decideJob(job, { policy: trial, now: at(-48) }).observation;
      expect(marked?.eligibleRule).toBe("trial-drafts");
      // Act: the deployed policy sees the job now.
      const decision = decideJob(job, { policy: ONE_DAY_GRACE, now: at(0), observation: marked });
      // Assess: a new mark, under the deployed rule.
      expect(decision).toMatchObject({ reason: "grace-period", eligible: false });
      expect(decision.observation).toMatchObject({
        firstEligibleAt: at(0).toISOString(),
        eligibleRule: "stale-drafts",
        eligibleAction: "delete",
      });
    });

    it("does not count a mark made for another action under the same rule name", () => {
      const cancelling = validatePolicy({
        ...ONE_DAY_GRACE,
        rules: [{ name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "cancel" }],
      });
      const job = staleDraft();
      const marked = decideJob(job, { policy: cancelling, now: at(-48) }).observation;
      expect(marked).toMatchObject({ eligibleRule: "stale-drafts", eligibleAction: "cancel" });
      const decision = decideJob(job, { policy: ONE_DAY_GRACE, now: at(0), observation: marked });
      expect(decision).toMatchObject({ action: "delete", reason: "grace-period" });
      expect(decision.observation).toMatchObject({
        firstEligibleAt: at(0).toISOString(),
        eligibleAction: "delete",
      });
    });

    it("counts a mark made under the same rule and action", () => {
      const job = staleDraft();
      const marked = anObservation(job, {
        jobCreatedAt: job.createdAt,
        firstEligibleAt: at(-25).toISOString(),
        eligibleRule: "stale-drafts",
        eligibleAction: "delete",
      });
      const decision = decideJob(job, { policy: ONE_DAY_GRACE, now: at(0), observation: marked });
      expect(decision).toMatchObject({ reason: "rule-matched", eligible: true });
      expect(decision.observation?.firstEligibleAt).toBe(at(-25).toISOString());
    });

    it("counts a mark without a rule and action (stored by an older version) as none: grace starts again", () => {
      const job = staleDraft();
      const old = anObservation(job, { jobCreatedAt: job.createdAt, firstEligibleAt: at(-72).toISOString() });
      const decision = decideJob(job, { policy: ONE_DAY_GRACE, now: at(0), observation: old });
      expect(decision).toMatchObject({ reason: "grace-period", eligible: false });
      expect(decision.observation?.firstEligibleAt).toBe(at(0).toISOString());
    });

    it("loses the mark when the job becomes eligible under another rule, and starts a new one", () => {
      // Prepare: two rules for Completed jobs; the first applies only to Import jobs.
      const policy = validatePolicy({
        ...ONE_DAY_GRACE,
        rules: [
          {
            name: "imports",
            states: ["Completed"],
            jobTypes: ["Import"],
            olderThan: "P30D",
            action: "delete",
          },
          { name: "all", states: ["Completed"], olderThan: "P30D", action: "delete" },
        ],
      });
      const imported = aJob({ state: "Completed", jobType: "Import", lastModifiedAt: daysAgo(40) });
      const first = decideJob(imported, { policy, now: at(0) });
      expect(first.observation?.eligibleRule).toBe("imports");
      // Act: the same job, now matched by the other rule (its type read differently), a day later.
      const second = decideJob(
        { ...imported, jobType: "Export" },
        { policy, now: at(30), observation: first.observation },
      );
      // Assess
      expect(second).toMatchObject({ rule: "all", reason: "grace-period", eligible: false });
      expect(second.observation).toMatchObject({
        firstEligibleAt: at(30).toISOString(),
        eligibleRule: "all",
      });
    });

    it("does not trust a mark set in the future", () => {
      const job = staleDraft();
      const skewed = anObservation(job, { firstEligibleAt: at(48).toISOString() });
      const decision = decideJob(job, { policy: ONE_DAY_GRACE, now: at(0), observation: skewed });
      expect(decision.reason).toBe("grace-period");
      expect(decision.observation?.firstEligibleAt).toBe(at(0).toISOString());
    });
  });
});

describe("recheckBeforeAction", () => {
  const ctx = { policy: NO_GRACE, now: NOW };
  const original: JobDecision = decideJob(staleDraft(), ctx);

  it("proceeds when the fresh read decides the same", () => {
    expect(recheckBeforeAction(original, staleDraft(), ctx)).toMatchObject({
      proceed: true,
      decision: { action: "delete", eligible: true },
    });
  });

  it("stops with gone when the job is no longer there", () => {
    expect(recheckBeforeAction(original, undefined, ctx)).toEqual({ proceed: false, reason: "gone" });
  });

  it("stops with state-changed when the state moved on", () => {
    const shipped = staleDraft({ state: "Shipping", lastModifiedAt: daysAgo(0) });
    expect(recheckBeforeAction(original, shipped, ctx)).toMatchObject({
      proceed: false,
      reason: "state-changed",
    });
  });

  it("stops with state-changed even when the new state is also eligible for something", () => {
    const cancelOriginal = decideJob(aJob({ state: "Shipping", lastModifiedAt: daysAgo(40) }), ctx);
    expect(cancelOriginal.eligible).toBe(true);
    const nowCreating = staleDraft();
    expect(recheckBeforeAction(cancelOriginal, nowCreating, ctx)).toMatchObject({
      proceed: false,
      reason: "state-changed",
    });
  });

  it("stops with the fresh reason when a guard now applies", () => {
    expect(recheckBeforeAction(original, staleDraft({ hasDeliveryTrackingNumber: true }), ctx)).toMatchObject(
      {
        proceed: false,
        reason: "tracking-number-present",
      },
    );
    expect(recheckBeforeAction(original, staleDraft({ tags: { janitor: "exempt" } }), ctx)).toMatchObject({
      proceed: false,
      reason: "exempt-tag",
    });
  });

  it("stops with already-cancel-requested when someone cancelled in between", () => {
    const job = aJob({ state: "Shipping", lastModifiedAt: daysAgo(40) });
    const cancel = decideJob(job, ctx);
    expect(recheckBeforeAction(cancel, { ...job, cancelRequested: true }, ctx)).toMatchObject({
      proceed: false,
      reason: "already-cancel-requested",
    });
  });

  it("carries the grace-period mark of the original decision", () => {
    const graced = { policy: validatePolicy({ ...NO_GRACE, guards: { gracePeriod: "P1D" } }), now: NOW };
    const first = decideJob(staleDraft(), graced);
    const later = { ...graced, now: new Date(NOW.getTime() + 86_400_000) };
    const ready = decideJob(staleDraft(), { ...later, observation: first.observation });
    expect(ready.eligible).toBe(true);
    expect(recheckBeforeAction(ready, staleDraft(), later).proceed).toBe(true);
  });

  it("never proceeds from a decision that was not eligible", () => {
    const young = decideJob(staleDraft({ createdAt: daysAgo(1) }), ctx);
    expect(recheckBeforeAction(young, staleDraft(), ctx)).toMatchObject({
      proceed: false,
      reason: "too-young",
    });
  });
});
