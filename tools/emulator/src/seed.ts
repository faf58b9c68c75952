import { z } from "zod";
import { ValidationError, type FieldProblem } from "../../../src/errors";
import { zodProblems } from "../../../src/validation/zodProblems";

// The seed: the subscriptions and jobs the emulator starts with (README.md). Job `properties` follow
// the spec's JobDetails shape; the fields the spec marks required (e.g. every ReturnAddress line) are required
// here too, so whatever the emulator serves conforms to the spec. Unknown fields inside `properties` are kept and
// served as they are, as the real service's free-form JSON would be.

/** `Subscription.state` of the subscriptions spec (2022-12-01). */
export const SUBSCRIPTION_STATES = ["Enabled", "Warned", "PastDue", "Disabled", "Deleted"] as const;
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number];

export interface SeedSubscription {
  subscriptionId: string;
  displayName?: string;
  /** Default `Enabled`. */
  state?: SubscriptionState;
  tenantId?: string;
}

export interface SystemData {
  createdBy?: string;
  createdByType?: string;
  createdAt?: string;
  lastModifiedBy?: string;
  lastModifiedByType?: string;
  lastModifiedAt?: string;
}

export interface PackageDetails {
  carrierName: string;
  trackingNumber: string;
  driveCount?: number;
  shipDate?: string;
}

/** The spec's JobDetails; every field optional on the wire. */
export interface JobDetails {
  storageAccountId?: string;
  jobType?: string;
  /** Free text on the wire; a job seeded without a state is served without one (docs/service.md#sdk-traps). */
  state?: string;
  cancelRequested?: boolean;
  provisioningState?: string;
  returnAddress?: Record<string, unknown>;
  returnShipping?: Record<string, unknown>;
  shippingInformation?: Record<string, unknown>;
  deliveryPackage?: PackageDetails;
  returnPackage?: PackageDetails & { driveCount: number; shipDate: string };
  driveList?: Array<Record<string, unknown> & { driveId?: string; bitLockerKey?: string; state?: string }>;
  [field: string]: unknown;
}

export interface SeedJob {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  /** Served only when given (real responses often lack it); jobs created by PUT always get one. */
  systemData?: SystemData;
  properties: JobDetails;
  identity?: { type?: string; principalId?: string; tenantId?: string };
  /**
   * Emulator-only, never served: when the job was created and when it entered its current state (ISO 8601), for
   * the service's own expiries. Defaults: `systemData.createdAt`, else now; for the state, creation when Creating,
   * else `systemData.lastModifiedAt`, else `returnPackage.shipDate` (Completed/Closed), else now.
   */
  createdAt?: string;
  stateEnteredAt?: string;
  /**
   * Emulator-only: a JSON merge patch (RFC 7386) applied to the job's body every time it is served, to serve
   * what the spec's shapes do not allow (a `systemData.createdAt` of `"Jan 1"`, a state with a tab...). The
   * emulator's own rules and timestamps go by the stored job, not by the patch.
   */
  wirePatch?: Record<string, unknown>;
}

export interface EmulatorSeed {
  subscriptions?: SeedSubscription[];
  jobs?: SeedJob[];
}

const NAME_PATTERN = /^[^/\\?#]+$/;
const name = (what: string) =>
  z
    .string()
    .min(1, `expected a non-empty ${what}`)
    .max(260, `expected a ${what} of at most 260 characters`)
    .regex(NAME_PATTERN, `expected a ${what} without / \\ ? or #`);

const isoTimestamp = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), {
    message: "expected an ISO 8601 date-time, e.g. 2024-05-01T12:00:00Z",
  });

const identityType = z.enum(["User", "Application", "ManagedIdentity", "Key"]);

const systemData = z.strictObject({
  createdBy: z.string().optional(),
  createdByType: identityType.optional(),
  createdAt: isoTimestamp.optional(),
  lastModifiedBy: z.string().optional(),
  lastModifiedByType: identityType.optional(),
  lastModifiedAt: isoTimestamp.optional(),
});

const returnAddress = z.looseObject({
  recipientName: z.string(),
  streetAddress1: z.string(),
  streetAddress2: z.string().optional(),
  city: z.string(),
  stateOrProvince: z.string().optional(),
  postalCode: z.string(),
  countryOrRegion: z.string(),
  phone: z.string(),
  email: z.string(),
});

const shippingInformation = z.looseObject({
  recipientName: z.string().optional(),
  streetAddress1: z.string().optional(),
  streetAddress2: z.string().optional(),
  city: z.string().optional(),
  stateOrProvince: z.string().optional(),
  postalCode: z.string().optional(),
  countryOrRegion: z.string().optional(),
  phone: z.string().optional(),
  additionalInformation: z.string().optional(),
});

const deliveryPackage = z.looseObject({
  carrierName: z.string(),
  trackingNumber: z.string(),
  driveCount: z.number().int("expected a whole number").optional(),
  shipDate: z.string().optional(),
});

const returnPackage = z.looseObject({
  carrierName: z.string(),
  trackingNumber: z.string(),
  driveCount: z.number().int("expected a whole number"),
  shipDate: z.string(),
});

export const DRIVE_STATES = [
  "Specified",
  "Received",
  "NeverReceived",
  "Transferring",
  "Completed",
  "CompletedMoreInfo",
  "ShippedBack",
] as const;

const drive = z.looseObject({
  driveId: z.string().optional(),
  bitLockerKey: z.string().optional(),
  manifestFile: z.string().optional(),
  manifestHash: z.string().optional(),
  driveHeaderHash: z.string().optional(),
  state: z.enum(DRIVE_STATES).optional(),
  copyStatus: z.string().optional(),
  percentComplete: z.number().int("expected a whole number").optional(),
  bytesSucceeded: z.number().int("expected a whole number").optional(),
});

export const jobDetailsSchema = z.looseObject({
  storageAccountId: z.string().optional(),
  jobType: z.string().optional(),
  returnAddress: returnAddress.optional(),
  returnShipping: z.looseObject({ carrierName: z.string(), carrierAccountNumber: z.string() }).optional(),
  shippingInformation: shippingInformation.optional(),
  deliveryPackage: deliveryPackage.optional(),
  returnPackage: returnPackage.optional(),
  diagnosticsPath: z.string().optional(),
  logLevel: z.string().optional(),
  backupDriveManifest: z.boolean().optional(),
  state: z.string().optional(),
  cancelRequested: z.boolean().optional(),
  percentComplete: z.number().int("expected a whole number").optional(),
  incompleteBlobListUri: z.string().optional(),
  driveList: z.array(drive).max(10, "expected at most 10 drives").optional(),
  export: z.looseObject({}).optional(),
  provisioningState: z.string().optional(),
  encryptionKey: z
    .looseObject({
      kekType: z.enum(["MicrosoftManaged", "CustomerManaged"]).optional(),
      kekUrl: z.string().optional(),
      kekVaultResourceID: z.string().optional(),
    })
    .optional(),
});

export const tagsSchema = z.record(z.string(), z.string());

const identity = z.looseObject({
  type: z.enum(["None", "SystemAssigned", "UserAssigned"]).optional(),
  principalId: z.string().optional(),
  tenantId: z.string().optional(),
});

const seedJob = z.strictObject({
  subscriptionId: name("subscription id"),
  resourceGroup: name("resource group name"),
  name: name("job name"),
  location: z.string().min(1, "expected a non-empty Azure location, e.g. West US"),
  tags: tagsSchema.optional(),
  systemData: systemData.optional(),
  properties: jobDetailsSchema,
  identity: identity.optional(),
  createdAt: isoTimestamp.optional(),
  stateEnteredAt: isoTimestamp.optional(),
  wirePatch: z.looseObject({}, { message: "expected a JSON merge patch object" }).optional(),
});

const seedSubscription = z.strictObject({
  subscriptionId: name("subscription id"),
  displayName: z.string().optional(),
  state: z.enum(SUBSCRIPTION_STATES).optional(),
  tenantId: z.string().optional(),
});

const seedSchema = z.strictObject({
  subscriptions: z.array(seedSubscription).optional(),
  jobs: z.array(seedJob).optional(),
});

export function jobKey(subscriptionId: string, resourceGroup: string, jobName: string): string {
  // ARM names are case-insensitive.
  return `${subscriptionId}/${resourceGroup}/${jobName}`.toLowerCase();
}

/**
 * A valid seed from untrusted JSON, or a ValidationError naming every bad field (`jobs[3].properties.state:
 * expected a string`), each prefixed with `prefix` when given (e.g. `seed`).
 */
export function parseSeed(input: unknown, prefix = ""): EmulatorSeed {
  const parsed = seedSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(zodProblems(parsed.error, prefix, prefix || "seed"));
  const seed = parsed.data as EmulatorSeed;
  const problems: FieldProblem[] = [];
  const at = (path: string) => (prefix === "" ? path : `${prefix}.${path}`);
  const seenSubs = new Map<string, number>();
  seed.subscriptions?.forEach((s, i) => {
    const key = s.subscriptionId.toLowerCase();
    const first = seenSubs.get(key);
    if (first !== undefined) {
      problems.push({
        field: at(`subscriptions[${i}].subscriptionId`),
        message: `duplicate of subscriptions[${first}]`,
      });
    } else seenSubs.set(key, i);
  });
  const seenJobs = new Map<string, number>();
  seed.jobs?.forEach((j, i) => {
    const key = jobKey(j.subscriptionId, j.resourceGroup, j.name);
    const first = seenJobs.get(key);
    if (first !== undefined) {
      problems.push({
        field: at(`jobs[${i}].name`),
        message: `duplicate of jobs[${first}] (subscription, resource group and name are case-insensitive)`,
      });
    } else seenJobs.set(key, i);
  });
  if (problems.length > 0) throw new ValidationError(problems);
  return seed;
}
