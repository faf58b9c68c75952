// The seeded generator of the fault campaign: one integer seed gives one case (mode, policy, jobs with personal
// data canaries, ARM faults, storage faults, worker kills, duplicate and coordinator deliveries). Same seed, same
// case, on any machine: only this small PRNG decides.
import type { PolicyDocument } from "../../src/domain/policy";
import type { EmulatorFault } from "../../tools/emulator/src/controlClient";
import type { DataBoxSeedJob, EmulatorSeed, SeedJob } from "../../tools/emulator/src/seed";
import type { EmulatorSettingsPatch } from "../../tools/emulator/src/settings";

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed * 0x9e3779b9) >>> 0 || 1;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  sample<T>(items: readonly T[], n: number): T[] {
    const copy = [...items];
    const out: T[] = [];
    while (out.length < n && copy.length > 0)
      out.push(copy.splice(Math.floor(this.next() * copy.length), 1)[0]!);
    return out;
  }
}

export type FaultKind =
  | "429-retry-after"
  | "429-no-retry-after"
  | "429-long"
  | "5xx-burst"
  | "reset"
  | "latency"
  | "timeout"
  | "drop-response"
  | "flip-before-act"
  | "delete-before-act"
  | "exempt-before-act"
  | "flip-in-flight"
  | "delete-in-flight"
  | "odd-values"
  | "audit-write-failure"
  | "audit-outage"
  | "audit-stored-but-failed"
  | "run-store-failure"
  | "lease-store-failure"
  | "observation-store-failure"
  | "worker-killed"
  | "worker-killed-in-flight"
  | "duplicate-delivery"
  | "coordinator-redelivery"
  | "discovery-changed"
  | "plan-apply"
  | "plan-exclusion"
  | "plan-changed-job"
  // Data Box cases (drawn last): jobs, policy and faults of the second source.
  | "databox"
  | "databox-odd-values"
  | "databox-flag-disagrees"
  | "databox-device-order"
  | "databox-details-always"
  | "databox-429"
  | "databox-5xx"
  | "databox-reset"
  | "databox-latency"
  | "databox-timeout"
  | "databox-drop-response"
  | "databox-poll-fault"
  | "databox-delete-fails"
  | "databox-delete-never"
  | "databox-flag-before-act"
  | "databox-stage-before-act"
  | "databox-delete-before-act"
  | "databox-exempt-before-act"
  | "databox-stage-in-flight"
  | "databox-delete-in-flight"
  // Discovery cases (drawn after the Data Box ones): Resource Graph finds the subscriptions, lagging or failing.
  | "discovery"
  | "discovery-lag"
  | "discovery-5xx"
  | "discovery-429"
  | "discovery-429-past-time"
  | "discovery-malformed"
  | "discovery-reset"
  | "discovery-latency";

/** Storage write failures: which calls (1-based, per store method) fail, and how. */
export interface StorageFault {
  store: "audit" | "runs" | "leases" | "observations";
  method: string;
  calls: number[];
  /** `before`: nothing written; `after`: written, then reported as failed (an ambiguous write). */
  when: "before" | "after";
}

export interface KillPlan {
  /** Attempt (delivery) number that dies. */
  attempt: number;
  /** Dies at its n-th call into a service (ARM or storage); `action`: when it sends its first delete or cancel. */
  at: number | "action";
  /** The call at the kill point reaches the service (in flight) or not. */
  inFlight: boolean;
}

/** A job as the oracle knows it: what was seeded and what is served. */
export interface ChaosJob {
  seed: SeedJob;
  /** The body the emulator serves (seed plus wirePatch), as the policy oracle reads evidence. */
  served: Record<string, unknown>;
  canaries: string[];
}

/** A Data Box job as the oracle knows it. */
export interface BoxChaosJob {
  seed: DataBoxSeedJob;
  /** The body the emulator serves (seed, its defaults, plus wirePatch), without `details` (never asked for). */
  served: Record<string, unknown>;
  canaries: string[];
}

export interface ChaosCase {
  seed: number;
  mode: "plan" | "apply";
  policy: PolicyDocument;
  subscriptions: NonNullable<EmulatorSeed["subscriptions"]>;
  jobs: ChaosJob[];
  /** Jobs added (a new subscription) between a coordinator's first and second delivery. */
  lateJobs: ChaosJob[];
  lateSubscription?: string;
  armFaults: EmulatorFault[];
  storageFaults: StorageFault[];
  kills: KillPlan[];
  /** Another delivery of a part starts this many ms after the first one (visibility timeout ran out). */
  duplicateAfterMs?: number;
  coordinatorRedelivery: boolean;
  subscriptionsPerPart: number;
  concurrency: number;
  /** A second, fault-free apply run after the first (recovery by the next run). */
  nextRun: boolean;
  /**
   * Apply a saved plan: a fault-free plan run first, approved (by another principal) with perhaps one proposed
   * action excluded and one planned job changed before the apply; the main run then applies that plan under the
   * drawn faults. The picks are fractions of the plan's action list (its size is known only at run time).
   */
  planApply?: { exclude?: number; change?: { pick: number; state: string } };
  /** Data Box jobs (`Microsoft.DataBox/jobs`), in about half the cases; empty otherwise. */
  boxJobs: BoxChaosJob[];
  /** Emulator settings of the case beyond throttling (e.g. `dataBoxDetails: "always"`). */
  settings?: EmulatorSettingsPatch;
  /** How long each delivery of a part may run (default 60 s; shorter where a delete never ends). */
  deadlineMs?: number;
  /**
   * Resource Graph narrows discovery (JANITOR_DISCOVERY=resource-graph), with the index lagging `lagMs` behind
   * (real time) and the query's faults among `armFaults`; absent: every subscription is listed.
   */
  discovery?: { lagMs: number };
  kinds: FaultKind[];
}

const DAY = 86_400_000;
const STATES = ["Creating", "Shipping", "Received", "Transferring", "Packaging", "Completed", "Closed"];
const ODD_STATES = [
  `Completed${"x".repeat(56)}`, // 65 characters
  "Completed\t",
  "Creating\u0007",
  "Com\npleted",
  "Paused", // a state the service does not document
  "completed", // other case: the same documented state
];
const LENIENT = [
  "1",
  "Jan 1",
  "2020",
  "2020-01-01T00:00:00",
  "2020-01-01 00:00:00Z",
  "  2020-01-01T00:00:00Z",
];

export function guidOf(n: number): string {
  return `c4a05000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

function canaryFields(seed: number, n: number) {
  const c = (field: string) => `CANARY-${seed}-${n}-${field}`;
  return {
    returnAddress: {
      recipientName: c("name"),
      streetAddress1: c("street"),
      city: "Redmond",
      postalCode: "98052",
      countryOrRegion: "USA",
      phone: c("phone"),
      email: `${c("email")}@example.com`,
    },
    shippingInformation: {
      recipientName: c("shipname"),
      streetAddress1: c("shipstreet"),
      phone: c("shipphone"),
      additionalInformation: c("shipinfo"),
    },
    driveList: [{ driveId: `D${n}`, bitLockerKey: c("bitlocker"), state: "Specified" as const }],
    createdBy: `${c("creator")}@example.com`,
    all: [
      "name",
      "street",
      "phone",
      "email",
      "shipname",
      "shipstreet",
      "shipphone",
      "shipinfo",
      "bitlocker",
      "creator",
    ].map(c),
  };
}

function makeJob(
  rng: Rng,
  seed: number,
  n: number,
  sub: string,
  now: number,
  kinds: Set<FaultKind>,
  oddRate: number,
): ChaosJob {
  const odd = rng.chance(oddRate);
  const state = odd ? rng.pick(ODD_STATES) : rng.pick(STATES);
  const days = rng.pick([0.5, 3, 12, 20, 35, 45, 70, 70]);
  const enteredAt = new Date(now - days * DAY).toISOString();
  const createdAt = new Date(now - (days + rng.int(0, 20)) * DAY).toISOString();
  const c = canaryFields(seed, n);
  const rg = rng.pick(["rg-a", "rg-b", "rg-keep-1"]);
  const name = rng.chance(0.06) ? `keep-${n}` : `job-${n}`;
  const evidence = rng.pick([
    "systemData",
    "systemData",
    "systemData",
    "systemData",
    "shipDate",
    "none",
  ] as const);
  const isCompleted = state.toLowerCase() === "completed";
  const tags: Record<string, string> = {};
  if (rng.chance(0.08)) tags.janitor = "exempt";
  if (rng.chance(0.3)) tags.team = rng.pick(["data", "ops"]);
  const properties: SeedJob["properties"] = {
    jobType: rng.chance(0.75) ? "Import" : "Export",
    state,
    cancelRequested: rng.chance(0.08),
    storageAccountId: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/sa${n}`,
    returnAddress: c.returnAddress,
    shippingInformation: c.shippingInformation,
    driveList: c.driveList,
  };
  if (rng.chance(0.25))
    properties.deliveryPackage = { carrierName: "FedEx", trackingNumber: `TRK${seed}${n}`, driveCount: 1 };
  if (evidence === "shipDate" || (isCompleted && rng.chance(0.3))) {
    // For Completed the newest of lastModifiedAt and shipDate counts: sometimes the ship date is the newer one.
    const shipDays = rng.pick([2, 5, days]);
    properties.returnPackage = {
      carrierName: "FedEx",
      trackingNumber: `RET${seed}${n}`,
      driveCount: 1,
      shipDate: new Date(now - shipDays * DAY).toISOString(),
    };
  }
  const job: SeedJob = {
    subscriptionId: sub,
    resourceGroup: rg,
    name,
    location: "West US",
    ...(Object.keys(tags).length > 0 && { tags }),
    properties,
    createdAt: state === "Creating" ? enteredAt : createdAt,
    stateEnteredAt: enteredAt,
  };
  if (evidence === "systemData")
    job.systemData = {
      createdAt: state === "Creating" ? enteredAt : createdAt,
      lastModifiedAt: enteredAt,
      createdBy: c.createdBy,
      createdByType: "User",
    };
  if (rng.chance(oddRate)) {
    // Lenient timestamps, served as they are: none of them is evidence of age.
    kinds.add("odd-values");
    job.wirePatch = {
      systemData: { createdAt: rng.pick(LENIENT), lastModifiedAt: rng.pick(LENIENT) },
      ...(rng.chance(0.5) && { properties: { returnPackage: { shipDate: rng.pick(LENIENT) } } }),
    };
  }
  if (odd) kinds.add("odd-values");
  const served = served_(job);
  return { seed: job, served, canaries: c.all };
}

function served_(job: SeedJob): Record<string, unknown> {
  const base: Record<string, unknown> = { properties: job.properties, tags: job.tags };
  if (job.systemData) base.systemData = job.systemData;
  return job.wirePatch ? deepMerge(base, job.wirePatch) : base;
}

function deepMerge(a: unknown, b: unknown): Record<string, unknown> {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  const out: Record<string, unknown> = isObj(a) ? { ...a } : {};
  if (!isObj(b)) return out;
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) ? deepMerge(out[k], v) : v;
  return out;
}

function makePolicy(rng: Rng, subs: string[]): PolicyDocument {
  const rules: PolicyDocument["rules"] = [
    { name: "stale-drafts", states: ["Creating"], olderThan: rng.pick(["P7D", "P10D"]), action: "delete" },
    {
      name: "completed-retention",
      states: ["Completed"],
      olderThan: rng.pick(["P7D", "P30D"]),
      action: "delete",
    },
  ];
  if (rng.chance(0.5))
    rules.push({ name: "drives-never-sent", states: ["Shipping"], olderThan: "P10D", action: "cancel" });
  if (rng.chance(0.3))
    rules.push({
      name: "stuck-received",
      states: ["Received", "Transferring"],
      olderThan: "P30D",
      action: "cancel",
    });
  if (rng.chance(0.2))
    rules.unshift({ name: "cancel-drafts", states: ["Creating"], olderThan: "P30D", action: "cancel" });
  const closed = rng.chance(0.3);
  if (closed) rules.push({ name: "closed", states: ["Closed"], olderThan: "P7D", action: "delete" });
  return {
    version: 1,
    rules,
    scope: {
      subscriptions: ["*"],
      excludeSubscriptions: rng.chance(0.2) ? [rng.pick(subs)] : [],
      resourceGroups: ["*"],
      excludeResourceGroups: rng.chance(0.5) ? ["rg-keep-*"] : [],
      jobTypes: rng.chance(0.2) ? ["Import"] : ["Import", "Export"],
    },
    exemptions: { tags: { janitor: "exempt" }, jobNames: rng.chance(0.5) ? ["keep-*"] : [] },
    guards: {
      gracePeriod: rng.chance(0.9) ? "PT0S" : "P1D",
      skipCreatingWithTrackingNumber: rng.chance(0.8),
      closedCountsAsCompleted: closed,
    },
    limits: {
      maxActionsPerRun: rng.int(2, 8),
      maxActionsPerSubscription: rng.int(1, 4),
      maxEligibleFraction: rng.pick([0.5, 0.8, 1]),
      minJobsForFraction: rng.pick([5, 10, 20]),
    },
  };
}

// ---- Data Box jobs (docs/service.md "Data Box jobs"): drawn after everything else, so the earlier draws of
// every seed stay as they were.

const BOX_TERMINAL = ["Completed", "CompletedWithErrors", "CompletedWithWarnings", "Cancelled", "Aborted"];
const BOX_FIRST = ["DeviceOrdered", "AwaitingShipmentDetails"];
const BOX_IN_TRANSIT = [
  "Dispatched",
  "Delivered",
  "PickedUp",
  "ShippedToAzureDC",
  "AtAzureDC",
  "DataCopy",
  "ShippedToCustomer",
  "Failed_IssueDetectedAtAzureDC",
];
const BOX_ODD = [
  "Completed\t",
  "completed", // other case: the same stage
  "cancelled",
  " DeviceOrdered",
  `Completed${"x".repeat(56)}`,
  "Shipping", // a classic state name: no Data Box stage
  "Closed",
  "Paused", // undocumented
  "Deleting",
];
const DEVICE_SKUS = ["DataBox", "DataBoxDisk", "DataBoxHeavy", "databoxcustomerdisk"];

function boxCanaries(seed: number, n: number) {
  const c = (field: string) => `CANARY-${seed}-${n}-box${field}`;
  return {
    contactDetails: {
      contactName: c("contact"),
      phone: c("phone"),
      mobile: c("mobile"),
      emailList: [`${c("email")}@example.com`, `${c("email2")}@example.com`],
    },
    shippingAddress: {
      streetAddress1: c("street"),
      streetAddress2: c("street2"),
      city: "Redmond",
      postalCode: "98052",
      country: "US",
      companyName: c("company"),
    },
    createdBy: `${c("creator")}@example.com`,
    all: ["contact", "phone", "mobile", "email", "email2", "street", "street2", "company", "creator"].map(c),
  };
}

function makeBoxJob(
  rng: Rng,
  seed: number,
  n: number,
  sub: string,
  now: number,
  kinds: Set<FaultKind>,
  /**
   * `plain`: a customer-disk job in a stage the janitor acts in, old, with systemData: likely acted on.
   * `device`: the same in a terminal stage with both flags true, but a device order's SKU: never to be touched.
   */
  variant: "random" | "plain" | "device" = "random",
): BoxChaosJob {
  const plain = variant !== "random";
  const family = plain
    ? variant === "device"
      ? ("terminal" as const)
      : rng.pick(["terminal", "terminal", "first"] as const)
    : rng.pick(["terminal", "terminal", "terminal", "terminal", "first", "first", "transit", "odd"] as const);
  const stage =
    family === "terminal"
      ? rng.pick(BOX_TERMINAL)
      : family === "first"
        ? rng.pick(BOX_FIRST)
        : family === "transit"
          ? rng.pick(BOX_IN_TRANSIT)
          : rng.pick(BOX_ODD);
  if (family === "odd") kinds.add("databox-odd-values");
  const days = plain ? rng.pick([35, 45, 70]) : rng.pick([0.5, 3, 12, 20, 35, 45, 70, 70]);
  const enteredAt = new Date(now - days * DAY).toISOString();
  const createdAt = new Date(now - (days + rng.int(0, 20)) * DAY).toISOString();
  const first = BOX_FIRST.includes(stage);
  const c = boxCanaries(seed, n);
  if (plain) {
    const job: DataBoxSeedJob = {
      source: "databox",
      subscriptionId: sub,
      resourceGroup: rng.pick(["rg-a", "rg-box"]),
      name: `box-${n}`,
      location: "westus",
      sku: { name: variant === "device" ? rng.pick(DEVICE_SKUS) : "DataBoxCustomerDisk" },
      stageEnteredAt: enteredAt,
      systemData: {
        createdAt: first ? enteredAt : createdAt,
        lastModifiedAt: enteredAt,
        createdBy: c.createdBy,
        createdByType: "User",
      },
      properties: {
        status: stage,
        transferType: "ImportToAzure",
        startTime: first ? enteredAt : createdAt,
        ...(variant === "device" && { isDeletable: true, isCancellable: true }),
        details: {
          jobDetailsType: variant === "device" ? "DataBox" : "DataBoxCustomerDisk",
          contactDetails: c.contactDetails,
          shippingAddress: c.shippingAddress,
        },
      },
    };
    return { seed: job, served: boxServed(job), canaries: c.all };
  }
  const rg = rng.pick(["rg-a", "rg-b", "rg-box", "rg-keep-1"]);
  const name = rng.chance(0.06) ? `keep-${n}` : `box-${n}`;
  const tags: Record<string, string> = {};
  if (rng.chance(0.08)) tags.janitor = "exempt";
  if (rng.chance(0.3)) tags.team = rng.pick(["data", "ops"]);
  // A device order (another SKU), sometimes in a terminal stage with both flags true: never to be touched.
  const device = rng.chance(0.12);
  const sku = device ? rng.pick(DEVICE_SKUS) : "DataBoxCustomerDisk";
  if (device) kinds.add("databox-device-order");
  const properties: DataBoxSeedJob["properties"] = {
    status: device && rng.chance(0.7) ? rng.pick(BOX_TERMINAL) : stage,
    transferType: rng.chance(0.75) ? "ImportToAzure" : "ExportFromAzure",
    // In the first stages the order date is the evidence; sometimes startTime is newer than createdAt.
    startTime: first ? new Date(now - (rng.chance(0.3) ? 2 : days) * DAY).toISOString() : createdAt,
    details: {
      jobDetailsType: device ? "DataBox" : "DataBoxCustomerDisk",
      contactDetails: c.contactDetails,
      shippingAddress: c.shippingAddress,
    },
  };
  if (device && rng.chance(0.7)) {
    properties.isDeletable = true;
    properties.isCancellable = true;
  } else if (rng.chance(0.2)) {
    // Flags that disagree with the stage: false where the table allows, true where it does not.
    kinds.add("databox-flag-disagrees");
    const allows = BOX_TERMINAL.includes(stage);
    if (rng.chance(0.5)) properties.isDeletable = !allows;
    else properties.isCancellable = !first;
  }
  const evidence = rng.pick([
    "systemData",
    "systemData",
    "systemData",
    "systemData",
    "startTime",
    "none",
  ] as const);
  const job: DataBoxSeedJob = {
    source: "databox",
    subscriptionId: sub,
    resourceGroup: rg,
    name,
    location: "westus",
    ...(Object.keys(tags).length > 0 && { tags }),
    sku: { name: sku },
    stageEnteredAt: enteredAt,
    properties,
  };
  if (evidence === "systemData")
    job.systemData = {
      createdAt: first ? enteredAt : createdAt,
      lastModifiedAt: enteredAt,
      createdBy: c.createdBy,
      createdByType: "User",
    };
  if (evidence === "none") job.wirePatch = { properties: { startTime: null } };
  if (rng.chance(0.12)) {
    // Lenient timestamps, served as they are: none of them is evidence of age.
    kinds.add("databox-odd-values");
    job.wirePatch = {
      ...(job.systemData && {
        systemData: { createdAt: rng.pick(LENIENT), lastModifiedAt: rng.pick(LENIENT) },
      }),
      properties: { startTime: rng.pick(LENIENT) },
    };
  }
  return { seed: job, served: boxServed(job), canaries: c.all };
}

/** What the emulator serves of a seeded Data Box job (its startTime default, the wirePatch), details aside. */
function boxServed(job: DataBoxSeedJob): Record<string, unknown> {
  const { details: _details, ...properties } = job.properties;
  properties.startTime ??= job.systemData?.createdAt;
  const base: Record<string, unknown> = { sku: job.sku, properties, tags: job.tags };
  if (job.systemData) base.systemData = job.systemData;
  return job.wirePatch ? deepMerge(base, job.wirePatch) : base;
}

/** Rules for Data Box stages (the classic Completed rule covers both sources). */
function boxRules(rng: Rng): PolicyDocument["rules"] {
  const rules: PolicyDocument["rules"] = [];
  if (rng.chance(0.9))
    rules.push({
      name: "box-never-shipped",
      sources: ["databox"],
      states: rng.chance(0.3) ? ["DeviceOrdered"] : ["DeviceOrdered", "AwaitingShipmentDetails"],
      olderThan: rng.pick(["P7D", "P14D"]),
      action: "cancel",
    });
  if (rng.chance(0.9))
    rules.push({
      name: "box-finished",
      sources: ["databox"],
      states: rng.chance(0.3)
        ? ["CompletedWithErrors", "Cancelled", "Aborted"]
        : ["CompletedWithErrors", "CompletedWithWarnings", "Cancelled", "Aborted"],
      olderThan: rng.pick(["P7D", "P30D"]),
      action: "delete",
    });
  return rules;
}

const BOX_JOB_PATH = (j: DataBoxSeedJob) =>
  `/subscriptions/${j.subscriptionId}/resourceGroups/${j.resourceGroup}/providers/Microsoft.DataBox/jobs/${j.name}`;
/** Any request under Microsoft.DataBox (listings, job reads and actions, the delete's operation URLs). */
const BOX_ANY = "/providers/Microsoft\\.DataBox/";
const BOX_POLL = "/providers/Microsoft\\.DataBox/locations/[^/]+/operation(Statuses|Results)/";

/** Data Box jobs, rules and faults for about half the cases (the caller draws them after everything else). */
function drawDataBox(
  rng: Rng,
  seed: number,
  start: number,
  subIds: string[],
  now: number,
  policy: PolicyDocument,
  kinds: Set<FaultKind>,
): {
  boxJobs: BoxChaosJob[];
  /** Subscriptions holding Data Box jobs only, added to the case's. */
  boxSubscriptions?: string[];
  faults: EmulatorFault[];
  settings?: EmulatorSettingsPatch;
  deadlineMs?: number;
} {
  if (!rng.chance(0.5)) return { boxJobs: [], faults: [] };
  kinds.add("databox");
  let n = start;
  const boxJobs: BoxChaosJob[] = [];
  for (const sub of rng.sample(subIds, rng.int(1, subIds.length))) {
    for (let i = rng.int(0, 2); i > 0; i--)
      boxJobs.push(makeBoxJob(rng, seed, n++, sub, now, kinds, "plain"));
    for (let i = rng.int(2, 8); i > 0; i--) boxJobs.push(makeBoxJob(rng, seed, n++, sub, now, kinds));
  }
  // A subscription with Data Box jobs only (classic jobs, listed first, would take its action caps otherwise),
  // led by a device order the service would let anyone delete: the first candidate of its listing.
  const boxSubscriptions: string[] = [];
  if (rng.chance(0.6)) {
    const sub = guidOf(seed * 16 + 14);
    boxSubscriptions.push(sub);
    kinds.add("databox-device-order");
    boxJobs.push(makeBoxJob(rng, seed, n++, sub, now, kinds, "device"));
    for (let i = rng.int(1, 3); i > 0; i--)
      boxJobs.push(makeBoxJob(rng, seed, n++, sub, now, kinds, "plain"));
    for (let i = rng.int(0, 4); i > 0; i--) boxJobs.push(makeBoxJob(rng, seed, n++, sub, now, kinds));
  }
  const rules = boxRules(rng);
  policy.rules.push(...rules);
  if (rng.chance(0.3))
    // A classic-only Completed rule first: a Data Box Completed job still falls through to the shared rule.
    policy.rules.unshift({
      name: "classic-completed-long",
      sources: ["importexport"],
      states: ["Completed"],
      olderThan: "P60D",
      action: "delete",
    });
  const settings: EmulatorSettingsPatch = {};
  if (rng.chance(0.3)) {
    // Listings and reads carry `details` (contacts, addresses) unasked: the reader must drop them.
    kinds.add("databox-details-always");
    settings.dataBoxDetails = "always";
  }

  const faults: EmulatorFault[] = [];
  // Faults aimed at a job hit one the janitor may act on, mostly (a customer-disk job in a stage it acts in).
  const customerDisk = boxJobs.filter(
    (j) =>
      j.seed.sku.name === "DataBoxCustomerDisk" &&
      (rng.chance(0.2) || [...BOX_TERMINAL, ...BOX_FIRST].includes(j.seed.properties.status ?? "")),
  );
  const target = () => rng.pick(customerDisk.length > 0 ? customerDisk : boxJobs).seed;
  const some = () => rng.int(1, 3);
  const anyMethod = () => rng.pick(["GET", "GET", "DELETE", "POST"]);
  let never = false;
  for (let i = rng.int(1, 4); i > 0; i--) {
    const kind = rng.pick([
      "databox-429",
      "databox-5xx",
      "databox-reset",
      "databox-latency",
      "databox-timeout",
      "databox-drop-response",
      "databox-poll-fault",
      "databox-delete-fails",
      "databox-delete-never",
      "databox-flag-before-act",
      "databox-stage-before-act",
      "databox-delete-before-act",
      "databox-exempt-before-act",
      "databox-stage-in-flight",
      "databox-delete-in-flight",
    ] as const);
    kinds.add(kind);
    switch (kind) {
      case "databox-429":
        faults.push({
          method: anyMethod(),
          path: BOX_ANY,
          status: 429,
          ...(rng.chance(0.5) && { retryAfter: rng.int(0, 1) }),
          count: some(),
        });
        break;
      case "databox-5xx":
        faults.push({ method: anyMethod(), path: BOX_ANY, status: rng.pick([500, 502, 503]), count: some() });
        break;
      case "databox-reset":
        faults.push({ method: anyMethod(), path: BOX_ANY, reset: true, count: some() });
        break;
      case "databox-latency":
        faults.push({
          method: anyMethod(),
          path: BOX_ANY,
          latencyMs: rng.int(10, 150),
          count: rng.int(1, 10),
        });
        break;
      case "databox-timeout":
        // Longer than the ARM timeout: the janitor gives up while the service still serves it later.
        faults.push({
          method: rng.pick(["GET", "DELETE", "POST"]),
          path: BOX_ANY,
          latencyMs: 2_500,
          count: 1,
        });
        break;
      case "databox-drop-response":
        faults.push({
          method: rng.pick(["DELETE", "POST", "GET"]),
          path: BOX_ANY,
          dropResponse: true,
          count: 1,
        });
        break;
      case "databox-poll-fault": {
        const f = rng.pick(["429", "5xx", "reset", "timeout", "drop"] as const);
        faults.push({
          method: "GET",
          path: BOX_POLL,
          count: f === "timeout" || f === "drop" ? 1 : some(),
          ...(f === "429" && { status: 429, retryAfter: rng.int(0, 1) }),
          ...(f === "5xx" && { status: rng.pick([500, 503]) }),
          ...(f === "reset" && { reset: true }),
          ...(f === "timeout" && { latencyMs: 2_500 }),
          ...(f === "drop" && { dropResponse: true }),
        });
        break;
      }
      case "databox-delete-fails":
        faults.push({
          method: "DELETE",
          path: rng.chance(0.25) ? `${BOX_JOB_PATH(target())}$` : BOX_ANY,
          deleteOutcome: "fail",
          count: some(),
        });
        break;
      case "databox-delete-never":
        never = true;
        faults.push({
          method: "DELETE",
          path: rng.chance(0.25) ? `${BOX_JOB_PATH(target())}$` : BOX_ANY,
          deleteOutcome: "never",
          count: 1,
        });
        break;
      case "databox-flag-before-act": {
        const j = target();
        faults.push({
          method: "GET",
          path: `${BOX_JOB_PATH(j)}$`,
          mutate: rng.chance(0.5)
            ? { isDeletable: rng.chance(0.7) ? false : true }
            : { isCancellable: rng.chance(0.7) ? false : true },
          count: 1,
        });
        break;
      }
      case "databox-stage-before-act":
        faults.push({
          method: "GET",
          path: `${BOX_JOB_PATH(target())}$`,
          mutate: { state: rng.pick([...BOX_TERMINAL, ...BOX_FIRST, "DataCopy", "Completed\t", "Paused"]) },
          count: 1,
        });
        break;
      case "databox-delete-before-act":
        faults.push({
          method: "GET",
          path: `${BOX_JOB_PATH(target())}$`,
          mutate: { remove: true },
          count: 1,
        });
        break;
      case "databox-exempt-before-act":
        faults.push({
          method: "GET",
          path: `${BOX_JOB_PATH(target())}$`,
          mutate: { tags: { janitor: "exempt" } },
          count: 1,
        });
        break;
      case "databox-stage-in-flight": {
        // Only to a stage where the action stays allowed (as for classic jobs: a stage that forbids it after the
        // request left is a race no client can avoid). A stage change derives the flags from the stage again.
        const toDelete = rng.chance(0.6);
        const j = target();
        faults.push({
          method: toDelete ? "DELETE" : "POST",
          path: toDelete ? `${BOX_JOB_PATH(j)}$` : `${BOX_JOB_PATH(j)}/cancel$`,
          latencyMs: rng.int(20, 80),
          mutate: { state: toDelete ? rng.pick(BOX_TERMINAL) : rng.pick(BOX_FIRST) },
          count: 1,
        });
        break;
      }
      case "databox-delete-in-flight": {
        const j = target();
        const toDelete = rng.chance(0.6);
        faults.push({
          method: toDelete ? "DELETE" : "POST",
          path: toDelete ? `${BOX_JOB_PATH(j)}$` : `${BOX_JOB_PATH(j)}/cancel$`,
          latencyMs: rng.int(20, 80),
          mutate: { remove: true },
          count: 1,
        });
        break;
      }
    }
  }
  return {
    boxJobs,
    boxSubscriptions,
    faults,
    ...(Object.keys(settings).length > 0 && { settings }),
    // A delete that never ends is followed until the part's time runs out: keep that time short.
    ...(never && { deadlineMs: rng.int(6_000, 12_000) }),
  };
}

const JOB_PATH = (j: SeedJob) =>
  `/subscriptions/${j.subscriptionId}/resourceGroups/${j.resourceGroup}/providers/Microsoft.ImportExport/jobs/${j.name}$`;

export function generateCase(
  seed: number,
  now = Date.now(),
  options: { planApply?: boolean; dataBox?: boolean; discovery?: boolean } = {},
): ChaosCase {
  const rng = new Rng(seed);
  const kinds = new Set<FaultKind>();
  const subCount = rng.int(1, 4);
  const subIds = Array.from({ length: subCount }, (_, i) => guidOf(seed * 16 + i));
  const subscriptions = subIds.map((subscriptionId) => ({
    subscriptionId,
    displayName: `chaos ${subscriptionId.slice(-4)}`,
    state: rng.chance(0.12) ? rng.pick(["Disabled", "Warned", "PastDue"] as const) : ("Enabled" as const),
  }));
  let n = 0;
  const oddRate = rng.chance(0.4) ? 0.15 : 0;
  const jobs: ChaosJob[] = [];
  for (const sub of subIds) {
    const count = rng.int(2, 12);
    for (let i = 0; i < count; i++) jobs.push(makeJob(rng, seed, n++, sub, now, kinds, oddRate));
  }
  const policy = makePolicy(rng, subIds);
  const mode = rng.chance(0.8) ? "apply" : "plan";

  const armFaults: EmulatorFault[] = [];
  const some = () => rng.int(1, 3);
  const faultCount = rng.int(0, 5);
  const target = () => rng.pick(jobs).seed;
  for (let i = 0; i < faultCount; i++) {
    const kind = rng.pick([
      "429-retry-after",
      "429-no-retry-after",
      "429-long",
      "5xx-burst",
      "reset",
      "latency",
      "timeout",
      "drop-response",
      "flip-before-act",
      "delete-before-act",
      "exempt-before-act",
      "flip-in-flight",
      "delete-in-flight",
    ] as const);
    const method = rng.pick(["GET", "GET", "DELETE", "PATCH"]);
    kinds.add(kind);
    switch (kind) {
      case "429-retry-after":
        armFaults.push({ method, status: 429, retryAfter: rng.int(0, 1), count: some() });
        break;
      case "429-no-retry-after":
        armFaults.push({ method, status: 429, count: some() });
        break;
      case "429-long":
        armFaults.push({ method: rng.pick(["DELETE", "PATCH"]), status: 429, retryAfter: 3600, count: 1 });
        break;
      case "5xx-burst":
        armFaults.push({ method, status: rng.pick([500, 502, 503]), count: some() });
        break;
      case "reset":
        armFaults.push({ method, reset: true, count: some() });
        break;
      case "latency":
        armFaults.push({ method, latencyMs: rng.int(10, 150), count: rng.int(1, 10) });
        break;
      case "timeout":
        // Longer than the ARM timeout: the janitor gives up while the service still serves it later.
        armFaults.push({ method: rng.pick(["GET", "DELETE", "PATCH"]), latencyMs: 2_500, count: 1 });
        break;
      case "drop-response":
        armFaults.push({ method: rng.pick(["DELETE", "PATCH", "GET"]), dropResponse: true, count: 1 });
        break;
      case "flip-before-act":
        armFaults.push({
          method: "GET",
          path: JOB_PATH(target()),
          mutate: { state: rng.pick([...STATES, "Paused"]) },
          count: 1,
        });
        break;
      case "delete-before-act":
        armFaults.push({ method: "GET", path: JOB_PATH(target()), mutate: { remove: true }, count: 1 });
        break;
      case "exempt-before-act":
        armFaults.push({
          method: "GET",
          path: JOB_PATH(target()),
          mutate: rng.chance(0.5) ? { tags: { janitor: "exempt" } } : { cancelRequested: true },
          count: 1,
        });
        break;
      case "flip-in-flight": {
        // Only to a state where the action stays allowed: the service decides on what it finds, and a state
        // that forbids the action after the request left is a race no client can avoid.
        const j = target();
        const toDelete = rng.chance(0.6);
        armFaults.push({
          method: toDelete ? "DELETE" : "PATCH",
          path: JOB_PATH(j),
          latencyMs: rng.int(20, 80),
          mutate: toDelete
            ? { state: rng.pick(["Creating", "Completed"]) }
            : rng.chance(0.5)
              ? { cancelRequested: true }
              : { state: rng.pick(["Creating", "Shipping", "Received", "Transferring"]) },
          count: 1,
        });
        break;
      }
      case "delete-in-flight":
        armFaults.push({
          method: rng.pick(["DELETE", "PATCH"]),
          path: JOB_PATH(target()),
          latencyMs: rng.int(20, 80),
          mutate: { remove: true },
          count: 1,
        });
        break;
    }
  }

  const storageFaults: StorageFault[] = [];
  if (rng.chance(0.35)) {
    const kind = rng.pick(["audit-write-failure", "audit-outage", "audit-stored-but-failed"] as const);
    kinds.add(kind);
    const start = rng.int(1, 4);
    const calls =
      kind === "audit-outage" ? Array.from({ length: rng.int(2, 6) }, (_, i) => start + i) : [start];
    storageFaults.push({
      store: "audit",
      method: "append",
      calls,
      when: kind === "audit-stored-but-failed" ? "after" : "before",
    });
  }
  if (rng.chance(0.15)) {
    kinds.add("run-store-failure");
    storageFaults.push({
      store: "runs",
      method: rng.pick(["update", "update", "get"]),
      calls: [rng.int(2, 8)],
      when: rng.pick(["before", "after"]),
    });
  }
  if (rng.chance(0.1)) {
    kinds.add("lease-store-failure");
    storageFaults.push({
      store: "leases",
      method: rng.pick(["acquire", "renew", "release"]),
      calls: [rng.int(1, 3)],
      when: "before",
    });
  }
  if (rng.chance(0.1)) {
    kinds.add("observation-store-failure");
    storageFaults.push({
      store: "observations",
      method: rng.pick(["loadSubscription", "save"]),
      calls: [rng.int(1, 3)],
      when: "before",
    });
  }

  const kills: KillPlan[] = [];
  if (rng.chance(0.3)) {
    const inFlightAction = mode === "apply" && rng.chance(0.4);
    kinds.add(inFlightAction ? "worker-killed-in-flight" : "worker-killed");
    kills.push({
      attempt: 0,
      at: inFlightAction ? "action" : rng.int(1, 40),
      inFlight: inFlightAction || rng.chance(0.5),
    });
    if (rng.chance(0.25)) kills.push({ attempt: 1, at: rng.int(1, 30), inFlight: rng.chance(0.5) });
  }
  const duplicateAfterMs = rng.chance(0.15) ? rng.int(0, 400) : undefined;
  if (duplicateAfterMs !== undefined) kinds.add("duplicate-delivery");
  const coordinatorRedelivery = rng.chance(0.2);
  if (coordinatorRedelivery) kinds.add("coordinator-redelivery");
  const lateJobs: ChaosJob[] = [];
  let lateSubscription: string | undefined;
  if (coordinatorRedelivery && rng.chance(0.5)) {
    kinds.add("discovery-changed");
    lateSubscription = guidOf(seed * 16 + 15);
    for (let i = 0; i < rng.int(1, 4); i++)
      lateJobs.push(makeJob(rng, seed, n++, lateSubscription, now, kinds, oddRate));
  }

  const subscriptionsPerPart = rng.int(1, 3);
  const concurrency = rng.int(1, 4);
  const nextRun = rng.chance(0.4);
  // Drawn last, so every other draw of a seed is as it was before plan-apply cases existed.
  let planApply: ChaosCase["planApply"];
  if (options.planApply !== false && mode === "apply" && rng.chance(0.5)) {
    kinds.add("plan-apply");
    planApply = {};
    if (rng.chance(0.6)) {
      kinds.add("plan-exclusion");
      planApply.exclude = rng.next();
    }
    if (rng.chance(0.5)) {
      kinds.add("plan-changed-job");
      planApply.change = { pick: rng.next(), state: rng.pick(STATES) };
    }
  }
  // Drawn after the plan-apply draw, for the same reason: Data Box jobs, rules and faults.
  const box =
    options.dataBox !== false
      ? drawDataBox(rng, seed, n, subIds, now, policy, kinds)
      : { boxJobs: [], faults: [] };
  // First in the list: a request takes the first fault that matches, and a classic fault without a path matches
  // Data Box requests too. Data Box faults match Data Box paths only, so classic requests meet the same faults.
  armFaults.unshift(...box.faults);
  for (const subscriptionId of box.boxSubscriptions ?? [])
    subscriptions.push({
      subscriptionId,
      displayName: `chaos ${subscriptionId.slice(-4)}`,
      state: "Enabled",
    });
  // Drawn after the Data Box draw, for the same reason: Resource Graph discovery, its lag and its faults.
  const discovery = options.discovery !== false ? drawDiscovery(rng, kinds) : undefined;
  if (discovery) armFaults.push(...discovery.faults);

  return {
    seed,
    mode,
    policy,
    subscriptions,
    jobs,
    lateJobs,
    lateSubscription,
    armFaults,
    storageFaults,
    kills,
    duplicateAfterMs,
    coordinatorRedelivery,
    subscriptionsPerPart,
    concurrency,
    nextRun,
    ...(planApply && { planApply }),
    boxJobs: box.boxJobs,
    ...(box.settings && { settings: box.settings }),
    ...(box.deadlineMs !== undefined && { deadlineMs: box.deadlineMs }),
    ...(discovery && { discovery: { lagMs: discovery.lagMs } }),
    kinds: [...kinds].sort(),
  };
}

const GRAPH_PATH = "^/providers/Microsoft\\.ResourceGraph/resources$";

/**
 * In about half the cases, Resource Graph finds the subscriptions: sometimes its index lags (jobs seeded just now
 * are not seen yet), and at most one fault on its query: 5xx (once or always), 429s it can wait out, a 429 past
 * the run's time, a malformed or truncated answer or one with rows to ignore, a dropped connection, latency.
 */
function drawDiscovery(
  rng: Rng,
  kinds: Set<FaultKind>,
): { lagMs: number; faults: EmulatorFault[] } | undefined {
  if (!rng.chance(0.5)) return undefined;
  kinds.add("discovery");
  let lagMs = 0;
  if (rng.chance(0.3)) {
    kinds.add("discovery-lag");
    lagMs = rng.pick([200, 1_000, 5_000]);
  }
  const faults: EmulatorFault[] = [];
  const fault = rng.pick([
    "none",
    "none",
    "5xx",
    "429",
    "429-past",
    "malformed",
    "reset",
    "latency",
  ] as const);
  if (fault === "5xx") {
    kinds.add("discovery-5xx");
    faults.push({ path: GRAPH_PATH, status: rng.pick([500, 503]), ...(rng.chance(0.5) && { count: 1 }) });
  } else if (fault === "429") {
    kinds.add("discovery-429");
    faults.push({ path: GRAPH_PATH, status: 429, retryAfter: 1, count: rng.int(1, 2) });
  } else if (fault === "429-past") {
    kinds.add("discovery-429-past-time");
    faults.push({ path: GRAPH_PATH, status: 429, retryAfter: 3_600 });
  } else if (fault === "malformed") {
    kinds.add("discovery-malformed");
    const body = rng.pick([
      { data: "none" },
      { data: [], resultTruncated: "true" },
      {
        data: [{ subscriptionId: "../evil", importExportJobs: 3, dataBoxJobs: 0 }],
        resultTruncated: "false",
      },
    ]);
    faults.push({ path: GRAPH_PATH, status: 200, body });
  } else if (fault === "reset") {
    kinds.add("discovery-reset");
    faults.push({ path: GRAPH_PATH, reset: true, count: 1 });
  } else if (fault === "latency") {
    kinds.add("discovery-latency");
    faults.push({ path: GRAPH_PATH, latencyMs: rng.pick([100, 1_500]), count: 1 });
  }
  return { lagMs, faults };
}
