import { jobKey } from "./seed";

// The jobs of one store by key, and per subscription and per resource group in insertion (seq) order, so a listing
// reads only its own scope (100,000 jobs across 1,000 subscriptions must list quickly) and a skip token (a seq)
// resumes by binary search. Shared by the classic JobStore and the DataBoxJobStore.

export interface IndexedJob {
  /** Insertion order; listings are in this order and skip tokens point into it, so paging has no gaps. */
  readonly seq: number;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
}

const lower = (s: string) => s.toLowerCase();

/** Index of the first job in `list` (sorted by seq) with a seq greater than `afterSeq`. */
export function firstAfter(list: ReadonlyArray<{ readonly seq: number }>, afterSeq: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.seq <= afterSeq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function removeFrom<T extends IndexedJob>(list: T[] | undefined, job: T): void {
  if (list === undefined) return;
  const i = firstAfter(list, job.seq - 1);
  if (list[i] === job) list.splice(i, 1);
}

function listIn<T>(map: Map<string, T[]>, key: string): T[] {
  let list = map.get(key);
  if (list === undefined) {
    list = [];
    map.set(key, list);
  }
  return list;
}

export class JobIndex<T extends IndexedJob> {
  private readonly byKey = new Map<string, T>();
  private readonly bySubscription = new Map<string, T[]>();
  private readonly byResourceGroup = new Map<string, T[]>();
  // Not reset by clear(): a seq is never reused.
  private nextSeq = 1;

  get size(): number {
    return this.byKey.size;
  }

  /** The seq of the next job to add. */
  takeSeq(): number {
    return this.nextSeq++;
  }

  get(subscriptionId: string, resourceGroup: string, name: string): T | undefined {
    return this.getByKey(jobKey(subscriptionId, resourceGroup, name));
  }

  getByKey(key: string): T | undefined {
    return this.byKey.get(key);
  }

  /** True while `job` is the one indexed under its key. */
  holds(job: T): boolean {
    return this.get(job.subscriptionId, job.resourceGroup, job.name) === job;
  }

  /** Adds a new job (its seq from takeSeq, so it sorts last in its lists). */
  add(job: T): void {
    this.byKey.set(jobKey(job.subscriptionId, job.resourceGroup, job.name), job);
    listIn(this.bySubscription, lower(job.subscriptionId)).push(job);
    listIn(this.byResourceGroup, `${lower(job.subscriptionId)}/${lower(job.resourceGroup)}`).push(job);
  }

  /** Takes `job` out of every index; false when it is not the job indexed under its key. */
  delete(job: T): boolean {
    if (!this.holds(job)) return false;
    this.byKey.delete(jobKey(job.subscriptionId, job.resourceGroup, job.name));
    removeFrom(this.bySubscription.get(lower(job.subscriptionId)), job);
    removeFrom(this.byResourceGroup.get(`${lower(job.subscriptionId)}/${lower(job.resourceGroup)}`), job);
    return true;
  }

  /** The live list (in seq order) of a subscription or one of its resource groups, or undefined when empty. */
  scope(subscriptionId: string, resourceGroup: string | undefined): readonly T[] | undefined {
    return resourceGroup === undefined
      ? this.bySubscription.get(lower(subscriptionId))
      : this.byResourceGroup.get(`${lower(subscriptionId)}/${lower(resourceGroup)}`);
  }

  /** A copy of every job (optionally of one subscription), so the caller may remove jobs while it walks it. */
  all(subscriptionId?: string): T[] {
    return subscriptionId === undefined
      ? [...this.byKey.values()]
      : [...(this.bySubscription.get(lower(subscriptionId)) ?? [])];
  }

  clear(): void {
    this.byKey.clear();
    this.bySubscription.clear();
    this.byResourceGroup.clear();
  }
}
