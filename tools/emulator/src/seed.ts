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
  /**
   * Emulator-only: false = the subscription never registered the `Microsoft.DataBox` provider, so every Data Box
   * request there answers 409 `MissingSubscriptionRegistration` (default true). It then holds no Data Box job.
   */
  dataBoxRegistered?: boolean;
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

/** The SKUs of the Data Box spec (2022-12-01); only `DataBoxCustomerDisk` orders are Import/Export jobs. */
export const DATA_BOX_SKUS = ["DataBox", "DataBoxDisk", "DataBoxHeavy", "DataBoxCustomerDisk"] as const;
export type DataBoxSkuName = (typeof DATA_BOX_SKUS)[number];

/**
 * The Data Box spec's `JobProperties` (2022-12-01). `isCancellable`, `isDeletable` and `isCancellableWithoutFee`
 * are computed by the emulator from its stage settings unless the seed sets them (so a test can make flag and stage
 * disagree); a set flag holds until the job's stage changes. `details` (contact details, addresses: personal
 * data) is served only on `$expand=details`.
 */
export interface DataBoxJobProperties {
  /** The stage name, free text in the spec; a job seeded without one is served without one. */
  status?: string;
  transferType: "ImportToAzure" | "ExportFromAzure";
  isCancellable?: boolean;
  isDeletable?: boolean;
  isCancellableWithoutFee?: boolean;
  /** ISO 8601; defaults to `systemData.createdAt`, else when the job was loaded. */
  startTime?: string;
  cancellationReason?: string;
  deliveryType?: "NonScheduled" | "Scheduled";
  details?: Record<string, unknown> & {
    jobDetailsType: DataBoxSkuName;
    contactDetails: Record<string, unknown>;
  };
  [field: string]: unknown;
}

/** A job of the Data Box API (`Microsoft.DataBox/jobs`), as a seed gives it. */
export interface DataBoxSeedJob {
  source: "databox";
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  /** Served only when given. */
  systemData?: SystemData;
  /** The spec's SkuName is an extensible enum: any name is served (only DataBoxCustomerDisk is Import/Export). */
  sku: { name: DataBoxSkuName | (string & {}); displayName?: string; family?: string };
  identity?: { type?: string };
  properties: DataBoxJobProperties;
  /**
   * Emulator-only, never served: when the job entered its current stage (ISO 8601). Defaults:
   * `systemData.lastModifiedAt`, else `properties.startTime`, else now.
   */
  stageEnteredAt?: string;
  /** As for classic jobs: a JSON merge patch applied to the served body (e.g. `{"properties":{"isDeletable":null}}`). */
  wirePatch?: Record<string, unknown>;
}

/** A classic job may say `"source": "importexport"`; without `source` a job is classic. */
export type AnySeedJob = (SeedJob & { source?: "importexport" }) | DataBoxSeedJob;

export function isDataBoxSeedJob(job: AnySeedJob): job is DataBoxSeedJob {
  return job.source === "databox";
}

export interface EmulatorSeed {
  subscriptions?: SeedSubscription[];
  /** Classic Import/Export jobs, and Data Box jobs (`"source": "databox"`). */
  jobs?: AnySeedJob[];
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

const contactDetails = z.looseObject({
  contactName: z.string(),
  phone: z.string(),
  phoneExtension: z.string().optional(),
  mobile: z.string().optional(),
  emailList: z.array(z.string()),
});

const shippingAddress = z.looseObject({
  streetAddress1: z.string(),
  streetAddress2: z.string().optional(),
  streetAddress3: z.string().optional(),
  city: z.string().optional(),
  stateOrProvince: z.string().optional(),
  country: z.string(),
  postalCode: z.string().optional(),
  zipExtendedCode: z.string().optional(),
  companyName: z.string().optional(),
  addressType: z.enum(["None", "Residential", "Commercial"]).optional(),
});

// The spec's JobProperties: transferType is required; the read-only flags may be seeded to disagree with the stage.
const dataBoxProperties = z.looseObject({
  status: z.string().optional(),
  transferType: z.enum(["ImportToAzure", "ExportFromAzure"]),
  isCancellable: z.boolean().optional(),
  isDeletable: z.boolean().optional(),
  isCancellableWithoutFee: z.boolean().optional(),
  isShippingAddressEditable: z.boolean().optional(),
  isPrepareToShipEnabled: z.boolean().optional(),
  startTime: isoTimestamp.optional(),
  cancellationReason: z.string().optional(),
  deliveryType: z.enum(["NonScheduled", "Scheduled"]).optional(),
  details: z
    .looseObject({
      jobDetailsType: z.enum(DATA_BOX_SKUS),
      contactDetails,
      shippingAddress: shippingAddress.optional(),
      returnToCustomerPackageDetails: z.looseObject({}).optional(),
    })
    .optional(),
});

const dataBoxSeedJob = z.strictObject({
  source: z.literal("databox"),
  subscriptionId: name("subscription id"),
  resourceGroup: name("resource group name"),
  // The Data Box API's jobName: 3 to 24 characters of letters, digits, `_`, `-` and `.`.
  name: z
    .string()
    .min(3, "expected a Data Box job name of 3 to 24 characters")
    .max(24, "expected a Data Box job name of 3 to 24 characters")
    .regex(/^[-\w.]+$/, "expected a Data Box job name of letters, digits, _, - and ."),
  location: z.string().min(1, "expected a non-empty Azure location, e.g. westus"),
  tags: tagsSchema.optional(),
  systemData: systemData.optional(),
  sku: z.strictObject({
    name: z.string().min(1, `expected a non-empty SKU name, e.g. ${DATA_BOX_SKUS.join(", ")}`),
    displayName: z.string().optional(),
    family: z.string().optional(),
  }),
  identity: z.looseObject({ type: z.string().optional() }).optional(),
  properties: dataBoxProperties,
  stageEnteredAt: isoTimestamp.optional(),
  wirePatch: z.looseObject({}, { message: "expected a JSON merge patch object" }).optional(),
});

const classicSeedJob = seedJob.extend({ source: z.literal("importexport").optional() });

// Dispatch on `source`, so a bad Data Box job is reported against the Data Box shape (not as a union mismatch).
const anySeedJob = z.custom<unknown>().transform((value, ctx) => {
  const schema =
    value !== null && typeof value === "object" && (value as { source?: unknown }).source === "databox"
      ? dataBoxSeedJob
      : classicSeedJob;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as AnySeedJob;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue } as never);
  return z.NEVER;
});

const seedSubscription = z.strictObject({
  subscriptionId: name("subscription id"),
  displayName: z.string().optional(),
  state: z.enum(SUBSCRIPTION_STATES).optional(),
  tenantId: z.string().optional(),
  dataBoxRegistered: z.boolean().optional(),
});

const seedSchema = z.strictObject({
  subscriptions: z.array(seedSubscription).optional(),
  jobs: z.array(anySeedJob).optional(),
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
  const unregistered = new Set(
    (seed.subscriptions ?? [])
      .filter((s) => s.dataBoxRegistered === false)
      .map((s) => s.subscriptionId.toLowerCase()),
  );
  seed.jobs?.forEach((j, i) => {
    if (isDataBoxSeedJob(j) && unregistered.has(j.subscriptionId.toLowerCase())) {
      problems.push({
        field: at(`jobs[${i}].subscriptionId`),
        message:
          "the seed says this subscription has dataBoxRegistered: false, so it cannot hold a Data Box job",
      });
    }
  });
  const seenJobs = new Map<string, number>();
  seed.jobs?.forEach((j, i) => {
    // A classic job and a Data Box job may share a name: they are different resource types.
    const key = `${isDataBoxSeedJob(j) ? "databox" : "importexport"}|${jobKey(j.subscriptionId, j.resourceGroup, j.name)}`;
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
