// Data Box job bodies in the 2022-12-01 spec's JobResource shape, with made-up personal data and secrets that must
// never reach a snapshot (the spec's own examples are under test/fixtures/databox).
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { ENDPOINT, RG, SUB } from "./wireJobs";

export { ENDPOINT, RG, SUB };

/** Values that may appear in a Data Box wire body but never in a JobSnapshot, failure or error message. */
export const DATABOX_PERSONAL = [
  "Casey Canary",
  "casey.canary@example.com",
  "+31 20 555 0177",
  "7 Canary Lane",
  "Canary Works BV",
  "NL-TAX-CANARY-77",
  "Dana Return",
  "dana.return@example.net",
  "12 Return Road",
  "DEVICE-PASSWORD-CANARY",
  "BITLOCKER-CANARY-111111-222222",
  "reason naming Casey Canary",
];

export function dataBoxJobId(name: string, subscriptionId = SUB, resourceGroup = RG): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.DataBox/jobs/${name}`;
}

/** A customer-disk job as `$expand=details` would show it: the janitor never asks for details, but must not trust that. */
export function wireDataBoxJob(
  name: string,
  properties: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    id: dataBoxJobId(name),
    name,
    type: "Microsoft.DataBox/jobs",
    location: "westeurope",
    tags: { owner: "team-a" },
    sku: { name: "DataBoxCustomerDisk" },
    identity: { type: "None" },
    systemData: {
      createdBy: "casey.canary@example.com",
      createdByType: "User",
      createdAt: "2024-01-02T03:04:05Z",
      lastModifiedBy: "casey.canary@example.com",
      lastModifiedByType: "User",
      lastModifiedAt: "2024-01-05T06:07:08Z",
    },
    properties: {
      transferType: "ImportToAzure",
      isCancellable: false,
      isDeletable: true,
      isShippingAddressEditable: false,
      isPrepareToShipEnabled: false,
      status: "Completed",
      startTime: "2024-01-02T03:04:05.1234567+01:00",
      cancellationReason: "reason naming Casey Canary",
      deliveryType: "NonScheduled",
      deliveryInfo: { scheduledDateTime: "0001-01-01T05:30:00+05:30" },
      isCancellableWithoutFee: false,
      details: {
        jobDetailsType: "DataBoxCustomerDisk",
        contactDetails: {
          contactName: "Casey Canary",
          phone: "+31 20 555 0177",
          emailList: ["casey.canary@example.com"],
        },
        shippingAddress: {
          streetAddress1: "7 Canary Lane",
          city: "Amsterdam",
          country: "NL",
          postalCode: "1000 AA",
          companyName: "Canary Works BV",
          taxIdentificationNumber: "NL-TAX-CANARY-77",
        },
        returnToCustomerPackageDetails: {
          carrierName: "CarrierX",
          carrierAccountNumber: "ACC-1",
          trackingId: "TRK-DBX-1",
        },
        deliveryPackage: { carrierName: "CarrierX", trackingId: "TRK-DBX-2", trackingUrl: "" },
        importDiskDetailsCollection: {
          disk1: {
            manifestFile: "\\\\manifests\\\\disk1.xml",
            manifestHash: "abc",
            bitLockerKey: "BITLOCKER-CANARY-111111-222222",
          },
        },
        devicePassword: "DEVICE-PASSWORD-CANARY",
        returnPackage: { carrierName: "CarrierX", trackingId: "", trackingUrl: "" },
        preferences: {},
        notes: "Dana Return, 12 Return Road, dana.return@example.net",
      },
      ...properties,
    },
    ...extra,
  };
}

/** A fixture taken from the published Data Box spec (see each file's `source`). */
export function specFixture<T = Record<string, unknown>>(file: string): T {
  const path = join(__dirname, "..", "..", "..", "fixtures", "databox", file);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
