import { describe, expect, it } from "vitest";
import fc from "fast-check";
import YAML from "yaml";
import {
  DEFAULT_POLICY,
  MAX_POLICY_BYTES,
  parsePolicy,
  policyHash,
  validatePolicy,
  type Policy,
} from "../../../src/domain/policy";
import { ValidationError, type FieldProblem } from "../../../src/errors";
import { policyDocument } from "./policyArbitraries";

// A full example: the built-in default (README.md#the-policy) plus a disabled cancel rule, every section of
// docs/policy.md#fields written out.
const PRODUCT_EXAMPLE = {
  version: 1,
  rules: [
    { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
    { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
    { name: "drives-never-sent", states: ["Shipping"], olderThan: "P30D", action: "cancel", enabled: false },
  ],
  scope: {
    subscriptions: ["*"],
    excludeSubscriptions: [],
    resourceGroups: ["*"],
    excludeResourceGroups: [],
    jobTypes: ["Import", "Export"],
  },
  exemptions: { tags: { janitor: "exempt" }, jobNames: [] },
  guards: { gracePeriod: "P1D", skipCreatingWithTrackingNumber: true, closedCountsAsCompleted: false },
  limits: {
    maxActionsPerRun: 100,
    maxActionsPerSubscription: 25,
    maxEligibleFraction: 0.5,
    minJobsForFraction: 10,
  },
};

const MINIMAL = {
  version: 1,
  rules: [{ name: "r", states: ["Creating"], olderThan: "P7D", action: "delete" }],
};

function problemsOf(text: string, source?: Parameters<typeof parsePolicy>[1]): FieldProblem[] {
  try {
    parsePolicy(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).problems;
  }
  throw new Error("expected the policy to be refused");
}

const problemsOfDoc = (doc: unknown) => problemsOf(JSON.stringify(doc));

/** A copy of MINIMAL with `patch` applied at the top level. */
const withTop = (patch: Record<string, unknown>) => ({ ...MINIMAL, ...patch });
const withRule = (rule: Record<string, unknown>) => withTop({ rules: [{ ...MINIMAL.rules[0], ...rule }] });

describe("parsePolicy", () => {
  it("reads a full example policy (docs/policy.md#fields) from JSON", () => {
    const policy = parsePolicy(JSON.stringify(PRODUCT_EXAMPLE));
    expect(policy.rules.map((r) => [r.name, r.action, r.enabled])).toEqual([
      ["stale-drafts", "delete", true],
      ["completed-retention", "delete", true],
      ["drives-never-sent", "cancel", false],
    ]);
    expect(policy.limits.maxActionsPerSubscription).toBe(25);
  });

  it("reads the same policy from YAML", () => {
    const yaml = YAML.stringify(PRODUCT_EXAMPLE);
    expect(parsePolicy(yaml, { name: "policy.yaml" })).toEqual(parsePolicy(JSON.stringify(PRODUCT_EXAMPLE)));
    expect(parsePolicy(yaml)).toEqual(parsePolicy(JSON.stringify(PRODUCT_EXAMPLE)));
  });

  it("reads hand-written YAML with comments", () => {
    const policy = parsePolicy(
      [
        "# drafts only",
        "version: 1",
        "rules:",
        "  - name: drafts",
        "    states: [creating]   # any case",
        "    olderThan: P14D",
        "    action: delete",
        "guards:",
        "  gracePeriod: PT12H",
      ].join("\n"),
    );
    expect(policy.rules[0]).toMatchObject({ states: ["Creating"], olderThan: "P14D" });
    expect(policy.guards.gracePeriod).toBe("PT12H");
  });

  it("fills every omitted field with the documented default", () => {
    const policy = parsePolicy(JSON.stringify(MINIMAL));
    const { rules: _r, ...rest } = policy;
    const { rules: _e, ...expected } = parsePolicy(JSON.stringify(PRODUCT_EXAMPLE));
    expect(rest).toEqual(expected);
    expect(policy.rules[0]).toEqual({
      name: "r",
      enabled: true,
      states: ["Creating"],
      jobTypes: ["Import", "Export"],
      sources: ["importexport", "databox"],
      olderThan: "P7D",
      action: "delete",
    });
  });

  it("has a built-in default of the first two example rules with the other defaults", () => {
    const example = parsePolicy(JSON.stringify(PRODUCT_EXAMPLE));
    expect(DEFAULT_POLICY).toEqual({ ...example, rules: example.rules.slice(0, 2) });
    expect(Object.isFrozen(DEFAULT_POLICY.rules)).toBe(true);
  });

  it("normalises case-insensitive fields to one spelling", () => {
    const policy = parsePolicy(
      JSON.stringify({
        version: 1,
        rules: [
          {
            name: "r",
            states: ["COMPLETED", "creating", "Creating"],
            olderThan: "p1w",
            action: "delete",
            jobTypes: ["export"],
          },
        ],
        scope: { subscriptions: ["AAAAAAAA-1111-2222-3333-444444444444"], resourceGroups: ["RG-*", "*"] },
        exemptions: { tags: { Janitor: "Exempt" }, jobNames: ["Keep-*"] },
      }),
    );
    expect(policy.rules[0]).toMatchObject({
      states: ["Creating", "Completed"],
      olderThan: "P7D",
      jobTypes: ["Export"],
    });
    expect(policy.scope.subscriptions).toEqual(["aaaaaaaa-1111-2222-3333-444444444444"]);
    expect(policy.scope.resourceGroups).toEqual(["*"]);
    expect(policy.exemptions).toEqual({ tags: { janitor: "exempt" }, jobNames: ["keep-*"] });
  });

  it("accepts an empty rule list (a policy that does nothing)", () => {
    expect(parsePolicy('{"version": 1, "rules": []}').rules).toEqual([]);
  });

  it("accepts delete in Closed when Closed counts as Completed", () => {
    const doc = withTop({
      rules: [{ name: "closed", states: ["Closed"], olderThan: "P30D", action: "delete" }],
      guards: { closedCountsAsCompleted: true },
    });
    expect(parsePolicy(JSON.stringify(doc)).rules[0]?.states).toEqual(["Closed"]);
  });

  it("parses its own output to the same policy", () => {
    fc.assert(
      fc.property(policyDocument, (doc) => {
        const policy = validatePolicy(doc);
        expect(parsePolicy(JSON.stringify(policy))).toEqual(policy);
      }),
    );
  });
});

describe("parsePolicy refuses", () => {
  it("an action the service never allows in a rule's state, in the words of the contract", () => {
    const doc = withTop({
      rules: [
        MINIMAL.rules[0],
        { name: "late", states: ["Transferring", "Packaging"], olderThan: "P1D", action: "cancel" },
      ],
    });
    expect(problemsOfDoc(doc)).toEqual([
      {
        field: "rules[1].action",
        message: expect.stringMatching(/^cancel is not allowed in state Packaging/),
      },
    ]);
  });

  it("cancel in Completed, a state of both sources: refused once for each", () => {
    const problems = problemsOfDoc(withRule({ action: "cancel", states: ["Completed"] }));
    expect(problems).toEqual([
      {
        field: "rules[0].action",
        message: expect.stringMatching(
          /^cancel is not allowed in state Completed of importexport jobs \(cancel is allowed only in Creating/,
        ),
      },
      {
        field: "rules[0].action",
        message: expect.stringMatching(
          /^cancel is not allowed in state Completed of databox jobs \(cancel is allowed only in DeviceOrdered, AwaitingShipmentDetails\)/,
        ),
      },
    ]);
    // Restricted to one source, only that source's table counts.
    expect(
      problemsOfDoc(withRule({ action: "cancel", states: ["Completed"], sources: ["databox"] })),
    ).toHaveLength(1);
  });

  it.each([
    ["delete", "DeviceOrdered", "databox"],
    ["delete", "DataCopy", "databox"],
    ["cancel", "Cancelled", "databox"],
    ["cancel", "AtAzureDC", "databox"],
  ])("%s in the Data Box stage %s", (action, state) => {
    expect(problemsOfDoc(withRule({ action, states: [state] }))).toEqual([
      {
        field: "rules[0].action",
        message: expect.stringContaining(`${action} is not allowed in state ${state} of databox jobs`),
      },
    ]);
  });

  it("a state none of the rule's sources has", () => {
    expect(problemsOfDoc(withRule({ action: "delete", states: ["Creating"], sources: ["databox"] }))).toEqual(
      [
        {
          field: "rules[0].states",
          message: "Creating is not a state of databox jobs, so the rule could never match it",
        },
      ],
    );
  });

  it("an unknown source", () => {
    expect(
      problemsOfDoc(withRule({ action: "delete", states: ["Completed"], sources: ["Classic"] })),
    ).toEqual([
      {
        field: "rules[0].sources[0]",
        message: expect.stringContaining(
          'unknown job source "Classic"; accepted (any case): importexport, databox',
        ),
      },
    ]);
  });

  it("accepts Data Box terminal stages for delete and names them in the effective policy", () => {
    const policy = parsePolicy(
      JSON.stringify({
        version: 1,
        rules: [
          {
            name: "box",
            states: ["aborted", "Completed", "CompletedWithErrors"],
            sources: ["DataBox"],
            olderThan: "P30D",
            action: "delete",
          },
        ],
      }),
    );
    expect(policy.rules[0]).toMatchObject({
      states: ["Completed", "CompletedWithErrors", "Aborted"],
      sources: ["databox"],
    });
  });

  it.each([
    ["delete", "Shipping"],
    ["delete", "Received"],
    ["delete", "Transferring"],
    ["delete", "Packaging"],
    ["cancel", "Closed"],
    ["cancel", "packaging"],
  ])("%s in %s", (action, state) => {
    const problems = problemsOfDoc(withRule({ action, states: [state] }));
    expect(problems).toEqual([
      { field: "rules[0].action", message: expect.stringContaining(`${action} is not allowed in state`) },
    ]);
  });

  it("delete in Closed unless Closed counts as Completed", () => {
    expect(problemsOfDoc(withRule({ states: ["Closed"] }))).toEqual([
      {
        field: "rules[0].action",
        message: "delete is not allowed in state Closed unless guards.closedCountsAsCompleted is true",
      },
    ]);
  });

  it.each([
    ["a missing version", { rules: [] }, "version", /is required/],
    ["version 2", { version: 2, rules: [] }, "version", /must be 1/],
    ['version "1"', { version: "1", rules: [] }, "version", /must be 1/],
    ["missing rules", { version: 1 }, "rules", /is required/],
    ["rules that are not a list", { version: 1, rules: {} }, "rules", /list of rules/],
    [
      "an unknown top-level field",
      withTop({ rule: [] }),
      "rule",
      /unknown field; accepted: version, rules, scope/,
    ],
    [
      "an unknown rule field",
      withRule({ olderthan: "P1D" }),
      "rules[0].olderthan",
      /unknown field; accepted: name, enabled/,
    ],
    [
      "an unknown scope field",
      withTop({ scope: { subscription: ["*"] } }),
      "scope.subscription",
      /unknown field/,
    ],
    ["an unknown guards field", withTop({ guards: { grace: "P1D" } }), "guards.grace", /unknown field/],
    ["an unknown limits field", withTop({ limits: { maxActions: 1 } }), "limits.maxActions", /unknown field/],
    [
      "an unknown exemptions field",
      withTop({ exemptions: { names: [] } }),
      "exemptions.names",
      /unknown field/,
    ],
    [
      "a rule without a name",
      withTop({ rules: [{ states: ["Creating"], olderThan: "P1D", action: "delete" }] }),
      "rules[0].name",
      /is required/,
    ],
    ["a rule name with spaces", withRule({ name: "stale drafts" }), "rules[0].name", /letters, digits/],
    ["a rule without states", withRule({ states: [] }), "rules[0].states", /at least one state/],
    [
      "an unknown state",
      withRule({ states: ["Creating", "Canceled"] }),
      "rules[0].states[1]",
      /unknown state "Canceled"; accepted/,
    ],
    [
      "an unknown action",
      withRule({ action: "purge" }),
      "rules[0].action",
      /must be delete or cancel, got the string "purge"/,
    ],
    ["a capitalised action", withRule({ action: "Delete" }), "rules[0].action", /must be delete or cancel/],
    ["olderThan in months", withRule({ olderThan: "P1M" }), "rules[0].olderThan", /write days instead/],
    [
      "olderThan that is not a duration",
      withRule({ olderThan: "7 days" }),
      "rules[0].olderThan",
      /not an ISO 8601 duration/,
    ],
    ["olderThan as a number", withRule({ olderThan: 7 }), "rules[0].olderThan", /ISO 8601 duration/],
    [
      "a rule without olderThan",
      withTop({ rules: [{ name: "r", states: ["Creating"], action: "delete" }] }),
      "rules[0].olderThan",
      /is required/,
    ],
    ["enabled as a string", withRule({ enabled: "false" }), "rules[0].enabled", /true or false/],
    [
      "an unknown rule job type",
      withRule({ jobTypes: ["Import", "Migrate"] }),
      "rules[0].jobTypes[1]",
      /unknown job type "Migrate"/,
    ],
    ["an empty rule job type list", withRule({ jobTypes: [] }), "rules[0].jobTypes", /at least one job type/],
    [
      "a subscription that is not a GUID",
      withTop({ scope: { subscriptions: ["prod"] } }),
      "scope.subscriptions[0]",
      /GUID/,
    ],
    [
      "an excluded subscription that is not a GUID",
      withTop({ scope: { excludeSubscriptions: ["1234"] } }),
      "scope.excludeSubscriptions[0]",
      /GUID/,
    ],
    [
      "an empty subscription list",
      withTop({ scope: { subscriptions: [] } }),
      "scope.subscriptions",
      /at least one entry; use \["\*"\]/,
    ],
    [
      "an empty resource group list",
      withTop({ scope: { resourceGroups: [] } }),
      "scope.resourceGroups",
      /at least one entry/,
    ],
    [
      "an empty resource group pattern",
      withTop({ scope: { excludeResourceGroups: [""] } }),
      "scope.excludeResourceGroups[0]",
      /must not be empty/,
    ],
    [
      "an unknown scope job type",
      withTop({ scope: { jobTypes: ["Both"] } }),
      "scope.jobTypes[0]",
      /unknown job type/,
    ],
    [
      "tags that are not an object",
      withTop({ exemptions: { tags: ["janitor"] } }),
      "exemptions.tags",
      /object of tag name to value/,
    ],
    [
      "a tag value that is not a string",
      withTop({ exemptions: { tags: { janitor: true } } }),
      "exemptions.tags.janitor",
      /must be a string/,
    ],
    [
      "the same tag twice in different case",
      withTop({ exemptions: { tags: { janitor: "a", Janitor: "b" } } }),
      "exemptions.tags.Janitor",
      /appears twice/,
    ],
    [
      "a grace period in years",
      withTop({ guards: { gracePeriod: "P1Y" } }),
      "guards.gracePeriod",
      /years or months/,
    ],
    [
      "a guard that is not a boolean",
      withTop({ guards: { skipCreatingWithTrackingNumber: "yes" } }),
      "guards.skipCreatingWithTrackingNumber",
      /true or false/,
    ],
    [
      "maxActionsPerRun of 0",
      withTop({ limits: { maxActionsPerRun: 0 } }),
      "limits.maxActionsPerRun",
      /whole number of at least 1/,
    ],
    [
      "maxActionsPerSubscription of 2.5",
      withTop({ limits: { maxActionsPerSubscription: 2.5 } }),
      "limits.maxActionsPerSubscription",
      /whole number/,
    ],
    [
      "minJobsForFraction as a string",
      withTop({ limits: { minJobsForFraction: "10" } }),
      "limits.minJobsForFraction",
      /got the string "10"/,
    ],
    [
      "maxEligibleFraction above 1",
      withTop({ limits: { maxEligibleFraction: 1.5 } }),
      "limits.maxEligibleFraction",
      /from 0 to 1, got number 1.5/,
    ],
    [
      "maxEligibleFraction below 0",
      withTop({ limits: { maxEligibleFraction: -0.1 } }),
      "limits.maxEligibleFraction",
      /from 0 to 1/,
    ],
    ["scope that is not an object", withTop({ scope: "all" }), "scope", /must be an object/],
  ])("%s", (_what, doc, field, message) => {
    const problems = problemsOfDoc(doc);
    expect(problems).toContainEqual({ field, message: expect.stringMatching(message) });
    expect(problems).toHaveLength(1);
  });

  it("duplicate rule names, in any case", () => {
    const doc = withTop({ rules: [MINIMAL.rules[0], { ...MINIMAL.rules[0], name: "R" }] });
    expect(problemsOfDoc(doc)).toEqual([
      { field: "rules[1].name", message: 'duplicate rule name "R" (see rules[0])' },
    ]);
  });

  it("and lists every problem at once, by path", () => {
    const problems = problemsOfDoc({
      version: 2,
      rules: [
        { name: "a", states: ["Packaging", "Foo"], olderThan: "P1M", action: "cancel" },
        { name: "a", states: ["Shipping"], olderThan: "P1D", action: "delete", colour: "red" },
      ],
      scope: { subscriptions: ["nope"] },
      limits: { maxEligibleFraction: 2 },
    });
    expect(problems.map((p) => p.field).sort()).toEqual(
      [
        "version",
        "rules[0].states[1]",
        "rules[0].olderThan",
        "rules[0].action",
        "rules[1].colour",
        "rules[1].action",
        "rules[1].name",
        "scope.subscriptions[0]",
        "limits.maxEligibleFraction",
      ].sort(),
    );
  });

  it("a document that is not JSON, naming the source", () => {
    try {
      parsePolicy('{"version": 1,', { name: "bad.json" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).problems).toEqual([
        { field: "policy", message: expect.stringMatching(/^is not valid JSON/) },
      ]);
      expect((err as Error).message).toContain("bad.json");
    }
  });

  it("a document that is not YAML", () => {
    expect(problemsOf("version: 1\nrules: [\n", { format: "yaml" })).toEqual([
      { field: "policy", message: expect.stringMatching(/^is not valid YAML/) },
    ]);
  });

  it("duplicate keys in JSON (which JSON.parse would silently drop)", () => {
    expect(problemsOf('{"version": 1, "rules": [], "rules": []}')).toEqual([
      { field: "policy", message: expect.stringMatching(/^has a duplicate key at line 1/) },
    ]);
  });

  it("duplicate keys in YAML", () => {
    expect(problemsOf("version: 1\nrules: []\nrules: []\n")).toEqual([
      { field: "policy", message: expect.stringMatching(/Map keys must be unique/) },
    ]);
  });

  it.each([
    ["an empty document", "   "],
    ["null", "null"],
    ["a list", "[1, 2]"],
    ["a bare YAML string", "delete everything"],
  ])("%s", (_what, text) => {
    expect(problemsOf(text)).toEqual([
      { field: "policy", message: expect.stringMatching(/is empty|must be an object/) },
    ]);
  });

  it("an oversized document", () => {
    expect(problemsOf(`{"version":1,"rules":[],"x":"${"a".repeat(MAX_POLICY_BYTES)}"}`)).toEqual([
      { field: "policy", message: expect.stringContaining("larger than") },
    ]);
  });
});

describe("policyHash", () => {
  const base = parsePolicy(JSON.stringify(PRODUCT_EXAMPLE));

  it("is 16 hex characters and stable", () => {
    expect(policyHash(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(policyHash(base)).toBe(policyHash(parsePolicy(JSON.stringify(PRODUCT_EXAMPLE))));
  });

  it("does not change when the same policy is written differently", () => {
    const rewritten = [
      // keys in another order, YAML instead of JSON
      YAML.stringify({
        limits: {
          minJobsForFraction: 10,
          maxEligibleFraction: 0.5,
          maxActionsPerSubscription: 25,
          maxActionsPerRun: 100,
        },
        guards: {
          closedCountsAsCompleted: false,
          skipCreatingWithTrackingNumber: true,
          gracePeriod: "PT24H",
        },
        exemptions: { jobNames: [], tags: { JANITOR: "Exempt" } },
        scope: { jobTypes: ["export", "IMPORT"], resourceGroups: ["*"], subscriptions: ["*"] },
        rules: [
          { action: "delete", olderThan: "P1W", states: ["creating"], name: "stale-drafts" },
          {
            action: "delete",
            olderThan: "P30D",
            states: ["COMPLETED", "Completed"],
            name: "completed-retention",
          },
          {
            enabled: false,
            action: "cancel",
            olderThan: "PT720H",
            states: ["Shipping"],
            name: "drives-never-sent",
          },
        ],
        version: 1,
      }),
      // every default omitted
      JSON.stringify({
        version: 1,
        rules: [
          { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
          { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
          {
            name: "drives-never-sent",
            states: ["Shipping"],
            olderThan: "P30D",
            action: "cancel",
            enabled: false,
          },
        ],
      }),
    ];
    for (const text of rewritten) expect(policyHash(parsePolicy(text))).toBe(policyHash(base));
  });

  it("changes with every change in what the policy does", () => {
    const variants: ((p: Policy) => void)[] = [
      (p) => (p.rules[0]!.olderThan = "P8D"),
      (p) => (p.rules[0]!.action = "cancel"),
      (p) => (p.rules[0]!.name = "drafts"),
      (p) => (p.rules[0]!.jobTypes = ["Import"]),
      (p) => (p.rules[2]!.enabled = true),
      (p) => p.rules.reverse(),
      (p) => p.rules.pop(),
      (p) => (p.scope.subscriptions = ["11111111-1111-1111-1111-111111111111"]),
      (p) => (p.scope.excludeSubscriptions = ["11111111-1111-1111-1111-111111111111"]),
      (p) => (p.scope.resourceGroups = ["rg-*"]),
      (p) => (p.scope.excludeResourceGroups = ["legal-*"]),
      (p) => (p.scope.jobTypes = ["Export"]),
      (p) => (p.exemptions.tags = {}),
      (p) => (p.exemptions.jobNames = ["keep-*"]),
      (p) => (p.guards.gracePeriod = "PT0S"),
      (p) => (p.guards.skipCreatingWithTrackingNumber = false),
      (p) => (p.guards.closedCountsAsCompleted = true),
      (p) => (p.limits.maxActionsPerRun = 101),
      (p) => (p.limits.maxActionsPerSubscription = 24),
      (p) => (p.limits.maxEligibleFraction = 0.4),
      (p) => (p.limits.minJobsForFraction = 11),
    ];
    const hashes = new Set([policyHash(base)]);
    for (const change of variants) {
      const changed = structuredClone(base);
      change(changed);
      hashes.add(policyHash(changed));
    }
    expect(hashes.size).toBe(variants.length + 1);
  });

  it("is the same for two documents exactly when their effective policies are the same", () => {
    fc.assert(
      fc.property(policyDocument, policyDocument, (a, b) => {
        const pa = validatePolicy(a);
        const pb = validatePolicy(b);
        const same = JSON.stringify(pa) === JSON.stringify(pb);
        expect(policyHash(pa) === policyHash(pb)).toBe(same);
      }),
    );
  });

  it("ignores how a random policy is written (YAML, key order)", () => {
    fc.assert(
      fc.property(policyDocument, (doc) => {
        const reversed = reverseKeys(doc);
        expect(policyHash(parsePolicy(YAML.stringify(reversed)))).toBe(
          policyHash(parsePolicy(JSON.stringify(doc))),
        );
      }),
    );
  });
});

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    );
  }
  return value;
}
