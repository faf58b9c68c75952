// Builds a JobSnapshot from a job's raw JSON as the service sent it. The SDK's deserializer fills defaults
// (`state: "Creating"`, `cancelRequested: false`) for missing fields, which for a deleter would turn "unknown"
// into "deletable", so the janitor never reads jobs through it (docs/service.md#sdk-traps).
// Only the fields below are copied: addresses, shipping details, phones, e-mails and keys never leave the body.
import type { JobSnapshot } from "../../domain/job";
import { isObject } from "./armResponse";
import {
  nonEmptyString,
  readJobEnvelope,
  readTags,
  wireTimestamp as timestamp,
  type WireJob,
} from "./wireFields";

// Kept for src/cli/commands/explain.ts until it imports the domain module itself.
export { parseJobResourceId, type JobResourceId } from "../../domain/armIds";

export type { WireJob } from "./wireFields";

/** Reads one job; anything that cannot be trusted (no id, no name, no string state) is malformed, never a job. */
export function readJob(raw: unknown): WireJob {
  const envelope = readJobEnvelope(raw, "importexport");
  if (!envelope.ok) return envelope;
  const { id, name, parsed, properties, state, systemData } = envelope;
  const body = raw as Record<string, unknown>;
  const deliveryPackage = isObject(properties.deliveryPackage) ? properties.deliveryPackage : {};
  const returnPackage = isObject(properties.returnPackage) ? properties.returnPackage : {};
  const location = nonEmptyString(body.location);
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
    tags: readTags(body.tags),
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
