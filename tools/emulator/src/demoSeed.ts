import {
  isDataBoxSeedJob,
  type DataBoxSeedJob,
  type DataBoxSkuName,
  type EmulatorSeed,
  type JobDetails,
  type SeedJob,
  type SeedSubscription,
} from "./seed";

// The built-in `demo` seed: a few subscriptions and jobs in every state and age, built relative to the emulator
// clock's now, so `ie-janitor plan --emulator` shows every kind of decision. All personal data in it is FAKE
// (example.com/example.net addresses, 555-01xx phone numbers, made-up BitLocker keys) and exists so tests can prove
// the janitor never copies it anywhere.

export const DEMO_SUBSCRIPTIONS = {
  production: "11111111-1111-4111-8111-111111111111",
  devTest: "22222222-2222-4222-8222-222222222222",
  archive: "33333333-3333-4333-8333-333333333333",
  legacy: "44444444-4444-4444-8444-444444444444",
  retired: "55555555-5555-4555-8555-555555555555",
} as const;

const SUBSCRIPTIONS: SeedSubscription[] = [
  { subscriptionId: DEMO_SUBSCRIPTIONS.production, displayName: "Contoso Production", state: "Enabled" },
  { subscriptionId: DEMO_SUBSCRIPTIONS.devTest, displayName: "Contoso Dev/Test", state: "Enabled" },
  { subscriptionId: DEMO_SUBSCRIPTIONS.archive, displayName: "Fabrikam Archive", state: "Warned" },
  { subscriptionId: DEMO_SUBSCRIPTIONS.legacy, displayName: "Northwind Legacy", state: "PastDue" },
  { subscriptionId: DEMO_SUBSCRIPTIONS.retired, displayName: "Retired Sandbox", state: "Disabled" },
];

interface DemoJob {
  sub: keyof typeof DEMO_SUBSCRIPTIONS;
  rg: string;
  name: string;
  type: "Import" | "Export";
  state: string;
  /** Days in the current state. */
  days: number;
  /** Show systemData (real responses often lack it). */
  systemData: boolean;
  tracking?: boolean;
  tags?: Record<string, string>;
  cancelRequested?: boolean;
  /** How returnPackage.shipDate is written, for jobs whose drives came back. */
  returnShipDate?: "iso" | "legacy" | "none";
}

const P = "production";
const D = "devTest";
const A = "archive";
const L = "legacy";
const R = "retired";

// name, state, age: each line is a case a janitor must get right (see the comment at the end of the line).
// prettier-ignore
const JOBS: DemoJob[] = [
  { sub: P, rg: "rg-migration", name: "draft-fresh-import", type: "Import", state: "Creating", days: 1, systemData: true }, // too young
  { sub: P, rg: "rg-migration", name: "draft-stale-import", type: "Import", state: "Creating", days: 10, systemData: true }, // stale draft
  { sub: P, rg: "rg-migration", name: "draft-stale-export", type: "Export", state: "Creating", days: 9, systemData: false }, // stale, no systemData
  { sub: P, rg: "rg-migration", name: "draft-with-tracking", type: "Import", state: "Creating", days: 12, systemData: true, tracking: true }, // drives may be on the way
  { sub: P, rg: "rg-migration", name: "draft-exempt", type: "Import", state: "Creating", days: 11, systemData: true, tags: { janitor: "exempt", owner: "storage-team" } }, // exempt by tag
  { sub: P, rg: "rg-migration", name: "draft-near-expiry", type: "Import", state: "Creating", days: 13.5, systemData: true }, // the service removes it within a day
  { sub: P, rg: "rg-migration", name: "keep-forever-draft", type: "Export", state: "Creating", days: 9, systemData: true }, // exempt by name (when the policy says so)
  { sub: P, rg: "rg-migration", name: "shipping-recent", type: "Import", state: "Shipping", days: 3, systemData: true, tracking: true },
  { sub: P, rg: "rg-migration", name: "shipping-stalled", type: "Import", state: "Shipping", days: 40, systemData: true, tracking: true }, // drives never sent
  { sub: P, rg: "rg-migration", name: "shipping-cancel-pending", type: "Import", state: "Shipping", days: 10, systemData: true, tracking: true, cancelRequested: true }, // cancel already asked
  { sub: P, rg: "rg-migration", name: "received-import", type: "Import", state: "Received", days: 2, systemData: false, tracking: true },
  { sub: P, rg: "rg-migration", name: "transferring-import", type: "Import", state: "Transferring", days: 4, systemData: true, tracking: true },
  { sub: P, rg: "rg-backup", name: "transferring-export", type: "Export", state: "Transferring", days: 6, systemData: true, tracking: true },
  { sub: P, rg: "rg-backup", name: "packaging-import", type: "Import", state: "Packaging", days: 1, systemData: true, tracking: true }, // no delete, no cancel
  { sub: P, rg: "rg-backup", name: "completed-recent-import", type: "Import", state: "Completed", days: 5, systemData: true, tracking: true, returnShipDate: "iso" }, // too young
  { sub: P, rg: "rg-backup", name: "completed-old-import", type: "Import", state: "Completed", days: 45, systemData: true, tracking: true, returnShipDate: "iso", tags: { costCenter: "cc-1042" } }, // past retention
  { sub: P, rg: "rg-backup", name: "completed-old-export", type: "Export", state: "Completed", days: 60, systemData: false, tracking: true, returnShipDate: "iso" }, // age from returnPackage.shipDate
  { sub: P, rg: "rg-backup", name: "completed-exempt", type: "Import", state: "Completed", days: 70, systemData: true, tracking: true, returnShipDate: "iso", tags: { janitor: "exempt" } }, // exempt by tag
  { sub: P, rg: "rg-backup", name: "completed-near-expiry", type: "Import", state: "Completed", days: 89.5, systemData: true, tracking: true, returnShipDate: "iso" }, // the service removes it within a day
  { sub: P, rg: "rg-backup", name: "closed-old-import", type: "Import", state: "Closed", days: 40, systemData: true, tracking: true, returnShipDate: "iso" }, // finished with errors: no delete by default
  { sub: P, rg: "rg-backup", name: "canceled-legacy", type: "Import", state: "Canceled", days: 30, systemData: false }, // unknown state: never acted on
  { sub: P, rg: "RG-Mixed-Case", name: "MixedCase-Draft-Old", type: "Import", state: "Creating", days: 8, systemData: true }, // names are case-insensitive
  { sub: P, rg: "RG-Mixed-Case", name: "mixedcase-completed-old", type: "Export", state: "Completed", days: 33, systemData: true, tracking: true, returnShipDate: "iso" },

  { sub: D, rg: "rg-devtest", name: "dev-draft-old", type: "Import", state: "Creating", days: 8, systemData: true },
  { sub: D, rg: "rg-devtest", name: "dev-draft-young", type: "Export", state: "Creating", days: 2, systemData: false },
  { sub: D, rg: "rg-devtest", name: "dev-completed-old", type: "Import", state: "Completed", days: 35, systemData: true, tracking: true, returnShipDate: "iso" },
  { sub: D, rg: "rg-devtest", name: "dev-completed-legacy-date", type: "Import", state: "Completed", days: 50, systemData: false, tracking: true, returnShipDate: "legacy" }, // shipDate as "8/11/2017 9:05:00 PM", like the spec's examples
  { sub: D, rg: "rg-devtest", name: "dev-completed-no-evidence", type: "Export", state: "Completed", days: 20, systemData: false, tracking: true, returnShipDate: "none" }, // no timestamp at all
  { sub: D, rg: "rg-devtest", name: "dev-packaging-export", type: "Export", state: "Packaging", days: 3, systemData: false, tracking: true },
  { sub: D, rg: "rg-devtest", name: "dev-received-export", type: "Export", state: "Received", days: 1, systemData: true, tracking: true },
  { sub: D, rg: "rg-devtest", name: "dev-closed-young", type: "Import", state: "Closed", days: 10, systemData: true, tracking: true, returnShipDate: "iso" },

  { sub: A, rg: "rg-archive", name: "archive-draft-old", type: "Export", state: "Creating", days: 9, systemData: true },
  { sub: A, rg: "rg-archive", name: "archive-completed-old", type: "Export", state: "Completed", days: 31, systemData: true, tracking: true, returnShipDate: "iso" },
  { sub: A, rg: "rg-archive", name: "archive-transferring", type: "Import", state: "Transferring", days: 2, systemData: true, tracking: true },
  { sub: A, rg: "rg-archive-west", name: "archive-completed-young", type: "Import", state: "Completed", days: 10, systemData: false, tracking: true, returnShipDate: "iso" },

  { sub: L, rg: "rg-legacy", name: "legacy-draft-old", type: "Import", state: "Creating", days: 8, systemData: true },
  { sub: L, rg: "rg-legacy", name: "legacy-completed-old", type: "Import", state: "Completed", days: 40, systemData: true, tracking: true, returnShipDate: "iso" },
  { sub: L, rg: "rg-legacy", name: "legacy-shipping", type: "Import", state: "Shipping", days: 20, systemData: false, tracking: true },
  { sub: L, rg: "rg-legacy", name: "legacy-closed-old", type: "Export", state: "Closed", days: 80, systemData: false, tracking: true, returnShipDate: "iso" },

  // A disabled subscription is read-only: the emulator refuses every change there.
  { sub: R, rg: "rg-sandbox", name: "sandbox-draft-old", type: "Import", state: "Creating", days: 10, systemData: true },
  { sub: R, rg: "rg-sandbox", name: "sandbox-completed-old", type: "Import", state: "Completed", days: 50, systemData: true, tracking: true, returnShipDate: "iso" },
  { sub: R, rg: "rg-sandbox", name: "sandbox-received", type: "Export", state: "Received", days: 5, systemData: true, tracking: true },
];

const DAY_MS = 86_400_000;

const DRIVE_STATE_BY_JOB_STATE: Record<string, string> = {
  Creating: "Specified",
  Shipping: "Specified",
  Received: "Received",
  Transferring: "Transferring",
  Packaging: "Completed",
  Completed: "ShippedBack",
  Closed: "CompletedMoreInfo",
};

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** A made-up BitLocker recovery key (eight groups of six digits) that differs per job and drive. */
function fakeBitLockerKey(jobIndex: number, drive: number): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++)
    groups.push(pad(((jobIndex + 1) * 104_729 + drive * 7_919 + g * 1_301) % 1_000_000, 6));
  return groups.join("-");
}

/** `M/D/YYYY h:mm:ss AM` in UTC, as some live responses write dates. */
function legacyDate(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  return (
    `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ` +
    `${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)} ${h < 12 ? "AM" : "PM"}`
  );
}

const PEOPLE = [
  "Avery Example",
  "Jordan Sample",
  "Riley Placeholder",
  "Casey Testperson",
  "Morgan Fictional",
];

function demoJob(spec: DemoJob, index: number, nowMs: number): SeedJob {
  const subscriptionId = DEMO_SUBSCRIPTIONS[spec.sub];
  const stateEnteredMs = nowMs - spec.days * DAY_MS;
  // Drafts were created when they entered Creating; later states some days before they got where they are.
  const createdMs = spec.state === "Creating" ? stateEnteredMs : stateEnteredMs - (7 + (index % 5)) * DAY_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  const person = PEOPLE[index % PEOPLE.length]!;
  const handle = person.toLowerCase().replace(" ", ".");
  const driveCount = 1 + (index % 2);
  const driveState = DRIVE_STATE_BY_JOB_STATE[spec.state] ?? "Specified";
  const properties: JobDetails = {
    storageAccountId:
      `/subscriptions/${subscriptionId}/resourceGroups/${spec.rg}/providers/Microsoft.Storage/storageAccounts/` +
      `stdemo${pad(index, 3)}`,
    jobType: spec.type,
    returnAddress: {
      recipientName: person,
      streetAddress1: `${100 + index} Example Street`,
      streetAddress2: `Suite ${pad(index, 3)}`,
      city: "Springfield",
      stateOrProvince: "WA",
      postalCode: "98000",
      countryOrRegion: "USA",
      phone: `+1 425-555-01${pad(index % 100, 2)}`,
      email: `${handle}.${pad(index, 3)}@example.com`,
    },
    returnShipping: { carrierName: "FedEx", carrierAccountNumber: `demo-acct-${pad(index * 37, 6)}` },
    shippingInformation: {
      recipientName: "Azure Import/Export Service (demo)",
      streetAddress1: "1 Datacenter Way",
      city: "Quincy",
      stateOrProvince: "WA",
      postalCode: "98848",
      countryOrRegion: "USA",
      phone: "+1 509-555-0199",
      additionalInformation: "",
    },
    diagnosticsPath: "waimportexport",
    logLevel: "Error",
    backupDriveManifest: index % 3 === 0,
    state: spec.state,
    cancelRequested: spec.cancelRequested ?? false,
    provisioningState: "Succeeded",
    encryptionKey: { kekType: "MicrosoftManaged" },
    driveList: Array.from({ length: driveCount }, (_, d) => ({
      driveId: `DEMO${pad(index, 3)}D${d}`,
      bitLockerKey: fakeBitLockerKey(index, d),
      manifestFile: "\\DriveManifest.xml",
      manifestHash: pad(index * 1_000 + d, 32),
      state: driveState,
    })),
  };
  if (spec.type === "Export") properties.export = { blobList: { blobPathPrefix: ["/backups/"] } };
  if (spec.state === "Transferring") properties.percentComplete = 40;
  if (spec.tracking) {
    properties.deliveryPackage = {
      carrierName: "FedEx",
      trackingNumber: `7700${pad(index, 8)}`,
      driveCount,
      shipDate: iso(createdMs + DAY_MS),
    };
  }
  if (spec.returnShipDate !== undefined && spec.returnShipDate !== "none") {
    properties.returnPackage = {
      carrierName: "FedEx",
      trackingNumber: `7799${pad(index, 8)}`,
      driveCount,
      shipDate: spec.returnShipDate === "iso" ? iso(stateEnteredMs) : legacyDate(stateEnteredMs),
    };
  }
  const job: SeedJob = {
    subscriptionId,
    resourceGroup: spec.rg,
    name: spec.name,
    location: ["West US", "East US 2", "West Europe"][index % 3]!,
    properties,
    identity: { type: "None" },
    createdAt: iso(createdMs),
    stateEnteredAt: iso(stateEnteredMs),
  };
  if (spec.tags !== undefined) job.tags = spec.tags;
  if (spec.systemData) {
    job.systemData = {
      createdBy: `${handle}@contoso.example`,
      createdByType: "User",
      createdAt: iso(createdMs),
      lastModifiedBy: index % 2 === 0 ? `${handle}@contoso.example` : "ImportExportService",
      lastModifiedByType: index % 2 === 0 ? "User" : "Application",
      lastModifiedAt: iso(stateEnteredMs),
    };
  }
  return job;
}

interface DemoDataBoxJob {
  sub: keyof typeof DEMO_SUBSCRIPTIONS;
  rg: string;
  name: string;
  sku: DataBoxSkuName;
  status: string;
  /** Days in the current stage. */
  days: number;
  transfer: "ImportToAzure" | "ExportFromAzure";
  systemData: boolean;
  tags?: Record<string, string>;
  /** Flags as the service would serve them, where they disagree with the stage. */
  flags?: { isCancellable?: boolean; isDeletable?: boolean };
}

const DISK: DataBoxSkuName = "DataBoxCustomerDisk";
const IMPORT = "ImportToAzure";
const EXPORT = "ExportFromAzure";

// Import/Export jobs of the portal's newer experience (Data Box customer-disk orders) and one device order. The
// emulator derives isCancellable / isDeletable from the stage (README.md#data-box-jobs) unless `flags` says otherwise.
// prettier-ignore
const DATA_BOX_JOBS: DemoDataBoxJob[] = [
  { sub: P, rg: "rg-databox", name: "dbx-completed-old", sku: DISK, status: "Completed", days: 40, transfer: IMPORT, systemData: true }, // deletable, past retention
  { sub: P, rg: "rg-databox", name: "dbx-completed-young", sku: DISK, status: "Completed", days: 4, transfer: IMPORT, systemData: true }, // deletable, too young
  { sub: P, rg: "rg-databox", name: "dbx-cancelled-old", sku: DISK, status: "Cancelled", days: 21, transfer: EXPORT, systemData: true }, // deletable
  { sub: P, rg: "rg-databox", name: "dbx-errors-old", sku: DISK, status: "CompletedWithErrors", days: 50, transfer: EXPORT, systemData: false }, // deletable, no systemData
  { sub: P, rg: "rg-databox", name: "dbx-draft-stale", sku: DISK, status: "AwaitingShipmentDetails", days: 12, transfer: IMPORT, systemData: true }, // cancellable, draft-like
  { sub: P, rg: "rg-databox", name: "dbx-in-transit", sku: DISK, status: "ShippedToAzureDC", days: 5, transfer: IMPORT, systemData: true }, // disks on the way: neither
  { sub: P, rg: "rg-databox", name: "dbx-data-copy", sku: DISK, status: "DataCopy", days: 2, transfer: IMPORT, systemData: true }, // neither
  { sub: P, rg: "rg-databox", name: "dbx-exempt-old", sku: DISK, status: "Completed", days: 60, transfer: IMPORT, systemData: true, tags: { janitor: "exempt" } }, // exempt by tag
  { sub: P, rg: "rg-databox", name: "dbx-flag-says-no", sku: DISK, status: "Completed", days: 45, transfer: IMPORT, systemData: true, flags: { isDeletable: false } }, // the stage allows, the service says no
  { sub: P, rg: "rg-databox", name: "dbx-device-order", sku: "DataBox", status: "Completed", days: 45, transfer: IMPORT, systemData: true }, // a device order: never touched
  { sub: D, rg: "rg-devtest", name: "dbx-dev-aborted", sku: DISK, status: "Aborted", days: 30, transfer: EXPORT, systemData: true }, // deletable
  { sub: R, rg: "rg-sandbox", name: "dbx-sandbox-done", sku: DISK, status: "Completed", days: 40, transfer: IMPORT, systemData: true }, // read-only subscription
];

/** Stages a customer-disk order starts in: its start is when it entered them. */
const FIRST_STAGES = new Set(["AwaitingShipmentDetails", "Created", "DeviceOrdered"]);

function demoDataBoxJob(spec: DemoDataBoxJob, index: number, nowMs: number): DataBoxSeedJob {
  const stageEnteredMs = nowMs - spec.days * DAY_MS;
  const startMs = FIRST_STAGES.has(spec.status)
    ? stageEnteredMs
    : stageEnteredMs - (7 + (index % 5)) * DAY_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  const n = pad(index, 2);
  const person = PEOPLE[index % PEOPLE.length]!;
  const handle = person.toLowerCase().replace(" ", ".");
  const job: DataBoxSeedJob = {
    source: "databox",
    subscriptionId: DEMO_SUBSCRIPTIONS[spec.sub],
    resourceGroup: spec.rg,
    name: spec.name,
    location: ["westus", "eastus2", "westeurope"][index % 3]!,
    sku: { name: spec.sku },
    properties: {
      status: spec.status,
      transferType: spec.transfer,
      startTime: iso(startMs),
      deliveryType: "NonScheduled",
      ...spec.flags,
      // Canaries: personal data that may never leave the emulator (served only on $expand=details).
      details: {
        jobDetailsType: spec.sku,
        contactDetails: {
          contactName: `CANARY-DBX-CONTACT-${n}`,
          phone: `+1 425-555-02${n}`,
          emailList: [`canary.dbx.${n}@example.com`],
        },
        shippingAddress: {
          streetAddress1: `CANARY-DBX-STREET ${100 + index} Example Avenue`,
          city: "Springfield",
          stateOrProvince: "WA",
          country: "US",
          postalCode: "98000",
          companyName: "Contoso (demo)",
          addressType: "Commercial",
        },
        returnToCustomerPackageDetails: {
          carrierName: "FedEx",
          carrierAccountNumber: `CANARY-DBX-ACCT-${n}`,
        },
      },
    },
    stageEnteredAt: iso(stageEnteredMs),
  };
  if (spec.status === "Cancelled") job.properties.cancellationReason = "No longer needed (demo).";
  if (spec.tags !== undefined) job.tags = spec.tags;
  if (spec.systemData) {
    job.systemData = {
      createdBy: `${handle}@contoso.example`,
      createdByType: "User",
      createdAt: iso(startMs),
      lastModifiedBy: "DataBoxService",
      lastModifiedByType: "Application",
      lastModifiedAt: iso(stageEnteredMs),
    };
  }
  return job;
}

/** The demo seed as of `nowMs` (the emulator clock's now): the classic jobs first, then the Data Box ones. */
export function buildDemoSeed(nowMs: number): EmulatorSeed {
  return {
    subscriptions: SUBSCRIPTIONS.map((s) => ({ ...s })),
    jobs: [
      ...JOBS.map((spec, index) => demoJob(spec, index, nowMs)),
      ...DATA_BOX_JOBS.map((spec, index) => demoDataBoxJob(spec, index, nowMs)),
    ],
  };
}

/** The classic jobs of a seed (those without `"source": "databox"`). */
export function classicJobsOf(seed: EmulatorSeed): SeedJob[] {
  return (seed.jobs ?? []).filter((j): j is SeedJob => !isDataBoxSeedJob(j));
}

/** The Data Box jobs of a seed. */
export function dataBoxJobsOf(seed: EmulatorSeed): DataBoxSeedJob[] {
  return (seed.jobs ?? []).filter(isDataBoxSeedJob);
}

/**
 * Every personal or secret value in a seed (names, addresses, phones, e-mails, carrier accounts, BitLocker keys,
 * creators' user names; of Data Box jobs the contact details and addresses), so a test can check none of them
 * shows up in logs, audit rows or output.
 */
export function personalDataIn(seed: EmulatorSeed): string[] {
  const values = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === "string" && v.length >= 4) values.add(v);
  };
  const addFields = (record: unknown, fields: string[]) => {
    if (record === null || typeof record !== "object") return;
    for (const field of fields) {
      const value = (record as Record<string, unknown>)[field];
      if (Array.isArray(value)) value.forEach(add);
      else add(value);
    }
  };
  for (const job of dataBoxJobsOf(seed)) {
    const details = job.properties.details;
    addFields(details?.contactDetails, ["contactName", "phone", "mobile", "emailList"]);
    addFields(details?.shippingAddress, ["streetAddress1", "streetAddress2", "streetAddress3"]);
    addFields(details?.returnToCustomerPackageDetails, ["carrierAccountNumber"]);
    add(job.systemData?.createdBy);
    if (job.systemData?.lastModifiedByType === "User") add(job.systemData.lastModifiedBy);
  }
  for (const job of classicJobsOf(seed)) {
    const p = job.properties;
    const address = p.returnAddress ?? {};
    for (const field of ["recipientName", "streetAddress1", "streetAddress2", "phone", "email"])
      add(address[field]);
    add(p.returnShipping?.carrierAccountNumber);
    for (const drive of p.driveList ?? []) add(drive.bitLockerKey);
    add(job.systemData?.createdBy);
    if (job.systemData?.lastModifiedByType === "User") add(job.systemData.lastModifiedBy);
  }
  return [...values];
}
