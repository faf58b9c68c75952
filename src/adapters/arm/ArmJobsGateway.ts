// JobsGateway over the real Import/Export SDK client (@azure/arm-storageimportexport). The SDK builds the
// requests (URL, api-version, auth, TLS); every decision is made from the raw response (see callArm.ts).
import { StorageImportExport } from "@azure/arm-storageimportexport";
import type { HttpClient } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";

import type { JobRef, JobSnapshot } from "../../domain/job";
import type { ArmResult, DeleteProgress, DeleteStarted, JobPage, JobsGateway } from "../../engine/ports";
import { ValidationError } from "../../errors";
import type { ArmClientOptions } from "./armConnection";
import { callArm, type ArmCallOutcome } from "./callArm";
import {
  checkRef as checkRefOf,
  checkSubscriptionId,
  ClientCache,
  failedResult,
  jobResult,
  pageSizeOf,
  readJobPage,
  sdkClientCache,
  sameOriginUrl,
} from "./gatewayParts";
import { readJob } from "./jobFromWire";

/** Import/Export API version; a nextLink without one gets it added (the SDK follows nextLinks verbatim). */
export const IMPORT_EXPORT_API_VERSION = "2021-01-01";
export { MAX_PAGE_SIZE } from "./gatewayParts";

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
  private readonly clients: ClientCache<StorageImportExport>;
  private readonly endpointOrigin: string;

  constructor(private readonly options: ArmJobsGatewayOptions) {
    this.endpointOrigin = new URL(options.clientOptions.endpoint).origin;
    this.clients = sdkClientCache(options, (...args) => new StorageImportExport(...args));
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
    const client = this.clients.get(subscriptionId);
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
    if (response.status !== 200) return failedResult(response, "listing");
    return readJobPage(
      subscriptionId,
      response,
      readJob,
      (link) => this.sameOriginLink(link),
      "nextLink is not on the ARM endpoint",
    );
  }

  async getJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<JobSnapshot>> {
    checkRef(ref);
    const client = this.clients.get(ref.subscriptionId);
    const outcome = await this.call(
      (operationOptions) => client.jobs.get(ref.name, ref.resourceGroup, operationOptions),
      signal,
    );
    return jobResult(ref, outcome, readJob);
  }

  /** The classic cancel is a PATCH with no room for a reason: `_reason` is not sent. */
  async cancelJob(ref: JobRef, _reason: string, signal?: AbortSignal): Promise<ArmResult<JobSnapshot>> {
    checkRef(ref);
    const client = this.clients.get(ref.subscriptionId);
    // Only cancelRequested: the SDK's mapper serializes nothing else from this object (no defaults are added).
    const outcome = await this.call(
      (operationOptions) =>
        client.jobs.update(ref.name, ref.resourceGroup, { cancelRequested: true }, operationOptions),
      signal,
    );
    return jobResult(ref, outcome, readJob);
  }

  /** A classic delete is not long-running: 200 is the end (`value` undefined), 204 is `gone`. */
  async deleteJob(ref: JobRef, signal?: AbortSignal): Promise<ArmResult<DeleteStarted | undefined>> {
    checkRef(ref);
    const client = this.clients.get(ref.subscriptionId);
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
    return failedResult(response, "job");
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

  /**
   * The link as an absolute URL carrying api-version, or undefined when it leaves the ARM endpoint: the SDK
   * would send our bearer token wherever a nextLink points.
   */
  private sameOriginLink(link: string): string | undefined {
    const url = sameOriginUrl(link, this.endpointOrigin);
    if (url === undefined) return undefined;
    if (!url.searchParams.has("api-version")) url.searchParams.set("api-version", IMPORT_EXPORT_API_VERSION);
    return url.toString();
  }
}

function checkRef(ref: JobRef): void {
  checkRefOf(ref, "importexport");
}
