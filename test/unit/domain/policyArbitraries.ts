// fast-check generators of valid policy documents, jobs, observations and clocks, shared by the property tests.
// Unusual values (narrow scopes, exemptions, odd job types) come up about one time in five, so that a fair share
// of the generated jobs reaches the rules and the guards instead of stopping at the scope check.
import fc from "fast-check";
import type { JobSnapshot, JobSource } from "../../../src/domain/job";
import {
  DATABOX_STAGES,
  KNOWN_STATES,
  serviceAllows,
  sourceHasState,
  STATE_NAMES,
} from "../../../src/domain/jobStates";
import type { PolicyDocument } from "../../../src/domain/policy";
import type { Observation } from "../../../src/domain/records";
import { parseRfc3339 } from "../../../src/domain/rfc3339";

export const SUBSCRIPTIONS = [
  "11111111-1111-1111-1111-111111111111",
  "22222222-2222-2222-2222-222222222222",
  "3333aaaa-3333-3333-3333-333333333333",
] as const;
export const RESOURCE_GROUPS = ["rg-prod", "RG-Test-01", "legal-hold", "rg-x"] as const;
export const JOB_NAMES = ["draft-1", "KEEP-me", "import-2024", "x"] as const;
const DAY = 86_400_000;
export const BASE_TIME = Date.parse("2025-06-01T00:00:00Z");

const durations = fc.constantFrom("PT0S", "PT1H", "P1D", "P2D", "P7D", "P30D");

/** Usually one of `usual`, about one time in five something from `unusual`. */
function mostly<T>(unusual: fc.Arbitrary<T>, ...usual: T[]): fc.Arbitrary<T> {
  return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...usual) }, { weight: 1, arbitrary: unusual });
}

/**
 * The states a rule of `action` over `sources` may name: allowed by every one of its sources that has the state
 * (what the policy validator accepts).
 */
function statesForRule(
  action: "delete" | "cancel",
  sources: readonly JobSource[],
  options: { closedCountsAsCompleted: boolean },
): string[] {
  return STATE_NAMES.filter((state) => {
    const having = sources.filter((s) => sourceHasState(s, state));
    return having.length > 0 && having.every((s) => serviceAllows(action, state, options, s));
  });
}

const RULE_SOURCES: (JobSource[] | undefined)[] = [undefined, ["importexport"], ["databox"]];

function ruleDoc(closedCountsAsCompleted: boolean) {
  return fc
    .constantFrom("delete" as const, "cancel" as const)
    .chain((action) => fc.constantFrom(...RULE_SOURCES).map((sources) => ({ action, sources })))
    .chain(({ action, sources }) =>
      fc.record(
        {
          action: fc.constant(action),
          ...(sources && { sources: fc.constant(sources) }),
          states: fc.subarray(
            statesForRule(action, sources ?? ["importexport", "databox"], { closedCountsAsCompleted }),
            { minLength: 1 },
          ),
          olderThan: durations,
          enabled: mostly(fc.constant(false), true),
          jobTypes: fc.subarray(["Import", "Export"], { minLength: 1 }),
        },
        { requiredKeys: ["action", "states", "olderThan"] },
      ),
    );
}

/** A valid policy document (rules named r0, r1, ...), with fields left out at random to exercise defaults. */
export const policyDocument: fc.Arbitrary<PolicyDocument> = fc.boolean().chain((closedCountsAsCompleted) =>
  fc.record(
    {
      version: fc.constant(1 as const),
      rules: fc
        .array(ruleDoc(closedCountsAsCompleted), { maxLength: 5 })
        .map((rules) => rules.map((r, i) => ({ name: `r${i}`, ...r }))),
      scope: fc.record(
        {
          subscriptions: mostly(fc.subarray<string>([...SUBSCRIPTIONS], { minLength: 1 }), ["*"]),
          excludeSubscriptions: mostly(fc.subarray<string>([...SUBSCRIPTIONS], { maxLength: 1 }), []),
          resourceGroups: mostly(fc.subarray(["rg-*", "RG-TEST-??", "legal-hold"], { minLength: 1 }), ["*"]),
          excludeResourceGroups: mostly(fc.subarray(["legal-*", "rg-x"]), []),
          jobTypes: mostly(fc.subarray(["Import", "Export"], { minLength: 1 }), ["Import", "Export"]),
        },
        { requiredKeys: [] },
      ),
      exemptions: fc.record(
        {
          tags: fc.constantFrom<Record<string, string>>({ janitor: "exempt" }, { Janitor: "Keep" }, {}),
          jobNames: mostly(fc.subarray(["keep-*", "x"]), []),
        },
        { requiredKeys: [] },
      ),
      guards: fc.record(
        {
          gracePeriod: durations,
          skipCreatingWithTrackingNumber: fc.boolean(),
          closedCountsAsCompleted: fc.constant(closedCountsAsCompleted),
        },
        { requiredKeys: closedCountsAsCompleted ? ["closedCountsAsCompleted"] : [] },
      ),
    },
    { requiredKeys: closedCountsAsCompleted ? ["version", "rules", "guards"] : ["version", "rules"] },
  ),
);

const caseVariant = (s: string) => fc.constantFrom(s, s.toLowerCase(), s.toUpperCase());
const offsetIso = (minDays: number, maxDays: number) =>
  fc.integer({ min: minDays * DAY, max: maxDays * DAY }).map((ms) => new Date(BASE_TIME + ms).toISOString());

export const jobState = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...KNOWN_STATES).chain(caseVariant) },
  { weight: 1, arbitrary: fc.constantFrom("Canceled", "Deleting", "", "Weird") },
);

/** A Data Box job's stage: mostly a known one (with the classic names some stages share), sometimes not. */
export const dataBoxStage = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...DATABOX_STAGES).chain(caseVariant) },
  { weight: 1, arbitrary: fc.constantFrom("Creating", "Canceled", "Deleting", "", "Weird") },
);

/**
 * A timestamp field: usually RFC 3339 (written with `Z` or another offset), sometimes a string `Date.parse`
 * reads leniently but that is no evidence (a bare year, a date alone, a time without an offset).
 */
const timestampOf = (minDays: number, maxDays: number) =>
  fc.oneof(
    { weight: 6, arbitrary: offsetIso(minDays, maxDays) },
    { weight: 1, arbitrary: offsetIso(minDays, maxDays).map((iso) => iso.replace(/\.\d{3}Z$/, "+00:00")) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom("1", "Jan 1", "2020", "2025-05-01", "5/1/2025 10:28:35 PM"),
        offsetIso(minDays, maxDays).map((iso) => iso.replace(/Z$/, "")),
      ),
    },
  );

export const classicJob: fc.Arbitrary<JobSnapshot> = fc
  .record(
    {
      subscriptionId: fc.constantFrom(...SUBSCRIPTIONS).chain(caseVariant),
      resourceGroup: fc.constantFrom(...RESOURCE_GROUPS),
      name: fc.constantFrom(...JOB_NAMES),
      tags: mostly(
        fc.constantFrom<Record<string, string>>(
          { janitor: "exempt" },
          { JANITOR: "EXEMPT" },
          { janitor: "keep" },
        ),
        {},
        { owner: "x" },
      ),
      jobType: mostly(fc.constantFrom("export", "IMPORT", "Foo", ""), "Import", "Export"),
      state: jobState,
      cancelRequested: fc.option(fc.boolean(), { nil: undefined }),
      createdAt: fc.option(timestampOf(-60, 2), { nil: undefined }),
      lastModifiedAt: fc.option(timestampOf(-60, 2), { nil: undefined }),
      hasDeliveryTrackingNumber: fc.boolean(),
      returnShipDate: fc.option(timestampOf(-60, 2), { nil: undefined }),
    },
    {
      requiredKeys: [
        "subscriptionId",
        "resourceGroup",
        "name",
        "tags",
        "jobType",
        "state",
        "hasDeliveryTrackingNumber",
      ],
    },
  )
  .map((j) => ({
    ...j,
    source: "importexport" as const,
    id: `/subscriptions/${j.subscriptionId}/resourceGroups/${j.resourceGroup}/providers/Microsoft.ImportExport/jobs/${j.name}`,
  }));

/** A Data Box job: usually a customer-disk (Import/Export) job, sometimes a device order or no SKU at all. */
export const dataBoxJob: fc.Arbitrary<JobSnapshot> = fc
  .record(
    {
      base: classicJob,
      state: dataBoxStage,
      sku: mostly(
        fc.constantFrom("DataBox", "DataBoxDisk", "databoxcustomerdisk", undefined),
        "DataBoxCustomerDisk",
      ),
      isDeletable: fc.option(fc.boolean(), { nil: undefined, freq: 3 }),
      isCancellable: fc.option(fc.boolean(), { nil: undefined, freq: 3 }),
      startTime: fc.option(timestampOf(-60, 2), { nil: undefined }),
    },
    { requiredKeys: ["base", "state", "sku"] },
  )
  .map(({ base, sku, ...j }): JobSnapshot => {
    const { cancelRequested: _c, returnShipDate: _r, ...rest } = base;
    return {
      ...rest,
      ...j,
      ...(sku !== undefined && { sku }),
      source: "databox",
      hasDeliveryTrackingNumber: false,
      id: `/subscriptions/${base.subscriptionId}/resourceGroups/${base.resourceGroup}/providers/Microsoft.DataBox/jobs/${base.name}`,
    };
  });

/** A job of either source, mostly classic. */
export const job: fc.Arbitrary<JobSnapshot> = fc.oneof(
  { weight: 3, arbitrary: classicJob },
  { weight: 1, arbitrary: dataBoxJob },
);

/**
 * Maybe an observation of this job: of its instance (usually) or another one, in its state or another, with or
 * without a first-eligible mark, under one of the generated rules (r0, r1, ...) or none.
 */
export function observationOf(snapshot: JobSnapshot): fc.Arbitrary<Observation | undefined> {
  const createdAtMs = parseRfc3339(snapshot.createdAt);
  const thisInstance = createdAtMs === undefined ? undefined : new Date(createdAtMs).toISOString();
  return fc.option(
    fc
      .record(
        {
          jobCreatedAt: fc.oneof(
            { weight: 4, arbitrary: fc.constant(thisInstance) },
            { weight: 1, arbitrary: fc.option(offsetIso(-90, 0), { nil: undefined }) },
          ),
          state: fc.oneof(
            { weight: 3, arbitrary: caseVariant(snapshot.state) },
            { weight: 1, arbitrary: jobState },
          ),
          firstSeenInStateAt: offsetIso(-60, 1),
          firstEligibleAt: fc.option(offsetIso(-35, 1), { nil: undefined }),
          eligibleRule: fc.option(fc.constantFrom("r0", "r1", "r2"), { nil: undefined, freq: 4 }),
          eligibleAction: fc.option(fc.constantFrom("delete" as const, "cancel" as const), {
            nil: undefined,
            freq: 4,
          }),
        },
        { requiredKeys: ["state", "firstSeenInStateAt"] },
      )
      .map(({ jobCreatedAt, ...o }) => ({
        jobId: snapshot.id.toLowerCase(),
        subscriptionId: snapshot.subscriptionId,
        ...(jobCreatedAt !== undefined && { jobCreatedAt }),
        ...o,
      })),
    { nil: undefined, freq: 3 },
  );
}

/** A clock around BASE_TIME. */
export const now = fc.integer({ min: -DAY, max: DAY }).map((ms) => new Date(BASE_TIME + ms));
