// The dashboard's registrations: the page, and the API's own handlers once more under /api/ui/data/ for the page
// (anonymous at the Functions level because a browser holds no function key; dashboardData guards them instead).
import { app, type HttpMethod } from "@azure/functions";
import type { Env } from "../settings/settings";
import type { AppContext } from "./appContext";
import { dashboardMe, dashboardPage, dashboardSettings } from "./handlers/dashboard";
import { dashboardAccess, dashboardData } from "./http/dashboardAccess";
import { guarded, type HttpHandler } from "./http/handle";

export interface ApiFunction {
  name: string;
  route: string;
  method: HttpMethod;
  handler: HttpHandler;
}

export function registerDashboard(
  ctx: AppContext,
  api: readonly ApiFunction[],
  env: Env = process.env,
): void {
  const access = dashboardAccess(env);
  const easyAuth = ctx.easyAuth;
  const pageData: ApiFunction[] = [
    ...api,
    {
      name: "dashboardSettings",
      route: "settings",
      method: "GET",
      handler: guarded({ easyAuth, need: "read", query: [] }, () => dashboardSettings(ctx)),
    },
    {
      name: "dashboardMe",
      route: "me",
      method: "GET",
      handler: guarded({ easyAuth, need: "read", query: [] }, (_request, caller) =>
        dashboardMe(access)(caller),
      ),
    },
  ];
  for (const fn of pageData) {
    app.http(fn.name.startsWith("dashboard") ? fn.name : `${fn.name}Ui`, {
      route: `ui/data/${fn.route}`,
      methods: [fn.method],
      authLevel: "anonymous",
      handler: dashboardData(access, fn.method, fn.handler),
    });
  }
  const page = dashboardPage(access);
  app.http("dashboard", { route: "ui", methods: ["GET"], authLevel: "anonymous", handler: page });
  app.http("dashboardFiles", {
    route: "ui/{*path}",
    methods: ["GET"],
    authLevel: "anonymous",
    handler: page,
  });
}
