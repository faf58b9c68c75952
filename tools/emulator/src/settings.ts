import { z } from "zod";
import { checkDuration } from "../../../src/domain/duration";
import { ValidationError } from "../../../src/errors";
import { zodProblems } from "../../../src/validation/zodProblems";

/** One ARM token bucket: how many requests it holds and how fast it refills (real time, not the emulator clock). */
export interface BucketSettings {
  capacity: number;
  refillPerSecond: number;
}

export interface ThrottlingSettings {
  reads: BucketSettings;
  writes: BucketSettings;
  deletes: BucketSettings;
}

/** How the emulator behaves; every rule whose real behaviour is unknown (docs/service.md#state-rules) is a setting. */
export interface EmulatorSettings {
  /** States in which DELETE is allowed (case-insensitive). */
  deleteStates: string[];
  /** States in which `cancelRequested: true` is accepted (case-insensitive). */
  cancelStates: string[];
  /** The 4xx answered when a delete or cancel breaks a state rule. */
  refusalStatus: number;
  /** Per subscription and operation kind; `false` turns throttling off. */
  throttling: false | ThrottlingSettings;
  /** Page size of a listing without `$top`. */
  defaultPageSize: number;
  /** Largest `$top` accepted; the service documents 100. */
  maxPageSize: number;
  /** How long (emulator clock, ISO 8601 duration) an accepted cancel takes to move the job to Completed. */
  cancelCompletesAfter: string;
  /** A Creating job without a tracking number vanishes this long after creation. */
  creatingExpiry: string;
  /** A Completed or Closed job vanishes this long after entering that state. */
  completedExpiry: string;
  /** Resource Graph's per-caller query quota (fixed windows, real time); `false` turns it off. */
  resourceGraphQuota: false | ResourceGraphQuotaSettings;
  /** Real-time milliseconds before Resource Graph's index sees a job added (or stops seeing one removed). */
  resourceGraphLagMs: number;
  /** Most rows one Resource Graph page holds, whatever `$top` asks (the service may page below `$top`). */
  resourceGraphPageSize: number;
  /**
   * Data Box stages (`status`, case-insensitive) in which a job is served `isCancellable: true` and a cancel is
   * accepted: the emulator's assumption (README.md#data-box-jobs); the service publishes no list.
   */
  dataBoxCancellableStages: string[];
  /** Data Box stages in which a job is served `isDeletable: true` and a delete is accepted. */
  dataBoxDeletableStages: string[];
  /**
   * Real-time milliseconds an accepted Data Box delete (a long-running operation) runs before it succeeds; 0
   * deletes at once and answers 200. Real time, not the emulator clock, so the SDK's poller finishes on its own.
   */
  dataBoxDeleteMs: number;
  /** `Retry-After` (seconds) on a Data Box delete's 202 and on its polls while it runs; null sends none. */
  dataBoxRetryAfterSeconds: number | null;
  /** Page size of a Data Box listing (the API has no `$top`). */
  dataBoxPageSize: number;
  /**
   * When `properties.details` (contact details, addresses) is served: only on a get with `$expand=details`
   * (`expand`, the default), or on every get and listing (`always`, to prove a client drops it).
   */
  dataBoxDetails: "expand" | "always";
}

/** Resource Graph's own throttling: `queries` per caller in every window of `windowMs` (docs/service.md). */
export interface ResourceGraphQuotaSettings {
  queries: number;
  windowMs: number;
}

/** What callers may pass: any subset; `throttling: true` = ARM defaults, a partial object fills in the rest. */
export type EmulatorSettingsPatch = Partial<Omit<EmulatorSettings, "throttling" | "resourceGraphQuota">> & {
  throttling?: boolean | Partial<ThrottlingSettings>;
  resourceGraphQuota?: boolean | Partial<ResourceGraphQuotaSettings>;
};

// The documented rules and ARM figures of docs/service.md#state-rules and #arm-throttling.
export const DEFAULT_THROTTLING: ThrottlingSettings = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
};

/** About 15 queries per 5-second window per user (docs/service.md#azure-resource-graph). */
export const DEFAULT_RESOURCE_GRAPH_QUOTA: ResourceGraphQuotaSettings = { queries: 15, windowMs: 5_000 };

export const DEFAULT_SETTINGS: EmulatorSettings = {
  deleteStates: ["Creating", "Completed"],
  cancelStates: ["Creating", "Shipping", "Received", "Transferring"],
  refusalStatus: 409,
  throttling: DEFAULT_THROTTLING,
  defaultPageSize: 50,
  maxPageSize: 100,
  cancelCompletesAfter: "PT1H",
  creatingExpiry: "P14D",
  completedExpiry: "P90D",
  resourceGraphQuota: DEFAULT_RESOURCE_GRAPH_QUOTA,
  resourceGraphLagMs: 0,
  resourceGraphPageSize: 1000,
  dataBoxCancellableStages: ["DeviceOrdered", "Created", "AwaitingShipmentDetails"],
  dataBoxDeletableStages: [
    "Completed",
    "CompletedWithErrors",
    "CompletedWithWarnings",
    "Cancelled",
    "Aborted",
  ],
  dataBoxDeleteMs: 300,
  dataBoxRetryAfterSeconds: null,
  dataBoxPageSize: 50,
  dataBoxDetails: "expand",
};

const stateList = z.array(z.string().min(1, "expected a non-empty state name"));

const bucket = z.strictObject({
  capacity: z.number().int("expected a whole number").min(1, "expected at least 1").max(1_000_000),
  refillPerSecond: z.number().positive("expected a number above 0").max(1_000_000),
});

const duration = z.string().refine((text) => !("error" in checkDuration(text)), {
  message: "expected an ISO 8601 duration in weeks, days, hours, minutes or seconds, e.g. PT1H, P14D",
});

const settingsPatch = z.strictObject({
  deleteStates: stateList.optional(),
  cancelStates: stateList.optional(),
  refusalStatus: z
    .number()
    .int("expected a whole number")
    .min(400, "expected a 4xx status (400-499)")
    .max(499, "expected a 4xx status (400-499)")
    .optional(),
  throttling: z
    .union([
      z.boolean(),
      z.strictObject({ reads: bucket.optional(), writes: bucket.optional(), deletes: bucket.optional() }),
    ])
    .optional(),
  defaultPageSize: z.number().int("expected a whole number").min(1, "expected at least 1").optional(),
  maxPageSize: z.number().int("expected a whole number").min(1, "expected at least 1").max(1000).optional(),
  cancelCompletesAfter: duration.optional(),
  creatingExpiry: duration.optional(),
  completedExpiry: duration.optional(),
  resourceGraphQuota: z
    .union([
      z.boolean(),
      z.strictObject({
        queries: z
          .number()
          .int("expected a whole number")
          .min(1, "expected at least 1")
          .max(1_000_000)
          .optional(),
        windowMs: z
          .number()
          .int("expected whole milliseconds")
          .min(1, "expected at least 1")
          .max(3_600_000, "expected at most 3600000 (an hour)")
          .optional(),
      }),
    ])
    .optional(),
  resourceGraphLagMs: z
    .number()
    .int("expected whole milliseconds")
    .min(0, "expected 0 or more")
    .max(3_600_000, "expected at most 3600000 (an hour)")
    .optional(),
  resourceGraphPageSize: z
    .number()
    .int("expected a whole number")
    .min(1, "expected at least 1")
    .max(1000, "expected at most 1000 (the service's largest page)")
    .optional(),
  dataBoxCancellableStages: stateList.optional(),
  dataBoxDeletableStages: stateList.optional(),
  dataBoxDeleteMs: z
    .number()
    .int("expected whole milliseconds")
    .min(0, "expected 0 or more milliseconds")
    .max(3_600_000, "expected at most 3600000 (an hour)")
    .optional(),
  dataBoxRetryAfterSeconds: z
    .number()
    .int("expected whole seconds")
    .min(0, "expected 0 or more seconds")
    .max(3600, "expected at most 3600 (an hour)")
    .nullable()
    .optional(),
  dataBoxPageSize: z
    .number()
    .int("expected a whole number")
    .min(1, "expected at least 1")
    .max(1000)
    .optional(),
  dataBoxDetails: z.enum(["expand", "always"]).optional(),
});

/**
 * `base` with the fields of `patch` applied. `throttling: true` means the ARM defaults; a partial throttling
 * object fills the missing buckets from the defaults. Throws ValidationError naming each bad field (prefixed with
 * `prefix`, e.g. `settings`).
 */
export function applySettings(base: EmulatorSettings, patch: unknown, prefix = "settings"): EmulatorSettings {
  const parsed = settingsPatch.safeParse(patch ?? {});
  if (!parsed.success) throw new ValidationError(zodProblems(parsed.error, prefix));
  const p = parsed.data;
  let throttling = base.throttling;
  if (p.throttling === false) throttling = false;
  else if (p.throttling === true) throttling = DEFAULT_THROTTLING;
  else if (p.throttling !== undefined) throttling = { ...DEFAULT_THROTTLING, ...p.throttling };
  let resourceGraphQuota = base.resourceGraphQuota;
  if (p.resourceGraphQuota === false) resourceGraphQuota = false;
  else if (p.resourceGraphQuota === true) resourceGraphQuota = DEFAULT_RESOURCE_GRAPH_QUOTA;
  else if (p.resourceGraphQuota !== undefined)
    resourceGraphQuota = { ...DEFAULT_RESOURCE_GRAPH_QUOTA, ...p.resourceGraphQuota };
  const next: EmulatorSettings = {
    deleteStates: p.deleteStates ?? base.deleteStates,
    cancelStates: p.cancelStates ?? base.cancelStates,
    refusalStatus: p.refusalStatus ?? base.refusalStatus,
    throttling,
    defaultPageSize: p.defaultPageSize ?? base.defaultPageSize,
    maxPageSize: p.maxPageSize ?? base.maxPageSize,
    cancelCompletesAfter: p.cancelCompletesAfter ?? base.cancelCompletesAfter,
    creatingExpiry: p.creatingExpiry ?? base.creatingExpiry,
    completedExpiry: p.completedExpiry ?? base.completedExpiry,
    resourceGraphQuota,
    resourceGraphLagMs: p.resourceGraphLagMs ?? base.resourceGraphLagMs,
    resourceGraphPageSize: p.resourceGraphPageSize ?? base.resourceGraphPageSize,
    dataBoxCancellableStages: p.dataBoxCancellableStages ?? base.dataBoxCancellableStages,
    dataBoxDeletableStages: p.dataBoxDeletableStages ?? base.dataBoxDeletableStages,
    dataBoxDeleteMs: p.dataBoxDeleteMs ?? base.dataBoxDeleteMs,
    dataBoxRetryAfterSeconds:
      p.dataBoxRetryAfterSeconds === undefined ? base.dataBoxRetryAfterSeconds : p.dataBoxRetryAfterSeconds,
    dataBoxPageSize: p.dataBoxPageSize ?? base.dataBoxPageSize,
    dataBoxDetails: p.dataBoxDetails ?? base.dataBoxDetails,
  };
  if (next.defaultPageSize > next.maxPageSize) {
    throw new ValidationError([
      {
        field: `${prefix}.defaultPageSize`,
        message: `expected at most maxPageSize (${next.maxPageSize}), got ${next.defaultPageSize}`,
      },
    ]);
  }
  return next;
}

/** Milliseconds of one of the (already validated) duration settings. */
export function durationMs(text: string): number {
  const result = checkDuration(text);
  if ("error" in result) throw new Error(`unvalidated duration setting: ${text}`);
  return result.ms;
}
