import type { EmulatorClock } from "./EmulatorClock";
import { firstAfter, JobIndex } from "./JobIndex";
import {
  isDataBoxSeedJob,
  type EmulatorSeed,
  type JobDetails,
  type SeedJob,
  type SeedSubscription,
  type SubscriptionState,
  type SystemData,
} from "./seed";
import {
  IMPORT_EXPORT_TYPE,
  RemovedResources,
  type IndexedResource,
  type ResourceIndexSource,
} from "./ResourceGraphIndex";
import { durationMs, type EmulatorSettings } from "./settings";

/** A job as the emulator keeps it: the wire fields plus its own timestamps, which are never served. */
export interface StoredJob {
  /** Insertion order; listings are in this order and skip tokens point into it, so paging has no gaps. */
  readonly seq: number;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  location: string;
  tags?: Record<string, string>;
  systemData?: SystemData;
  properties: JobDetails;
  identity?: SeedJob["identity"];
  createdAtMs: number;
  stateEnteredAtMs: number;
  /** Set while an accepted cancel is on its way to Completed. */
  cancelCompletesAtMs?: number;
  /** Seed `wirePatch`: merged into the body whenever the job is served. */
  wirePatch?: Record<string, unknown>;
  /** Real time (host clock) it was added: Resource Graph's index sees it only after its lag. */
  readonly addedAtRealMs: number;
}

export interface StoredSubscription {
  subscriptionId: string;
  displayName: string;
  state: SubscriptionState;
  tenantId: string;
  /** False: Data Box requests there answer 409 MissingSubscriptionRegistration (seed `dataBoxRegistered`). */
  dataBoxRegistered: boolean;
}

export interface JobPage {
  items: StoredJob[];
  /** Seq of the last item, to resume after, when more jobs follow. */
  resumeAfter?: number;
}

/** The tenant every emulated subscription belongs to (a made-up id). */
export const EMULATOR_TENANT_ID = "e0e0e0e0-0000-4000-8000-00000000e0e0";

/** Who the emulator names in systemData for changes made through its API. */
export const EMULATOR_ACTOR = "emulator-user";

interface Expiries {
  creatingMs: number;
  completedMs: number;
}

const lower = (s: string | undefined) => (s ?? "").toLowerCase();

const indexed = (job: StoredJob): IndexedResource => ({
  subscriptionId: job.subscriptionId,
  type: IMPORT_EXPORT_TYPE,
  addedAtRealMs: job.addedAtRealMs,
});

export function parseIso(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * All subscriptions and jobs, indexed per subscription and per resource group so a listing reads only its own
 * scope (100,000 jobs across 1,000 subscriptions must list quickly). The service's own lifecycle (expiries, a
 * cancel completing) is applied lazily, against the emulator clock, whenever a job is looked at.
 */
export class JobStore implements ResourceIndexSource {
  private readonly jobs = new JobIndex<StoredJob>();
  private readonly subscriptions = new Map<string, StoredSubscription>();
  /** Removed jobs per subscription, kept while Resource Graph's index may still show them (its lag). */
  private readonly removed = new RemovedResources();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly settings: () => EmulatorSettings,
    private readonly realNow: () => number = Date.now,
  ) {}

  clear(): void {
    this.removed.clear();
    this.jobs.clear();
    this.subscriptions.clear();
  }

  /** Now on the emulator clock (epoch ms). */
  nowMs(): number {
    return this.clock.now();
  }

  get size(): number {
    return this.jobs.size;
  }

  // ---- subscriptions

  putSubscription(s: SeedSubscription): StoredSubscription {
    const stored: StoredSubscription = {
      subscriptionId: s.subscriptionId,
      displayName: s.displayName ?? `Subscription ${s.subscriptionId.slice(0, 8)}`,
      state: s.state ?? "Enabled",
      tenantId: s.tenantId ?? EMULATOR_TENANT_ID,
      dataBoxRegistered: s.dataBoxRegistered ?? true,
    };
    this.subscriptions.set(lower(s.subscriptionId), stored);
    return stored;
  }

  subscription(subscriptionId: string): StoredSubscription | undefined {
    return this.subscriptions.get(lower(subscriptionId));
  }

  listSubscriptions(): StoredSubscription[] {
    return [...this.subscriptions.values()];
  }

  // ---- loading

  /**
   * Adds the seed's subscriptions and jobs (a job with the key of an existing one replaces it). A job's
   * subscription that the seed does not list is added as Enabled.
   */
  load(seed: EmulatorSeed): { subscriptions: number; added: number; replaced: number } {
    for (const s of seed.subscriptions ?? []) this.putSubscription(s);
    let added = 0;
    let replaced = 0;
    const now = this.clock.now();
    for (const j of seed.jobs ?? []) {
      // Data Box jobs live in their own store (EmulatorState.dataBox).
      if (isDataBoxSeedJob(j)) continue;
      if (this.subscription(j.subscriptionId) === undefined)
        this.putSubscription({ subscriptionId: j.subscriptionId });
      const state = lower(j.properties.state);
      const createdAtMs = parseIso(j.createdAt) ?? parseIso(j.systemData?.createdAt) ?? now;
      const stateEnteredAtMs =
        parseIso(j.stateEnteredAt) ??
        (state === "creating" ? createdAtMs : undefined) ??
        parseIso(j.systemData?.lastModifiedAt) ??
        (state === "completed" || state === "closed"
          ? parseIso(j.properties.returnPackage?.shipDate)
          : undefined) ??
        now;
      const fields = {
        location: j.location,
        tags: j.tags,
        systemData: j.systemData,
        properties: j.properties,
        identity: j.identity,
        wirePatch: j.wirePatch,
        createdAtMs,
        stateEnteredAtMs,
        cancelCompletesAtMs:
          j.properties.cancelRequested === true && this.cancelAllowedIn(j.properties.state)
            ? now + durationMs(this.settings().cancelCompletesAfter)
            : undefined,
      };
      if (this.upsert(j.subscriptionId, j.resourceGroup, j.name, fields)) added++;
      else replaced++;
    }
    return { subscriptions: seed.subscriptions?.length ?? 0, added, replaced };
  }

  /** Creates the job, or replaces the fields of the existing one in place (keeping its place in listings). */
  upsert(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    fields: Omit<StoredJob, "seq" | "subscriptionId" | "resourceGroup" | "name" | "addedAtRealMs">,
  ): boolean {
    const existing = this.jobs.get(subscriptionId, resourceGroup, name);
    if (existing !== undefined) {
      Object.assign(existing, fields);
      return false;
    }
    this.jobs.add({
      seq: this.jobs.takeSeq(),
      subscriptionId,
      resourceGroup,
      name,
      ...fields,
      addedAtRealMs: this.realNow(),
    });
    return true;
  }

  // ---- reading (each read applies the lifecycle first)

  /** The job, or undefined when it does not exist or the service's own expiry has removed it. */
  get(subscriptionId: string, resourceGroup: string, name: string): StoredJob | undefined {
    const job = this.jobs.get(subscriptionId, resourceGroup, name);
    if (job === undefined) return undefined;
    return this.refresh(job, this.clock.now(), this.expiries()) ? job : undefined;
  }

  /** Up to `top` live jobs of a subscription (or one of its resource groups) after seq `afterSeq`. */
  page(subscriptionId: string, resourceGroup: string | undefined, afterSeq: number, top: number): JobPage {
    const list = this.jobs.scope(subscriptionId, resourceGroup);
    if (list === undefined) return { items: [] };
    const now = this.clock.now();
    const expiries = this.expiries();
    const items: StoredJob[] = [];
    const expired: StoredJob[] = [];
    let more = false;
    for (let i = firstAfter(list, afterSeq); i < list.length; i++) {
      const job = list[i]!;
      if (!this.isAlive(job, now, expiries)) {
        expired.push(job);
        continue;
      }
      if (items.length === top) {
        more = true;
        break;
      }
      items.push(job);
    }
    for (const job of expired) this.remove(job);
    const last = items[items.length - 1];
    return more && last !== undefined ? { items, resumeAfter: last.seq } : { items };
  }

  /** Every live job (optionally of one subscription), in insertion order. */
  all(subscriptionId?: string): StoredJob[] {
    const now = this.clock.now();
    const source = this.jobs.all(subscriptionId);
    const expiries = this.expiries();
    const alive = source.filter((job) => this.refresh(job, now, expiries));
    return alive.sort((a, b) => a.seq - b.seq);
  }

  remove(job: StoredJob): void {
    if (!this.jobs.delete(job)) return;
    if (this.settings().resourceGraphLagMs > 0)
      this.removed.add({ ...indexed(job), removedAtRealMs: this.realNow() });
  }

  /**
   * What Resource Graph's index holds for a subscription (ResourceGraphIndex decides what it sees, by the lag):
   * every live job, and the jobs removed less than the lag ago. Expired removals are dropped here.
   */
  indexedResources(subscriptionId: string): IndexedResource[] {
    const live = this.all(subscriptionId).map(indexed);
    // concat, not push(...): a subscription may hold more removals than a call takes arguments.
    return live.concat(
      this.removed.since(subscriptionId, this.realNow() - this.settings().resourceGraphLagMs),
    );
  }

  // ---- changes

  /** Moves a job to `state` now (a forced transition, or shipping). */
  setState(job: StoredJob, state: string): void {
    const now = this.clock.now();
    job.properties.state = state;
    job.stateEnteredAtMs = now;
    if (!this.cancelAllowedIn(state) && job.cancelCompletesAtMs !== undefined)
      job.cancelCompletesAtMs = undefined;
    this.touch(job, now);
  }

  /** Records an accepted cancel: the state stays, and the job reaches Completed after `cancelCompletesAfter`. */
  requestCancel(job: StoredJob): void {
    const now = this.clock.now();
    if (job.properties.cancelRequested !== true) {
      job.properties.cancelRequested = true;
      job.cancelCompletesAtMs = now + durationMs(this.settings().cancelCompletesAfter);
    }
    this.touch(job, now);
  }

  /** Updates `systemData.lastModified*` of a job that shows systemData; one seeded without it stays without. */
  touch(job: StoredJob, atMs: number): void {
    if (job.systemData === undefined) return;
    job.systemData.lastModifiedAt = new Date(atMs).toISOString();
    job.systemData.lastModifiedBy = EMULATOR_ACTOR;
    job.systemData.lastModifiedByType = "User";
  }

  cancelAllowedIn(state: string | undefined): boolean {
    return this.settings().cancelStates.some((s) => lower(s) === lower(state));
  }

  // ---- lifecycle

  /** Applies the lifecycle to one job; removes it and answers false when the service's expiry has taken it. */
  private refresh(job: StoredJob, now: number, expiries: Expiries): boolean {
    if (this.isAlive(job, now, expiries)) return true;
    this.remove(job);
    return false;
  }

  private expiries(): Expiries {
    const settings = this.settings();
    return {
      creatingMs: durationMs(settings.creatingExpiry),
      completedMs: durationMs(settings.completedExpiry),
    };
  }

  private isAlive(job: StoredJob, now: number, expiries: Expiries): boolean {
    if (job.cancelCompletesAtMs !== undefined && now >= job.cancelCompletesAtMs) {
      const at = job.cancelCompletesAtMs;
      job.cancelCompletesAtMs = undefined;
      job.properties.state = "Completed";
      job.stateEnteredAtMs = at;
      this.touch(job, at);
    }
    const state = lower(job.properties.state);
    // docs/service.md#state-rules: the service deletes a Creating job after about two weeks unless it has a tracking
    // number, and a Completed or Closed job 90 days after it got there.
    if (state === "creating" && !job.properties.deliveryPackage?.trackingNumber) {
      return now - job.createdAtMs < expiries.creatingMs;
    }
    if (state === "completed" || state === "closed") {
      return now - job.stateEnteredAtMs < expiries.completedMs;
    }
    return true;
  }
}
