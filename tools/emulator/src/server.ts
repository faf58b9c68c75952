import { createHash, randomUUID } from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ValidationError } from "../../../src/errors";
import { handleArm, matchRoute, type ArmReply, type ArmRoute } from "./armApi";
import { createCertificate, removeCertificate } from "./certificate";
import {
  dataBoxJobSubject,
  handleDataBox,
  isDataBoxRoute,
  matchDataBoxRoute,
  mutateDataBoxJob,
  type DataBoxReply,
  type DataBoxRoute,
} from "./dataBoxApi";
import { handleControl } from "./controlApi";
import { handleResourceGraph } from "./resourceGraphApi";
import { EmulatorState, type SeedInput } from "./EmulatorState";
import type { EmulatorFault, JobMutation } from "./FaultInjector";
import type { LoggedRequest } from "./RequestLog";
import type { EmulatorSeed } from "./seed";
import { applySettings, DEFAULT_SETTINGS, type EmulatorSettingsPatch } from "./settings";
import { errorBody, jobResponse } from "./wireFormat";

export type { EmulatorSeed } from "./seed";
export type { EmulatorSettings, EmulatorSettingsPatch } from "./settings";

export interface EmulatorOptions {
  /** 0 or undefined: a free port. */
  port?: number;
  /** Initial data: the built-in `demo`, or a seed (validated: a bad one throws ValidationError naming the field). */
  seed?: EmulatorSeed | "demo";
  /** Any subset of EmulatorSettings (a Partial<EmulatorSettings> fits); validated like the control API's. */
  settings?: EmulatorSettingsPatch;
  /** Where `ca.pem` is written (and removed from on close); default a fresh temp folder, removed on close. */
  certDir?: string;
}

export interface RunningEmulator {
  /** `https://127.0.0.1:PORT`: the ARM endpoint to give the SDK clients. */
  endpoint: string;
  /** Absolute path of the PEM certificate to trust. */
  caCertPath: string;
  caCertPem: string;
  /** `endpoint + "/_emulator"`. */
  controlUrl: string;
  close(): Promise<void>;
}

/** ARM refuses bigger request bodies; the control API takes big seed batches. */
const ARM_BODY_LIMIT = 4 * 1024 * 1024;
const CONTROL_BODY_LIMIT = 256 * 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.removeAllListeners("data");
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed || res.headersSent) return;
  const text = body === undefined ? "" : JSON.stringify(body);
  const all: Record<string, string | number> = { ...headers, "content-length": Buffer.byteLength(text) };
  if (body !== undefined) all["content-type"] = "application/json; charset=utf-8";
  res.writeHead(status, all);
  res.end(text);
}

function delay(ms: number): Promise<void> {
  // Unref'd: a pending injected latency must not keep a closing emulator alive.
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

const DEFAULT_FAULT_CODES: Record<number, string> = {
  400: "BadRequest",
  401: "AuthenticationFailed",
  403: "AuthorizationFailed",
  404: "ResourceNotFound",
  408: "RequestTimeout",
  409: "Conflict",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

function faultError(fault: EmulatorFault, status: number): { code: string; message: string } {
  const given = typeof fault.error === "string" ? { code: fault.error } : fault.error;
  const code = given?.code ?? DEFAULT_FAULT_CODES[status] ?? `Http${status}`;
  return { code, message: given?.message ?? `Injected fault: ${status} ${code}.` };
}

/** The job a single-job request is about, as it would be served now (for the request log). */
function jobSubject(state: EmulatorState, route: ArmRoute): LoggedRequest["job"] {
  if (route.jobName === undefined || route.operation === "Jobs_Create") return undefined;
  const job = state.store.get(route.subscriptionId!, route.resourceGroup!, route.jobName);
  if (job === undefined) return undefined;
  const served = jobResponse(job) as {
    properties?: { state?: unknown; cancelRequested?: unknown };
    tags?: unknown;
  };
  const subject: NonNullable<LoggedRequest["job"]> = {};
  if (typeof served.properties?.state === "string") subject.state = served.properties.state;
  if (typeof served.properties?.cancelRequested === "boolean")
    subject.cancelRequested = served.properties.cancelRequested;
  if (served.tags !== null && typeof served.tags === "object")
    subject.tags = { ...(served.tags as Record<string, string>) };
  return subject;
}

/** A fault's `mutate`: the job named by the path changes as if someone else changed it just now. */
function mutateJob(state: EmulatorState, path: string, mutation: JobMutation): void {
  const dataBoxRoute = matchDataBoxRoute("GET", path);
  if (dataBoxRoute !== undefined) {
    if (isDataBoxRoute(dataBoxRoute)) mutateDataBoxJob(state.dataBox, dataBoxRoute, mutation);
    return;
  }
  const route = matchRoute("GET", path);
  if ("status" in route || route.jobName === undefined) return;
  const job = state.store.get(route.subscriptionId!, route.resourceGroup!, route.jobName);
  if (job === undefined) return;
  if (mutation.remove === true) {
    state.store.remove(job);
    return;
  }
  if (mutation.state !== undefined) state.store.setState(job, mutation.state);
  if (mutation.cancelRequested === true) state.store.requestCancel(job);
  else if (mutation.cancelRequested === false) job.properties.cancelRequested = false;
  if (mutation.tags !== undefined) job.tags = { ...mutation.tags };
}

/** Serves the ARM API and the control API of one emulator instance. */
function createHandler(state: EmulatorState) {
  async function serveArm(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    requestId: string,
  ): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const path = url.pathname;
    const at = state.clock.nowIso();
    const receivedAt = new Date().toISOString();
    const log = (status: number, extra: Partial<LoggedRequest> = {}) =>
      state.requests.add({
        method,
        path,
        ...(url.search.length > 1 ? { query: url.search.slice(1) } : {}),
        status,
        ...extra,
        at,
        receivedAt,
      });
    const headers: Record<string, string> = { "x-ms-correlation-request-id": requestId };

    let text: string;
    try {
      text = await readBody(req, ARM_BODY_LIMIT);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      send(res, 413, errorBody("RequestEntityTooLarge", "The request body is too large."), headers);
      log(413);
      return;
    }

    const fault = state.faults.take(method, path, url.search.slice(1));
    if (fault !== undefined) {
      if (fault.latencyMs !== undefined && fault.latencyMs > 0) await delay(fault.latencyMs);
      if (fault.mutate !== undefined) mutateJob(state, path, fault.mutate);
      if (fault.reset === true) {
        log(0, { fault: true });
        req.socket.destroy();
        return;
      }
      if (fault.status !== undefined) {
        if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
        const error = faultError(fault, fault.status);
        const body = fault.body !== undefined ? fault.body : errorBody(error.code, error.message);
        send(res, fault.status, body, headers);
        log(fault.status, { fault: true });
        return;
      }
      // Latency only: now serve it normally.
    }

    if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? "")) {
      send(
        res,
        401,
        errorBody(
          "AuthenticationFailed",
          "Authentication failed. The 'Authorization' header is missing or not a bearer token.",
        ),
        headers,
      );
      log(401);
      return;
    }

    // Microsoft.DataBox paths first (dataBoxApi.ts), then the classic router.
    const route: ArmRoute | DataBoxRoute | ArmReply =
      matchDataBoxRoute(method, path) ?? matchRoute(method, path);
    if ("status" in route) {
      send(res, route.status, route.body, headers);
      log(route.status);
      return;
    }
    const operation = route.operation;

    const apiVersion = url.searchParams.get("api-version");
    if (apiVersion === null || apiVersion === "") {
      send(
        res,
        400,
        errorBody(
          "MissingApiVersionParameter",
          "The api-version query parameter (?api-version=) is required for all requests.",
        ),
        headers,
      );
      log(400, { operation });
      return;
    }
    if (apiVersion !== route.apiVersion) {
      send(
        res,
        400,
        errorBody(
          "InvalidApiVersionParameter",
          `The api-version '${apiVersion}' is invalid. The supported versions are '${route.apiVersion}'.`,
        ),
        headers,
      );
      log(400, { operation });
      return;
    }

    if (operation === "ResourceGraph_Resources") {
      // Resource Graph has its own per-caller quota instead of ARM's buckets; the caller is its bearer token.
      const body = parseJsonBody(text);
      const reply =
        body === INVALID_JSON
          ? {
              status: 400,
              body: errorBody("InvalidRequestContent", "The request content is not valid JSON."),
            }
          : handleResourceGraph(body, callerKey(req.headers.authorization ?? ""), {
              settings: state.settings,
              quota: state.graphQuota,
              sources: state.indexSources,
              realNow: Date.now(),
            });
      const replyHeaders = { ...headers, ...("headers" in reply ? reply.headers : {}) };
      if (fault?.dropResponse === true) {
        log(reply.status, { operation, fault: true });
        req.socket.destroy();
        return;
      }
      send(res, reply.status, reply.body, replyHeaders);
      log(reply.status, { operation });
      return;
    }

    const throttled = state.throttle.take(route.scope, route.kind);
    const level = route.scope === "tenant" ? "tenant" : "subscription";
    headers[`x-ms-ratelimit-remaining-${level}-${route.kind}`] = String(throttled.remaining);
    if (!throttled.allowed) {
      headers["retry-after"] = String(throttled.retryAfterSeconds);
      send(
        res,
        429,
        errorBody(
          "TooManyRequests",
          `The request is throttled: too many ${route.kind} for this ${level}. ` +
            `Retry after ${throttled.retryAfterSeconds} seconds.`,
        ),
        headers,
      );
      log(429, { operation });
      return;
    }

    const body = parseJsonBody(text);
    if (body === INVALID_JSON) {
      send(res, 400, errorBody("InvalidRequestContent", "The request content is not valid JSON."), headers);
      log(400, { operation });
      return;
    }

    const origin = `https://${req.headers.host ?? url.host}`;
    let subject: LoggedRequest["job"];
    let reply: DataBoxReply;
    if (isDataBoxRoute(route)) {
      subject = dataBoxJobSubject(state.dataBox, route);
      reply = handleDataBox(
        { route, path, query: url.searchParams, body, origin, deleteOutcome: fault?.deleteOutcome },
        { subscriptions: state.store, dataBox: state.dataBox },
        state.settings,
      );
      Object.assign(headers, reply.headers);
    } else {
      subject = jobSubject(state, route);
      reply = handleArm({ route, path, query: url.searchParams, body, origin }, state.store, state.settings);
    }
    const logged: Partial<LoggedRequest> = {
      operation,
      ...(reply.forbidden !== undefined && { forbidden: true, rule: reply.forbidden }),
      ...(subject !== undefined && { job: subject }),
    };
    if (fault?.dropResponse === true) {
      // Served (its change is made), but the answer never reaches the client.
      log(reply.status, { ...logged, fault: true });
      req.socket.destroy();
      return;
    }
    send(res, reply.status, reply.body, headers);
    log(reply.status, logged);
  }

  async function serveControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    let text: string;
    try {
      text = await readBody(req, CONTROL_BODY_LIMIT);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      send(res, 413, errorBody("RequestEntityTooLarge", "body: larger than 256 MiB; send jobs in batches"));
      return;
    }
    const body = parseJsonBody(text);
    if (body === INVALID_JSON) {
      send(res, 400, errorBody("InvalidRequest", "body: not valid JSON"));
      return;
    }
    const reply = handleControl(
      method,
      url.pathname.slice("/_emulator".length),
      url.searchParams,
      body,
      state,
    );
    send(res, reply.status, reply.body);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const requestId = randomUUID();
    res.setHeader("x-ms-request-id", requestId);
    const url = new URL(req.url ?? "/", "https://emulator.invalid");
    const isControl = url.pathname === "/_emulator" || url.pathname.startsWith("/_emulator/");
    const work = isControl ? serveControl(req, res, url) : serveArm(req, res, url, requestId);
    work.catch((error: unknown) => {
      // A bug in the emulator: say so without crashing it (and without echoing request data).
      process.stderr.write(
        `importexport emulator: internal error: ${(error as Error)?.stack ?? String(error)}\n`,
      );
      send(res, 500, errorBody("InternalServerError", "The emulator failed to serve this request."));
    });
  };
}

function checkPort(port: number | undefined): number {
  if (port === undefined) return 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ValidationError([
      { field: "port", message: `expected a whole number from 0 to 65535, got ${port}` },
    ]);
  }
  return port;
}

const INVALID_JSON = Symbol("invalid JSON");

/** Who is asking, for per-caller quotas: a short hash of the Authorization header (never the token itself). */
function callerKey(authorization: string): string {
  return createHash("sha256").update(authorization).digest("hex").slice(0, 16);
}

/** A request body as JSON: undefined when empty, INVALID_JSON when it does not parse. */
function parseJsonBody(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID_JSON;
  }
}

/**
 * Starts the Import/Export emulator over https on 127.0.0.1 (README.md). Options are validated first:
 * a bad port, seed or setting throws ValidationError naming the field, before anything starts.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const port = checkPort(options.port);
  const baseSettings = applySettings(DEFAULT_SETTINGS, options.settings, "settings");
  const state = new EmulatorState(baseSettings);
  state.reset(options.seed as SeedInput | undefined, undefined, "");

  const certificate = await createCertificate(options.certDir);
  const server = https.createServer(
    { key: certificate.keyPem, cert: certificate.certPem },
    createHandler(state),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await removeCertificate(certificate);
    throw error;
  }
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    caCertPath: certificate.caCertPath,
    caCertPem: certificate.certPem,
    controlUrl: `${endpoint}/_emulator`,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await removeCertificate(certificate);
      })();
      return closing;
    },
  };
}
