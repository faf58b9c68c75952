// The Functions app (v4 programming model): registrations only. Each function is a thin edge over the engine
// and the storage layer; names and routes are the contract the README's HTTP API table describes.
// Telemetry first (docs/operations.md#telemetry): it must start before the modules it instruments load.
import "./startTelemetry";
import { app, type HttpMethod } from "@azure/functions";
import { AUDIT_QUERY_PARAMETERS } from "../domain/auditFilter";
import { appContext } from "./appContext";
import { registerDashboard } from "./dashboard";
import { guarded, type HttpHandler } from "./http/handle";
import { methodNotAllowed, problem } from "./http/problem";
import { auditQuery, health, jobDecision, policyGet } from "./handlers/reads";
import { plansActions, plansApprove, plansGet, plansList, plansReject } from "./handlers/plans";
import { runsCreate, runsGet, runsList } from "./handlers/runs";
import {
  auditRetention,
  partPoison,
  partWorker,
  runCoordinator,
  runPoison,
  scheduledSweep,
} from "./handlers/work";
import { PARTS_QUEUE, RUNS_QUEUE } from "./workQueues";
import { NOTIFY_QUEUE } from "../adapters/notify";
import { notifyDelivery, notifyPoison } from "./handlers/notify";

// Settings are checked here, when the host loads the app: a bad one stops it with a message naming it.
const ctx = appContext();
const STORAGE = "JANITOR_STORAGE";

app.timer("scheduledSweep", {
  schedule: "%JANITOR_SCHEDULE%",
  handler: (timer, context) => scheduledSweep(ctx, timer, context),
});

app.timer("auditRetention", {
  schedule: "0 30 4 * * *",
  handler: (timer, context) => auditRetention(ctx, timer, context),
});

// Every HTTP function: its route, method, who may call it and the query parameters it takes (any other is a 400).
const easyAuth = ctx.easyAuth;
const api = [
  {
    name: "runsCreate",
    route: "runs",
    method: "POST",
    handler: guarded({ easyAuth, need: "operate", query: [] }, (request, caller) =>
      runsCreate(ctx, request, caller),
    ),
  },
  {
    name: "runsList",
    route: "runs",
    method: "GET",
    handler: guarded({ easyAuth, need: "read", query: ["limit", "cursor"] }, (request) =>
      runsList(ctx, request),
    ),
  },
  {
    name: "runsGet",
    route: "runs/{runId}",
    method: "GET",
    handler: guarded({ easyAuth, need: "read", query: [] }, (request) => runsGet(ctx, request)),
  },
  {
    name: "auditQuery",
    route: "audit",
    method: "GET",
    handler: guarded({ easyAuth, need: "read", query: [...AUDIT_QUERY_PARAMETERS, "format"] }, (request) =>
      auditQuery(ctx, request),
    ),
  },
  {
    name: "jobDecision",
    route: "jobs/{subscriptionId}/{resourceGroup}/{jobName}/decision",
    method: "GET",
    handler: guarded({ easyAuth, need: "read", query: ["source"] }, (request) => jobDecision(ctx, request)),
  },
  {
    name: "plansList",
    route: "plans",
    method: "GET",
    handler: guarded({ easyAuth, need: "read", query: ["status", "limit", "cursor"] }, (request) =>
      plansList(ctx, request),
    ),
  },
  {
    name: "plansGet",
    route: "plans/{planId}",
    method: "GET",
    handler: guarded({ easyAuth, need: "read", query: [] }, (request) => plansGet(ctx, request)),
  },
  {
    name: "plansActions",
    route: "plans/{planId}/actions",
    method: "GET",
    handler: guarded(
      { easyAuth, need: "read", query: ["subscriptionId", "source", "limit", "cursor", "format"] },
      (request) => plansActions(ctx, request),
    ),
  },
  {
    name: "plansApprove",
    route: "plans/{planId}/approve",
    method: "POST",
    handler: guarded({ easyAuth, need: "approve", query: [] }, (request, caller) =>
      plansApprove(ctx, request, caller),
    ),
  },
  {
    name: "plansReject",
    route: "plans/{planId}/reject",
    method: "POST",
    handler: guarded({ easyAuth, need: "approve", query: [] }, (request, caller) =>
      plansReject(ctx, request, caller),
    ),
  },
  {
    name: "policyGet",
    route: "policy",
    method: "GET",
    handler: guarded({ easyAuth, need: "read", query: [] }, () => policyGet(ctx)),
  },
  // Anonymous so that load balancers and probes can reach it; it reveals only "ok" or "unreachable".
  {
    name: "health",
    route: "health",
    method: "GET",
    anonymous: true,
    handler: guarded({ easyAuth, need: "anonymous", query: [] }, () => health(ctx)),
  },
] as const satisfies readonly {
  name: string;
  route: string;
  method: HttpMethod;
  anonymous?: boolean;
  handler: HttpHandler;
}[];

for (const fn of api) {
  app.http(fn.name, {
    route: fn.route,
    methods: [fn.method],
    authLevel: "anonymous" in fn ? "anonymous" : "function",
    handler: fn.handler,
  });
}
// The dashboard (GET /api/ui): the page, and these same handlers for it under /api/ui/data/.
registerDashboard(ctx, api);

// The Functions host answers a wrong method or an unknown route with an empty 404. These answer as the API
// does: a 405 problem naming the allowed methods, and a 404 problem. They run no janitor code and reveal only
// the routes the README lists, so they are anonymous. Routing puts literal and parameter routes before them.
const ALL_METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const routes = new Map<string, HttpMethod[]>();
for (const fn of api) routes.set(fn.route, [...(routes.get(fn.route) ?? []), fn.method]);
for (const [route, methods] of routes) {
  const name = `${api.find((fn) => fn.route === route)!.name}OtherMethods`;
  app.http(name, {
    route,
    methods: ALL_METHODS.filter((m) => !methods.includes(m)),
    authLevel: "anonymous",
    handler: async () => methodNotAllowed(methods),
  });
}
app.http("notFound", {
  route: "{*path}",
  methods: ALL_METHODS,
  authLevel: "anonymous",
  handler: async () => problem(404, "Not found", "no such route; see the README's HTTP API"),
});

app.storageQueue("runCoordinator", {
  queueName: RUNS_QUEUE,
  connection: STORAGE,
  handler: (message, context) => runCoordinator(ctx, message, context),
});

app.storageQueue("partWorker", {
  queueName: PARTS_QUEUE,
  connection: STORAGE,
  handler: (message, context) => partWorker(ctx, message, context),
});

app.storageQueue("runPoison", {
  queueName: `${RUNS_QUEUE}-poison`,
  connection: STORAGE,
  handler: (message, context) => runPoison(ctx, message, context),
});

app.storageQueue("partPoison", {
  queueName: `${PARTS_QUEUE}-poison`,
  connection: STORAGE,
  handler: (message, context) => partPoison(ctx, message, context),
});

// Notifications (docs/operations.md#notifications): deliveries, retried by the queue, then recorded as failed.
app.storageQueue("notifyDelivery", {
  queueName: NOTIFY_QUEUE,
  connection: STORAGE,
  handler: (message, context) => notifyDelivery(ctx, message, context),
});

app.storageQueue("notifyPoison", {
  queueName: `${NOTIFY_QUEUE}-poison`,
  connection: STORAGE,
  handler: (message, context) => notifyPoison(ctx, message, context),
});
