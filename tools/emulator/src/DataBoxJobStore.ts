import { randomUUID } from "node:crypto";
import type { EmulatorClock } from "./EmulatorClock";
import { firstAfter, JobIndex } from "./JobIndex";
import { EMULATOR_ACTOR, parseIso } from "./JobStore";
import {
  DATA_BOX_TYPE,
  RemovedResources,
  type IndexedResource,
  type ResourceIndexSource,
} from "./ResourceGraphIndex";
import { jobKey, type DataBoxJobProperties, type DataBoxSeedJob, type SystemData } from "./seed";
import type { EmulatorSettings } from "./settings";

// The Data Box jobs (`Microsoft.DataBox/jobs`, the Import/Export "preview experience" orders among them) the
// emulator serves, and their delete operations. Kept apart from the classic JobStore: another resource type, other
// rules (README.md#data-box-jobs). Subscriptions stay in the JobStore, shared by both.

/** A Data Box job as the emulator keeps it: the seeded wire fields plus its own times, which are never served. */
export interface StoredDataBoxJob {
  readonly seq: number;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  location: string;
  tags?: Record<string, string>;
  systemData?: SystemData;
  sku: DataBoxSeedJob["sku"];
  identity?: DataBoxSeedJob["identity"];
  /** As seeded; `isCancellable` / `isDeletable` / `isCancellableWithoutFee` here are overrides (see `flags`). */
  properties: DataBoxJobProperties;
  wirePatch?: Record<string, unknown>;
  /** Emulator clock, when the job entered its current stage. */
  stageEnteredAtMs: number;
  /** Emulator clock and host clock, when it was added to the store. */
  addedAtMs: number;
  addedAtRealMs: number;
  /** The delete operation under way, if any. */
  deletingOperationId?: string;
}

/** How a delete operation ends: as the service would (`succeed`), `fail`, or `never` (InProgress forever). */
export type DeleteOutcome = "succeed" | "fail" | "never";

export type OperationStatus = "InProgress" | "Succeeded" | "Failed";

/** One long-running delete, polled through its `Azure-AsyncOperation` and `Location` URLs. */
export interface DataBoxOperation {
  readonly id: string;
  readonly subscriptionId: string;
  /** Normalised (`westus`), as in the operation URLs. */
  readonly location: string;
  readonly jobKey: string;
  readonly jobName: string;
  readonly outcome: DeleteOutcome;
  /** Host clock: the operation runs on real time (settings.dataBoxDeleteMs). */
  readonly startedAtRealMs: number;
  readonly doneAtRealMs: number;
  status: OperationStatus;
  endedAtRealMs?: number;
  error?: { code: string; message: string };
}

export interface DataBoxJobPage {
  items: StoredDataBoxJob[];
  resumeAfter?: number;
}

export interface DataBoxFlags {
  isCancellable: boolean;
  isDeletable: boolean;
  isCancellableWithoutFee: boolean;
}

const lower = (s: string | undefined) => (s ?? "").toLowerCase();

const indexed = (job: StoredDataBoxJob): IndexedResource => ({
  subscriptionId: job.subscriptionId,
  type: DATA_BOX_TYPE,
  skuName: job.sku.name,
  addedAtRealMs: job.addedAtRealMs,
});

/** `West US` -> `westus`, as ARM writes locations in URLs. */
export function normaliseLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

/** The three flags a seed may set; they describe the seeded stage and are dropped when the stage changes. */
const FLAG_FIELDS = ["isCancellable", "isDeletable", "isCancellableWithoutFee"] as const;

export class DataBoxJobStore implements ResourceIndexSource {
  private readonly jobs = new JobIndex<StoredDataBoxJob>();
  private readonly operations = new Map<string, DataBoxOperation>();
  /** Removed jobs per subscription, kept while Resource Graph's index may still show them (its lag). */
  private readonly removed = new RemovedResources();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly settings: () => EmulatorSettings,
    private readonly realNow: () => number = Date.now,
  ) {}

  clear(): void {
    this.jobs.clear();
    this.operations.clear();
    this.removed.clear();
  }

  get size(): number {
    return this.jobs.size;
  }

  // ---- loading

  /** Adds the seed's Data Box jobs; one with the key of a stored job replaces it (keeping its place in listings). */
  load(jobs: DataBoxSeedJob[]): { added: number; replaced: number } {
    let added = 0;
    let replaced = 0;
    const now = this.clock.now();
    for (const j of jobs) {
      const properties: DataBoxJobProperties = { ...j.properties };
      properties.startTime ??= new Date(parseIso(j.systemData?.createdAt) ?? now).toISOString();
      const fields = {
        location: j.location,
        tags: j.tags === undefined ? undefined : { ...j.tags },
        systemData: j.systemData === undefined ? undefined : { ...j.systemData },
        sku: { ...j.sku },
        identity: j.identity,
        properties,
        wirePatch: j.wirePatch,
        stageEnteredAtMs:
          parseIso(j.stageEnteredAt) ??
          parseIso(j.systemData?.lastModifiedAt) ??
          parseIso(properties.startTime) ??
          now,
        deletingOperationId: undefined,
      };
      const existing = this.jobs.get(j.subscriptionId, j.resourceGroup, j.name);
      if (existing !== undefined) {
        Object.assign(existing, fields);
        replaced++;
        continue;
      }
      this.jobs.add({
        seq: this.jobs.takeSeq(),
        subscriptionId: j.subscriptionId,
        resourceGroup: j.resourceGroup,
        name: j.name,
        addedAtMs: now,
        addedAtRealMs: this.realNow(),
        ...fields,
      });
      added++;
    }
    return { added, replaced };
  }

  // ---- reading (each read first settles a delete whose time has come)

  get(subscriptionId: string, resourceGroup: string, name: string): StoredDataBoxJob | undefined {
    const job = this.jobs.get(subscriptionId, resourceGroup, name);
    if (job === undefined) return undefined;
    return this.settleJob(job) ? job : undefined;
  }

  /** Up to `top` jobs of a subscription (or one of its resource groups) after seq `afterSeq`. */
  page(
    subscriptionId: string,
    resourceGroup: string | undefined,
    afterSeq: number,
    top: number,
  ): DataBoxJobPage {
    const list = this.jobs.scope(subscriptionId, resourceGroup);
    if (list === undefined) return { items: [] };
    const items: StoredDataBoxJob[] = [];
    let i = firstAfter(list, afterSeq);
    while (i < list.length) {
      const job = list[i]!;
      if (!this.settleJob(job)) {
        // Its delete just succeeded and took it out of `list`: the next job is now at `i`.
        if (list[i] === job) i++;
        continue;
      }
      if (items.length === top) return { items, resumeAfter: items[items.length - 1]!.seq };
      items.push(job);
      i++;
    }
    return { items };
  }

  /** Every live job (optionally of one subscription), in insertion order. */
  all(subscriptionId?: string): StoredDataBoxJob[] {
    return this.jobs
      .all(subscriptionId)
      .filter((job) => this.settleJob(job))
      .sort((a, b) => a.seq - b.seq);
  }

  /**
   * What Resource Graph's index holds of a subscription's Data Box jobs (ResourceGraphIndex decides what it sees):
   * every live job with its SKU, and the jobs removed less than the lag ago. Older removals are dropped here.
   */
  indexedResources(subscriptionId: string): IndexedResource[] {
    const live = this.all(subscriptionId).map(indexed);
    // concat, not push(...): a subscription may hold more removals than a call takes arguments.
    return live.concat(
      this.removed.since(subscriptionId, this.realNow() - this.settings().resourceGraphLagMs),
    );
  }

  remove(job: StoredDataBoxJob): void {
    if (!this.jobs.delete(job)) return;
    if (this.settings().resourceGraphLagMs > 0)
      this.removed.add({ ...indexed(job), removedAtRealMs: this.realNow() });
  }

  // ---- the service's flags and rules

  cancellableStage(status: string | undefined): boolean {
    return this.settings().dataBoxCancellableStages.some((s) => lower(s) === lower(status));
  }

  deletableStage(status: string | undefined): boolean {
    return this.settings().dataBoxDeletableStages.some((s) => lower(s) === lower(status));
  }

  /** The flags as served: the seed's overrides, else derived from the stage settings (no stage: all false). */
  flags(job: StoredDataBoxJob): DataBoxFlags {
    const status = job.properties.status;
    const isCancellable = job.properties.isCancellable ?? this.cancellableStage(status);
    return {
      isCancellable,
      isDeletable: job.properties.isDeletable ?? this.deletableStage(status),
      // Assumption: an order that can be cancelled at all can be cancelled without a fee.
      isCancellableWithoutFee: job.properties.isCancellableWithoutFee ?? isCancellable,
    };
  }

  // ---- changes

  /** Moves a job to `status` now (forced, a fault's mutation, or a cancel); seeded flag overrides are dropped. */
  setStatus(job: StoredDataBoxJob, status: string): void {
    const now = this.clock.now();
    job.properties.status = status;
    for (const field of FLAG_FIELDS) delete job.properties[field];
    job.stageEnteredAtMs = now;
    this.touch(job, now);
  }

  /** An accepted cancel: the job is Cancelled at once, with the caller's reason. */
  cancel(job: StoredDataBoxJob, reason: string): void {
    job.properties.cancellationReason = reason;
    this.setStatus(job, "Cancelled");
  }

  /** Updates `systemData.lastModified*` of a job that shows systemData. */
  touch(job: StoredDataBoxJob, atMs: number): void {
    if (job.systemData === undefined) return;
    job.systemData.lastModifiedAt = new Date(atMs).toISOString();
    job.systemData.lastModifiedBy = EMULATOR_ACTOR;
    job.systemData.lastModifiedByType = "User";
  }

  // ---- delete operations

  /** The running delete of `job`, if one is under way. */
  runningDelete(job: StoredDataBoxJob): DataBoxOperation | undefined {
    if (job.deletingOperationId === undefined) return undefined;
    const op = this.operation(job.deletingOperationId);
    return op?.status === "InProgress" ? op : undefined;
  }

  /** Starts deleting `job`: it stays readable until the operation succeeds, and is gone from then on. */
  startDelete(job: StoredDataBoxJob, outcome: DeleteOutcome): DataBoxOperation {
    const now = this.realNow();
    const op: DataBoxOperation = {
      id: randomUUID(),
      subscriptionId: job.subscriptionId,
      location: normaliseLocation(job.location),
      jobKey: jobKey(job.subscriptionId, job.resourceGroup, job.name),
      jobName: job.name,
      outcome,
      startedAtRealMs: now,
      doneAtRealMs: now + this.settings().dataBoxDeleteMs,
      status: "InProgress",
    };
    this.operations.set(op.id, op);
    job.deletingOperationId = op.id;
    return op;
  }

  /** The operation (settled if its time has come), or undefined for an unknown id. */
  operation(id: string): DataBoxOperation | undefined {
    const op = this.operations.get(id.toLowerCase());
    if (op === undefined) return undefined;
    this.settleOperation(op);
    return op;
  }

  private settleOperation(op: DataBoxOperation): void {
    if (op.status !== "InProgress" || op.outcome === "never") return;
    const now = this.realNow();
    if (now < op.doneAtRealMs) return;
    op.endedAtRealMs = now;
    const job = this.jobs.getByKey(op.jobKey);
    const ours = job !== undefined && job.deletingOperationId === op.id;
    if (op.outcome === "fail") {
      op.status = "Failed";
      op.error = {
        code: "DeleteFailed",
        message: `The delete of job '${op.jobName}' failed (an injected fault); the job is unchanged.`,
      };
      if (ours) job.deletingOperationId = undefined;
      return;
    }
    op.status = "Succeeded";
    if (ours) this.remove(job);
  }

  /** False when the job's delete has succeeded (the job is then removed). */
  private settleJob(job: StoredDataBoxJob): boolean {
    if (job.deletingOperationId !== undefined) {
      const op = this.operations.get(job.deletingOperationId);
      if (op !== undefined) this.settleOperation(op);
    }
    return this.jobs.holds(job);
  }
}
