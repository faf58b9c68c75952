// Builds a JobSnapshot from a Data Box job's raw JSON (`Microsoft.DataBox/jobs`, API 2022-12-01) as the service
// sent it, never through the SDK's deserializer, which fills defaults for what the body did not say (as the
// Import/Export SDK does: docs/service.md#sdk-traps). Only the fields below are copied: `details` (contact
// details, shipping and return addresses, packages, keys), `cancellationReason` and everything else stay in the
// body.
import type { JobSnapshot } from "../../domain/job";
import { isObject } from "./armResponse";
import { nonEmptyString, readJobEnvelope, readTags, wireTimestamp, type WireJob } from "./wireFields";

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
  const envelope = readJobEnvelope(raw, "databox");
  if (!envelope.ok) return envelope;
  const { id, name, parsed, properties, state, systemData } = envelope;
  const body = raw as Record<string, unknown>;
  const sku = isObject(body.sku) ? nonEmptyString(body.sku.name) : undefined;
  const location = nonEmptyString(body.location);
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
    tags: readTags(body.tags),
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
