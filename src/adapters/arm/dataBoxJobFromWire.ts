// Builds a JobSnapshot from a Data Box job's raw JSON (`Microsoft.DataBox/jobs`, API 2022-12-01) as the service
// sent it, never through the SDK's deserializer, which fills defaults for what the body did not say (as the
// Import/Export SDK does: docs/service.md#sdk-traps). Only the fields below are copied: `details` (contact
// details, shipping and return addresses, packages, keys), `cancellationReason` and everything else stay in the
// body.
import { parseDataBoxJobResourceId } from "../../domain/armIds";
import type { JobSnapshot } from "../../domain/job";
import { isObject } from "./armResponse";
import { badJob, nonEmptyString, readTags, wireTimestamp, type WireJob } from "./wireFields";

/** `transferType` values and the job type the policy's `jobTypes` names them by. */
const JOB_TYPE_OF_TRANSFER: Readonly<Record<string, string>> = {
  ImportToAzure: "Import",
  ExportFromAzure: "Export",
};

/**
 * Reads one Data Box job; anything that cannot be trusted (no Data Box job id, a name that is not the id's, no
 * string `properties.status`) is malformed, never a job. Jobs of every SKU are read (the domain counts device
 * orders as out of scope); `sku` is kept as sent.
 */
export function readDataBoxJob(raw: unknown): WireJob {
  if (!isObject(raw)) return badJob({}, "job is not a JSON object");
  const id = nonEmptyString(raw.id);
  const name = nonEmptyString(raw.name);
  const who = { ...(id && { id }), ...(name && { name }) };
  if (!id) return badJob(who, "job has no id");
  if (!name) return badJob(who, "job has no name");
  const parsed = parseDataBoxJobResourceId(id);
  if (!parsed) return badJob(who, "id is not a Microsoft.DataBox/jobs resource id");
  if (parsed.name.toLowerCase() !== name.toLowerCase()) return badJob(who, "name does not match the id");
  const properties = isObject(raw.properties) ? raw.properties : undefined;
  if (!properties) return badJob(who, "job has no properties");
  const state = nonEmptyString(properties.status);
  if (!state) return badJob(who, "job has no properties.status");

  const systemData = isObject(raw.systemData) ? raw.systemData : {};
  const sku = isObject(raw.sku) ? nonEmptyString(raw.sku.name) : undefined;
  const location = nonEmptyString(raw.location);
  const transferType = typeof properties.transferType === "string" ? properties.transferType : "";
  const createdAt = wireTimestamp(systemData.createdAt);
  const lastModifiedAt = wireTimestamp(systemData.lastModifiedAt);
  const startTime = wireTimestamp(properties.startTime);

  const job: JobSnapshot = {
    source: "databox",
    id,
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup,
    name,
    ...(location && { location }),
    tags: readTags(raw.tags),
    jobType: Object.hasOwn(JOB_TYPE_OF_TRANSFER, transferType)
      ? JOB_TYPE_OF_TRANSFER[transferType]!
      : transferType,
    state,
    ...(createdAt && { createdAt }),
    ...(lastModifiedAt && { lastModifiedAt }),
    // Data Box keeps its packages under `details`, which the janitor never asks for nor reads.
    hasDeliveryTrackingNumber: false,
    ...(sku && { sku }),
    // The service's own verdicts count only as booleans: "true" or 1 is not a yes.
    ...(typeof properties.isDeletable === "boolean" && { isDeletable: properties.isDeletable }),
    ...(typeof properties.isCancellable === "boolean" && { isCancellable: properties.isCancellable }),
    ...(startTime && { startTime }),
  };
  return { ok: true, job };
}
