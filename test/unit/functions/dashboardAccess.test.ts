import { HttpRequest, InvocationContext } from "@azure/functions";
import { describe, expect, it } from "vitest";
import { dashboardPage } from "../../../src/functions/handlers/dashboard";
import { dashboardAccess, dashboardData } from "../../../src/functions/http/dashboardAccess";
import { guarded } from "../../../src/functions/http/handle";
import { json } from "../../../src/functions/http/problem";

const principal = (roles: string[]) =>
  Buffer.from(
    JSON.stringify({
      auth_typ: "aad",
      name_typ: "name",
      role_typ: "roles",
      claims: [{ typ: "name", val: "ana@example.com" }, ...roles.map((val) => ({ typ: "roles", val }))],
    }),
  ).toString("base64");

const request = (method: string, headers: Record<string, string> = {}) =>
  new HttpRequest({ method, url: "http://localhost/api/ui/data/runs", headers });
const context = new InvocationContext();

/** An API handler as index.ts registers it: the edge's role checks around the handler. */
const api = (need: "read" | "operate") =>
  guarded({ easyAuth: true, need, query: [] }, async (_r, caller) => json(200, { who: caller.name }));

describe("dashboard access", () => {
  it("is Easy Auth when the platform says so, open only when asked for off App Service, else off", () => {
    expect(dashboardAccess({ WEBSITE_AUTH_ENABLED: "True", JANITOR_UI_LOCAL: "open" })).toBe("easy-auth");
    expect(dashboardAccess({ JANITOR_UI_LOCAL: "open" })).toBe("local-open");
    expect(dashboardAccess({ JANITOR_UI_LOCAL: "open", WEBSITE_SITE_NAME: "janitor-prod" })).toBe("off");
    expect(dashboardAccess({})).toBe("off");
  });

  it("serves no data with Easy Auth off, and explains how to turn it on", async () => {
    const res = await dashboardData("off", "GET", api("read"))(request("GET"), context);
    expect(res.status).toBe(403);
    expect(String(res.body)).toContain("Easy Auth");
    const page = await dashboardPage("off")(request("GET"));
    expect(page.status).toBe(403);
    expect(String(page.body)).toMatch(/App Service authentication \(Easy Auth\)/);
    expect((page.headers as Record<string, string>)["content-security-policy"]).toContain(
      "default-src 'self'",
    );
  });

  it("with Easy Auth on needs a signed-in principal, then the API's own role checks", async () => {
    const read = dashboardData("easy-auth", "GET", api("read"));
    expect((await read(request("GET"), context)).status).toBe(401);
    const noRole = await read(request("GET", { "x-ms-client-principal": principal([]) }), context);
    expect(noRole.status).toBe(403);
    const reader = await read(
      request("GET", { "x-ms-client-principal": principal(["Janitor.Reader"]) }),
      context,
    );
    expect(reader.status).toBe(200);
    expect(reader.jsonBody).toEqual({ who: "ana@example.com" });
    expect((await dashboardPage("easy-auth")(request("GET"))).status).toBe(401);
  });

  it("refuses writes that do not come from the page itself", async () => {
    const start = dashboardData("easy-auth", "POST", api("operate"));
    const operator = { "x-ms-client-principal": principal(["Janitor.Operator"]) };
    expect((await start(request("POST", operator), context)).status).toBe(403);
    const crossSite = { ...operator, "x-janitor-ui": "1", "sec-fetch-site": "cross-site" };
    expect((await start(request("POST", crossSite), context)).status).toBe(403);
    const fromPage = { ...operator, "x-janitor-ui": "1", "sec-fetch-site": "same-origin" };
    expect((await start(request("POST", fromPage), context)).status).toBe(200);
    const reader = { ...fromPage, "x-ms-client-principal": principal(["Janitor.Reader"]) };
    expect((await start(request("POST", reader), context)).status).toBe(403);
  });
});
