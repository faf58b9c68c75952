// Azure Resource Graph's index as the emulator keeps it (docs/service.md#azure-resource-graph): every store of
// jobs is a source of indexed resources, and the index sees a resource only once it is older than the lag (and
// keeps seeing a removed one until its removal is older than the lag), on real time like the real index.

/** One resource as the index holds it. `type` lower-cased, as Resource Graph shows it. */
export interface IndexedResource {
  subscriptionId: string;
  type: string;
  /** `sku.name`, for resource types that have one (Data Box jobs). */
  skuName?: string;
  /** Real time (host clock) the resource was created. */
  addedAtRealMs: number;
  /** Real time it was removed; the index still shows it until this is older than the lag. */
  removedAtRealMs?: number;
}

/**
 * A store whose resources Resource Graph indexes: the classic JobStore, and any other job store (Data Box),
 * registered on the EmulatorState. Returns live resources and the recently removed ones of one subscription.
 */
export interface ResourceIndexSource {
  indexedResources(subscriptionId: string): Iterable<IndexedResource>;
}

export const IMPORT_EXPORT_TYPE = "microsoft.importexport/jobs";
export const DATA_BOX_TYPE = "microsoft.databox/jobs";
/** The only Data Box SKU that is an Import/Export job; device orders are indexed, never counted as such. */
export const CUSTOMER_DISK_SKU = "DataBoxCustomerDisk";

/** One row of the job-count query: the subscription and its jobs per source. */
export interface JobCountRow {
  subscriptionId: string;
  importExportJobs: number;
  dataBoxJobs: number;
}

/** Resources a store removed, per subscription, kept while the index may still show them (its lag). */
export class RemovedResources {
  private readonly bySubscription = new Map<string, IndexedResource[]>();

  add(resource: IndexedResource & { removedAtRealMs: number }): void {
    const key = resource.subscriptionId.toLowerCase();
    const list = this.bySubscription.get(key);
    if (list === undefined) this.bySubscription.set(key, [resource]);
    else list.push(resource);
  }

  /** The subscription's removals after real time `oldest`; older ones are dropped here for good. */
  since(subscriptionId: string, oldest: number): IndexedResource[] {
    const key = subscriptionId.toLowerCase();
    const removed = this.bySubscription.get(key);
    if (removed === undefined) return [];
    const kept = removed.filter((r) => (r.removedAtRealMs ?? 0) > oldest);
    if (kept.length === 0) this.bySubscription.delete(key);
    else this.bySubscription.set(key, kept);
    return kept;
  }

  clear(): void {
    this.bySubscription.clear();
  }
}

/** Whether the index, `lagMs` behind real time `nowMs`, shows the resource. */
export function visibleInIndex(resource: IndexedResource, nowMs: number, lagMs: number): boolean {
  const asOf = nowMs - lagMs;
  if (resource.addedAtRealMs > asOf) return false;
  return resource.removedAtRealMs === undefined || resource.removedAtRealMs > asOf;
}

/**
 * The job-count query over the given subscriptions: one row per subscription that holds at least one
 * Import/Export job or Data Box customer-disk job the index sees, ordered by subscription id (case-insensitive,
 * as the query's `order by` on GUIDs).
 */
export function countJobs(
  sources: readonly ResourceIndexSource[],
  subscriptionIds: readonly string[],
  nowMs: number,
  lagMs: number,
): JobCountRow[] {
  const rows = new Map<string, JobCountRow>();
  for (const requested of subscriptionIds) {
    const key = requested.toLowerCase();
    if (rows.has(key)) continue;
    const row: JobCountRow = { subscriptionId: key, importExportJobs: 0, dataBoxJobs: 0 };
    for (const source of sources) {
      for (const resource of source.indexedResources(requested)) {
        if (!visibleInIndex(resource, nowMs, lagMs)) continue;
        const type = resource.type.toLowerCase();
        if (type === IMPORT_EXPORT_TYPE) row.importExportJobs++;
        else if (
          type === DATA_BOX_TYPE &&
          resource.skuName?.toLowerCase() === CUSTOMER_DISK_SKU.toLowerCase()
        )
          row.dataBoxJobs++;
      }
    }
    if (row.importExportJobs + row.dataBoxJobs > 0) rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1));
}
