// Job bodies as the service sends them, with made-up personal data that must never reach a snapshot.
export const SUB = "11111111-2222-3333-4444-555555555555";
export const RG = "rg-imports";
export const ENDPOINT = "https://127.0.0.1:8443";

/** Values that may appear in a wire body but never in a JobSnapshot, failure or error message. */
export const PERSONAL = [
  "Alex Example",
  "1 Test Street",
  "alex@example.com",
  "+31 20 555 0100",
  "Ops Recipient",
  "ops@example.org",
  "123456-654321-111111-222222-333333-444444-555555-666666",
];

export function jobId(name: string, subscriptionId = SUB, resourceGroup = RG): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ImportExport/jobs/${name}`;
}

export function wireJob(
  name: string,
  properties: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    id: jobId(name),
    name,
    type: "Microsoft.ImportExport/jobs",
    location: "westeurope",
    tags: { owner: "team-a", keep: "true" },
    systemData: { createdAt: "2024-01-02T03:04:05Z", lastModifiedAt: "2024-01-05T06:07:08Z" },
    properties: {
      jobType: "Import",
      state: "Completed",
      cancelRequested: false,
      provisioningState: "Succeeded",
      storageAccountId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Storage/storageAccounts/acct`,
      returnAddress: {
        recipientName: "Alex Example",
        streetAddress1: "1 Test Street",
        city: "Testville",
        postalCode: "1000 AA",
        countryOrRegion: "NL",
        phone: "+31 20 555 0100",
        email: "alex@example.com",
      },
      shippingInformation: {
        recipientName: "Ops Recipient",
        streetAddress1: "9 Datacenter Road",
        city: "Amsterdam",
        postalCode: "1100 ZZ",
        countryOrRegion: "NL",
        phone: "+31 20 555 0199",
      },
      deliveryPackage: {
        carrierName: "CarrierX",
        trackingNumber: "TRK-001",
        driveCount: 1,
        shipDate: "2024-01-03",
      },
      returnPackage: {
        carrierName: "CarrierX",
        trackingNumber: "RET-002",
        driveCount: 1,
        shipDate: "2024-02-01T00:00:00Z",
      },
      driveList: [
        {
          driveId: "9CA995BB",
          bitLockerKey: "123456-654321-111111-222222-333333-444444-555555-666666",
          state: "Completed",
        },
      ],
      notificationEmails: ["ops@example.org"],
      ...properties,
    },
    ...extra,
  };
}

/** A job body with `properties.state` removed. */
export function wireJobWithoutState(name: string) {
  const job = wireJob(name);
  const properties: Record<string, unknown> = { ...job.properties };
  delete properties.state;
  delete properties.cancelRequested;
  return { ...job, properties };
}
