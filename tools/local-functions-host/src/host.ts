import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { handleAdmin, sendJson } from "./adminApi";
import { resolveAppEntryFiles } from "./appEntryFiles";
import { loadAppModules } from "./appModules";
import { resolveAppSettingExpression } from "./appSettingExpression";
import type { RpcBindingInfo, RpcInvocationResponse, RpcLogLevel, RpcTypedData } from "./coreTypes";
import {
  createFunctionsCore,
  installFunctionsCore,
  type CoreLogEntry,
  type FunctionsCore,
  type Registration,
} from "./functionsCore";
import { readHostJson, type HostJsonSettings } from "./hostJson";
import { consoleLog, type HostLogEntry } from "./hostLog";
import { toRpcHttpRequest, writeRpcHttpResponse } from "./httpConversion";
import { HttpRouteTable, type HttpRoute } from "./httpRouteTable";
import { createMasterKey, presentsMasterKey } from "./masterKey";
import { QueueTriggerListener } from "./queueTriggerListener";
import {
  BodyTooLargeError,
  declaresTooLarge,
  readBodyWithin,
  requestBodyLimit,
  sendProblem,
} from "./requestBody";
import { fromTypedData, runInvocation, type InvocationInput } from "./runInvocation";
import { StorageQueues } from "./storageQueues";
import { parseTimerSchedule, type TimerSchedule } from "./timerSchedule";
import { TimerTriggerRunner, type TimerTriggerInput } from "./timerTriggerRunner";

// The local Functions host: our stand-in for `func start` (Azure Functions Core Tools downloads a binary at
// install, which cannot be done here). It provides `@azure/functions-core`, loads the app's real registrations and
// serves them: HTTP routes, timers, storage-queue triggers and storage-queue output bindings.
// Differences from the real host, on purpose: function keys are not checked (like Core Tools locally), but the
// admin API needs the master key; a wrong method on a known route is a 405 (the real host says 404); unmatched
// requests get problem+json bodies; one process plays every "instance"; other binding types are listed but not
// served.

export type { HostLogEntry } from "./hostLog";

export interface LocalHostOptions {
  /** Folder holding the app's package.json (whose `main` names the entry files) and host.json. */
  appRoot: string;
  /** Default 7071 (as Core Tools); 0 = any free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1 (the host does not check keys, so it stays off the network). */
  hostname?: string;
  /** App settings, applied to process.env while the host runs (the app reads its settings from there). */
  env?: Record<string, string | undefined>;
  /** Wait between polls of an empty queue; default 1000 ms. */
  queuePollMs?: number;
  /** Invisibility of a message while its invocation runs (renewed); default 30 s. See QueueTriggerListener. */
  queueLeaseSeconds?: number;
  /** The app setting a binding without `connection` uses; default `AzureWebJobsStorage`. */
  connectionSetting?: string;
  /** Where log lines go; default: stdout (information), stderr (warnings, errors). Debug lines only with `verbose`. */
  log?: (entry: HostLogEntry) => void;
  verbose?: boolean;
  /** The master key the admin API (`/admin/*`) requires; default a fresh random key per start. */
  masterKey?: string;
}

/** What the host knows about one registered function. */
export interface FunctionSummary {
  name: string;
  /** The trigger binding's type: `httpTrigger`, `timerTrigger`, `queueTrigger`, ... */
  trigger: string;
  /** HTTP: the full path template, e.g. `/api/runs/{runId}`. */
  route?: string;
  methods?: string[];
  authLevel?: string;
  /** Timer: the resolved schedule. */
  schedule?: string;
  runOnStartup?: boolean;
  /** Queue trigger: the resolved queue name and the connection setting's name. */
  queueName?: string;
  connection?: string;
  /** Disabled with the app setting `AzureWebJobs.<name>.Disabled=true`, as on the host: not triggered. */
  disabled: boolean;
  /** Set when the host could not serve the function (bad schedule, missing setting, ...). */
  error?: string;
  /** The metadata exactly as `@azure/functions` registered it. */
  bindings: Record<string, RpcBindingInfo>;
}

export interface LocalHost {
  /** e.g. `http://127.0.0.1:7071` (HTTP functions under `/api`). */
  url: string;
  port: number;
  registrations: readonly FunctionSummary[];
  /** The key `/admin/*` requires, in header `x-functions-key` (or `?code=`). */
  masterKey: string;
  /**
   * Invokes a non-HTTP function now, as `POST /admin/functions/{name}` does, and waits for it: a timer gets a
   * timer object (`isPastDue: false`), a queue trigger gets `input` as the message. Output bindings are written.
   * Resolves with the handler's return value; rejects with its error.
   */
  invoke(name: string, input?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

const DEFAULT_PORT = 7071;

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const appRoot = path.resolve(options.appRoot);
  // App settings named AzureFunctionsJobHost__* override host.json, as on the real host.
  const hostJson = readHostJson(appRoot, options.env ?? {});
  const entryFiles = resolveAppEntryFiles(appRoot);
  const sink = options.log ?? consoleLog(options.verbose ?? false);
  const log = (level: RpcLogLevel, message: string, functionName?: string) =>
    sink({ level, message, functionName });

  const restoreEnv = applyEnv(options.env ?? {});
  const lookup = (name: string) => process.env[name];
  const core = createFunctionsCore({ logSink: (entry) => sinkCoreLog(sink, entry) });
  const cleanups: (() => void | Promise<void>)[] = [restoreEnv];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step();
  };

  try {
    cleanups.push(installFunctionsCore(core));
    try {
      cleanups.push(loadAppModules(appRoot, entryFiles));
    } catch (err) {
      throw new Error(`Loading the app from ${appRoot} failed: ${describe(err)}`, { cause: err });
    }
    await lockStartup(core, appRoot);
    const host = await serve(core, hostJson, options, lookup, log, sink);
    cleanups.push(() => host.stop());
    return {
      url: host.url,
      port: host.port,
      registrations: host.summaries,
      masterKey: host.masterKey,
      invoke: host.invoke,
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** After loading: the worker locks setup, reports capabilities, then runs the app's appStart hooks. */
async function lockStartup(core: FunctionsCore, appRoot: string): Promise<void> {
  const model = core.programmingModel;
  if (model?.getCapabilities) {
    const capabilities = await model.getCapabilities({});
    if (capabilities.HttpUri) {
      throw new Error(
        "The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the local host does not support.",
      );
    }
  }
  core.lockRegistrations();
  await core.runHooks("appStart", {
    hookData: {},
    appHookData: core.appHookData,
    functionAppDirectory: appRoot,
  });
}

interface ServingHost {
  url: string;
  port: number;
  masterKey: string;
  summaries: FunctionSummary[];
  invoke(name: string, input?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

async function serve(
  core: FunctionsCore,
  hostJson: HostJsonSettings,
  options: LocalHostOptions,
  lookup: (name: string) => string | undefined,
  log: (level: RpcLogLevel, message: string, functionName?: string) => void,
  sink: (entry: HostLogEntry) => void,
): Promise<ServingHost> {
  const queues = new StorageQueues(lookup, options.connectionSetting ?? "AzureWebJobsStorage");
  const encoding = hostJson.queues.messageEncoding;
  const summaries: FunctionSummary[] = [];
  const timers: TimerTriggerRunner[] = [];
  const listeners: QueueTriggerListener[] = [];
  const schedules = new Map<string, TimerSchedule>();
  const prefix = hostJson.routePrefix;
  const masterKey = options.masterKey ?? createMasterKey();
  const bodyLimit = requestBodyLimit(lookup);
  const routes = new HttpRouteTable(core.registrations);
  routes.warnings.forEach((w) => log("warning", w));

  /** Runs one invocation end to end: Core Tools-like log lines, then the output bindings. */
  const execute = async (registration: Registration, input: InvocationInput, reason: string) => {
    const started = Date.now();
    const id = randomUUID();
    log(
      "information",
      `Executing 'Functions.${registration.name}' (Reason='${reason}', Id=${id})`,
      registration.name,
    );
    try {
      const response = await runInvocation(core, registration, input);
      await writeOutputBindings(registration, response);
      log(
        "information",
        `Executed 'Functions.${registration.name}' (Succeeded, Id=${id}, Duration=${Date.now() - started}ms)`,
        registration.name,
      );
      return response;
    } catch (err) {
      log(
        "error",
        `Executed 'Functions.${registration.name}' (Failed, Id=${id}, Duration=${Date.now() - started}ms)`,
        registration.name,
      );
      throw err;
    }
  };

  const writeOutputBindings = async (registration: Registration, response: RpcInvocationResponse) => {
    for (const [name, binding] of Object.entries(registration.metadata.bindings)) {
      if (binding.direction !== "out" || String(binding.type).toLowerCase() !== "queue") continue;
      const data =
        name === "$return" ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
      const value = fromTypedData(data);
      if (value === undefined || value === null) continue;
      const where = `Function '${registration.name}' output '${name}'`;
      const queueName = resolveAppSettingExpression(String(binding.queueName ?? ""), lookup, where);
      const client = queues.queue(binding.connection, queueName, where);
      await queues.send(client, value, encoding);
      // The host's fast path: a queue written by this host wakes its own listener instead of waiting for a poll.
      listeners.filter((l) => l.queueUrl === client.url).forEach((l) => l.wake());
    }
  };

  for (const registration of core.registrations) {
    const [triggerName, trigger] = triggerOf(registration);
    const type = String(trigger.type);
    const disabled = /^(true|1)$/i.test(lookup(`AzureWebJobs.${registration.name}.Disabled`) ?? "");
    const summary: FunctionSummary = {
      name: registration.name,
      trigger: type,
      disabled,
      bindings: registration.metadata.bindings,
    };
    summaries.push(summary);
    for (const [name, binding] of Object.entries(registration.metadata.bindings)) {
      const bindingType = String(binding.type).toLowerCase();
      if (name === triggerName || (binding.direction === "out" && ["queue", "http"].includes(bindingType)))
        continue;
      log(
        "warning",
        `Function '${registration.name}': ${binding.direction} binding '${name}' of type '${binding.type}' is not supported by the local host and is ignored.`,
      );
    }
    try {
      switch (type.toLowerCase()) {
        case "httptrigger": {
          const route = routes.routes.find((r) => r.registration === registration)!;
          summary.route = `/${[prefix, route.route.template.replace(/^\/+/, "")].filter(Boolean).join("/")}`;
          summary.methods = route.methods;
          summary.authLevel = route.authLevel;
          break;
        }
        case "timertrigger": {
          const where = `Function '${registration.name}' schedule`;
          const schedule = parseTimerSchedule(
            resolveAppSettingExpression(String(trigger.schedule ?? ""), lookup, where),
          );
          schedules.set(registration.name, schedule);
          summary.schedule = schedule.expression;
          summary.runOnStartup = trigger.runOnStartup === true;
          if (disabled) break;
          timers.push(
            new TimerTriggerRunner({
              functionName: registration.name,
              schedule,
              runOnStartup: summary.runOnStartup,
              invoke: async (timer) =>
                void (await execute(registration, timerInput(triggerName, timer), "Timer fired")),
              log: (level, message) => log(level, message, registration.name),
            }),
          );
          break;
        }
        case "queuetrigger": {
          const where = `Function '${registration.name}' queue trigger`;
          const queueName = resolveAppSettingExpression(String(trigger.queueName ?? ""), lookup, where);
          if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(queueName)) {
            throw new Error(
              `${where}: "${queueName}" is not a valid queue name (3-63 lower-case letters, digits and single hyphens).`,
            );
          }
          summary.queueName = queueName;
          summary.connection =
            typeof trigger.connection === "string" && trigger.connection
              ? trigger.connection
              : (options.connectionSetting ?? "AzureWebJobsStorage");
          if (disabled) break;
          const queue = queues.queue(trigger.connection, queueName, where);
          listeners.push(
            new QueueTriggerListener({
              functionName: registration.name,
              queue,
              poisonQueue: queues.queue(trigger.connection, `${queueName}-poison`, where),
              ensureExists: (client) => queues.ensureExists(client),
              encoding,
              // The host runs up to batchSize messages of one queue at once; at least 2 so scale-out shows locally.
              concurrency: Math.max(2, hostJson.queues.batchSize),
              maxDequeueCount: hostJson.queues.maxDequeueCount,
              retryDelayMs: hostJson.queues.visibilityTimeoutMs,
              pollMs: Math.min(options.queuePollMs ?? 1000, hostJson.queues.maxPollingIntervalMs),
              leaseSeconds: options.queueLeaseSeconds ?? 30,
              invoke: async (text, metadata) =>
                void (await execute(
                  registration,
                  { inputData: [{ name: triggerName, data: { string: text } }], triggerMetadata: metadata },
                  "New queue message detected",
                )),
              log: (level, message) => log(level, message, registration.name),
            }),
          );
          break;
        }
        default:
          log(
            "warning",
            `Function '${registration.name}': trigger type '${type}' is not served by the local host; invoke it with POST /admin/functions/${registration.name}.`,
          );
      }
    } catch (err) {
      // Like the host: a function that cannot be indexed is reported and skipped; the others still run.
      summary.error = describe(err);
      log("error", `The '${registration.name}' function is in error: ${summary.error}`, registration.name);
    }
  }

  const invoke = async (name: string, input?: unknown): Promise<unknown> => {
    const registration = core.registrations.find((r) => r.name.toLowerCase() === name.toLowerCase());
    if (!registration) throw new Error(`No function named "${name}".`);
    const [triggerName, trigger] = triggerOf(registration);
    const type = String(trigger.type).toLowerCase();
    let invocationInput: InvocationInput;
    if (type === "httptrigger")
      throw new Error(`"${registration.name}" is HTTP-triggered: call its route instead.`);
    if (type === "timertrigger") {
      const next = schedules.get(registration.name)?.nextAfter(new Date());
      invocationInput = timerInput(triggerName, {
        Schedule: { AdjustForDST: true },
        ScheduleStatus: next
          ? {
              Last: new Date().toISOString(),
              Next: next.toISOString(),
              LastUpdated: new Date().toISOString(),
            }
          : null,
        IsPastDue: false,
      });
    } else {
      const text =
        input === undefined || input === null
          ? ""
          : typeof input === "string"
            ? input
            : JSON.stringify(input);
      const metadata: Record<string, RpcTypedData> = type === "queuetrigger" ? manualQueueMetadata(text) : {};
      invocationInput = {
        inputData: [{ name: triggerName, data: { string: text } }],
        triggerMetadata: metadata,
      };
    }
    const response = await execute(
      registration,
      invocationInput,
      "This function was programmatically called via the host APIs.",
    );
    return fromTypedData(response.returnValue);
  };

  const handleHttp = async (req: IncomingMessage, res: ServerResponse, origin: string) => {
    const url = new URL(req.url ?? "/", origin);
    const pathname = url.pathname;
    const method = req.method ?? "GET";
    if (pathname === "/admin" || pathname.startsWith("/admin/")) {
      if (!presentsMasterKey(req, url, masterKey))
        return sendProblem(res, 401, "Unauthorized", "the admin API needs the host's master key", {
          close: true,
        });
      if (declaresTooLarge(req, bodyLimit)) return tooLarge(res);
      return handleAdmin(req, res, pathname, summaries, invoke, log, bodyLimit);
    }
    if (pathname === "/" && (method === "GET" || method === "HEAD")) {
      return sendJson(res, 200, {
        message: "The local Functions host is running.",
        functions: summaries.map((s) => s.name),
      });
    }
    let below: string | undefined = pathname;
    if (prefix) {
      const lower = pathname.toLowerCase();
      const base = `/${prefix.toLowerCase()}`;
      below =
        lower === base ? "" : lower.startsWith(`${base}/`) ? pathname.slice(base.length + 1) : undefined;
    }
    const enabled = (r: HttpRoute) => !summaries.find((s) => s.name === r.registration.name)?.disabled;
    const match = below === undefined ? undefined : routes.match(method, below, enabled);
    // Decided before the body is read: nothing waits for a body that will not be used.
    if (!match) {
      const allowed = below === undefined ? [] : routes.methodsFor(below, enabled);
      if (allowed.length > 0)
        return sendProblem(res, 405, "Method not allowed", `this route takes ${allowed.join(", ")}`, {
          headers: { allow: allowed.join(", ") },
          close: true,
        });
      return sendProblem(res, 404, "Not found", "no function serves this route", { close: true });
    }
    if (declaresTooLarge(req, bodyLimit)) return tooLarge(res);
    let body: Buffer;
    try {
      body = await readBodyWithin(req, bodyLimit);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return tooLarge(res);
      throw err;
    }
    const { registration, triggerName } = match.route;
    const rpcRequest = toRpcHttpRequest(req, body, origin, match.params);
    try {
      const response = await execute(
        registration,
        { inputData: [{ name: triggerName, data: { http: rpcRequest } }] },
        "This function was programmatically called via the host APIs.",
      );
      writeRpcHttpResponse(res, method, httpOutputOf(registration, response));
    } catch (err) {
      // The host answers 500 with an empty body: no stack or message reaches the caller; the log has it.
      log("error", `Function '${registration.name}' failed: ${describeWithStack(err)}`, registration.name);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  };
  const tooLarge = (res: ServerResponse) =>
    sendProblem(
      res,
      413,
      "Content too large",
      `the body is larger than ${bodyLimit} bytes (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT)`,
      { close: true },
    );

  const server = http.createServer();
  const listenHost = options.hostname ?? "127.0.0.1";
  server.on("request", (req, res) => {
    const address = server.address() as AddressInfo;
    const origin = `http://${req.headers.host ?? `${listenHost}:${address.port}`}`;
    handleHttp(req, res, origin).catch((err: unknown) => {
      log("error", `Request ${req.method} ${req.url} failed: ${describeWithStack(err)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`Port ${options.port ?? DEFAULT_PORT} is in use: choose another port.`)
          : err,
      ),
    );
    server.listen(options.port ?? DEFAULT_PORT, listenHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${listenHost.includes(":") ? `[${listenHost}]` : listenHost}:${port}`;

  const started: { stop(): Promise<void> }[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
    server.closeIdleConnections();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const forced = setTimeout(() => server.closeAllConnections(), 5_000);
    await closed;
    clearTimeout(forced);
    try {
      await core.runHooks("appTerminate", { hookData: {}, appHookData: core.appHookData });
    } catch (err) {
      log("error", `An appTerminate hook failed: ${describe(err)}`);
    }
  };
  try {
    for (const listener of listeners) {
      await listener.start();
      started.push(listener);
    }
  } catch (err) {
    await stop();
    throw new Error(`Starting the queue triggers failed: ${describe(err)}`, { cause: err });
  }
  for (const timer of timers) {
    timer.start();
    started.push(timer);
  }

  for (const s of summaries) {
    const what = s.route
      ? `[${(s.methods ?? ["*"]).join(",")}] ${url}${s.route}`
      : s.schedule
        ? `timer ${s.schedule}`
        : s.queueName
          ? `queue ${s.queueName}`
          : s.trigger;
    sink({
      level: "information",
      message: `  ${s.name}: ${what}${s.disabled ? " (disabled)" : ""}${s.error ? " (in error)" : ""}`,
    });
  }
  return { url, port, masterKey, summaries, invoke, stop };
}

function triggerOf(registration: Registration): [string, RpcBindingInfo] {
  const found = Object.entries(registration.metadata.bindings).find(([, b]) =>
    /trigger$/i.test(String(b.type)),
  );
  if (!found) throw new Error(`Function '${registration.name}' has no trigger.`);
  return found;
}

function timerInput(triggerName: string, timer: TimerTriggerInput): InvocationInput {
  return { inputData: [{ name: triggerName, data: { json: JSON.stringify(timer) } }] };
}

function manualQueueMetadata(text: string): Record<string, RpcTypedData> {
  const now = new Date();
  return {
    QueueTrigger: { string: text },
    DequeueCount: { int: 1 },
    Id: { string: randomUUID() },
    InsertionTime: { string: now.toISOString() },
  };
}

/** The HTTP output: the `$return` binding, or a named `http` output the handler set through extraOutputs. */
function httpOutputOf(registration: Registration, response: RpcInvocationResponse) {
  for (const [name, binding] of Object.entries(registration.metadata.bindings)) {
    if (binding.direction !== "out" || String(binding.type).toLowerCase() !== "http") continue;
    const data =
      name === "$return" ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
    if (data?.http) return data.http;
  }
  return undefined;
}

/** Sets the app settings on process.env; returns the function that puts the previous values back. */
function applyEnv(env: Record<string, string | undefined>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(env)) {
    previous.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of previous) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

function sinkCoreLog(sink: (entry: HostLogEntry) => void, entry: CoreLogEntry): void {
  sink({
    level: entry.level,
    message: entry.message,
    functionName: entry.functionName,
    invocationId: entry.invocationId,
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describeWithStack(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
