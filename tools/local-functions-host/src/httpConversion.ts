import type { IncomingMessage, ServerResponse } from "node:http";
import type { RpcHttpCookie, RpcHttpData } from "./coreTypes";

/**
 * An incoming request as the host hands it to the worker. `query` is left out on purpose: the library then reads
 * the query from the URL, which keeps repeated keys (`?a=1&a=2`).
 */
export function toRpcHttpRequest(
  req: IncomingMessage,
  body: Buffer,
  origin: string,
  params: Record<string, string>,
): RpcHttpData {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(name === "cookie" ? "; " : ", ") : value;
  }
  return {
    method: req.method ?? "GET",
    url: new URL(req.url ?? "/", origin).toString(),
    headers,
    params,
    body: { bytes: body },
  };
}

/** Writes the function's HTTP output; a missing response is 204, as the host answers a function that returns none. */
export function writeRpcHttpResponse(
  res: ServerResponse,
  method: string,
  http: RpcHttpData | undefined,
): void {
  if (!http) {
    res.writeHead(204).end();
    return;
  }
  const status = Number(http.statusCode ?? 200);
  const headers: Record<string, string | string[]> = { ...(http.headers ?? {}) };
  const cookies = (http.cookies ?? []).map(serializeCookie);
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  const body =
    http.body?.bytes ??
    (http.body?.string !== undefined && http.body.string !== null
      ? Buffer.from(http.body.string)
      : undefined);
  res.writeHead(Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500, headers);
  res.end(method === "HEAD" || !body ? undefined : Buffer.from(body));
}

export function serializeCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ""}=${cookie.value ?? ""}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expires = cookie.expires?.value?.seconds;
  if (typeof expires === "number") parts.push(`Expires=${new Date(expires * 1000).toUTCString()}`);
  if (typeof cookie.maxAge?.value === "number") parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push("Secure");
  if (cookie.httpOnly?.value) parts.push("HttpOnly");
  const sameSite = { lax: "Lax", strict: "Strict", explicitNone: "None" }[cookie.sameSite as string];
  if (sameSite) parts.push(`SameSite=${sameSite}`);
  return parts.join("; ");
}
