// azure.yaml, the azd parameters file, the Entra app roles and the deployment docs agree with the templates
// and with the app: a parameter azd passes exists, its default matches, the roles are the ones the app
// checks, and the docs name every app setting.
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { OPERATOR_ROLE, READER_ROLE } from "../../src/functions/http/caller";
import {
  APP_SETTINGS_LEFT_TO_DEFAULT,
  REQUIRED_APP_SETTINGS,
  parametersOf,
  type ParameterInfo,
} from "./bicepChecks";
import { parseBicepSources, readBicepSources } from "./bicepParser";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

describe("azure.yaml", () => {
  const azure = parseYaml(read("azure.yaml")) as {
    name: string;
    infra: { provider: string; path: string; module: string };
    services: Record<
      string,
      {
        project: string;
        language: string;
        host: string;
        dist: string;
        hooks: Record<string, Record<string, { run: string }>>;
      }
    >;
  };

  it("deploys one Functions service in TypeScript from the project root", () => {
    expect(Object.keys(azure.services)).toEqual(["api"]);
    expect(azure.services.api).toMatchObject({
      project: ".",
      language: "ts",
      host: "function",
      dist: "dist-bundle",
    });
  });

  it("builds the esbuild bundle before packaging, on every OS", () => {
    const prepackage = azure.services.api!.hooks.prepackage!;
    expect(prepackage.posix?.run).toBe("npm run bundle");
    expect(prepackage.windows?.run).toBe("npm run bundle");
    expect(JSON.parse(read("package.json")).scripts.bundle).toBeTruthy();
  });

  it("provisions infra/main.bicep, whose Function App carries the service's azd tag", () => {
    expect(azure.infra).toEqual({ provider: "bicep", path: "infra", module: "main" });
    expect(read("infra/main.bicep")).toContain("targetScope = 'subscription'");
    expect(read("infra/modules/janitorApp.bicep")).toContain("'azd-service-name': 'api'");
  });
});

describe("infra/main.parameters.json", () => {
  const file = JSON.parse(read("infra/main.parameters.json")) as {
    parameters: Record<string, { value: unknown }>;
  };
  let declared: ParameterInfo[];

  beforeAll(async () => {
    const [main] = await parseBicepSources({
      "main.bicep": readBicepSources(path.join(ROOT, "infra"))["main.bicep"]!,
    });
    declared = parametersOf(main!);
  });

  it("passes only parameters main.bicep declares", () => {
    const names = new Set(declared.map((p) => p.name));
    expect(Object.keys(file.parameters).filter((name) => !names.has(name))).toEqual([]);
  });

  it("gives every parameter that has no default", () => {
    const required = declared.filter((p) => !p.hasDefault).map((p) => p.name);
    expect(required).toEqual(["environmentName", "location"]);
    for (const name of required) expect(Object.keys(file.parameters)).toContain(name);
  });

  it("falls back to the template's own default when the azd variable is unset", () => {
    // `${VAR=default}`: azd substitutes the default when VAR is unset; it must not differ from the template's.
    for (const [name, { value }] of Object.entries(file.parameters)) {
      const match = /^\$\{([A-Z_]+)=(.*)\}$/.exec(String(value));
      if (!match) continue;
      const bicepDefault = declared.find((p) => p.name === name)?.defaultValue;
      expect(match[2], name).toBe(String(bicepDefault));
    }
  });

  it("keeps plan mode and manual apply off by default", () => {
    expect(declared.find((p) => p.name === "janitorMode")?.defaultValue).toBe("plan");
    expect(declared.find((p) => p.name === "janitorManualApply")?.defaultValue).toBe("disabled");
    expect(declared.find((p) => p.name === "janitorPaused")?.defaultValue).toBe(false);
    expect(file.parameters.janitorMode?.value).toBe("${JANITOR_MODE=plan}");
  });
});

describe("Entra app roles for Easy Auth", () => {
  const roles = JSON.parse(read("infra/entra/appRoles.json")) as {
    id: string;
    value: string;
    isEnabled: boolean;
    allowedMemberTypes: string[];
  }[];

  it("are the two roles the app checks, for people and for apps, with distinct ids", () => {
    expect(roles.map((r) => r.value).sort()).toEqual([OPERATOR_ROLE, READER_ROLE].sort());
    expect(new Set(roles.map((r) => r.id)).size).toBe(2);
    for (const role of roles) {
      expect(role.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(role.isEnabled).toBe(true);
      expect(role.allowedMemberTypes.sort()).toEqual(["Application", "User"]);
    }
  });
});

describe("deployment and operations docs", () => {
  const deploy = read("docs/deploy.md");
  const operations = read("docs/operations.md");

  it("deploy.md names every app setting the template writes and every one it leaves unset", () => {
    const named = (setting: string) => {
      // The table lists the identity-based groups once, as `PREFIX__credential`, `__clientId`, ...
      const [prefix, suffix] = setting.split("__");
      return suffix
        ? deploy.includes(`${prefix}__credential`) && deploy.includes(`__${suffix}`)
        : deploy.includes(setting);
    };
    const missing = [
      ...REQUIRED_APP_SETTINGS,
      "JANITOR_POLICY",
      "JANITOR_POLICY_PATH",
      ...Object.keys(APP_SETTINGS_LEFT_TO_DEFAULT),
    ].filter((setting) => !named(setting));
    expect(missing).toEqual([]);
    expect(deploy).toMatch(/JANITOR_ARM_CA_CERT`\*\* is left unset on purpose/);
  });

  it("deploy.md covers azd, the CLI path, targets, management groups, Easy Auth, Node 22 and the bundle", () => {
    for (const text of [
      "azd up",
      "az deployment sub create",
      "JANITOR_TARGET_SUBSCRIPTION_IDS",
      "infra/managementGroup.bicep",
      "Janitor.Operator",
      "Janitor.Reader",
      "Node 22",
      "npm run bundle",
      "dist-bundle/",
      "What it costs",
    ]) {
      expect(deploy, text).toContain(text);
    }
  });

  it("operations.md covers plan mode, apply, the policy, the kill switch, the audit, throttling and limits", () => {
    for (const text of [
      "GET /api/runs/{runId}",
      "/api/audit?runId=",
      "ie-janitor audit",
      "JANITOR_MODE=apply",
      "JANITOR_MANUAL_APPLY=enabled",
      "JANITOR_PAUSED=true",
      "deferred",
      "cannot be restored",
      "best effort",
      "Data Box",
      "`Closed` and `Canceled` jobs are not deleted by default",
    ]) {
      expect(operations, text).toContain(text);
    }
  });
});
