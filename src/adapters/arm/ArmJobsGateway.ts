// JobsGateway over the real Import/Export SDK client (@azure/arm-storageimportexport). The SDK builds the
// requests (URL, api-version, auth, TLS); every decision is made from the raw response (see callArm.ts).
import { StorageImportExport } from "@azure/arm-storageimportexport";
import { createDefaultHttpClient, type HttpClient } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";

import { ACCEPTED_IDS, isJobName, isResourceGroupName, isSubscriptionId } from "../../domain/armIds";
import type { JobRef, JobSnapshot } from "../../domain/job";
import type {
  ArmFailure,
  ArmResult,
  DeleteProgress,
  DeleteStarted,
  JobPage,
  JobsGateway,
  MalformedJob,
} from "../../engine/ports";
import { ValidationError, type FieldProblem } from "../../errors";
import type { ArmClientOptions } from "./armConnection";
import { failureForStatus, isObject, parseJson } from "./armResponse";
import { callArm, type ArmCallOutcome, type RawArmResponse } from "./callArm";
import { readJob } from "./jobFromWire";

/** Import/Export API version; a nextLink without one gets it added (the SDK follows nextLinks verbatim). */
export const IMPORT_EXPORT_API_VERSION = "2021-01-01";
/** SDK clients kept for reuse: more than the subscriptions a worker sweeps at once. */
const MAX_CACHED_CLIENTS = 64;
/** `$top` is at most 100 (docs/service.md#the-resource). */
export const MAX_PAGE_SIZE = 100;

export interface ArmJobsGatewayOptions {
  credential: TokenCredential;
  clientOptions: ArmClientOptions;
  timeoutMs: number;
  /** For unit tests only: the HTTP client under the SDK pipeline. */
  httpClient?: HttpClient;
}

/**
 * Caller aborts: when the `signal` passed to a method aborts, the method rejects with that AbortError (it does
 * not resolve to a failure). Our own per-request timeout resolves to `transient` with code `Timeout`.
 */
export class ArmJobsGateway implements JobsGateway {
  private readonly clients = new Map<string, StorageImportExport>();
  private readonly endpointOrigin: string;

  /** One HTTP client for every subscription's SDK client, so they share keep-alive TLS connections. */
  private readonly httpClient: HttpClient;

  constructor(private readonly options: ArmJobsGatewayOptions) {
    this.endpointOrigin = new URL(options.clientOptions.endpoint).origin;
    this.httpClient = options.httpClient ?? createDefaultHttpClient();
  }

  async listJobsPage(
    subscriptionId: string,
    nextLink: string | undefined,
    options: { pageSize?: number; signal?: AbortSignal } = {},
  ): Promise<ArmResult<JobPage>> {
    checkSubscriptionId(subscriptionId);
    const top = pageSizeOf(options.pageSize);
    if (nextLink !== undefined && this.sameOriginLink(nextLink) === undefined) {
      throw new ValidationError([
        { field: "nextLink", message: "must be an absolute URL on the ARM endpoint" },
      ]);
    }
    const client = this.client(subscriptionId);
    const outcome = await this.call(async (operationOptions) => {
      // byPage with a continuation token fetches that link directly; without one, the first page. Taking
      // one `next()` sends exactly one request, so a failed page can be retried from its own link.
      const pages = client.jobs
        .listBySubscription({ ...operationOptions, top })
        .byPage(nextLink !== undefined ? { continuationToken: nextLink } : undefined);
      await pages.next();
    }, options.signal);
    if (outcome.failure) return { ok: false, failure: outcome.failure, remaining: outcome.remaining };
    const { response } = outcome;
    if (response.status !== 200) return this.failed(response, "listing");
    return this.readPage(subscriptionId, response);
  }

  async getJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<JobSnapshot>> {
    checkRef(ref);
    const client = this.client(ref.subscriptionId);
    const outcome = await this.call(
      (operationOptions) => client.jobs.get(ref.name, ref.resourceGroup, operationOptions),
      signal,
    );
    return this.jobResult(ref, outcome);
  }

  /** The classic cancel is a PATCH with no room for a reason: `_reason` is not sent. */
  async cancelJob(ref: JobRef, _reason: string, signal?: AbortSignal): Promise<ArmResult<JobSnapshot>> {
    checkRef(ref);
    const client = this.client(ref.subscriptionId);
    // Only cancelRequested: the SDK's mapper serializes nothing else from this object (no defaults are added).
    const outcome = await this.call(
      (operationOptions) =>
        client.jobs.update(ref.name, ref.resourceGroup, { cancelRequested: true }, operationOptions),
      signal,
    );
    return this.jobResult(ref, outcome);
  }

  /** A classic delete is not long-running: 200 is the end (`value` undefined), 204 is `gone`. */
  async deleteJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<DeleteStarted | undefined>> {
    checkRef(ref);
    const client = this.client(ref.subscriptionId);
    const outcome = await this.call(
      (operationOptions) => client.jobs.delete(ref.name, ref.resourceGroup, operationOptions),
      signal,
    );
    if (outcome.failure) return { ok: false, failure: outcome.failure, remaining: outcome.remaining };
    const { response } = outcome;
    if (response.status === 200) {
      return { ok: true, value: undefined, status: 200, remaining: response.remaining };
    }
    // 204 is "nothing to delete" (the SDK throws on it because the spec lists only 200).
    if (response.status === 204) {
      return { ok: false, failure: { kind: "gone", status: 204 }, remaining: response.remaining };
    }
    return this.failed(response, "job");
  }

  /**
   * Classic deletes never start a long-running operation, so there is nothing to poll: a clear `malformed`
   * failure (status 0: no request was sent) instead of a request the service would not understand.
   */
  async pollDelete(
    ref: JobRef,
    _operationUrl: string,
    signal?: AbortSignal,
  ): Promise<ArmResult<DeleteProgress>> {
    checkRef(ref);
    signal?.throwIfAborted();
    return {
      ok: false,
      failure: {
        kind: "malformed",
        status: 0,
        message: "Import/Export deletes are not long-running operations: there is nothing to poll",
      },
      remaining: {},
    };
  }

  private call(
    send: Parameters<typeof callArm>[0],
    signal: AbortSignal | undefined,
  ): Promise<ArmCallOutcome> {
    return callArm(send, { ...(signal && { signal }), timeoutMs: this.options.timeoutMs });
  }

  private jobResult(ref: JobRef, outcome: ArmCallOutcome): ArmResult<JobSnapshot> {
    if (outcome.failure) return { ok: false, failure: outcome.failure, remaining: outcome.remaining };
    const { response } = outcome;
    if (response.status !== 200) return this.failed(response, "job");
    const body = parseJson(response.bodyAsText);
    if (body === undefined) return malformed(response, "response body is not JSON");
    const read = readJob(body);
    if (!read.ok) return malformed(response, read.malformed.reason);
    const { job } = read;
    const same =
      job.subscriptionId.toLowerCase() === ref.subscriptionId.toLowerCase() &&
      job.resourceGroup.toLowerCase() === ref.resourceGroup.toLowerCase() &&
      job.name.toLowerCase() === ref.name.toLowerCase();
    if (!same) return malformed(response, "response describes a different job than the one asked for");
    return { ok: true, value: job, status: 200, remaining: response.remaining };
  }

  private readPage(subscriptionId: string, response: RawArmResponse): ArmResult<JobPage> {
    const body = parseJson(response.bodyAsText);
    if (!isObject(body) || !Array.isArray(body.value)) {
      return malformed(response, "listing page has no value array");
    }
    let nextLink: string | undefined;
    if (typeof body.nextLink === "string" && body.nextLink !== "") {
      nextLink = this.sameOriginLink(body.nextLink);
      if (nextLink === undefined) return malformed(response, "nextLink is not on the ARM endpoint");
    } else if (body.nextLink !== undefined && body.nextLink !== null && body.nextLink !== "") {
      return malformed(response, "nextLink is not a string");
    }
    const jobs: JobSnapshot[] = [];
    const malformedJobs: MalformedJob[] = [];
    for (const item of body.value) {
      const read = readJob(item);
      if (!read.ok) malformedJobs.push(read.malformed);
      else if (read.job.subscriptionId.toLowerCase() !== subscriptionId.toLowerCase()) {
        malformedJobs.push({
          id: read.job.id,
          name: read.job.name,
          reason: "job belongs to another subscription",
        });
      } else jobs.push(read.job);
    }
    return {
      ok: true,
      value: { jobs, malformed: malformedJobs, ...(nextLink && { nextLink }) },
      status: 200,
      remaining: response.remaining,
    };
  }

  private failed(
    response: RawArmResponse,
    kind: "job" | "listing",
  ): { ok: false; failure: ArmFailure; remaining: RawArmResponse["remaining"] } {
    return {
      ok: false,
      failure: failureForStatus(response.status, response.headers, response.bodyAsText, kind),
      remaining: response.remaining,
    };
  }

  /**
   * The link as an absolute URL carrying api-version, or undefined when it leaves the ARM endpoint: the SDK
   * would send our bearer token wherever a nextLink points.
   */
  private sameOriginLink(link: string): string | undefined {
    let url: URL;
    try {
      url = new URL(link, this.endpointOrigin);
    } catch {
      return undefined;
    }
    if (url.origin !== this.endpointOrigin) return undefined;
    if (!url.searchParams.has("api-version")) url.searchParams.set("api-version", IMPORT_EXPORT_API_VERSION);
    return url.toString();
  }

  private client(subscriptionId: string): StorageImportExport {
    let client = this.clients.get(subscriptionId);
    if (client) {
      // Most recently used last, so the oldest is the first key.
      this.clients.delete(subscriptionId);
      this.clients.set(subscriptionId, client);
    } else {
      // A client per subscription (the SDK binds one to it); bounded, so memory does not grow with the number
      // of subscriptions a run sweeps.
      if (this.clients.size >= MAX_CACHED_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
      const { credential, clientOptions } = this.options;
      client = new StorageImportExport(credential, subscriptionId, {
        ...clientOptions,
        httpClient: this.httpClient,
      });
      this.clients.set(subscriptionId, client);
    }
    return client;
  }
}

function malformed(
  response: RawArmResponse,
  message: string,
): { ok: false; failure: ArmFailure; remaining: RawArmResponse["remaining"] } {
  return {
    ok: false,
    failure: { kind: "malformed", status: response.status, message },
    remaining: response.remaining,
  };
}

function pageSizeOf(pageSize: number | undefined): number {
  if (pageSize === undefined) return MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new ValidationError([
      { field: "pageSize", message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` },
    ]);
  }
  return pageSize;
}

/**
 * Refuses ids and names outside the domain's rules (src/domain/armIds.ts) before they reach a URL: none of them
 * can be turned by the URL layer into another path (empty, `.`, `..`, or holding `/ \\ ? #`).
 */
function checkSubscriptionId(subscriptionId: string): void {
  if (!isSubscriptionId(subscriptionId))
    throw new ValidationError([
      { field: "subscriptionId", message: `must be ${ACCEPTED_IDS.subscriptionId}` },
    ]);
}

function checkRef(ref: JobRef): void {
  const problems: FieldProblem[] = [];
  // A Data Box ref here would act on a classic job of the same name.
  if (ref.source !== "importexport") problems.push({ field: "source", message: "must be importexport" });
  if (!isSubscriptionId(ref.subscriptionId))
    problems.push({ field: "subscriptionId", message: `must be ${ACCEPTED_IDS.subscriptionId}` });
  if (!isResourceGroupName(ref.resourceGroup))
    problems.push({ field: "resourceGroup", message: `must be ${ACCEPTED_IDS.resourceGroup}` });
  if (!isJobName(ref.name)) problems.push({ field: "name", message: `must be ${ACCEPTED_IDS.jobName}` });
  if (problems.length > 0) throw new ValidationError(problems);
}
