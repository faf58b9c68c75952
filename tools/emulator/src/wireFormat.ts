import type { StoredJob, StoredSubscription } from "./JobStore";

// What the emulator puts on the wire, in the shapes of the specs: `JobResponse` (importexport 2021-01-01),
// `Subscription` (subscriptions 2022-12-01) and ARM's `ErrorResponse`.

export const JOB_RESOURCE_TYPE = "Microsoft.ImportExport/jobs";

export function jobResourceId(job: Pick<StoredJob, "subscriptionId" | "resourceGroup" | "name">): string {
  return (
    `/subscriptions/${job.subscriptionId}/resourceGroups/${job.resourceGroup}` +
    `/providers/${JOB_RESOURCE_TYPE}/${job.name}`
  );
}

/** The `JobResponse` body of a stored job; systemData only when the job has it, as in recorded live responses. */
export function jobResponse(job: StoredJob): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (job.systemData !== undefined) body.systemData = job.systemData;
  body.properties = job.properties;
  body.identity = job.identity ?? { type: "None" };
  body.id = jobResourceId(job);
  body.name = job.name;
  body.type = JOB_RESOURCE_TYPE;
  body.location = job.location;
  if (job.tags !== undefined) body.tags = job.tags;
  return job.wirePatch === undefined ? body : mergePatch(body, job.wirePatch);
}

/** RFC 7386 JSON merge patch: objects merge, `null` removes, anything else replaces. Returns a new value. */
export function mergePatch(target: unknown, patch: unknown): Record<string, unknown> {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  if (!isObject(patch)) return out;
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isObject(value)) out[key] = mergePatch(out[key], value);
    else out[key] = value;
  }
  return out;
}

export function subscriptionResponse(s: StoredSubscription): Record<string, unknown> {
  return {
    id: `/subscriptions/${s.subscriptionId}`,
    authorizationSource: "RoleBased",
    managedByTenants: [],
    subscriptionId: s.subscriptionId,
    tenantId: s.tenantId,
    displayName: s.displayName,
    state: s.state,
    subscriptionPolicies: {
      locationPlacementId: "Public_2014-09-01",
      quotaId: "PayAsYouGo_2014-09-01",
      spendingLimit: "Off",
    },
  };
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    target?: string;
    details?: Array<{ code: string; target?: string; message: string }>;
  };
}

export function errorBody(code: string, message: string, target?: string): ErrorBody {
  return target === undefined ? { error: { code, message } } : { error: { code, message, target } };
}
