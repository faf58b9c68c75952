// Decisions about Data Box customer-disk jobs (docs/service.md#data-box-jobs): the janitor's own stage table
// and the service's flag must both say yes; device orders are never the janitor's.
import { describe, expect, it } from "vitest";
import { ageInState } from "../../../src/domain/ageInState";
import { decideJob, recheckBeforeAction } from "../../../src/domain/decideJob";
import type { JobSnapshot } from "../../../src/domain/job";
import { validatePolicy, type Policy } from "../../../src/domain/policy";
import { aJob, daysAgo, NOW, SUB } from "./jobFixtures";

const POLICY: Policy = validatePolicy({
  version: 1,
  rules: [
    { name: "box-drafts", states: ["DeviceOrdered"], olderThan: "P7D", action: "cancel" },
    {
      name: "retention",
      states: ["Completed", "CompletedWithErrors", "Cancelled"],
      olderThan: "P30D",
      action: "delete",
    },
  ],
  guards: { gracePeriod: "PT0S" },
});

function aBoxJob(overrides: Partial<JobSnapshot> = {}): JobSnapshot {
  return aJob({
    source: "databox",
    id: `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.DataBox/jobs/disk-1`,
    name: "disk-1",
    sku: "DataBoxCustomerDisk",
    state: "Completed",
    lastModifiedAt: daysAgo(40),
    isDeletable: true,
    isCancellable: false,
    hasDeliveryTrackingNumber: false,
    ...overrides,
  });
}

const decide = (job: JobSnapshot, policy = POLICY) => decideJob(job, { policy, now: NOW });

describe("decideJob for Data Box jobs", () => {
  it("deletes a finished customer-disk job past retention when the service says isDeletable", () => {
    expect(decide(aBoxJob())).toMatchObject({ action: "delete", rule: "retention", eligible: true });
    expect(decide(aBoxJob({ state: "CompletedWithErrors" }))).toMatchObject({ eligible: true });
  });

  it("never acts when the service's flag says no or says nothing, whatever the table allows", () => {
    expect(decide(aBoxJob({ isDeletable: false }))).toMatchObject({
      action: "delete",
      eligible: false,
      reason: "service-flag-no",
      detail: "the service says isDeletable: false",
    });
    const { isDeletable: _gone, ...silent } = aBoxJob();
    expect(decide(silent)).toMatchObject({ eligible: false, reason: "service-flag-no" });
  });

  it("never acts where the table forbids, whatever the flag says", () => {
    // A hand-built policy that skipped validation: delete in a stage in transit, with the flag saying yes.
    const reckless: Policy = {
      ...POLICY,
      rules: [{ ...POLICY.rules[1]!, states: ["DataCopy"] as never }],
    };
    expect(decide(aBoxJob({ state: "DataCopy", isDeletable: true }), reckless)).toMatchObject({
      eligible: false,
      reason: "not-allowed-in-state",
    });
  });

  it("leaves device orders and jobs without a SKU out of scope", () => {
    expect(decide(aBoxJob({ sku: "DataBox" }))).toMatchObject({
      action: "none",
      reason: "out-of-scope",
      detail: "a Data Box device order (SKU DataBox), not an Import/Export job",
    });
    const { sku: _none, ...noSku } = aBoxJob();
    expect(decide(noSku)).toMatchObject({ action: "none", reason: "out-of-scope" });
    // SKU names are matched exactly: a near miss is not the customer-disk SKU.
    expect(decide(aBoxJob({ sku: "databoxcustomerdisk" }))).toMatchObject({ reason: "out-of-scope" });
  });

  it("reads the state by the Data Box table: a classic-only state is unknown there", () => {
    expect(decide(aBoxJob({ state: "Creating" }))).toMatchObject({ reason: "unknown-state" });
    expect(decide(aBoxJob({ state: "Completed\t" }))).toMatchObject({ reason: "unknown-state" });
  });

  it("cancels an old order only while the service says isCancellable", () => {
    const order = aBoxJob({
      state: "DeviceOrdered",
      startTime: daysAgo(10),
      isCancellable: true,
      isDeletable: false,
    });
    expect(decide(order)).toMatchObject({ action: "cancel", eligible: true, ageBasis: "startTime" });
    expect(decide({ ...order, isCancellable: false })).toMatchObject({ reason: "service-flag-no" });
  });

  it("keeps rules to their sources", () => {
    const classicOnly = validatePolicy({
      version: 1,
      rules: [
        { name: "r", states: ["Completed"], sources: ["importexport"], olderThan: "P1D", action: "delete" },
      ],
      guards: { gracePeriod: "PT0S" },
    });
    expect(decide(aBoxJob(), classicOnly)).toMatchObject({ reason: "no-rule" });
    expect(decide(aJob({ state: "Completed", lastModifiedAt: daysAgo(5) }), classicOnly)).toMatchObject({
      eligible: true,
    });
  });

  it("re-checks on a fresh read: a flag turned false stops the action", () => {
    const original = decide(aBoxJob());
    expect(
      recheckBeforeAction(original, aBoxJob({ isDeletable: false }), { policy: POLICY, now: NOW }),
    ).toEqual(expect.objectContaining({ proceed: false, reason: "service-flag-no" }));
    expect(recheckBeforeAction(original, aBoxJob(), { policy: POLICY, now: NOW })).toMatchObject({
      proceed: true,
    });
  });
});

describe("ageInState for Data Box jobs", () => {
  it("takes the newest of systemData.createdAt and startTime in the first stages", () => {
    const order = aBoxJob({ state: "DeviceOrdered", createdAt: daysAgo(12), startTime: daysAgo(9) });
    expect(ageInState(order, NOW)).toMatchObject({ basis: "startTime", ageDays: 9 });
    expect(ageInState({ ...order, startTime: "yesterday" }, NOW)).toMatchObject({
      basis: "systemData.createdAt",
      ageDays: 12,
    });
  });

  it("takes systemData.lastModifiedAt in later stages, never the order's start", () => {
    const done = aBoxJob({ state: "Completed", startTime: daysAgo(100), lastModifiedAt: daysAgo(3) });
    expect(ageInState(done, NOW)).toMatchObject({ basis: "systemData.lastModifiedAt", ageDays: 3 });
    const { lastModifiedAt: _l, ...noStamp } = done;
    expect(ageInState(noStamp, NOW)).toMatchObject({ basis: "first-observed", ageDays: 0 });
  });
});
