// The Bicep templates parse, and pass the structural checks; each check is shown to fail on a copy of the
// real templates broken on purpose, so a check that silently passes everything cannot hide here.
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  checkAppSettings,
  checkCustomRoles,
  checkModuleReferences,
  checkNoSecrets,
  checkStorageAccounts,
  checkSyntax,
  formatFindings,
  runAllChecks,
  type CheckName,
  type Finding,
} from "./bicepChecks";
import { parseBicepSources, readBicepSources, type BicepFile } from "./bicepParser";

const INFRA = path.resolve(__dirname, "../../infra");
const sources = readBicepSources(INFRA);

const MAIN = "main.bicep";
const APP = "modules/janitorApp.bicep";
const ROLE = "modules/importExportJanitorRole.bicep";
const MG = "managementGroup.bicep";

/** The real templates with one file changed by string replacements, each of which must apply. */
async function brokenCopy(file: string, ...replacements: [string, string][]): Promise<BicepFile[]> {
  let text = sources[file];
  if (text === undefined) throw new Error(`${file} is not among the templates`);
  for (const [replace, by] of replacements) {
    expect(text, `the text to break is in ${file}`).toContain(replace);
    text = text.replace(replace, by);
  }
  const files = await parseBicepSources({ ...sources, [file]: text });
  // The copy must still parse, so the structural check (not the parser) is what catches it.
  expect(formatFindings(checkSyntax(files))).toBe("");
  return files;
}

function expectFinding(findings: Finding[], check: CheckName, text: RegExp): void {
  expect(findings.length, "the check reports the breakage").toBeGreaterThan(0);
  expect(findings.every((f) => f.check === check)).toBe(true);
  expect(formatFindings(findings)).toMatch(text);
}

describe("bicep templates", () => {
  let real: BicepFile[];

  beforeAll(async () => {
    real = await parseBicepSources(sources);
  });

  it("are the expected files", () => {
    expect(Object.keys(sources).sort()).toEqual(
      [
        MAIN,
        MG,
        "modules/importExportJanitorAssignment.bicep",
        ROLE,
        APP,
        "modules/janitorMonitoring.bicep",
      ].sort(),
    );
  });

  it.each(Object.keys(sources))("%s parses with no error or missing node", (file) => {
    const parsed = real.find((f) => f.path === file) as BicepFile;
    expect(parsed.root.hasError).toBe(false);
    expect(formatFindings(checkSyntax([parsed]))).toBe("");
  });

  it("pass every structural check", () => {
    expect(formatFindings(runAllChecks(real))).toBe("");
  });

  it("the syntax check reports a broken template with its line", async () => {
    const files = await parseBicepSources({
      ...sources,
      [ROLE]: sources[ROLE]!.replace("notActions: []", "notActions: ["),
    });
    const findings = checkSyntax(files);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.file === ROLE && f.line > 1)).toBe(true);
  });
});

describe("custom role check", () => {
  it.each([
    {
      what: "an extra action in the subscription role",
      file: ROLE,
      replace: "'Microsoft.ImportExport/jobs/delete'",
      by: "'Microsoft.ImportExport/jobs/delete'\n          'Microsoft.ImportExport/jobs/listBitLockerKeys/action'",
      expected: /listBitLockerKeys\/action is beyond/,
    },
    {
      what: "a wildcard in the management-group role",
      file: MG,
      replace: "'Microsoft.ImportExport/jobs/write'",
      by: "'Microsoft.ImportExport/*'",
      expected: /Microsoft\.ImportExport\/\* is beyond.*\n?.*jobs\/write is missing/,
    },
    {
      what: "data actions",
      file: ROLE,
      replace: "notActions: []",
      by: "notActions: []\n        dataActions: [\n          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'\n        ]",
      expected: /dataActions must be empty/,
    },
    {
      what: "actions that cannot be read",
      file: ROLE,
      replace: "permissions: [",
      by: "permissions: extraPermissions\n    unused: [",
      expected: /permissions must be a literal list/,
    },
  ])("fails on $what", async ({ file, replace, by, expected }) => {
    const files = await brokenCopy(file, [replace, by]);
    expectFinding(checkCustomRoles(files), "custom-role", expected);
  });
});

describe("storage check", () => {
  it.each([
    {
      what: "shared-key access on",
      replace: "allowSharedKeyAccess: false",
      by: "allowSharedKeyAccess: true",
      expected: /allowSharedKeyAccess must be false/,
    },
    {
      what: "shared-key access left to its default",
      replace: "allowSharedKeyAccess: false",
      by: "",
      expected: /allowSharedKeyAccess must be false/,
    },
    {
      what: "TLS 1.0",
      replace: "minimumTlsVersion: 'TLS1_2'",
      by: "minimumTlsVersion: 'TLS1_0'",
      expected: /minimumTlsVersion must be 'TLS1_2'/,
    },
    {
      what: "public blob access",
      replace: "allowBlobPublicAccess: false",
      by: "allowBlobPublicAccess: true",
      expected: /allowBlobPublicAccess must be false/,
    },
    {
      what: "plain http",
      replace: "supportsHttpsTrafficOnly: true",
      by: "supportsHttpsTrafficOnly: false",
      expected: /supportsHttpsTrafficOnly must be true/,
    },
  ])("fails on $what", async ({ replace, by, expected }) => {
    const files = await brokenCopy(APP, [replace, by]);
    expectFinding(checkStorageAccounts(files), "storage", expected);
  });
});

describe("secrets check", () => {
  it.each([
    {
      what: "an output of a storage key",
      file: APP,
      replace: "output storageAccountName string = storage.name",
      by: "output storageAccountName string = storage.name\noutput storageKey string = storage.listKeys().keys[0].value",
      expected: /listKeys\(\)/,
    },
    {
      what: "a @secure() output",
      file: MAIN,
      replace: "output AZURE_LOCATION string = location",
      by: "@secure()\noutput AZURE_LOCATION string = location",
      expected: /AZURE_LOCATION is @secure\(\)/,
    },
    {
      what: "an output of the Application Insights connection string",
      file: APP,
      replace: "output storageAccountName string = storage.name",
      by: "output storageAccountName string = storage.name\noutput telemetry string = appInsights.properties.ConnectionString",
      expected: /output telemetry reads ConnectionString/,
    },
    {
      what: "a storage connection string with an account key in the app settings",
      file: APP,
      replace: "  JANITOR_MODE: janitorMode\n",
      by: "  JANITOR_MODE: janitorMode\n  AUDIT_CONNECTION: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value}'\n",
      expected: /app setting AUDIT_CONNECTION (calls listKeys|holds a credential)/,
    },
    {
      what: "an instrumentation key in the app settings",
      file: APP,
      replace: "  JANITOR_MODE: janitorMode\n",
      by: "  JANITOR_MODE: janitorMode\n  APPINSIGHTS_INSTRUMENTATIONKEY: appInsights.properties.InstrumentationKey\n",
      expected: /APPINSIGHTS_INSTRUMENTATIONKEY holds a key/,
    },
    {
      what: "the Application Insights connection string while local auth is on",
      file: APP,
      replace: "DisableLocalAuth: true",
      by: "DisableLocalAuth: false",
      expected: /APPLICATIONINSIGHTS_CONNECTION_STRING reads ConnectionString/,
    },
    {
      what: "a @secure() parameter in the app settings",
      file: APP,
      replace: "param easyAuthClientId string",
      by: "param easyAuthClientId string\n@secure()\nparam easyAuthClientSecret string",
      and: [
        "  JANITOR_MODE: janitorMode\n",
        "  JANITOR_MODE: janitorMode\n  EASY_AUTH_CLIENT_CREDENTIAL: easyAuthClientSecret\n",
      ],
      expected: /uses the @secure\(\) parameter easyAuthClientSecret/,
    },
  ])("fails on $what", async ({ file, replace, by, and, expected }) => {
    const files = await brokenCopy(file, [replace, by], ...(and ? [and as [string, string]] : []));
    expectFinding(checkNoSecrets(files), "secrets", expected);
  });
});

describe("app settings check", () => {
  it.each([
    {
      what: "the kill switch missing",
      replace: "  JANITOR_PAUSED: janitorPaused ? 'true' : 'false'\n",
      by: "",
      expected: /JANITOR_PAUSED is missing/,
    },
    {
      what: "the host's storage connection missing",
      replace: "  AzureWebJobsStorage__queueServiceUri: storageConnection.queueServiceUri\n",
      by: "",
      expected: /AzureWebJobsStorage__queueServiceUri is missing/,
    },
    {
      what: "no way to set the policy",
      replace:
        "var policyPathSetting = empty(janitorPolicyPath) ? {} : { JANITOR_POLICY_PATH: janitorPolicyPath }",
      by: "var policyPathSetting = {}",
      expected: /none of the app settings JANITOR_POLICY, JANITOR_POLICY_PATH/,
      and: [
        "var inlinePolicySetting = empty(janitorPolicy) ? {} : { JANITOR_POLICY: string(janitorPolicy) }",
        "var inlinePolicySetting = {}",
      ],
    },
    {
      what: "a storage connection that is not identity-based",
      replace: "  credential: 'managedidentity'\n",
      by: "  credential: 'connectionstring'\n",
      expected: /AzureWebJobsStorage__credential must be 'managedidentity'/,
    },
    {
      what: "the emulator's CA certificate setting",
      replace: "  JANITOR_MODE: janitorMode\n",
      by: "  JANITOR_MODE: janitorMode\n  JANITOR_ARM_CA_CERT: '/home/site/ca.pem'\n",
      expected: /JANITOR_ARM_CA_CERT must stay unset/,
    },
    {
      what: "a setting Flex Consumption rejects",
      replace: "  JANITOR_MODE: janitorMode\n",
      by: "  JANITOR_MODE: janitorMode\n  FUNCTIONS_WORKER_RUNTIME: 'node'\n",
      expected: /FUNCTIONS_WORKER_RUNTIME is not allowed on Flex Consumption/,
    },
    {
      what: "settings the check cannot read",
      replace: "properties: union(baseAppSettings, inlinePolicySetting, policyPathSetting)",
      by: "properties: json(loadTextContent('settings.json'))",
      expected: /cannot be checked/,
    },
  ])("fails on $what", async ({ replace, by, and, expected }) => {
    const files = await brokenCopy(APP, [replace, by], ...(and ? [and as [string, string]] : []));
    expectFinding(checkAppSettings(files), "app-settings", expected);
  });
});

describe("module reference check", () => {
  it.each([
    {
      what: "a public registry module",
      replace: "'./modules/janitorApp.bicep'",
      by: "'br/public:avm/res/web/site:0.15.0'",
      expected: /br\/public:avm\/res\/web\/site:0\.15\.0 is a registry reference/,
    },
    {
      what: "a private registry alias",
      replace: "'./modules/janitorApp.bicep'",
      by: "'br:contoso.azurecr.io/bicep/janitor:1.0'",
      expected: /is a registry reference/,
    },
    {
      what: "a template spec",
      replace: "'./modules/janitorApp.bicep'",
      by: "'ts:00000000-0000-0000-0000-000000000000/rg/janitor:1.0'",
      expected: /is a registry reference/,
    },
    {
      what: "a local module that does not exist",
      replace: "'./modules/janitorApp.bicep'",
      by: "'./modules/janitorApplication.bicep'",
      expected: /janitorApplication\.bicep does not exist/,
    },
  ])("fails on $what", async ({ replace, by, expected }) => {
    const files = await brokenCopy(MAIN, [replace, by]);
    expectFinding(checkModuleReferences(files), "module-references", expected);
  });
});
