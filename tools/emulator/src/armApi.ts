import { z } from "zod";
import type { JobStore, StoredJob, StoredSubscription } from "./JobStore";
import { EMULATOR_ACTOR } from "./JobStore";
import { jobDetailsSchema, tagsSchema, type JobDetails } from "./seed";
import type { EmulatorSettings } from "./settings";
import type { OperationKind } from "./ThrottleBuckets";
import { errorBody, jobResponse, subscriptionResponse, type ErrorBody } from "./wireFormat";
import { zodProblems } from "../../../src/validation/zodProblems";
import { RESOURCE_GRAPH_API_VERSION } from "./resourceGraphApi";
import { skipTokens } from "./skipToken";

// The ARM API the emulator serves (docs/service.md#the-resource, and GET /subscriptions of #subscription-discovery), as pure request
// -> reply functions over the JobStore. Transport (TLS, auth, throttling, faults, logging) is in server.ts.

export const JOBS_API_VERSION = "2021-01-01";
export const SUBSCRIPTIONS_API_VERSION = "2022-12-01";
export { RESOURCE_GRAPH_API_VERSION } from "./resourceGraphApi";

export type ArmOperation =
  | "Subscriptions_List"
  | "Subscriptions_Get"
  | "Jobs_ListBySubscription"
  | "Jobs_ListByResourceGroup"
  | "Jobs_Get"
  | "Jobs_Create"
  | "Jobs_Update"
  | "Jobs_Delete"
  | "BitLockerKeys_List"
  | "ResourceGraph_Resources";

export interface ArmRoute {
  operation: ArmOperation;
  apiVersion: string;
  kind: OperationKind;
  /** Throttling scope: the subscription id, or `tenant`. */
  scope: string;
  subscriptionId?: string;
  resourceGroup?: string;
  jobName?: string;
}

export interface ArmRequest {
  route: ArmRoute;
  /** The path as requested (for nextLinks). */
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** `https://host:port` as the client addressed us, so nextLinks point back the same way. */
  origin: string;
}

export interface ArmReply {
  status: number;
  /** JSON body; undefined = an empty body (DELETE answers 200 with nothing). */
  body?: unknown;
  /** Set when the request broke a documented state rule: the emulator refuses it and the log flags it. */
  forbidden?: string;
}

const reply = (status: number, body?: unknown): ArmReply => ({ status, body });
const fail = (status: number, code: string, message: string, target?: string): ArmReply =>
  reply(status, errorBody(code, message, target));

export function kindOf(method: string): OperationKind {
  if (method === "GET") return "reads";
  if (method === "DELETE") return "deletes";
  return "writes";
}

/** The decoded, non-empty segments of a request path, or undefined when it is not valid URL encoding. */
export function pathSegments(path: string): string[] | undefined {
  try {
    return path
      .split("/")
      .filter((s) => s !== "")
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** Matches a method and path to an operation, or answers the 404/405 ARM would. */
export function matchRoute(method: string, path: string): ArmRoute | ArmReply {
  const segments = pathSegments(path);
  if (segments === undefined) {
    return fail(400, "InvalidRequestUri", "The request path is not valid URL encoding.");
  }
  const seg = segments.map((s) => s.toLowerCase());
  const kind = kindOf(method);
  const route = (
    operation: ArmOperation,
    methods: string[],
    extra: Partial<ArmRoute>,
  ): ArmRoute | ArmReply => {
    if (!methods.includes(method)) {
      return fail(405, "MethodNotAllowed", `The method '${method}' is not allowed on '${path}'.`);
    }
    const apiVersion =
      operation === "ResourceGraph_Resources"
        ? RESOURCE_GRAPH_API_VERSION
        : operation.startsWith("Subscriptions_")
          ? SUBSCRIPTIONS_API_VERSION
          : JOBS_API_VERSION;
    return { operation, apiVersion, kind, scope: extra.subscriptionId ?? "tenant", ...extra };
  };
  // Resource Graph's query is tenant-wide (its subscriptions are in the body); server.ts serves it.
  if (segments.length === 3 && seg.join("/") === "providers/microsoft.resourcegraph/resources")
    return route("ResourceGraph_Resources", ["POST"], {});
  if (seg[0] !== "subscriptions") return notServed(method, path);
  if (segments.length === 1) return route("Subscriptions_List", ["GET"], {});
  const subscriptionId = segments[1]!;
  if (segments.length === 2) return route("Subscriptions_Get", ["GET"], { subscriptionId });
  const isJobsProvider = (i: number) =>
    seg[i] === "providers" && seg[i + 1] === "microsoft.importexport" && seg[i + 2] === "jobs";
  if (segments.length === 5 && isJobsProvider(2)) {
    return route("Jobs_ListBySubscription", ["GET"], { subscriptionId });
  }
  if (seg[2] !== "resourcegroups" || segments.length < 7 || !isJobsProvider(4))
    return notServed(method, path);
  const resourceGroup = segments[3]!;
  if (segments.length === 7)
    return route("Jobs_ListByResourceGroup", ["GET"], { subscriptionId, resourceGroup });
  const jobName = segments[7]!;
  const at = { subscriptionId, resourceGroup, jobName };
  if (segments.length === 8) {
    const byMethod: Record<string, ArmOperation> = {
      GET: "Jobs_Get",
      PUT: "Jobs_Create",
      PATCH: "Jobs_Update",
      DELETE: "Jobs_Delete",
    };
    return route(byMethod[method] ?? "Jobs_Get", Object.keys(byMethod), at);
  }
  if (segments.length === 9 && seg[8] === "listbitlockerkeys")
    return route("BitLockerKeys_List", ["POST"], at);
  return notServed(method, path);
}

function notServed(method: string, path: string): ArmReply {
  return fail(404, "NotFound", `The emulator serves no '${method} ${path}'.`);
}

/** Serves one routed, authenticated, unthrottled request. */
export function handleArm(request: ArmRequest, store: JobStore, settings: EmulatorSettings): ArmReply {
  const { route } = request;
  if (route.operation === "Subscriptions_List") return listSubscriptions(request, store, settings);
  const subscription = store.subscription(route.subscriptionId!);
  if (subscription === undefined) return subscriptionNotFound(route.subscriptionId);
  if (route.operation === "Subscriptions_Get") return reply(200, subscriptionResponse(subscription));
  if (route.operation === "Jobs_ListBySubscription" || route.operation === "Jobs_ListByResourceGroup") {
    return listJobs(request, store, settings);
  }
  if (route.operation === "Jobs_Create") return createJob(request, store);

  const job = store.get(route.subscriptionId!, route.resourceGroup!, route.jobName!);
  if (job === undefined)
    return resourceNotFound("Microsoft.ImportExport/jobs", route.jobName, route.resourceGroup);
  if ((route.kind === "deletes" || route.operation === "Jobs_Update") && isReadOnly(subscription.state)) {
    return readOnlyRefusal(subscription);
  }
  switch (route.operation) {
    case "Jobs_Get":
      return reply(200, jobResponse(job));
    case "Jobs_Update":
      return updateJob(request, store, settings, job);
    case "Jobs_Delete":
      return deleteJob(store, settings, job);
    case "BitLockerKeys_List":
      return reply(200, {
        value: (job.properties.driveList ?? [])
          .filter((d) => d.driveId !== undefined)
          .map((d) => ({ driveId: d.driveId, bitLockerKey: d.bitLockerKey })),
      });
  }
  return notServed(route.operation, request.path);
}

export const isReadOnly = (state: string) => state === "Disabled" || state === "Deleted";

// The answers both the classic and the Data Box API give (dataBoxApi.ts uses them too).

export function subscriptionNotFound(subscriptionId: string | undefined): ArmReply {
  return fail(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
}

export function resourceNotFound(
  resourceType: string,
  name: string | undefined,
  resourceGroup: string | undefined,
): ArmReply {
  return fail(
    404,
    "ResourceNotFound",
    `The Resource '${resourceType}/${name}' under resource group '${resourceGroup}' was not found.`,
  );
}

/** A disabled subscription is read-only in ARM: any change to its resources is refused (and logged forbidden). */
export function readOnlyRefusal(subscription: StoredSubscription): ArmReply {
  return {
    ...fail(
      409,
      "ReadOnlyDisabledSubscription",
      `The subscription '${subscription.subscriptionId}' is ${subscription.state} and therefore read-only.`,
    ),
    forbidden: "subscription-read-only",
  };
}

/** A request a documented state rule refuses: settings.refusalStatus, logged forbidden when `forbidden` is set. */
export function refusal(
  settings: EmulatorSettings,
  code: string,
  message: string,
  forbidden?: string,
): ArmReply {
  return { ...fail(settings.refusalStatus, code, message), forbidden };
}

// ---- listing

const SKIP_TOKENS = skipTokens("seq.");

function nextLink(request: ArmRequest, top: number | undefined, afterSeq: number): string {
  const query = new URLSearchParams({ "api-version": request.route.apiVersion });
  if (top !== undefined) query.set("$top", String(top));
  const filter = request.query.get("$filter");
  if (filter !== null) query.set("$filter", filter);
  query.set("$skiptoken", SKIP_TOKENS.encode(afterSeq));
  // The SDK follows nextLink verbatim and re-adds nothing (docs/service.md#sdk-traps), so it carries everything.
  return `${request.origin}${request.path}?${query.toString().replace(/%24/g, "$")}`;
}

function pagingArguments(
  request: ArmRequest,
  settings: EmulatorSettings,
): { top: number; afterSeq: number; explicitTop?: number } | ArmReply {
  const topText = request.query.get("$top");
  let explicitTop: number | undefined;
  if (topText !== null) {
    explicitTop = /^\d{1,9}$/.test(topText) ? Number(topText) : NaN;
    if (!(explicitTop >= 1 && explicitTop <= settings.maxPageSize)) {
      return fail(
        400,
        "InvalidParameter",
        `The value '${topText}' of $top is not valid: it must be a whole number from 1 to ${settings.maxPageSize}.`,
        "$top",
      );
    }
  }
  let afterSeq = 0;
  const token = request.query.get("$skiptoken");
  if (token !== null) {
    const decoded = SKIP_TOKENS.decode(token);
    if (decoded === undefined)
      return fail(400, "InvalidSkipToken", "The $skiptoken is not valid.", "$skiptoken");
    afterSeq = decoded;
  }
  return { top: explicitTop ?? settings.defaultPageSize, afterSeq, explicitTop };
}

function listJobs(request: ArmRequest, store: JobStore, settings: EmulatorSettings): ArmReply {
  const paging = pagingArguments(request, settings);
  if ("status" in paging) return paging;
  const { route } = request;
  const page = store.page(route.subscriptionId!, route.resourceGroup, paging.afterSeq, paging.top);
  const body: Record<string, unknown> = { value: page.items.map(jobResponse) };
  if (page.resumeAfter !== undefined) body.nextLink = nextLink(request, paging.top, page.resumeAfter);
  return reply(200, body);
}

function listSubscriptions(request: ArmRequest, store: JobStore, settings: EmulatorSettings): ArmReply {
  let afterIndex = 0;
  const token = request.query.get("$skiptoken");
  if (token !== null) {
    const decoded = SKIP_TOKENS.decode(token);
    if (decoded === undefined)
      return fail(400, "InvalidSkipToken", "The $skiptoken is not valid.", "$skiptoken");
    afterIndex = decoded;
  }
  const all = store.listSubscriptions();
  const pageSize = settings.maxPageSize;
  const page = all.slice(afterIndex, afterIndex + pageSize);
  const body: Record<string, unknown> = { value: page.map(subscriptionResponse) };
  if (afterIndex + pageSize < all.length) body.nextLink = nextLink(request, undefined, afterIndex + pageSize);
  return reply(200, body);
}

// ---- changes

function invalidContent(error: z.ZodError, prefix = ""): ArmReply {
  const problems = zodProblems(error, prefix);
  const first = problems[0]!;
  const body: ErrorBody = errorBody(
    "InvalidRequestContent",
    problems.map((p) => `${p.field}: ${p.message}`).join("; "),
    first.field,
  );
  body.error.details = problems.map((p) => ({
    code: "InvalidRequestContent",
    target: p.field,
    message: p.message,
  }));
  return reply(400, body);
}

const putBody = z.looseObject({
  location: z.string().min(1, "expected a non-empty Azure location"),
  tags: tagsSchema.optional(),
  properties: jobDetailsSchema,
  identity: z.looseObject({ type: z.enum(["None", "SystemAssigned", "UserAssigned"]).optional() }).optional(),
});

function createJob(request: ArmRequest, store: JobStore): ArmReply {
  const { route } = request;
  const parsed = putBody.safeParse(request.body);
  if (!parsed.success) return invalidContent(parsed.error);
  const subscription = store.subscription(route.subscriptionId!)!;
  if (isReadOnly(subscription.state)) {
    return {
      ...fail(
        409,
        "ReadOnlyDisabledSubscription",
        `The subscription '${subscription.subscriptionId}' is read-only.`,
      ),
      forbidden: "subscription-read-only",
    };
  }
  const input = parsed.data;
  const existing = store.get(route.subscriptionId!, route.resourceGroup!, route.jobName!);
  const nowMs = store.nowMs();
  const now = new Date(nowMs).toISOString();
  // A new job always starts in Creating; a replaced one keeps its state and cancel flag (neither is the
  // client's to set through PUT).
  const properties: JobDetails = {
    ...(input.properties as JobDetails),
    state: existing?.properties.state ?? "Creating",
    cancelRequested: existing?.properties.cancelRequested ?? false,
    provisioningState: "Succeeded",
  };
  const systemData = existing?.systemData ?? {
    createdBy: EMULATOR_ACTOR,
    createdByType: "User",
    createdAt: now,
  };
  const created = store.upsert(route.subscriptionId!, route.resourceGroup!, route.jobName!, {
    location: input.location,
    tags: input.tags,
    systemData: {
      ...systemData,
      lastModifiedBy: EMULATOR_ACTOR,
      lastModifiedByType: "User",
      lastModifiedAt: now,
    },
    properties,
    identity: input.identity ?? existing?.identity ?? { type: "None" },
    createdAtMs: existing?.createdAtMs ?? nowMs,
    stateEnteredAtMs: existing?.stateEnteredAtMs ?? nowMs,
    cancelCompletesAtMs: existing?.cancelCompletesAtMs,
  });
  const job = store.get(route.subscriptionId!, route.resourceGroup!, route.jobName!)!;
  return reply(created ? 201 : 200, jobResponse(job));
}

const patchBody = z.looseObject({
  tags: tagsSchema.optional(),
  properties: z
    .looseObject({
      cancelRequested: z.boolean().optional(),
      state: z.string().optional(),
      returnAddress: jobDetailsSchema.shape.returnAddress,
      returnShipping: jobDetailsSchema.shape.returnShipping,
      deliveryPackage: jobDetailsSchema.shape.deliveryPackage,
      logLevel: z.string().optional(),
      backupDriveManifest: z.boolean().optional(),
      driveList: jobDetailsSchema.shape.driveList,
    })
    .optional(),
});

/** The JobDetails fields a PATCH may change besides the state and the cancel flag (UpdateJobParameters). */
const PATCHABLE = [
  "returnAddress",
  "returnShipping",
  "deliveryPackage",
  "logLevel",
  "backupDriveManifest",
  "driveList",
] as const;

function updateJob(
  request: ArmRequest,
  store: JobStore,
  settings: EmulatorSettings,
  job: StoredJob,
): ArmReply {
  const parsed = patchBody.safeParse(request.body);
  if (!parsed.success) return invalidContent(parsed.error);
  const { tags, properties } = parsed.data;
  const cancel = properties?.cancelRequested;
  const ship = properties?.state;
  if (cancel === false) {
    return fail(
      400,
      "InvalidRequestContent",
      "properties.cancelRequested: if specified, the value must be true.",
    );
  }
  if (ship !== undefined && ship.toLowerCase() !== "shipping") {
    return fail(400, "InvalidRequestContent", "properties.state: if specified, the value must be Shipping.");
  }
  if (cancel === true && ship !== undefined) {
    return fail(400, "InvalidRequestContent", "properties: a request cannot both ship and cancel a job.");
  }
  const state = job.properties.state;
  if (cancel === true && !store.cancelAllowedIn(state)) {
    return refusal(
      settings,
      "CancelNotAllowed",
      `The job '${job.name}' is in state '${state ?? "(none)"}'; a cancel is accepted only in ` +
        `${settings.cancelStates.join(", ")}.`,
      "cancel-not-allowed-in-state",
    );
  }
  if (ship !== undefined) {
    if ((state ?? "").toLowerCase() !== "creating") {
      return refusal(
        settings,
        "InvalidJobState",
        `The job '${job.name}' is in state '${state}', not Creating.`,
      );
    }
    const delivery = properties?.deliveryPackage ?? job.properties.deliveryPackage;
    const returnAddress = properties?.returnAddress ?? job.properties.returnAddress;
    if (delivery === undefined || returnAddress === undefined) {
      return fail(
        400,
        "InvalidRequestContent",
        "properties: to ship a job, deliveryPackage and returnAddress must be set in this or an earlier request.",
      );
    }
  }
  // Accepted: apply it.
  if (tags !== undefined) job.tags = tags;
  for (const field of PATCHABLE) {
    const value = properties?.[field];
    if (value !== undefined) job.properties[field] = value as never;
  }
  if (ship !== undefined) store.setState(job, "Shipping");
  else if (cancel === true) store.requestCancel(job);
  else store.touch(job, store.nowMs());
  return reply(200, jobResponse(job));
}

function deleteJob(store: JobStore, settings: EmulatorSettings, job: StoredJob): ArmReply {
  const state = job.properties.state;
  if (!settings.deleteStates.some((s) => s.toLowerCase() === (state ?? "").toLowerCase())) {
    return refusal(
      settings,
      "DeleteNotAllowed",
      `The job '${job.name}' is in state '${state ?? "(none)"}'; it can be deleted only in ` +
        `${settings.deleteStates.join(", ")}.`,
      "delete-not-allowed-in-state",
    );
  }
  store.remove(job);
  return reply(200);
}
