// The dashboard's own routes: the page and its bundled files (built by scripts/buildUi.mjs into dist/ui), what the
// page shows under "Health & settings", and who the signed-in user is. Its data comes from the API's handlers.
import fs from "node:fs";
import path from "node:path";
import type { HttpRequest, HttpResponseInit } from "@azure/functions";
import type { AppContext } from "../appContext";
import { allowed, APPROVER_ROLE, type Caller } from "../http/caller";
import { EASY_AUTH_OFF_DETAIL, SECURITY_HEADERS, type DashboardAccess } from "../http/dashboardAccess";
import { json, problem } from "../http/problem";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** dist/ui next to dist/src (tsc build), or ui/ next to the bundle's index.js (dist-bundle). */
const ASSET_DIRS = [path.join(__dirname, "../../../ui"), path.join(__dirname, "ui")];

interface Asset {
  body: Buffer;
  type: string;
}
let assets: Map<string, Asset> | undefined;

/** The built files, read once: only names found in the folder are ever served (no path from the request). */
function loadAssets(): Map<string, Asset> {
  if (assets) return assets;
  const dir = ASSET_DIRS.find((d) => fs.existsSync(path.join(d, "index.html")));
  const found = new Map<string, Asset>();
  for (const name of dir ? fs.readdirSync(dir) : []) {
    const type = CONTENT_TYPES[path.extname(name)];
    if (type && /^[A-Za-z0-9._-]+$/.test(name))
      found.set(name, { body: fs.readFileSync(path.join(dir!, name)), type });
  }
  if (found.size > 0) assets = found;
  return found;
}

function staticPage(status: number, title: string, text: string, link?: { href: string; label: string }) {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const body =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>` +
    `<h1>${escape(title)}</h1><p>${escape(text)}</p>` +
    (link ? `<p><a href="${escape(link.href)}">${escape(link.label)}</a></p>` : "") +
    `</body></html>`;
  return {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    body,
  };
}

/** GET /api/ui and GET /api/ui/{*path}: the page, or why it is not shown. */
export function dashboardPage(access: DashboardAccess) {
  return async (request: HttpRequest): Promise<HttpResponseInit> => {
    if (access === "off")
      return staticPage(
        403,
        "importexport-janitor: dashboard off",
        `This app's dashboard is off: ${EASY_AUTH_OFF_DETAIL}. Give users the app role Janitor.Reader, Janitor.Operator or Janitor.Approver. Automation keeps using the HTTP API with function keys.`,
      );
    if (access === "easy-auth" && !request.headers.get("x-ms-client-principal"))
      return staticPage(401, "importexport-janitor: sign in", "Sign in to see the dashboard.", {
        href: "/.auth/login/aad?post_login_redirect_uri=/api/ui",
        label: "Sign in with Microsoft Entra ID",
      });
    const files = loadAssets();
    const name = (request.params.path ?? "").replace(/^\/+/, "") || "index.html";
    if (files.size === 0)
      return problem(503, "Dashboard not built", "the page's files are missing; run npm run build");
    const asset = files.get(name);
    if (!asset) return problem(404, "Not found", "no such file of the dashboard");
    return {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        "content-type": asset.type,
        "cache-control": name === "index.html" ? "no-store" : "no-cache",
      },
      body: new Uint8Array(asset.body),
    };
  };
}

/** GET /api/ui/data/settings: the settings an operator checks at a glance. Never a connection string or key. */
export async function dashboardSettings(app: AppContext): Promise<HttpResponseInit> {
  const { core } = app.settings;
  const janitor = await app.janitor();
  return json(200, {
    mode: core.mode,
    schedule: core.schedule,
    paused: core.paused,
    manualApply: core.manualApply,
    policyHash: janitor.policy.hash,
    policySource: janitor.policy.source,
    auditRetentionDays: Math.round(core.auditRetentionMs / 86_400_000),
    runTimeoutMinutes: Math.round(core.runTimeoutMs / 60_000),
    concurrency: core.concurrency,
    easyAuth: app.easyAuth,
  });
}

/** GET /api/ui/data/me: who the page is showing things to, and what it may offer them. */
export function dashboardMe(access: DashboardAccess) {
  return async (caller: Caller): Promise<HttpResponseInit> =>
    json(200, {
      access,
      name: access === "local-open" ? "local" : caller.name,
      roles: caller.roles,
      canOperate: allowed(caller, "operate"),
      canApprove: !caller.authenticated || caller.roles.includes(APPROVER_ROLE),
    });
}
