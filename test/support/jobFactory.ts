// Seed jobs for scenario tests, described by what matters to a decision. Personal data in them is fake and is
// there so tests can check it never reaches the audit log.
import type { DataBoxSeedJob, SeedJob } from "../../tools/emulator/src/seed";

const DAY = 86_400_000;

export interface JobSpec {
  sub: string;
  name: string;
  rg?: string;
  type?: "Import" | "Export";
  /** undefined = a body without `state` (the SDK would read it as Creating). */
  state: string | undefined;
  days: number;
  systemData?: boolean;
  tracking?: boolean;
  tags?: Record<string, string>;
  cancelRequested?: boolean;
  returnShipDate?: boolean;
}

export const FAKE_PHONE = "+1 425-555-0142";
export const FAKE_EMAIL = "pat.doe@example.com";
export const FAKE_KEY = "123456-654321-111111-222222-333333-444444-555555-666666";

export function seedJob(spec: JobSpec, now = Date.now()): SeedJob {
  const enteredAt = new Date(now - spec.days * DAY).toISOString();
  const createdAt =
    spec.state === "Creating" ? enteredAt : new Date(now - (spec.days + 5) * DAY).toISOString();
  return {
    subscriptionId: spec.sub,
    resourceGroup: spec.rg ?? "rg-test",
    name: spec.name,
    location: "West US",
    ...(spec.tags && { tags: spec.tags }),
    ...(spec.systemData && { systemData: { createdAt, lastModifiedAt: enteredAt, createdBy: FAKE_EMAIL } }),
    createdAt,
    stateEnteredAt: enteredAt,
    properties: {
      jobType: spec.type ?? "Import",
      ...(spec.state !== undefined && { state: spec.state }),
      cancelRequested: spec.cancelRequested ?? false,
      storageAccountId: `/subscriptions/${spec.sub}/resourceGroups/rg-test/providers/Microsoft.Storage/storageAccounts/sa1`,
      returnAddress: {
        recipientName: "Pat Doe",
        streetAddress1: "1 Example Way",
        city: "Redmond",
        postalCode: "98052",
        countryOrRegion: "USA",
        phone: FAKE_PHONE,
        email: FAKE_EMAIL,
      },
      ...(spec.tracking && {
        deliveryPackage: { carrierName: "FedEx", trackingNumber: "123456789012", driveCount: 1 },
      }),
      ...(spec.returnShipDate && {
        returnPackage: {
          carrierName: "FedEx",
          trackingNumber: "210987654321",
          driveCount: 1,
          shipDate: enteredAt,
        },
      }),
      driveList: [{ driveId: "9CA995BA", bitLockerKey: FAKE_KEY, state: "Specified" }],
    },
  };
}

export function subscription(subscriptionId: string, state = "Enabled") {
  return { subscriptionId, displayName: `sub ${subscriptionId.slice(0, 4)}`, state: state as "Enabled" };
}

export function guid(n: number): string {
  return `${n.toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;
}

export const FAKE_CONTACT = "CANARY Contact Person";

export interface BoxJobSpec {
  sub: string;
  name: string;
  rg?: string;
  /** The stage (`properties.status`). */
  stage: string;
  /** Days in the stage (systemData.lastModifiedAt, or startTime in the first stages). */
  days: number;
  sku?: string;
  /** Set to pin the service's flags; otherwise the emulator derives them from the stage. */
  isDeletable?: boolean;
  isCancellable?: boolean;
  tags?: Record<string, string>;
}

/** A Data Box job of the Import/Export experience (or another SKU), with personal data only in `details`. */
export function seedBoxJob(spec: BoxJobSpec, now = Date.now()): DataBoxSeedJob {
  const enteredAt = new Date(now - spec.days * DAY).toISOString();
  const createdAt = new Date(now - (spec.days + 3) * DAY).toISOString();
  const firstStage = spec.stage === "DeviceOrdered" || spec.stage === "AwaitingShipmentDetails";
  return {
    source: "databox",
    subscriptionId: spec.sub,
    resourceGroup: spec.rg ?? "rg-box",
    name: spec.name,
    location: "westus",
    ...(spec.tags && { tags: spec.tags }),
    systemData: {
      createdAt: firstStage ? enteredAt : createdAt,
      lastModifiedAt: enteredAt,
      createdBy: FAKE_EMAIL,
    },
    sku: { name: spec.sku ?? "DataBoxCustomerDisk" },
    stageEnteredAt: enteredAt,
    properties: {
      status: spec.stage,
      transferType: "ImportToAzure",
      startTime: firstStage ? enteredAt : createdAt,
      ...(spec.isDeletable !== undefined && { isDeletable: spec.isDeletable }),
      ...(spec.isCancellable !== undefined && { isCancellable: spec.isCancellable }),
      details: {
        jobDetailsType: (spec.sku ?? "DataBoxCustomerDisk") as "DataBoxCustomerDisk",
        contactDetails: { contactName: FAKE_CONTACT, phone: FAKE_PHONE, emailList: [FAKE_EMAIL] },
        shippingAddress: {
          streetAddress1: "1 Example Way",
          city: "Redmond",
          postalCode: "98052",
          country: "US",
        },
      },
    },
  };
}
