// Who may use the dashboard (GET /api/ui and its data under /api/ui/data/...). Browsers cannot hold a function
// key, so the page's routes are anonymous at the Functions level and guarded here instead: in Azure by Easy Auth
// (a signed-in principal, then the same role checks as the API), locally by an explicit open setting.
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { Env } from "../../settings/settings";
import { easyAuthEnabled } from "./caller";
import type { HttpHandler } from "./handle";
import { problem } from "./problem";

/**
 * - `easy-auth`: App Service authentication is on; only signed-in principals get the page and its data.
 * - `local-open`: `JANITOR_UI_LOCAL=open` off App Service (the local host sets it for `npm start`, which listens on
 *   loopback only); everyone who can reach the port may use the page, as with the local API.
 * - `off`: neither; the page explains how to turn Easy Auth on and serves no data.
 */
export type DashboardAccess = "easy-auth" | "local-open" | "off";

/** App Service sets these in every app's environment; their presence means "running in Azure". */
const APP_SERVICE_MARKERS = ["WEBSITE_INSTANCE_ID", "WEBSITE_SITE_NAME"];

export function dashboardAccess(env: Env): DashboardAccess {
  if (easyAuthEnabled(env)) return "easy-auth";
  const open = (env.JANITOR_UI_LOCAL ?? "").trim().toLowerCase() === "open";
  const inAzure = APP_SERVICE_MARKERS.some((name) => (env[name] ?? "").trim() !== "");
  return open && !inAzure ? "local-open" : "off";
}

/** The page's policy: its own bundled files only, no inline script or style, never framed. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

export const EASY_AUTH_OFF_DETAIL =
  "the dashboard is shown only to users signed in through App Service authentication (Easy Auth); turn it on for this app (see docs/deploy.md#easy-auth-optional)";

/** Adds headers to a handler's response, keeping its own. */
export function withHeaders(response: HttpResponseInit, extra: Record<string, string>): HttpResponseInit {
  const headers: Record<string, string> = {};
  new Headers(response.headers as ConstructorParameters<typeof Headers>[0]).forEach(
    (value, name) => (headers[name] = value),
  );
  return { ...response, headers: { ...headers, ...extra } };
}

/** The header the page sends on every write: a cross-site form cannot set it without a CORS preflight. */
export const UI_WRITE_HEADER = "x-janitor-ui";

/**
 * Wraps one of the API's own handlers (the very function registered for the API route) for the page: refuses
 * everything while the dashboard is off, needs a signed-in principal with Easy Auth on (the wrapped handler then
 * checks its roles exactly as for the API), and refuses cross-site writes.
 */
export function dashboardData(access: DashboardAccess, method: string, handler: HttpHandler): HttpHandler {
  return async (request, context) => {
    const refused = refusal(access, method, request);
    const response = refused ?? (await handler(request, context));
    return withHeaders(response, {
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
  };
}

function refusal(
  access: DashboardAccess,
  method: string,
  request: HttpRequest,
): HttpResponseInit | undefined {
  if (access === "off") return problem(403, "Dashboard off", EASY_AUTH_OFF_DETAIL);
  if (access === "easy-auth" && !request.headers.get("x-ms-client-principal"))
    return problem(401, "Unauthorized", "sign in through Easy Auth first (/.auth/login/aad)");
  if (method !== "GET") {
    const site = request.headers.get("sec-fetch-site");
    if (request.headers.get(UI_WRITE_HEADER) !== "1" || (site !== null && site !== "same-origin"))
      return problem(403, "Forbidden", "writes from the dashboard must come from the page itself");
  }
  return undefined;
}
