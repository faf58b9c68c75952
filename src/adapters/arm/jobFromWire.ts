// Builds a JobSnapshot from a job's raw JSON as the service sent it. The SDK's deserializer fills defaults
// (`state: "Creating"`, `cancelRequested: false`) for missing fields, which for a deleter would turn "unknown"
// into "deletable", so the janitor never reads jobs through it (docs/service.md#sdk-traps).
// Only the fields below are copied: addresses, shipping details, phones, e-mails and keys never leave the body.
import { parseJobResourceId } from "../../domain/armIds";
import type { JobSnapshot } from "../../domain/job";
import { isObject } from "./armResponse";
import {
  badJob as bad,
  nonEmptyString,
  readTags,
  wireTimestamp as timestamp,
  type WireJob,
} from "./wireFields";

// Kept for src/cli/commands/explain.ts until it imports the domain module itself.
export { parseJobResourceId, type JobResourceId } from "../../domain/armIds";

export type { WireJob } from "./wireFields";

/** Reads one job; anything that cannot be trusted (no id, no name, no string state) is malformed, never a job. */
export function readJob(raw: unknown): WireJob {
  if (!isObject(raw)) return bad({}, "job is not a JSON object");
  const id = nonEmptyString(raw.id);
  const name = nonEmptyString(raw.name);
  const who = { ...(id && { id }), ...(name && { name }) };
  if (!id) return bad(who, "job has no id");
  if (!name) return bad(who, "job has no name");
  const parsed = parseJobResourceId(id);
  if (!parsed) return bad(who, "id is not a Microsoft.ImportExport/jobs resource id");
  if (parsed.name.toLowerCase() !== name.toLowerCase()) return bad(who, "name does not match the id");
  const properties = isObject(raw.properties) ? raw.properties : undefined;
  if (!properties) return bad(who, "job has no properties");
  const state = nonEmptyString(properties.state);
  if (!state) return bad(who, "job has no properties.state");

  const systemData = isObject(raw.systemData) ? raw.systemData : {};
  const deliveryPackage = isObject(properties.deliveryPackage) ? properties.deliveryPackage : {};
  const returnPackage = isObject(properties.returnPackage) ? properties.returnPackage : {};
  const location = nonEmptyString(raw.location);
  const provisioningState = nonEmptyString(properties.provisioningState);
  const createdAt = timestamp(systemData.createdAt);
  const lastModifiedAt = timestamp(systemData.lastModifiedAt);
  const returnShipDate = timestamp(returnPackage.shipDate);

  const job: JobSnapshot = {
    source: "importexport",
    id,
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup,
    name,
    ...(location && { location }),
    tags: readTags(raw.tags),
    jobType: typeof properties.jobType === "string" ? properties.jobType : "",
    state,
    ...(typeof properties.cancelRequested === "boolean" && { cancelRequested: properties.cancelRequested }),
    ...(provisioningState && { provisioningState }),
    ...(createdAt && { createdAt }),
    ...(lastModifiedAt && { lastModifiedAt }),
    hasDeliveryTrackingNumber: nonEmptyString(deliveryPackage.trackingNumber) !== undefined,
    ...(returnShipDate && { returnShipDate }),
  };
  return { ok: true, job };
}
