import type { IncomingMessage, ServerResponse } from "node:http";
import type { RpcLogLevel } from "./coreTypes";
import type { FunctionSummary } from "./host";
import { BodyTooLargeError, readBodyWithin, sendProblem } from "./requestBody";

// The host's admin API, as far as local use needs it; the caller has shown the master key (host.ts checks it):
//   POST /admin/functions/{name}  {"input": "..."}  invoke a non-HTTP function now; 202, runs in the background
//   GET  /admin/functions                           the functions and their triggers
//   GET  /admin/host/status                         {"state": "Running", ...}

export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  summaries: FunctionSummary[],
  invoke: (name: string, input?: unknown) => Promise<unknown>,
  log: (level: RpcLogLevel, message: string, functionName?: string) => void,
  bodyLimit: number,
): Promise<void> {
  let body: Buffer;
  try {
    body = await readBodyWithin(req, bodyLimit);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    return sendProblem(res, 413, "Content too large", err.message, { close: true });
  }
  if (pathname === "/admin/host/status" && req.method === "GET") {
    return sendJson(res, 200, {
      state: "Running",
      version: "local",
      processUptime: Math.round(process.uptime() * 1000),
    });
  }
  if (pathname === "/admin/functions" && req.method === "GET") {
    return sendJson(
      res,
      200,
      summaries.map(({ bindings: _bindings, ...rest }) => rest),
    );
  }
  const m = /^\/admin\/functions\/([^/]+)$/.exec(pathname);
  if (m && req.method === "POST") {
    const name = decodeURIComponent(m[1]!);
    const summary = summaries.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!summary) return sendJson(res, 404, { error: `No function named "${name}".` });
    if (summary.trigger.toLowerCase() === "httptrigger") {
      return sendJson(res, 400, {
        error: `"${summary.name}" is HTTP-triggered: call ${summary.route} instead.`,
      });
    }
    let input: unknown;
    if (body.length > 0) {
      try {
        input = (JSON.parse(body.toString("utf8")) as { input?: unknown }).input;
      } catch {
        return sendJson(res, 400, { error: 'The body must be JSON: {"input": "..."}.' });
      }
    }
    // Like the host: accepted at once, the invocation runs in the background and its outcome goes to the log.
    invoke(summary.name, input).catch((err: unknown) =>
      log("error", `Function '${summary.name}' failed: ${describeWithStack(err)}`, summary.name),
    );
    res.writeHead(202).end();
    return;
  }
  sendProblem(res, 404, "Not found", "no such admin route");
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(value));
}

function describeWithStack(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
