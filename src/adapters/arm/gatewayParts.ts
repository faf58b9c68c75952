// What both jobs gateways (Import/Export and Data Box) share: input checks before anything reaches a URL, the
// bounded per-subscription SDK client cache, the endpoint-origin rule for links, the failure results, and the
// reading of a job's answer and of a listing page.
import { createDefaultHttpClient, type HttpClient } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";

import { ACCEPTED_IDS, isJobName, isResourceGroupName, isSubscriptionId } from "../../domain/armIds";
import type { JobRef, JobSnapshot, JobSource } from "../../domain/job";
import type { ArmFailure, ArmResult, JobPage, MalformedJob, RateLimitRemaining } from "../../engine/ports";
import { ValidationError, type FieldProblem } from "../../errors";
import type { ArmClientOptions } from "./armConnection";
import { failureForStatus, isObject, parseJson, type CallKind } from "./armResponse";
import type { ArmCallOutcome, RawArmResponse } from "./callArm";
import type { WireJob } from "./wireFields";

/**
 * The SDK client without its model deserialization: the gateways decide from the raw status and body (callArm),
 * never from the SDK's models, so turning every listed job into model objects (dates, nested mappers) was pure
 * cost: about a seventh of a 100,000-job plan's CPU and much of its garbage (docs/operations.md#sizing). Without
 * it the SDK also stops throwing on statuses its spec does not list; callArm hands back every status as it is.
 */
export function withoutModelDeserialization<
  T extends { pipeline: { removePolicy(o: { name: string }): unknown } },
>(client: T): T {
  client.pipeline.removePolicy({ name: "deserializationPolicy" });
  return client;
}

/** SDK clients kept for reuse: more than the subscriptions a worker sweeps at once. */
export const MAX_CACHED_CLIENTS = 64;
/** `$top` is at most 100 (docs/service.md#the-resource). */
export const MAX_PAGE_SIZE = 100;

export type Failed = { ok: false; failure: ArmFailure; remaining: RateLimitRemaining };

/**
 * One SDK client per subscription (the SDKs bind a client to one), most recently used kept, bounded so memory
 * does not grow with the number of subscriptions a run sweeps.
 */
export class ClientCache<T> {
  private readonly clients = new Map<string, T>();

  constructor(private readonly create: (subscriptionId: string) => T) {}

  get(subscriptionId: string): T {
    let client = this.clients.get(subscriptionId);
    if (client) {
      // Most recently used last, so the oldest is the first key.
      this.clients.delete(subscriptionId);
    } else {
      if (this.clients.size >= MAX_CACHED_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
      client = this.create(subscriptionId);
    }
    this.clients.set(subscriptionId, client);
    return client;
  }
}

/**
 * A gateway's SDK clients, one per subscription, each without its model deserialization, all over one HTTP
 * client (so they share keep-alive TLS connections).
 */
export function sdkClientCache<T extends { pipeline: { removePolicy(o: { name: string }): unknown } }>(
  options: { credential: TokenCredential; clientOptions: ArmClientOptions; httpClient?: HttpClient },
  create: (
    credential: TokenCredential,
    subscriptionId: string,
    clientOptions: ArmClientOptions & { httpClient: HttpClient },
  ) => T,
): ClientCache<T> {
  const httpClient = options.httpClient ?? createDefaultHttpClient();
  const { credential, clientOptions } = options;
  return new ClientCache((subscriptionId) =>
    withoutModelDeserialization(create(credential, subscriptionId, { ...clientOptions, httpClient })),
  );
}

/**
 * The link as an absolute URL when it stays on the endpoint's origin, else undefined: the SDK pipeline sends
 * our bearer token wherever a URL points.
 */
export function sameOriginUrl(link: string, endpointOrigin: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(link, endpointOrigin);
  } catch {
    return undefined;
  }
  return url.origin === endpointOrigin ? url : undefined;
}

export function failedResult(response: RawArmResponse, kind: CallKind): Failed {
  return {
    ok: false,
    failure: failureForStatus(response.status, response.headers, response.bodyAsText, kind),
    remaining: response.remaining,
  };
}

export function malformedResult(response: RawArmResponse, message: string): Failed {
  return {
    ok: false,
    failure: { kind: "malformed", status: response.status, message },
    remaining: response.remaining,
  };
}

export function pageSizeOf(pageSize: number | undefined): number {
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
export function checkSubscriptionId(subscriptionId: string): void {
  if (!isSubscriptionId(subscriptionId))
    throw new ValidationError([
      { field: "subscriptionId", message: `must be ${ACCEPTED_IDS.subscriptionId}` },
    ]);
}

/** As checkSubscriptionId for a whole ref, which must also be of this gateway's source. */
export function checkRef(ref: JobRef, source: JobSource): void {
  const problems: FieldProblem[] = [];
  // A ref of the other source would act on a job of the same name in the wrong API.
  if (ref.source !== source) problems.push({ field: "source", message: `must be ${source}` });
  if (!isSubscriptionId(ref.subscriptionId))
    problems.push({ field: "subscriptionId", message: `must be ${ACCEPTED_IDS.subscriptionId}` });
  if (!isResourceGroupName(ref.resourceGroup))
    problems.push({ field: "resourceGroup", message: `must be ${ACCEPTED_IDS.resourceGroup}` });
  if (!isJobName(ref.name)) problems.push({ field: "name", message: `must be ${ACCEPTED_IDS.jobName}` });
  if (problems.length > 0) throw new ValidationError(problems);
}

/** The job a response describes is the one asked for (ARM ids are case-insensitive). */
export function sameJob(
  a: { subscriptionId: string; resourceGroup: string; name: string },
  b: JobRef,
): boolean {
  return (
    a.subscriptionId.toLowerCase() === b.subscriptionId.toLowerCase() &&
    a.resourceGroup.toLowerCase() === b.resourceGroup.toLowerCase() &&
    a.name.toLowerCase() === b.name.toLowerCase()
  );
}

/**
 * A job's read (or a classic cancel's) answer: 200 with the body of the job asked for, read by the source's own
 * wire reader; anything else is a failure or malformed.
 */
export function jobResult(
  ref: JobRef,
  outcome: ArmCallOutcome,
  readJob: (raw: unknown) => WireJob,
): ArmResult<JobSnapshot> {
  if (outcome.failure) return { ok: false, failure: outcome.failure, remaining: outcome.remaining };
  const { response } = outcome;
  if (response.status !== 200) return failedResult(response, "job");
  const body = parseJson(response.bodyAsText);
  if (body === undefined) return malformedResult(response, "response body is not JSON");
  const read = readJob(body);
  if (!read.ok) return malformedResult(response, read.malformed.reason);
  if (!sameJob(read.job, ref)) {
    return malformedResult(response, "response describes a different job than the one asked for");
  }
  return { ok: true, value: read.job, status: 200, remaining: response.remaining };
}

/**
 * A 200 listing page of `subscriptionId`: its jobs read by the source's wire reader (a job of another
 * subscription is malformed), and its nextLink as `followLink` accepts it (undefined: a link the gateway must
 * not follow, the page is malformed with `refusedLink`).
 */
export function readJobPage(
  subscriptionId: string,
  response: RawArmResponse,
  readJob: (raw: unknown) => WireJob,
  followLink: (link: string) => string | undefined,
  refusedLink: string,
): ArmResult<JobPage> {
  const body = parseJson(response.bodyAsText);
  if (!isObject(body) || !Array.isArray(body.value)) {
    return malformedResult(response, "listing page has no value array");
  }
  let nextLink: string | undefined;
  if (typeof body.nextLink === "string" && body.nextLink !== "") {
    nextLink = followLink(body.nextLink);
    if (nextLink === undefined) return malformedResult(response, refusedLink);
  } else if (body.nextLink !== undefined && body.nextLink !== null && body.nextLink !== "") {
    return malformedResult(response, "nextLink is not a string");
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
