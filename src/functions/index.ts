// The Functions app (v4 programming model): registrations only. Each function is a thin edge over the engine
// and the storage layer; names and routes are the contract of PRODUCT.md section 5.
import { app } from "@azure/functions";
import { appContext } from "./appContext";
import { guarded } from "./http/handle";
import { auditQuery, health, jobDecision, policyGet } from "./handlers/reads";
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

app.http("runsCreate", {
  route: "runs",
  methods: ["POST"],
  authLevel: "function",
  handler: guarded("operate", (request, caller) => runsCreate(ctx, request, caller)),
});

app.http("runsList", {
  route: "runs",
  methods: ["GET"],
  authLevel: "function",
  handler: guarded("read", (request) => runsList(ctx, request)),
});

app.http("runsGet", {
  route: "runs/{runId}",
  methods: ["GET"],
  authLevel: "function",
  handler: guarded("read", (request) => runsGet(ctx, request)),
});

app.http("auditQuery", {
  route: "audit",
  methods: ["GET"],
  authLevel: "function",
  handler: guarded("read", (request) => auditQuery(ctx, request)),
});

app.http("jobDecision", {
  route: "jobs/{subscriptionId}/{resourceGroup}/{jobName}/decision",
  methods: ["GET"],
  authLevel: "function",
  handler: guarded("read", (request) => jobDecision(ctx, request)),
});

app.http("policyGet", {
  route: "policy",
  methods: ["GET"],
  authLevel: "function",
  handler: guarded("read", () => policyGet(ctx)),
});

// Anonymous so that load balancers and probes can reach it; it reveals only "ok" or "unreachable".
app.http("health", {
  route: "health",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: async () => health(ctx),
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
