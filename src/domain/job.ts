/**
 * What the janitor knows about one Import/Export job: only what decisions need, read from the raw wire body.
 * It deliberately holds no personal data (addresses, phones, e-mails) and no keys, so nothing downstream can
 * leak them into logs or the audit table.
 */
export interface JobSnapshot {
  /** ARM resource id as the service returned it. */
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location?: string;
  tags: Record<string, string>;
  /** `properties.jobType` as sent (Import | Export, but the wire is free text). */
  jobType: string;
  /** `properties.state` as sent; never defaulted (a body without a state is not a JobSnapshot). */
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
}

/** The address of a job, enough to get, cancel or delete it. */
export interface JobRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export function jobRefOf(job: JobSnapshot): JobRef {
  return { subscriptionId: job.subscriptionId, resourceGroup: job.resourceGroup, name: job.name };
}

export interface SubscriptionInfo {
  subscriptionId: string;
  displayName?: string;
  /** Enabled, Warned, PastDue, Disabled, Deleted (free text on the wire). */
  state: string;
}
