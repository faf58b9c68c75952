// The interfaces the engine depends on. Adapters (src/adapters) implement them over Azure; tests may fake them.
import type { JobRef, JobSnapshot, JobSource, SubscriptionInfo } from "../domain/job";
import type { PlanRecord, PlanStatus, ProposedAction } from "../domain/plans";
import type { AuditEntry, Observation, RunCounts, RunRecord } from "../domain/records";

// ---------------------------------------------------------------- ARM

/** ARM operation types, each with its own throttling bucket (docs/service.md#arm-throttling). */
export type ArmOperationKind = "read" | "write" | "delete";

/** `x-ms-ratelimit-remaining-subscription-*` values of the last response, where present. */
export interface RateLimitRemaining {
  reads?: number;
  writes?: number;
  deletes?: number;
}

/**
 * Why an ARM call did not succeed, reduced to what the engine acts on (docs/service.md#state-rules,
 * #sdk-traps).
 */
export type ArmFailure =
  /** Any other 4xx on get/cancel/delete: the service says not now. */
  | { kind: "not-allowed"; status: number; code?: string; message?: string }
  /** 404, or 204 on delete: the job no longer exists. */
  | { kind: "gone"; status: number; code?: string }
  /** 429; `retryAfterMs` when the service asked for a wait. */
  | { kind: "throttled"; status: 429; retryAfterMs?: number; code?: string }
  /** 5xx, 408, timeouts, dropped connections. */
  | { kind: "transient"; status?: number; code?: string; message?: string }
  /** A 2xx whose body cannot be trusted (for example a job without `properties.state`). */
  | { kind: "malformed"; status: number; message: string };

export type ArmResult<T> =
  | { ok: true; value: T; status: number; remaining: RateLimitRemaining }
  | { ok: false; failure: ArmFailure; remaining: RateLimitRemaining };

/** A job in a listing page that could not be read safely (no state, no id): reported, never acted on. */
export interface MalformedJob {
  id?: string;
  name?: string;
  reason: string;
}

export interface JobPage {
  jobs: JobSnapshot[];
  malformed: MalformedJob[];
  /** Absolute next link (carries api-version); undefined on the last page. */
  nextLink?: string;
}

export interface JobsGateway {
  /** One page of a subscription's jobs; `nextLink` from the previous page, or undefined for the first. */
  listJobsPage(
    subscriptionId: string,
    nextLink: string | undefined,
    options?: { pageSize?: number; signal?: AbortSignal },
  ): Promise<ArmResult<JobPage>>;
  getJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<JobSnapshot>>;
  /**
   * Classic: PATCH `{"properties":{"cancelRequested":true}}`, answered with the job. Data Box: `POST .../cancel`
   * with `reason`, answered 204 without a body (`value` undefined: the engine checks by reading).
   */
  cancelJob(ref: JobRef, reason: string, signal?: AbortSignal): Promise<ArmResult<JobSnapshot | undefined>>;
  /**
   * DELETE. Classic: 200 = deleted. Data Box: a long-running operation; a 202 names where to follow it
   * (`operationUrl`, same origin as the endpoint, or absent when the answer named none).
   */
  deleteJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<DeleteStarted | undefined>>;
  /** One look at a delete's long-running operation (`DeleteStarted.operationUrl`). */
  pollDelete(ref: JobRef, operationUrl: string, signal?: AbortSignal): Promise<ArmResult<DeleteProgress>>;
}

/** A delete the service accepted as a long-running operation (Data Box). */
export interface DeleteStarted {
  operationUrl?: string;
  /** `Retry-After` of the answer, when it gave one. */
  retryAfterMs?: number;
}

/** Where a long-running delete is: `running` (look again after `retryAfterMs`), or its end. */
export interface DeleteProgress {
  status: "running" | "succeeded" | "failed";
  retryAfterMs?: number;
}

export interface SubscriptionDiscovery {
  /** Every subscription the principal can see, with its state. Throws on failure. */
  listSubscriptions(signal?: AbortSignal): Promise<SubscriptionInfo[]>;
  /** One subscription as it is now (`undefined`: no longer visible); a queued part checks it before sweeping. */
  getSubscription(
    subscriptionId: string,
    signal?: AbortSignal,
  ): Promise<ArmResult<SubscriptionInfo | undefined>>;
}

/** Jobs the index counts in one subscription, per source; `unknown` when it named the subscription without counts. */
export interface JobIndexCounts {
  importexport: number;
  databox: number;
  unknown?: true;
}

/** What an index of jobs answered; on failure, the short reason (the janitor's own words, no service text). */
export type JobIndexAnswer =
  | {
      ok: true;
      /** Lower-cased subscription id -> its jobs, for the subscriptions the index says hold any. */
      withJobs: Map<string, JobIndexCounts>;
      /** Rows of the answer that could not be trusted and were ignored, with the first few reasons. */
      ignoredRows: number;
      ignored: string[];
      queries: number;
      throttled: number;
    }
  | { ok: false; reason: string; queries: number; throttled: number };

/**
 * An index of where jobs are (Azure Resource Graph): it lags, so it only narrows which subscriptions a run lists;
 * jobs are always listed and re-read from their own APIs before anything is decided. Rejects only with the
 * AbortError of `signal`.
 */
export interface JobIndex {
  subscriptionsWithJobs(
    subscriptionIds: string[],
    options: { deadline: Date; signal?: AbortSignal },
  ): Promise<JobIndexAnswer>;
}

// ---------------------------------------------------------------- storage

/** The audit log's query (its fields are the HTTP API's and the CLI's filters); defined with the audit filter. */
export type { AuditQuery } from "../domain/records";
import type { AuditQuery } from "../domain/records";

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface AuditStore {
  /**
   * Writes entries create-only (a key collision fails, history is never overwritten), batched, retried on
   * transient errors. Resolves only when every entry is stored; rejects with AuditWriteError otherwise.
   */
  append(entries: AuditEntry[]): Promise<void>;
  /** Validated query (throws ValidationError naming the parameter). */
  query(query: AuditQuery): Promise<Page<AuditEntry>>;
}

/** A work item: a few subscriptions of one run, swept by one worker. `slot` numbers each one's audit seq block. */
export interface WorkPart {
  runId: string;
  index: number;
  subscriptions: { subscriptionId: string; slot: number }[];
}

export interface RunStore {
  create(run: RunRecord): Promise<void>;
  get(runId: string): Promise<RunRecord | undefined>;
  /** Read-modify-write with ETag concurrency; `change` may run more than once. Returns the stored record. */
  update(runId: string, change: (run: RunRecord) => RunRecord): Promise<RunRecord>;
  /** Adds counts atomically (ETag retries), for parallel workers. */
  addCounts(runId: string, delta: Partial<RunCounts>): Promise<RunRecord>;
  list(options: { limit?: number; cursor?: string }): Promise<Page<RunRecord>>;
  /**
   * Stores a run's parts under `planId` (one id per coordinator attempt, so two attempts never mix their rows);
   * the run record names the plan that won (`partsPlanId`), and every later delivery reuses it.
   */
  saveParts(runId: string, planId: string, parts: WorkPart[]): Promise<void>;
  loadParts(runId: string, planId: string): Promise<WorkPart[]>;
  /**
   * Records that one subscription of a part was swept to the end, with its result, written under the
   * subscription's lease before it is released; a later or duplicate delivery of the part then carries the result
   * instead of sweeping the subscription again.
   */
  saveSweptSubscription(
    runId: string,
    partIndex: number,
    slot: number,
    result: SweptSubscription,
  ): Promise<void>;
  loadSweptSubscription(
    runId: string,
    partIndex: number,
    slot: number,
  ): Promise<SweptSubscription | undefined>;
}

/** What one subscription's sweep contributed to its part. */
export interface SweptSubscription {
  subscriptionId: string;
  counts: Partial<RunCounts>;
  reasons: Record<string, number>;
  error?: string;
}

export interface ObservationStore {
  /** All observations of one subscription, keyed by lower-cased job id. */
  loadSubscription(subscriptionId: string): Promise<Map<string, Observation>>;
  /** Batched upserts and removals within one subscription. */
  save(subscriptionId: string, changes: { upserts: Observation[]; removals: string[] }): Promise<void>;
}

export interface Lease {
  key: string;
  holder: string;
  expiresAt: string;
}

export interface LeaseStore {
  /** Takes the lease if free or expired; undefined when someone else holds it. */
  acquire(key: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extends a lease still held by `lease.holder`; false if it was lost. */
  renew(lease: Lease, ttlMs: number): Promise<boolean>;
  release(lease: Lease): Promise<void>;
  /** Who holds the lease now (undefined when free or expired). */
  holderOf(key: string): Promise<string | undefined>;
}

// ---------------------------------------------------------------- saved plans

export interface PlanListQuery {
  status?: PlanStatus;
  limit?: number;
  cursor?: string;
}

export interface PlanActionsQuery {
  /** Only this subscription's proposed actions. */
  subscriptionId?: string;
  /** Only actions on jobs of this source. */
  source?: JobSource;
  limit?: number;
  cursor?: string;
}

/** A plan record with the ETag it was read with, for a conditional write (two approvers: one wins). */
export interface StoredPlan {
  plan: PlanRecord;
  etag: string;
}

/**
 * Saved plans (docs/operations.md#9-plans-and-approval): the record (status, policy, expiry) and the proposed
 * actions, written one subscription at a time as the sweep goes and read back page by page, so neither side
 * ever holds a whole large plan.
 */
export interface PlanStore {
  /** Creates the record; a second create of the same plan with the same content is a no-op. */
  create(plan: PlanRecord): Promise<void>;
  get(planId: string): Promise<StoredPlan | undefined>;
  /** Replaces the record if it still has `etag`; resolves false when another writer changed it first. */
  replace(plan: PlanRecord, etag: string): Promise<boolean>;
  /** Newest first. */
  list(query: PlanListQuery): Promise<Page<PlanRecord>>;
  /**
   * Stores one subscription's proposed actions, replacing whatever an earlier delivery stored for it (a
   * redelivered part writes the same subscription again, never twice over).
   */
  writeActions(planId: string, subscriptionId: string, actions: ProposedAction[]): Promise<void>;
  /** Proposed actions ordered by subscription, then as the sweep decided them; paged by cursor. */
  readActions(planId: string, query: PlanActionsQuery): Promise<Page<ProposedAction>>;
  /** The subscriptions (lower-cased) that have proposed actions. */
  subscriptionsOf(planId: string): Promise<string[]>;
}

// ---------------------------------------------------------------- notifications

import type { JanitorEvent } from "../domain/notifications/events";

/**
 * Where the engine reports what happened (upcoming actions, finished runs, tripped breakers, failed actions):
 * notifications and telemetry listen here. `emit` must return at once and never throw; the engine still guards
 * every call (emitSafely), so a broken listener can never block, slow or fail a sweep.
 */
export interface EngineEvents {
  emit(event: JanitorEvent): void;
}

// ---------------------------------------------------------------- telemetry

import type { SpanName, TelemetryAttributes } from "../domain/telemetryNames";

/** One action planned or sent, as telemetry sees it: ids, names and outcome only. */
export interface ActionReport {
  runId: string;
  mode: string;
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
  action: string;
  outcome: string;
  reason: string;
  httpStatus?: number;
}

/**
 * Spans, metrics and records of a run (domain/telemetryNames), besides the events above. Optional: without it
 * the engine records nothing. The engine guards every call (engineTelemetry.ts), so a broken implementation
 * can neither fail nor change a run; `inSpan` must call `fn` once and hand back its result or its error.
 */
export interface EngineTelemetry {
  inSpan<T>(name: SpanName, attributes: TelemetryAttributes, fn: () => Promise<T>): Promise<T>;
  /** An action planned (plan mode) or sent and checked (apply). */
  action(report: ActionReport): void;
  /** A subscription swept to its end by this delivery (not one an earlier delivery finished). */
  subscriptionSwept(report: { runId: string; mode: string; subscriptionId: string; counts: RunCounts }): void;
  /** The ARM traffic of one part: how many answers were 429s. */
  partSwept(report: { runId: string; partIndex: number; throttled: number }): void;
}
