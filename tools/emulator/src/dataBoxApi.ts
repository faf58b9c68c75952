import {
  isReadOnly,
  kindOf,
  pathSegments,
  readOnlyRefusal,
  refusal,
  resourceNotFound,
  subscriptionNotFound,
  type ArmReply,
} from "./armApi";
import type { DataBoxJobStore, DataBoxOperation, DeleteOutcome, StoredDataBoxJob } from "./DataBoxJobStore";
import type { JobMutation } from "./FaultInjector";
import type { JobStore } from "./JobStore";
import type { LoggedRequest } from "./RequestLog";
import type { EmulatorSettings } from "./settings";
import type { OperationKind } from "./ThrottleBuckets";
import { errorBody, mergePatch } from "./wireFormat";
import { skipTokens } from "./skipToken";

// The Data Box jobs API (Microsoft.DataBox, api-version 2022-12-01, README.md#data-box-jobs) as pure request ->
// reply functions over the DataBoxJobStore: list (by subscription and resource group, `$skipToken` paging), get,
// cancel, delete as a long-running operation and its two polling URLs, and listCredentials (served, but logged
// forbidden). Transport (TLS, auth, throttling, faults, logging) is shared with the classic API in server.ts.

export const DATA_BOX_API_VERSION = "2022-12-01";
export const DATA_BOX_RESOURCE_TYPE = "Microsoft.DataBox/jobs";

export type DataBoxOperationName =
  | "DataBoxJobs_List"
  | "DataBoxJobs_ListByResourceGroup"
  | "DataBoxJobs_Get"
  | "DataBoxJobs_Delete"
  | "DataBoxJobs_Cancel"
  | "DataBoxJobs_ListCredentials"
  | "DataBoxOperationStatuses_Get"
  | "DataBoxOperationResults_Get";

export interface DataBoxRoute {
  source: "databox";
  operation: DataBoxOperationName;
  apiVersion: string;
  kind: OperationKind;
  /** Throttling scope: the subscription id. */
  scope: string;
  subscriptionId: string;
  resourceGroup?: string;
  jobName?: string;
  /** The polled operation's id (operationStatuses / operationResults). */
  operationId?: string;
}

export interface DataBoxRequest {
  route: DataBoxRoute;
  path: string;
  query: URLSearchParams;
  body: unknown;
  origin: string;
  /** A matching fault's `deleteOutcome`: how a delete started by this request ends. */
  deleteOutcome?: DeleteOutcome;
}

/** An ArmReply, with the response headers a long-running operation needs. */
export interface DataBoxReply extends ArmReply {
  headers?: Record<string, string>;
}

export interface DataBoxStores {
  /** Subscriptions (shared with the classic API). */
  subscriptions: Pick<JobStore, "subscription">;
  dataBox: DataBoxJobStore;
}

const reply = (status: number, body?: unknown, headers?: Record<string, string>): DataBoxReply =>
  headers === undefined ? { status, body } : { status, body, headers };
const fail = (status: number, code: string, message: string, target?: string): DataBoxReply =>
  reply(status, errorBody(code, message, target));

/**
 * The Data Box route of a request, or an ArmReply (404/405) for a Microsoft.DataBox path the emulator does not
 * serve, or undefined when the path is not a Data Box one (the classic router takes it).
 */
export function matchDataBoxRoute(method: string, path: string): DataBoxRoute | DataBoxReply | undefined {
  // Not valid URL encoding: the classic router answers it.
  const segments = pathSegments(path);
  if (segments === undefined) return undefined;
  const seg = segments.map((s) => s.toLowerCase());
  if (seg[0] !== "subscriptions" || segments.length < 4) return undefined;
  const subscriptionId = segments[1]!;
  const atSubscription = seg[2] === "providers" && seg[3] === "microsoft.databox";
  const atGroup = seg[2] === "resourcegroups" && seg[4] === "providers" && seg[5] === "microsoft.databox";
  if (!atSubscription && !atGroup) return undefined;
  const route = (
    operation: DataBoxOperationName,
    methods: string[],
    extra: Partial<DataBoxRoute> = {},
  ): DataBoxRoute | DataBoxReply => {
    if (!methods.includes(method)) {
      return fail(405, "MethodNotAllowed", `The method '${method}' is not allowed on '${path}'.`);
    }
    return {
      source: "databox",
      operation,
      apiVersion: DATA_BOX_API_VERSION,
      kind: kindOf(method),
      scope: subscriptionId,
      subscriptionId,
      ...extra,
    };
  };
  const notServed = () => fail(404, "NotFound", `The emulator serves no '${method} ${path}'.`);
  if (atSubscription) {
    if (segments.length === 5 && seg[4] === "jobs") return route("DataBoxJobs_List", ["GET"]);
    if (segments.length === 8 && seg[4] === "locations") {
      const operationId = segments[7]!;
      if (seg[6] === "operationstatuses")
        return route("DataBoxOperationStatuses_Get", ["GET"], { operationId });
      if (seg[6] === "operationresults")
        return route("DataBoxOperationResults_Get", ["GET"], { operationId });
    }
    return notServed();
  }
  const resourceGroup = segments[3]!;
  if (seg[6] !== "jobs") return notServed();
  if (segments.length === 7) return route("DataBoxJobs_ListByResourceGroup", ["GET"], { resourceGroup });
  const at = { resourceGroup, jobName: segments[7]! };
  if (segments.length === 8) {
    // Create and update are not served: the janitor never makes or changes an order.
    return route(method === "DELETE" ? "DataBoxJobs_Delete" : "DataBoxJobs_Get", ["GET", "DELETE"], at);
  }
  if (segments.length === 9 && seg[8] === "cancel") return route("DataBoxJobs_Cancel", ["POST"], at);
  if (segments.length === 9 && seg[8] === "listcredentials")
    return route("DataBoxJobs_ListCredentials", ["POST"], at);
  return notServed();
}

export function isDataBoxRoute(route: object): route is DataBoxRoute {
  return (route as { source?: unknown }).source === "databox";
}

// ---- wire format

export function dataBoxJobResourceId(
  job: Pick<StoredDataBoxJob, "subscriptionId" | "resourceGroup" | "name">,
): string {
  return (
    `/subscriptions/${job.subscriptionId}/resourceGroups/${job.resourceGroup}` +
    `/providers/${DATA_BOX_RESOURCE_TYPE}/${job.name}`
  );
}

/**
 * The spec's `JobResource` body of a stored job: the flags as the service computes them, and `details` (contact
 * details, addresses) only when asked for (or when settings.dataBoxDetails is `always`).
 */
export function dataBoxJobResponse(
  job: StoredDataBoxJob,
  store: DataBoxJobStore,
  withDetails: boolean,
): Record<string, unknown> {
  const {
    details,
    isCancellable: _cancellable,
    isDeletable: _deletable,
    isCancellableWithoutFee: _withoutFee,
    ...rest
  } = job.properties;
  const properties: Record<string, unknown> = { ...rest, ...store.flags(job) };
  if (withDetails && details !== undefined) properties.details = details;
  const body: Record<string, unknown> = {
    id: dataBoxJobResourceId(job),
    name: job.name,
    type: DATA_BOX_RESOURCE_TYPE,
    location: job.location,
  };
  if (job.tags !== undefined) body.tags = job.tags;
  body.sku = job.sku;
  if (job.identity !== undefined) body.identity = job.identity;
  if (job.systemData !== undefined) body.systemData = job.systemData;
  body.properties = properties;
  return job.wirePatch === undefined ? body : mergePatch(body, job.wirePatch);
}

/** What the request log records of a request on one Data Box job: stage, flags, SKU and tags, nothing personal. */
export function dataBoxJobSubject(store: DataBoxJobStore, route: DataBoxRoute): LoggedRequest["job"] {
  if (route.jobName === undefined) return undefined;
  const job = store.get(route.subscriptionId, route.resourceGroup!, route.jobName);
  if (job === undefined) return undefined;
  const served = dataBoxJobResponse(job, store, false) as {
    sku?: { name?: unknown };
    tags?: unknown;
    properties?: { status?: unknown; isCancellable?: unknown; isDeletable?: unknown };
  };
  const subject: NonNullable<LoggedRequest["job"]> = { source: "databox" };
  const p = served.properties ?? {};
  if (typeof p.status === "string") subject.status = p.status;
  if (typeof p.isCancellable === "boolean") subject.isCancellable = p.isCancellable;
  if (typeof p.isDeletable === "boolean") subject.isDeletable = p.isDeletable;
  if (typeof served.sku?.name === "string") subject.sku = served.sku.name;
  if (served.tags !== null && typeof served.tags === "object")
    subject.tags = { ...(served.tags as Record<string, string>) };
  return subject;
}

/** A fault's `mutate` on a Data Box path: someone else changes the job just now. */
export function mutateDataBoxJob(store: DataBoxJobStore, route: DataBoxRoute, mutation: JobMutation): void {
  if (route.jobName === undefined) return;
  const job = store.get(route.subscriptionId, route.resourceGroup!, route.jobName);
  if (job === undefined) return;
  if (mutation.remove === true) {
    store.remove(job);
    return;
  }
  if (mutation.state !== undefined) store.setStatus(job, mutation.state);
  if (mutation.isCancellable !== undefined) job.properties.isCancellable = mutation.isCancellable;
  if (mutation.isDeletable !== undefined) job.properties.isDeletable = mutation.isDeletable;
  if (mutation.tags !== undefined) job.tags = { ...mutation.tags };
}

// ---- serving

/** Serves one routed, authenticated, unthrottled Data Box request. */
export function handleDataBox(
  request: DataBoxRequest,
  stores: DataBoxStores,
  settings: EmulatorSettings,
): DataBoxReply {
  const { route } = request;
  const subscription = stores.subscriptions.subscription(route.subscriptionId);
  if (subscription === undefined) return subscriptionNotFound(route.subscriptionId);
  if (!subscription.dataBoxRegistered) {
    // What ARM answers for a provider the subscription never registered (docs: "Resolve errors for resource
    // provider registration", https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-register-resource-provider).
    return fail(
      409,
      "MissingSubscriptionRegistration",
      `The subscription '${subscription.subscriptionId}' is not registered to use namespace 'Microsoft.DataBox'. ` +
        "See https://aka.ms/rps-not-found for how to register subscriptions.",
    );
  }
  const store = stores.dataBox;
  switch (route.operation) {
    case "DataBoxJobs_List":
    case "DataBoxJobs_ListByResourceGroup":
      return listJobs(request, store, settings);
    case "DataBoxOperationStatuses_Get":
    case "DataBoxOperationResults_Get":
      return pollOperation(request, store, settings);
    default:
      break;
  }
  if (route.operation === "DataBoxJobs_Cancel") {
    const problem = cancelBodyProblem(request.body);
    if (problem !== undefined) return fail(400, "InvalidRequestContent", problem, "reason");
  }
  const job = store.get(route.subscriptionId, route.resourceGroup!, route.jobName!);
  if (job === undefined) return resourceNotFound(DATA_BOX_RESOURCE_TYPE, route.jobName, route.resourceGroup);
  const changes = route.operation === "DataBoxJobs_Cancel" || route.operation === "DataBoxJobs_Delete";
  if (changes && isReadOnly(subscription.state)) return readOnlyRefusal(subscription);
  switch (route.operation) {
    case "DataBoxJobs_Get":
      return getJob(request, store, settings, job);
    case "DataBoxJobs_Cancel":
      return cancelJob(request, store, settings, job);
    case "DataBoxJobs_Delete":
      return deleteJob(request, store, settings, job);
    case "DataBoxJobs_ListCredentials":
      // Device secrets: answered as the service would, but the janitor must never ask (the log says so).
      return {
        ...reply(200, {
          value: [
            {
              jobName: job.name,
              jobSecrets: {
                jobSecretsType: job.sku.name,
                dcAccessSecurityCode: { forwardDCAccessCode: `CANARY-SECRET-${job.name}` },
              },
            },
          ],
        }),
        forbidden: "databox-list-credentials",
      };
    default:
      return fail(404, "NotFound", `The emulator serves no '${route.operation}'.`);
  }
}

function getJob(
  request: DataBoxRequest,
  store: DataBoxJobStore,
  settings: EmulatorSettings,
  job: StoredDataBoxJob,
): DataBoxReply {
  const expand = request.query.get("$expand");
  const asksDetails = expand !== null && /details/i.test(expand);
  const body = dataBoxJobResponse(job, store, asksDetails || settings.dataBoxDetails === "always");
  // `$expand=details` adds contact details and addresses: served, but the janitor must never ask for it.
  return asksDetails ? { ...reply(200, body), forbidden: "databox-expand-details" } : reply(200, body);
}

// ---- listing

const SKIP_TOKENS = skipTokens("dbx.");

function listJobs(request: DataBoxRequest, store: DataBoxJobStore, settings: EmulatorSettings): DataBoxReply {
  const token = request.query.get("$skipToken") ?? request.query.get("$skiptoken");
  let afterSeq = 0;
  if (token !== null && token !== "") {
    const decoded = SKIP_TOKENS.decode(token);
    if (decoded === undefined)
      return fail(400, "InvalidSkipToken", "The $skipToken is not valid.", "$skipToken");
    afterSeq = decoded;
  }
  const { route } = request;
  const page = store.page(route.subscriptionId, route.resourceGroup, afterSeq, settings.dataBoxPageSize);
  const withDetails = settings.dataBoxDetails === "always";
  const body: Record<string, unknown> = {
    value: page.items.map((job) => dataBoxJobResponse(job, store, withDetails)),
  };
  if (page.resumeAfter !== undefined) {
    // Absolute, with api-version: the SDK follows nextLink verbatim and adds nothing.
    const query = new URLSearchParams({ "api-version": DATA_BOX_API_VERSION });
    query.set("$skipToken", SKIP_TOKENS.encode(page.resumeAfter));
    body.nextLink = `${request.origin}${request.path}?${query.toString().replace(/%24/g, "$")}`;
  }
  return reply(200, body);
}

// ---- cancel

function cancelBodyProblem(body: unknown): string | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    return 'The request body must be a JSON object {"reason": "<why>"}.';
  const reason = (body as { reason?: unknown }).reason;
  if (reason === undefined) return "reason: required (the cancellation reason).";
  if (typeof reason !== "string") return "reason: expected a string.";
  if (reason.trim() === "") return "reason: expected a non-empty string.";
  return undefined;
}

function cancelJob(
  request: DataBoxRequest,
  store: DataBoxJobStore,
  settings: EmulatorSettings,
  job: StoredDataBoxJob,
): DataBoxReply {
  const status = job.properties.status ?? "(none)";
  if (!store.flags(job).isCancellable) {
    return refusal(
      settings,
      "CancelNotAllowed",
      `The job '${job.name}' in stage '${status}' cannot be cancelled (isCancellable is false).`,
      "databox-cancel-not-cancellable",
    );
  }
  if (!store.cancellableStage(job.properties.status)) {
    return refusal(
      settings,
      "CancelNotAllowed",
      `The job '${job.name}' is in stage '${status}'; it can be cancelled only in ` +
        `${settings.dataBoxCancellableStages.join(", ")}.`,
      "databox-cancel-not-allowed-in-stage",
    );
  }
  store.cancel(job, (request.body as { reason: string }).reason);
  return reply(204);
}

// ---- delete, a long-running operation

function operationUrls(request: DataBoxRequest, op: DataBoxOperation): { status: string; result: string } {
  const base =
    `${request.origin}/subscriptions/${op.subscriptionId}/providers/Microsoft.DataBox/locations/` +
    `${op.location}`;
  const query = `?api-version=${DATA_BOX_API_VERSION}`;
  return {
    status: `${base}/operationStatuses/${op.id}${query}`,
    result: `${base}/operationResults/${op.id}${query}`,
  };
}

function acceptedHeaders(
  request: DataBoxRequest,
  settings: EmulatorSettings,
  op: DataBoxOperation,
): Record<string, string> {
  const urls = operationUrls(request, op);
  const headers: Record<string, string> = { "azure-asyncoperation": urls.status, location: urls.result };
  if (settings.dataBoxRetryAfterSeconds !== null)
    headers["retry-after"] = String(settings.dataBoxRetryAfterSeconds);
  return headers;
}

function deleteJob(
  request: DataBoxRequest,
  store: DataBoxJobStore,
  settings: EmulatorSettings,
  job: StoredDataBoxJob,
): DataBoxReply {
  // A repeat while the first is running answers the same operation.
  const running = store.runningDelete(job);
  if (running !== undefined) return reply(202, undefined, acceptedHeaders(request, settings, running));
  const status = job.properties.status ?? "(none)";
  if (!store.flags(job).isDeletable) {
    return refusal(
      settings,
      "DeleteNotAllowed",
      `The job '${job.name}' in stage '${status}' cannot be deleted (isDeletable is false).`,
      "databox-delete-not-deletable",
    );
  }
  if (!store.deletableStage(job.properties.status)) {
    return refusal(
      settings,
      "DeleteNotAllowed",
      `The job '${job.name}' is in stage '${status}'; it can be deleted only in ` +
        `${settings.dataBoxDeletableStages.join(", ")}.`,
      "databox-delete-not-allowed-in-stage",
    );
  }
  const outcome = request.deleteOutcome ?? "succeed";
  if (settings.dataBoxDeleteMs === 0 && outcome === "succeed") {
    store.remove(job);
    return reply(200);
  }
  const op = store.startDelete(job, outcome);
  return reply(202, undefined, acceptedHeaders(request, settings, op));
}

function pollOperation(
  request: DataBoxRequest,
  store: DataBoxJobStore,
  settings: EmulatorSettings,
): DataBoxReply {
  const { route } = request;
  const op = store.operation(route.operationId!);
  if (op === undefined || op.subscriptionId.toLowerCase() !== route.subscriptionId.toLowerCase()) {
    return fail(404, "OperationNotFound", `The operation '${route.operationId}' was not found.`);
  }
  const running = op.status === "InProgress";
  const retry: Record<string, string> =
    running && settings.dataBoxRetryAfterSeconds !== null
      ? { "retry-after": String(settings.dataBoxRetryAfterSeconds) }
      : {};
  if (route.operation === "DataBoxOperationStatuses_Get") {
    const body: Record<string, unknown> = {
      id: new URL(operationUrls(request, op).status).pathname,
      name: op.id,
      status: op.status,
      startTime: new Date(op.startedAtRealMs).toISOString(),
    };
    if (op.endedAtRealMs !== undefined) body.endTime = new Date(op.endedAtRealMs).toISOString();
    if (op.error !== undefined) body.error = op.error;
    return reply(200, body, retry);
  }
  // The Location URL: 202 while running, 204 once done; a failed delete answers its error.
  if (running) return reply(202, undefined, { location: operationUrls(request, op).result, ...retry });
  if (op.status === "Succeeded") return reply(204);
  return reply(500, { error: op.error });
}
