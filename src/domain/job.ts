/**
 * Where a job lives: the classic Import/Export API (`Microsoft.ImportExport/jobs`) or the newer portal
 * experience, which creates Data Box resources (`Microsoft.DataBox/jobs`, SKU `DataBoxCustomerDisk`)
 * (docs/service.md#data-box-jobs).
 */
export const JOB_SOURCES = ["importexport", "databox"] as const;
export type JobSource = (typeof JOB_SOURCES)[number];

/** The one Data Box SKU that is an Import/Export job; every other SKU is a device order, never touched. */
export const DATABOX_CUSTOMER_DISK_SKU = "DataBoxCustomerDisk";

/**
 * What the janitor knows about one Import/Export job: only what decisions need, read from the raw wire body.
 * It deliberately holds no personal data (addresses, phones, e-mails) and no keys, so nothing downstream can
 * leak them into logs or the audit table.
 */
export interface JobSnapshot {
  source: JobSource;
  /** ARM resource id as the service returned it. */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location?: string;
  tags: Record<string, string>;
  /**
   * `properties.jobType` as sent (Import | Export, but the wire is free text); for Data Box jobs
   * `properties.transferType` read as Import (`ImportToAzure`) or Export (`ExportFromAzure`), else as sent.
   */
  jobType: string;
  /**
   * `properties.state` (Data Box: `properties.status`, the stage name) as sent; never defaulted (a body without
   * one is not a JobSnapshot).
   */
  state: string;
  /** `properties.cancelRequested`; undefined when the body did not say. */
  cancelRequested?: boolean;
  provisioningState?: string;
  /**
   * `systemData.createdAt` / `lastModifiedAt` as sent, often absent in real responses. The ARM reader keeps only
   * RFC 3339 date-times with an offset; the domain checks again (`parseRfc3339`) before using one.
   */
  createdAt?: string;
  lastModifiedAt?: string;
  /** Whether `deliveryPackage.trackingNumber` is a non-empty string (its value is not needed). */
  hasDeliveryTrackingNumber: boolean;
  /** `returnPackage.shipDate` when drives were sent back (kept under the same rule as the two above). */
  returnShipDate?: string;
  /** Data Box only: `sku.name` as sent (undefined when the body did not say: then never acted on). */
  sku?: string;
  /**
   * Data Box only: the service's own verdicts (`isDeletable`, `isCancellable`); undefined when the body did not
   * say, which counts as "no".
   */
  isDeletable?: boolean;
  isCancellable?: boolean;
  /** Data Box only: `startTime` (when the order was placed), RFC 3339 under the same rule as `createdAt`. */
  startTime?: string;
}

/** The address of a job, enough to get, cancel or delete it: the source says which API to ask. */
export interface JobRef {
  source: JobSource;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export function jobRefOf(job: JobSnapshot): JobRef {
  return {
    source: job.source,
    subscriptionId: job.subscriptionId,
    resourceGroup: job.resourceGroup,
    name: job.name,
  };
}

export interface SubscriptionInfo {
  subscriptionId: string;
  displayName?: string;
  /** Enabled, Warned, PastDue, Disabled, Deleted (free text on the wire). */
  state: string;
}
