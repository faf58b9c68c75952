// SubscriptionDiscovery over @azure/arm-resources-subscriptions (`GET /subscriptions`,
// docs/service.md#subscription-discovery).
import { SubscriptionClient } from "@azure/arm-resources-subscriptions";
import type { HttpClient } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";

import type { SubscriptionInfo } from "../../domain/job";
import { realSleep } from "../../engine/pacing/armPacer";
import type { ArmFailure, ArmResult, SubscriptionDiscovery } from "../../engine/ports";
import type { ArmClientOptions } from "./armConnection";
import { ArmRequestError } from "./ArmRequestError";
import { failureForStatus, isObject, parseJson } from "./armResponse";
import { callArm, type ArmCallOutcome, type RawArmResponse } from "./callArm";
import { checkSubscriptionId } from "./gatewayParts";

/** A guard against a service that keeps handing out nextLinks: far more subscriptions than any tenant has. */
export const MAX_SUBSCRIPTION_PAGES = 1_000;

const OPERATION = "Listing subscriptions";

export interface ArmSubscriptionDiscoveryOptions {
  credential: TokenCredential;
  clientOptions: ArmClientOptions;
  timeoutMs: number;
  /** For unit tests only: the HTTP client under the SDK pipeline. */
  httpClient?: HttpClient;
}

/**
 * Lists every subscription the principal can see, all pages, read from the raw bodies. Throws ArmRequestError
 * (with `status`, `code` and the `failure` kind) when a page fails, so a run never works from a partial list;
 * rejects with the AbortError when the caller's signal aborts. A subscription entry without a state is given
 * the state `Unknown`, which no policy scans.
 */
export class ArmSubscriptionDiscovery implements SubscriptionDiscovery {
  private readonly client: SubscriptionClient;
  private readonly endpointOrigin: string;

  constructor(private readonly options: ArmSubscriptionDiscoveryOptions) {
    const { credential, clientOptions, httpClient } = options;
    this.client = new SubscriptionClient(credential, { ...clientOptions, ...(httpClient && { httpClient }) });
    this.endpointOrigin = new URL(clientOptions.endpoint).origin;
  }

  async listSubscriptions(signal?: AbortSignal): Promise<SubscriptionInfo[]> {
    const found = new Map<string, SubscriptionInfo>();
    const seenLinks = new Set<string>();
    let nextLink: string | undefined;
    for (let page = 0; page < MAX_SUBSCRIPTION_PAGES; page++) {
      const link = nextLink;
      const outcome = await this.withRetries(signal, () =>
        callArm(
          async (operationOptions) => {
            await this.client.subscriptions
              .list(operationOptions)
              .byPage(link !== undefined ? { continuationToken: link } : undefined)
              .next();
          },
          { ...(signal && { signal }), timeoutMs: this.options.timeoutMs },
        ),
      );
      if (outcome.failure) throw new ArmRequestError(OPERATION, outcome.failure);
      const { response } = outcome;
      if (response.status !== 200) {
        throw new ArmRequestError(
          OPERATION,
          failureForStatus(response.status, response.headers, response.bodyAsText, "listing"),
        );
      }
      nextLink = this.readPage(response, found);
      if (nextLink === undefined) return [...found.values()];
      if (seenLinks.has(nextLink)) throw malformed(response, "the service repeated a nextLink");
      seenLinks.add(nextLink);
    }
    throw new ArmRequestError(OPERATION, {
      kind: "malformed",
      status: 200,
      message: `more than ${MAX_SUBSCRIPTION_PAGES} pages`,
    });
  }

  /**
   * A page of the listing, sent again after a 429, 5xx, timeout or dropped connection (a read: nothing changes),
   * up to DISCOVERY_ATTEMPTS times, waiting as the service asked (at most DISCOVERY_MAX_WAIT_MS) or backing off:
   * one hiccup of the tenant-level listing must not fail the whole run.
   */
  private async withRetries(
    signal: AbortSignal | undefined,
    send: () => Promise<ArmCallOutcome>,
  ): Promise<ArmCallOutcome> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await send();
      const failure = outcome.failure ?? retryableStatus(outcome.response);
      const retryable = failure?.kind === "transient" || failure?.kind === "throttled";
      if (!retryable || attempt >= DISCOVERY_ATTEMPTS) return outcome;
      const asked = failure.kind === "throttled" ? failure.retryAfterMs : undefined;
      if (asked !== undefined && asked > DISCOVERY_MAX_WAIT_MS) return outcome;
      await realSleep(asked ?? 500 * 2 ** (attempt - 1), signal);
    }
  }

  /** `GET /subscriptions/{id}`: the subscription's state now, `undefined` when it is no longer visible (404). */
  async getSubscription(
    subscriptionId: string,
    signal?: AbortSignal,
  ): Promise<ArmResult<SubscriptionInfo | undefined>> {
    // As the jobs gateways do: an id outside the domain's rules never reaches a URL.
    checkSubscriptionId(subscriptionId);
    const outcome = await callArm(
      (operationOptions) => this.client.subscriptions.get(subscriptionId, operationOptions),
      { ...(signal && { signal }), timeoutMs: this.options.timeoutMs },
    );
    if (outcome.failure) return { ok: false, failure: outcome.failure, remaining: outcome.remaining };
    const { response } = outcome;
    const remaining = response.remaining;
    if (response.status === 404) return { ok: true, value: undefined, status: 404, remaining };
    if (response.status !== 200) {
      return {
        ok: false,
        failure: failureForStatus(response.status, response.headers, response.bodyAsText, "listing"),
        remaining,
      };
    }
    const body = parseJson(response.bodyAsText);
    const id = isObject(body) ? subscriptionIdOf(body) : undefined;
    if (!isObject(body) || !id || id.toLowerCase() !== subscriptionId.toLowerCase()) {
      return {
        ok: false,
        failure: { kind: "malformed", status: 200, message: "the answer is not the subscription asked for" },
        remaining,
      };
    }
    const state = typeof body.state === "string" && body.state !== "" ? body.state : "Unknown";
    return { ok: true, value: { subscriptionId: id, state }, status: 200, remaining };
  }

  /** Adds the page's subscriptions to `found`; returns the next link. */
  private readPage(response: RawArmResponse, found: Map<string, SubscriptionInfo>): string | undefined {
    const body = parseJson(response.bodyAsText);
    if (!isObject(body) || !Array.isArray(body.value)) throw malformed(response, "page has no value array");
    for (const item of body.value) {
      if (!isObject(item)) throw malformed(response, "a subscription entry is not an object");
      const subscriptionId = subscriptionIdOf(item);
      if (!subscriptionId) throw malformed(response, "a subscription entry has no subscriptionId");
      const state = typeof item.state === "string" && item.state !== "" ? item.state : "Unknown";
      const displayName = typeof item.displayName === "string" ? item.displayName : undefined;
      found.set(subscriptionId.toLowerCase(), { subscriptionId, state, ...(displayName && { displayName }) });
    }
    if (typeof body.nextLink !== "string" || body.nextLink === "") return undefined;
    let url: URL;
    try {
      url = new URL(body.nextLink, this.endpointOrigin);
    } catch {
      throw malformed(response, "nextLink is not a URL");
    }
    // The SDK would send our bearer token wherever a nextLink points.
    if (url.origin !== this.endpointOrigin) throw malformed(response, "nextLink is not on the ARM endpoint");
    return url.toString();
  }
}

function subscriptionIdOf(item: Record<string, unknown>): string | undefined {
  if (typeof item.subscriptionId === "string" && item.subscriptionId.trim() !== "")
    return item.subscriptionId;
  if (typeof item.id === "string") {
    const match = /^\/subscriptions\/([^/]+)\/?$/i.exec(item.id);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

function malformed(response: RawArmResponse, message: string): ArmRequestError {
  return new ArmRequestError(OPERATION, { kind: "malformed", status: response.status, message });
}

const DISCOVERY_ATTEMPTS = 4;
const DISCOVERY_MAX_WAIT_MS = 30_000;

/** The failure a non-200 answer means, when it is one worth asking again (429, 5xx, 408). */
function retryableStatus(response: RawArmResponse | undefined): ArmFailure | undefined {
  if (!response || response.status === 200) return undefined;
  const failure = failureForStatus(response.status, response.headers, response.bodyAsText, "listing");
  return failure.kind === "transient" || failure.kind === "throttled" ? failure : undefined;
}
