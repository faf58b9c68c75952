// JobsGateway over the Data Box SDK client (@azure/arm-databox 5.0.0, API 2022-12-01): the jobs of
// Import/Export's newer experience are `Microsoft.DataBox/jobs` (docs/service.md#data-box-jobs). As in
// ArmJobsGateway, the SDK builds the requests and every decision is made from the raw response (callArm.ts): the
// SDK's deserializer fills defaults (`deliveryType`, `identity.type`, ...) and flattens `properties`, so it is
// never read.
//
// What this gateway never sends: `$expand=details` (contact details, addresses, packages), `listCredentials`
// (device secrets), a request to a link that leaves the endpoint's origin.
import { DataBoxManagementClient } from "@azure/arm-databox";

import type { JobRef, JobSnapshot } from "../../domain/job";
import type { ArmResult, DeleteProgress, DeleteStarted, JobPage, JobsGateway } from "../../engine/ports";
import { ValidationError } from "../../errors";
import type { ArmJobsGatewayOptions } from "./ArmJobsGateway";
import { isObject, parseJson, readRetryAfterMs, readServiceError } from "./armResponse";
import { callArm, callPipeline, type ArmCallOutcome, type RawArmResponse } from "./callArm";
import { readDataBoxJob } from "./dataBoxJobFromWire";
import {
  checkRef as checkRefOf,
  checkSubscriptionId,
  ClientCache,
  failedResult,
  jobResult,
  malformedResult as malformed,
  pageSizeOf,
  readJobPage,
  sdkClientCache,
  sameOriginUrl,
} from "./gatewayParts";

/** The API version @azure/arm-databox 5.0.0 sends (its `apiVersion` parameter's constant). */
export const DATABOX_API_VERSION = "2022-12-01";
/** A cancel reason is the janitor's own text (rule and run); longer is a bug, not a reason. */
export const MAX_CANCEL_REASON_LENGTH = 1024;

export type DataBoxJobsGatewayOptions = ArmJobsGatewayOptions;

/**
 * Caller aborts reject with the AbortError; our own per-request timeout resolves to `transient` `Timeout`
 * (as ArmJobsGateway).
 */
export class DataBoxJobsGateway implements JobsGateway {
  private readonly clients: ClientCache<DataBoxManagementClient>;
  private readonly endpointOrigin: string;

  constructor(private readonly options: DataBoxJobsGatewayOptions) {
    this.endpointOrigin = new URL(options.clientOptions.endpoint).origin;
    this.clients = sdkClientCache(options, (...args) => new DataBoxManagementClient(...args));
  }

  /**
   * One page of the subscription's Data Box jobs (every SKU: the domain sets device orders aside). The Data Box
   * list has no `$top`: `pageSize` is checked as for the other source, and the service picks the page size.
   */
  async listJobsPage(
    subscriptionId: string,
    nextLink: string | undefined,
    options: { pageSize?: number; signal?: AbortSignal } = {},
  ): Promise<ArmResult<JobPage>> {
    checkSubscriptionId(subscriptionId);
    pageSizeOf(options.pageSize);
    let link: string | undefined;
    if (nextLink !== undefined) {
      link = this.listLink(nextLink, subscriptionId);
      if (link === undefined) {
        throw new ValidationError([
          {
            field: "nextLink",
            message: "must be an absolute URL of this subscription's Data Box job list on the ARM endpoint",
          },
        ]);
      }
    }
    const client = this.clients.get(subscriptionId);
    const outcome = await this.call(async (operationOptions) => {
      // One `next()` sends exactly one request: the first page, or the given link as it is.
      const pages = client.jobs
        .list(operationOptions)
        .byPage(link !== undefined ? { continuationToken: link } : undefined);
      await pages.next();
    }, options.signal);
    if (outcome.failure) return { ok: false, failure: outcome.failure, remaining: outcome.remaining };
    const { response } = outcome;
    if (link === undefined && isUnregisteredProvider(response)) {
      // No Data Box resource can exist in a subscription that has not registered the provider.
      return {
        ok: true,
        value: { jobs: [], malformed: [] },
        status: response.status,
        remaining: response.remaining,
      };
    }
    if (response.status !== 200) return failedResult(response, "listing");
    return readJobPage(
      subscriptionId,
      response,
      readDataBoxJob,
      (link) => this.listLink(link, subscriptionId),
      "nextLink is not this subscription's Data Box job list on the ARM endpoint",
    );
  }

  /** GET without `$expand`: the SDK adds it only when asked. */
  async getJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<JobSnapshot>> {
    checkRef(ref);
    const client = this.clients.get(ref.subscriptionId);
    const outcome = await this.call(
      (operationOptions) => client.jobs.get(ref.resourceGroup, ref.name, operationOptions),
      signal,
    );
    return jobResult(ref, outcome, readDataBoxJob);
  }

  /** `POST .../cancel` with `{ reason }`; 204 is the only success (no body: the engine verifies by reading). */
  async cancelJob(ref: JobRef, reason: string, signal?: AbortSignal): Promise<ArmResult<undefined>> {
    checkRef(ref);
    checkReason(reason);
    const client = this.clients.get(ref.subscriptionId);
    const outcome = await this.call(
      (operationOptions) => client.jobs.cancel(ref.resourceGroup, ref.name, { reason }, operationOptions),
      signal,
    );
    if (outcome.failure) return { ok: false, failure: outcome.failure, remaining: outcome.remaining };
    const { response } = outcome;
    if (response.status === 204) {
      return { ok: true, value: undefined, status: 204, remaining: response.remaining };
    }
    return failedResult(response, "job");
  }

  /**
   * Sends the DELETE once. Not through `beginDelete`: that polls at once, inside the call, and core-lro follows
   * whatever `Azure-AsyncOperation` or `Location` says, to any host. So the request goes through the client's own
   * pipeline and the janitor follows the operation itself (pollDelete).
   * - 200: deleted (`value` undefined);
   * - 204: nothing to delete (ARM's answer for a resource that does not exist): `gone`, as for classic jobs;
   * - 202: accepted; `operationUrl` is `Azure-AsyncOperation` (preferred) or `Location`, only when on the
   *   endpoint's origin under this subscription's Data Box provider, else absent (then only a read can tell).
   */
  async deleteJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<DeleteStarted | undefined>> {
    checkRef(ref);
    const client = this.clients.get(ref.subscriptionId);
    const url =
      `${this.endpointOrigin}/subscriptions/${encodeURIComponent(ref.subscriptionId)}` +
      `/resourceGroups/${encodeURIComponent(ref.resourceGroup)}` +
      `/providers/Microsoft.DataBox/jobs/${encodeURIComponent(ref.name)}?api-version=${DATABOX_API_VERSION}`;
    const outcome = await callPipeline(client, { method: "DELETE", url }, this.callOptions(signal));
    if (outcome.failure) return { ok: false, failure: outcome.failure, remaining: outcome.remaining };
    const { response } = outcome;
    const { status, headers, remaining } = response;
    if (status === 200) return { ok: true, value: undefined, status, remaining };
    if (status === 204) return { ok: false, failure: { kind: "gone", status }, remaining };
    if (status !== 202) return failedResult(response, "job");
    const operationUrl = [headers.get("azure-asyncoperation"), headers.get("location")]
      .map((link) => (link ? this.operationLink(link, ref.subscriptionId) : undefined))
      .find((link) => link !== undefined);
    const retryAfterMs = readRetryAfterMs(headers);
    return {
      ok: true,
      value: { ...(operationUrl && { operationUrl }), ...(retryAfterMs !== undefined && { retryAfterMs }) },
      status,
      remaining,
    };
  }

  /**
   * One GET of a delete's operation URL, through the same pipeline and credential. Either kind of URL:
   * - `Azure-AsyncOperation`: 200 with `{ status }`: `Succeeded`; `Failed` or `Canceled` (failed); any other
   *   text is still running (ARM's async API: every value but the three terminal ones is non-terminal);
   * - `Location`: 202 running; 200 with no body or 204 succeeded.
   * A body that says neither (not JSON, no string status) is malformed. Any other status is a failure of the
   * poll, not the operation's end (404 is `not-allowed`, never `gone`: the operation is unknown, not the job);
   * whatever it says, the engine verifies the end with a read.
   */
  async pollDelete(
    ref: JobRef,
    operationUrl: string,
    signal?: AbortSignal,
  ): Promise<ArmResult<DeleteProgress>> {
    checkRef(ref);
    const url = this.operationLink(operationUrl, ref.subscriptionId);
    if (url === undefined) {
      throw new ValidationError([
        {
          field: "operationUrl",
          message:
            "must be an absolute URL on the ARM endpoint under this subscription's Microsoft.DataBox provider",
        },
      ]);
    }
    const client = this.clients.get(ref.subscriptionId);
    const outcome = await callPipeline(client, { method: "GET", url }, this.callOptions(signal));
    if (outcome.failure) return { ok: false, failure: outcome.failure, remaining: outcome.remaining };
    const { response } = outcome;
    const { status, remaining } = response;
    const retryAfterMs = readRetryAfterMs(response.headers);
    const progress = (value: DeleteProgress["status"]): ArmResult<DeleteProgress> => ({
      ok: true,
      value: { status: value, ...(value === "running" && retryAfterMs !== undefined && { retryAfterMs }) },
      status,
      remaining,
    });
    if (status === 202) return progress("running");
    if (status === 204) return progress("succeeded");
    if (status !== 200) return failedResult(response, "listing");
    if (response.bodyAsText === undefined || response.bodyAsText.trim() === "") return progress("succeeded");
    const body = parseJson(response.bodyAsText);
    if (!isObject(body)) return malformed(response, "operation status is not a JSON object");
    if (typeof body.status !== "string" || body.status.trim() === "") {
      return malformed(response, "operation status has no status");
    }
    const said = body.status.toLowerCase();
    if (said === "succeeded") return progress("succeeded");
    if (said === "failed" || said === "canceled") return progress("failed");
    return progress("running");
  }

  private call(
    send: Parameters<typeof callArm>[0],
    signal: AbortSignal | undefined,
  ): Promise<ArmCallOutcome> {
    return callArm(send, this.callOptions(signal));
  }

  private callOptions(signal: AbortSignal | undefined): { signal?: AbortSignal; timeoutMs: number } {
    return { ...(signal && { signal }), timeoutMs: this.options.timeoutMs };
  }

  /**
   * A list link the SDK may follow: on the endpoint's origin, the path of this subscription's Data Box job list,
   * `api-version` added when missing (the SDK adds nothing to a nextLink), and no `$expand` (dropped: the list
   * must never carry details, whoever wrote the link). Undefined otherwise.
   */
  private listLink(link: string, subscriptionId: string): string | undefined {
    const url = sameOriginUrl(link, this.endpointOrigin);
    if (url === undefined) return undefined;
    const path = url.pathname.replace(/\/$/, "").toLowerCase();
    if (path !== `/subscriptions/${subscriptionId.toLowerCase()}/providers/microsoft.databox/jobs`) {
      return undefined;
    }
    dropExpand(url);
    if (!url.searchParams.has("api-version")) url.searchParams.set("api-version", DATABOX_API_VERSION);
    return url.toString();
  }

  /**
   * An operation URL the janitor may GET: on the endpoint's origin and under this subscription's
   * `Microsoft.DataBox` provider (where ARM puts `operationStatuses` / `operationResults`), never `$expand`, never
   * `listCredentials`.
   */
  private operationLink(link: string, subscriptionId: string): string | undefined {
    const url = sameOriginUrl(link, this.endpointOrigin);
    if (url === undefined) return undefined;
    const prefix = `/subscriptions/${subscriptionId.toLowerCase()}/providers/microsoft.databox/`;
    const path = url.pathname.toLowerCase();
    if (!path.startsWith(prefix) || path.split("/").includes("listcredentials")) return undefined;
    dropExpand(url);
    return url.toString();
  }
}

/**
 * ARM refuses requests under a subscription that has not registered the resource provider with
 * `MissingSubscriptionRegistration` (409); most subscriptions never register Microsoft.DataBox, and their classic
 * jobs must still be swept (docs/service.md#data-box-jobs).
 */
function isUnregisteredProvider(response: RawArmResponse): boolean {
  return (
    response.status >= 400 &&
    response.status < 500 &&
    readServiceError(response.bodyAsText).code?.toLowerCase() === "missingsubscriptionregistration"
  );
}

function dropExpand(url: URL): void {
  const keys = [...url.searchParams.keys()].filter((key) => key.toLowerCase() === "$expand");
  for (const key of keys) url.searchParams.delete(key);
}

function checkRef(ref: JobRef): void {
  checkRefOf(ref, "databox");
}

function checkReason(reason: string): void {
  if (typeof reason !== "string" || reason.trim() === "" || reason.length > MAX_CANCEL_REASON_LENGTH) {
    throw new ValidationError([
      {
        field: "reason",
        message: `must be a non-empty text of at most ${MAX_CANCEL_REASON_LENGTH} characters`,
      },
    ]);
  }
}
