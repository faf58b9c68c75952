// ARM ids and names: the one home of each rule the janitor applies to a subscription id, a resource group name,
// an Import/Export job name, a job resource id and its own run ids. Every edge (HTTP, CLI, queue messages),
// adapter and query imports these; nothing else writes a pattern for them. Pure.
//
// The rules, and why (docs/service.md#the-resource):
// - Subscription id: a GUID, in any letter case (ARM ids are case-insensitive).
// - Resource group: ARM's documented rule, 1-90 characters: underscores, hyphens, periods, parentheses and
//   letters or digits (Unicode letters and decimal digits, as .NET's Char.IsLetterOrDigit counts them), not
//   ending in a period (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
// - Job name: neither the spec nor the naming-rules page gives Import/Export job names a pattern, and the
//   janitor never creates a job: it only reads names the service returns and acts by them. So it accepts a safe
//   superset of what the service and the emulator allow: 1-260 characters, no `/ \ ? #` (they would change the
//   request URL; ARM: "don't use # in a resource name"), no control characters or broken Unicode, and not `.`,
//   `..` or only white space (URL normalisation would turn those into another address).
// - Run id: the janitor's own, made by `newRunId` (`20261121T232400Z-3f9a1c2b`, 25 characters). Accepted:
//   1-64 letters, digits and `-`, starting with a letter or digit. This is where the HTTP edge, the queue
//   messages and the stores used to differ (1-64 of `[A-Za-z0-9-]` there, 1-100 of `[A-Za-z0-9._-]` here);
//   it is the part every one of them accepted, so every id any of them took is still taken by all.
// - Job resource id: `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ImportExport/jobs/{name}`,
//   fixed segments case-insensitive, each variable segment under its rule above.
// - Data Box job resource id (the newer Import/Export experience, docs/service.md#data-box-jobs): the same shape
//   under `Microsoft.DataBox/jobs`. The SDK documents Data Box job names as 3-24 letters, digits and `_`, yet the
//   spec's own examples list names with `-`; the janitor only acts on names the service returned, so the same
//   safe superset as for Import/Export job names applies.

import type { JobRef, JobSource } from "./job";

/** A GUID in either case (subscription ids, managed identity client ids). */
export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A subscription id: a GUID, either case. */
export const SUBSCRIPTION_ID_PATTERN = GUID_PATTERN;

export const RESOURCE_GROUP_NAME_MAX = 90;
const RESOURCE_GROUP_NAME_PATTERN = /^[\p{L}\p{Nd}_\-.()]{0,89}[\p{L}\p{Nd}_\-()]$/u;

export const JOB_NAME_MAX = 260;
// `/ \ ? #`, C0 and C1 control characters, the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const JOB_NAME_REFUSED = /[/\\?#\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const RUN_ID_MAX = 64;
/** A run id: 1-64 letters, digits and `-`, starting with a letter or digit. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/** What each rule accepts, in words, for error messages. */
export const ACCEPTED_IDS = {
  subscriptionId: "a subscription id (GUID, xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
  resourceGroup: "a resource group name: 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'",
  jobName: "a job name: 1-260 characters without '/', '\\', '?', '#' or control characters, not '.' or '..'",
  jobId:
    "an Import/Export job resource id: " +
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.ImportExport/jobs/{jobName}",
  dataBoxJobId:
    "a Data Box job resource id: " +
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.DataBox/jobs/{jobName}",
  anyJobId:
    "a job resource id: " +
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/" +
    "(Microsoft.ImportExport|Microsoft.DataBox)/jobs/{jobName}",
  runId: "a run id as the janitor gives it (e.g. 20261121T232400Z-3f9a1c2b): 1-64 letters, digits and '-'",
} as const;

export function isGuid(value: unknown): value is string {
  return typeof value === "string" && GUID_PATTERN.test(value);
}

export function isSubscriptionId(value: unknown): value is string {
  return typeof value === "string" && SUBSCRIPTION_ID_PATTERN.test(value);
}

export function isResourceGroupName(value: unknown): value is string {
  return typeof value === "string" && RESOURCE_GROUP_NAME_PATTERN.test(value);
}

export function isJobName(value: unknown): value is string {
  return (
    typeof value === "string" &&
    value.length >= 1 &&
    value.length <= JOB_NAME_MAX &&
    value.trim() !== "" &&
    value !== "." &&
    value !== ".." &&
    !JOB_NAME_REFUSED.test(value) &&
    !LONE_SURROGATE.test(value)
  );
}

export function isRunId(value: unknown): value is string {
  return typeof value === "string" && RUN_ID_PATTERN.test(value);
}

/** The parts of a job resource id: enough to get, cancel or delete the job. */
export interface JobResourceId {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

/** The resource provider namespace of each job source, as ARM spells it. */
export const JOB_PROVIDER_NAMESPACE: Readonly<Record<JobSource, string>> = {
  importexport: "Microsoft.ImportExport",
  databox: "Microsoft.DataBox",
};

/** Longest job resource id of a source: the fixed segments plus the longest of each part. */
function jobIdMax(source: JobSource): number {
  return (
    formatSourcedJobResourceId({ source, subscriptionId: "", resourceGroup: "", name: "" }).length +
    36 +
    RESOURCE_GROUP_NAME_MAX +
    JOB_NAME_MAX
  );
}

/** Longest Import/Export job resource id. */
export const JOB_ID_MAX = jobIdMax("importexport");
/** Longest Data Box job resource id. */
export const DATABOX_JOB_ID_MAX = jobIdMax("databox");

/** `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ImportExport/jobs/{name}`, parts as given. */
export function formatJobResourceId(ref: JobResourceId): string {
  return formatSourcedJobResourceId({ ...ref, source: "importexport" });
}

/** `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataBox/jobs/{name}`, parts as given. */
export function formatDataBoxJobResourceId(ref: JobResourceId): string {
  return formatSourcedJobResourceId({ ...ref, source: "databox" });
}

/** The resource id of a job of either source, parts as given. */
export function formatSourcedJobResourceId(ref: JobRef): string {
  return (
    `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}` +
    `/providers/${JOB_PROVIDER_NAMESPACE[ref.source]}/jobs/${ref.name}`
  );
}

/**
 * Reads a job resource id: fixed segments in any case, a leading `/` and one trailing `/` optional, each part
 * under its rule. Undefined when it is not one. The parts keep the case they were written in.
 */
export function parseJobResourceId(id: unknown): JobResourceId | undefined {
  return parseIdOf("importexport", id);
}

/** As parseJobResourceId, for `Microsoft.DataBox/jobs` ids. */
export function parseDataBoxJobResourceId(id: unknown): JobResourceId | undefined {
  return parseIdOf("databox", id);
}

/** A job resource id of either source, with the source its provider namespace names; undefined otherwise. */
export function parseSourcedJobResourceId(id: unknown): JobRef | undefined {
  for (const source of ["importexport", "databox"] as const) {
    const parts = parseIdOf(source, id);
    if (parts) return { source, ...parts };
  }
  return undefined;
}

function parseIdOf(source: JobSource, id: unknown): JobResourceId | undefined {
  const max = source === "databox" ? DATABOX_JOB_ID_MAX : JOB_ID_MAX;
  if (typeof id !== "string" || id.length > max + 2) return undefined;
  const segments = id.split("/");
  if (segments[0] === "") segments.shift();
  if (segments[segments.length - 1] === "") segments.pop();
  if (segments.length !== 8) return undefined;
  const [subscriptions, subscriptionId, resourceGroups, resourceGroup, providers, namespace, jobs, name] =
    segments as [string, string, string, string, string, string, string, string];
  const expected = ["subscriptions", "resourcegroups", "providers", JOB_PROVIDER_NAMESPACE[source], "jobs"];
  const fixed = [subscriptions, resourceGroups, providers, namespace, jobs];
  if (fixed.some((s, i) => s.toLowerCase() !== expected[i]!.toLowerCase())) return undefined;
  if (!isSubscriptionId(subscriptionId) || !isResourceGroupName(resourceGroup) || !isJobName(name))
    return undefined;
  return { subscriptionId, resourceGroup, name };
}
