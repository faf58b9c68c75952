import { z } from "zod";
import { isSubscriptionId } from "../armIds";
import { checkDuration, formatDurationMs } from "../duration";
import { JOB_SOURCES, type JobSource } from "../job";
import { anyStateName, STATE_NAMES, type StateName } from "../jobStates";

// The policy document (docs/policy.md#fields), as a zod schema. Parsing also normalises it into the *effective*
// policy: defaults filled in, states and job types in their documented spelling, durations in canonical form,
// subscription ids, tag keys/values and name patterns lower-cased (they all match case-insensitively), and
// set-like lists de-duplicated and sorted. Two documents that mean the same thing therefore parse to the same
// object, which is what `policyHash` hashes. Rule order is kept: the first matching rule decides.

export const POLICY_VERSION = 1;
export const JOB_TYPES = ["Import", "Export"] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const RULE_ACTIONS = ["delete", "cancel"] as const;

const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function sortedUnique<T>(values: readonly T[], order?: readonly T[]): T[] {
  const unique = [...new Set(values)];
  return order ? order.filter((v) => unique.includes(v)) : unique.sort();
}

/** `["*", ...]` means everything; keep just `["*"]` so both spellings are the same effective policy. */
function collapseWildcard(values: string[]): string[] {
  return values.includes("*") ? ["*"] : sortedUnique(values);
}

const stateName = z
  .string({ error: "must be a string naming a job state" })
  .transform((raw, ctx): StateName => {
    const state = anyStateName(raw);
    if (state === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `unknown state "${raw}"; accepted (any case): ${STATE_NAMES.join(", ")}`,
      });
      return z.NEVER;
    }
    return state;
  });

const jobType = z.string({ error: "must be a string: Import or Export" }).transform((raw, ctx): JobType => {
  const found = JOB_TYPES.find((t) => t.toLowerCase() === raw.trim().toLowerCase());
  if (found === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `unknown job type "${raw}"; accepted (any case): Import, Export`,
    });
    return z.NEVER;
  }
  return found;
});

const jobTypes = z
  .array(jobType, { error: "must be a list of job types (Import, Export)" })
  .min(1, { error: "must name at least one job type (Import, Export)" })
  .transform((v) => sortedUnique(v, JOB_TYPES));

const source = z
  .string({ error: "must be a string: importexport or databox" })
  .transform((raw, ctx): JobSource => {
    const found = JOB_SOURCES.find((s) => s === raw.trim().toLowerCase());
    if (found === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `unknown job source "${raw}"; accepted (any case): ${JOB_SOURCES.join(", ")}`,
      });
      return z.NEVER;
    }
    return found;
  });

const sources = z
  .array(source, { error: `must be a list of job sources (${JOB_SOURCES.join(", ")})` })
  .min(1, { error: `must name at least one job source (${JOB_SOURCES.join(", ")})` })
  .transform((v) => sortedUnique(v, JOB_SOURCES));

const duration = z
  .string({ error: "must be an ISO 8601 duration string, e.g. P7D" })
  .transform((raw, ctx) => {
    const result = checkDuration(raw);
    if ("error" in result) {
      ctx.addIssue({ code: "custom", message: result.error });
      return z.NEVER;
    }
    return formatDurationMs(result.ms);
  });

const subscriptionId = z
  .string({ error: 'must be a subscription id (GUID) or "*"' })
  .trim()
  .refine((v) => v === "*" || isSubscriptionId(v), { error: 'must be a subscription id (GUID) or "*"' })
  .transform((v) => v.toLowerCase());

const namePattern = z
  .string({ error: "must be a name or a pattern with * and ?" })
  .trim()
  .min(1, { error: "must not be empty" })
  .max(260, { error: "must be at most 260 characters" })
  .transform((v) => v.toLowerCase());

function patternList(what: string, atLeastOne: boolean) {
  const list = z.array(namePattern, { error: `must be a list of ${what}` });
  return (
    atLeastOne ? list.min(1, { error: `must have at least one entry; use ["*"] for all` }) : list
  ).transform(collapseWildcard);
}

function subscriptionList(atLeastOne: boolean) {
  const list = z.array(subscriptionId, { error: 'must be a list of subscription ids (GUIDs) or "*"' });
  return (
    atLeastOne ? list.min(1, { error: 'must have at least one entry; use ["*"] for all' }) : list
  ).transform(collapseWildcard);
}

const positiveInt = z
  .number({ error: "must be a whole number of at least 1" })
  .int({ error: "must be a whole number of at least 1" })
  .min(1, { error: "must be a whole number of at least 1" });

export const ruleShape = {
  name: z.string({ error: "must be a string" }).regex(RULE_NAME, {
    error: "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
  }),
  enabled: z.boolean({ error: "must be true or false" }).default(true),
  states: z
    .array(stateName, { error: "must be a list of job states" })
    .min(1, { error: "must name at least one state" })
    .transform((v) => sortedUnique(v, STATE_NAMES)),
  jobTypes: jobTypes.default(() => [...JOB_TYPES]),
  // Which job sources the rule applies to (docs/policy.md#sources); both unless it says.
  sources: sources.default(() => [...JOB_SOURCES]),
  olderThan: duration,
  action: z.enum(RULE_ACTIONS, { error: "must be delete or cancel" }),
};

export const scopeShape = {
  subscriptions: subscriptionList(true).default(() => ["*"]),
  excludeSubscriptions: subscriptionList(false).default(() => []),
  resourceGroups: patternList("resource group names or patterns", true).default(() => ["*"]),
  excludeResourceGroups: patternList("resource group names or patterns", false).default(() => []),
  jobTypes: jobTypes.default(() => [...JOB_TYPES]),
};

const tagMap = z
  .record(
    z.string().min(1, { error: "tag names must not be empty" }),
    z.string({ error: "must be a string" }),
    {
      error: 'must be an object of tag name to value, e.g. {"janitor": "exempt"}',
    },
  )
  .transform((tags, ctx) => {
    // Tag names are case-insensitive in Azure; values are compared case-insensitively too, so that a job
    // tagged `Exempt` is exempt: when in doubt, the janitor errs towards not acting.
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(tags)) {
      const lower = key.toLowerCase();
      if (lower in out) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `tag name "${key}" appears twice (names ignore case)`,
        });
      }
      out[lower] = value.toLowerCase();
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });

export const exemptionsShape = {
  tags: tagMap.default(() => ({ janitor: "exempt" })),
  jobNames: patternList("job names or patterns", false).default(() => []),
};

export const guardsShape = {
  gracePeriod: duration.default("P1D"),
  skipCreatingWithTrackingNumber: z.boolean({ error: "must be true or false" }).default(true),
  closedCountsAsCompleted: z.boolean({ error: "must be true or false" }).default(false),
};

export const limitsShape = {
  maxActionsPerRun: positiveInt.default(100),
  maxActionsPerSubscription: positiveInt.default(25),
  maxEligibleFraction: z
    .number({ error: "must be a number from 0 to 1" })
    .min(0, { error: "must be a number from 0 to 1" })
    .max(1, { error: "must be a number from 0 to 1" })
    .default(0.5),
  minJobsForFraction: positiveInt.default(10),
};

export const policyShape = {
  version: z.literal(POLICY_VERSION, { error: `must be ${POLICY_VERSION}, the only policy version` }),
  // No default: a policy must say itself what it deletes or cancels ([] is a valid policy that does nothing).
  rules: z.array(z.strictObject(ruleShape, { error: "must be an object (a rule)" }), {
    error: "must be a list of rules",
  }),
  scope: z.strictObject(scopeShape, { error: "must be an object" }).prefault({}),
  exemptions: z.strictObject(exemptionsShape, { error: "must be an object" }).prefault({}),
  guards: z.strictObject(guardsShape, { error: "must be an object" }).prefault({}),
  limits: z.strictObject(limitsShape, { error: "must be an object" }).prefault({}),
  // Where editors find the policy's JSON Schema (`ie-janitor policy schema`): accepted, then dropped below, so it
  // never reaches the effective policy or its hash.
  $schema: z.string({ error: "must be a string (the location of the policy's JSON Schema)" }).optional(),
};

export const policySchema = z
  .strictObject(policyShape, { error: "must be an object (the policy document)" })
  .transform(({ $schema: _editorHint, ...policy }) => policy);

/** The effective policy: every field present and normalised. */
export type Policy = z.output<typeof policySchema>;
export type PolicyRule = Policy["rules"][number];
export type PolicyScope = Policy["scope"];
export type PolicyGuards = Policy["guards"];
export type PolicyLimits = Policy["limits"];
/** A policy document as written: fields with defaults may be omitted. */
export type PolicyDocument = z.input<typeof policySchema>;

/** The fields each object of the document accepts, for "unknown field" messages. */
export const OBJECT_FIELDS = {
  policy: Object.keys(policyShape),
  rule: Object.keys(ruleShape),
  scope: Object.keys(scopeShape),
  exemptions: Object.keys(exemptionsShape),
  guards: Object.keys(guardsShape),
  limits: Object.keys(limitsShape),
} as const;
