// What both jobs gateways (Import/Export and Data Box) share: input checks before anything reaches a URL, the
// bounded per-subscription SDK client cache, the endpoint-origin rule for links, and the failure results.
import { ACCEPTED_IDS, isJobName, isResourceGroupName, isSubscriptionId } from "../../domain/armIds";
import type { JobRef, JobSource } from "../../domain/job";
import type { ArmFailure, RateLimitRemaining } from "../../engine/ports";
import { ValidationError, type FieldProblem } from "../../errors";
import { failureForStatus, type CallKind } from "./armResponse";
import type { RawArmResponse } from "./callArm";

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
