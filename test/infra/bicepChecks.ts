// Structural checks of the Bicep templates, on the tree-sitter parse tree. They stand in for the Bicep
// compiler and for a reviewer: least privilege of the custom role, storage without shared keys, no secret in
// outputs or app settings, every app setting the janitor needs, and no registry module (which would need
// network to restore). Each returns findings; an empty list means the check passed.
import path from "node:path";
import type { Node } from "web-tree-sitter";
import type { BicepFile } from "./bicepParser";

export type CheckName =
  "syntax" | "custom-role" | "storage" | "secrets" | "app-settings" | "module-references";

export interface Finding {
  readonly check: CheckName;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** The only actions the custom role "Import/Export Janitor" may hold (docs/service.md#roles). */
export const IMPORT_EXPORT_JANITOR_ACTIONS = [
  "Microsoft.ImportExport/jobs/read",
  "Microsoft.ImportExport/jobs/write",
  "Microsoft.ImportExport/jobs/delete",
  "Microsoft.DataBox/jobs/read",
  "Microsoft.DataBox/jobs/cancel/action",
  "Microsoft.DataBox/jobs/delete",
  "Microsoft.DataBox/locations/operationResults/read",
] as const;

/**
 * App settings the deployed app needs: the identity-based storage connections of the Functions host and of
 * the janitor, every setting of README.md#settings that has a value in Azure, and Entra auth for
 * Application Insights.
 */
export const REQUIRED_APP_SETTINGS = [
  "AzureWebJobsStorage__credential",
  "AzureWebJobsStorage__clientId",
  "AzureWebJobsStorage__blobServiceUri",
  "AzureWebJobsStorage__queueServiceUri",
  "AzureWebJobsStorage__tableServiceUri",
  "JANITOR_STORAGE__credential",
  "JANITOR_STORAGE__clientId",
  "JANITOR_STORAGE__blobServiceUri",
  "JANITOR_STORAGE__queueServiceUri",
  "JANITOR_STORAGE__tableServiceUri",
  "JANITOR_MODE",
  "JANITOR_SCHEDULE",
  "JANITOR_PAUSED",
  "JANITOR_MANUAL_APPLY",
  "JANITOR_ARM_ENDPOINT",
  "AZURE_CLIENT_ID",
  "JANITOR_AUDIT_RETENTION",
  "APPLICATIONINSIGHTS_CONNECTION_STRING",
  "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
] as const;

/** At least one of each group must be settable (the policy: inline, or a file). */
export const REQUIRED_ONE_OF_APP_SETTINGS = [["JANITOR_POLICY", "JANITOR_POLICY_PATH"]] as const;

/** Settings of README.md#settings deliberately left unset in Azure, and why (docs/deploy.md says so too). */
export const APP_SETTINGS_LEFT_TO_DEFAULT: Readonly<Record<string, string>> = {
  JANITOR_ARM_CA_CERT: "it only trusts the local emulator's self-signed certificate",
};

/** Settings Flex Consumption rejects or ignores: the plan's functionAppConfig replaces them. */
export const FLEX_REJECTED_APP_SETTINGS = [
  "FUNCTIONS_EXTENSION_VERSION",
  "FUNCTIONS_WORKER_RUNTIME",
  "WEBSITE_NODE_DEFAULT_VERSION",
  "WEBSITE_RUN_FROM_PACKAGE",
  "WEBSITE_CONTENTSHARE",
  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
  "SCM_DO_BUILD_DURING_DEPLOYMENT",
] as const;

/** App settings that by their name hold a key or a connection string with a key. */
const SECRET_SETTING_NAMES = new Set(
  [
    "APPINSIGHTS_INSTRUMENTATIONKEY",
    "AzureWebJobsStorage",
    "JANITOR_STORAGE",
    "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
  ].map((name) => name.toLowerCase()),
);
const SECRET_SETTING_NAME_PATTERN = /secret|password|accountkey|(^|_)key$/i;
/** Text that only a credential-bearing string contains. */
const SECRET_TEXT_PATTERN = /AccountKey=|SharedAccessSignature=|SharedAccessKey=|InstrumentationKey=|sig=/i;
/** Properties that hold keys on the resources a Functions app uses. */
const KEY_PROPERTY_PATTERN =
  /^(instrumentationKey|primaryKey|secondaryKey|primaryConnectionString|secondaryConnectionString|keys|key1|key2)$/i;
/** Output names that announce a secret. */
const SECRET_OUTPUT_NAME_PATTERN = /key|secret|password|connectionstring|connection_string|token|sas/i;

// ---------------------------------------------------------------------------------------------------------
// A small model of one file: declarations and what their symbols stand for.
// ---------------------------------------------------------------------------------------------------------

interface Resource {
  readonly symbol: string;
  readonly type: string;
  readonly existing: boolean;
  readonly body: Node | undefined;
  readonly node: Node;
}

interface Model {
  readonly file: BicepFile;
  readonly variables: Map<string, Node>;
  readonly secureParams: Set<string>;
  readonly resources: Resource[];
  readonly outputs: { name: string; value: Node; decorators: string[]; node: Node }[];
  readonly modules: { path: string; node: Node }[];
  readonly imports: { path: string; node: Node }[];
}

function namedChildren(node: Node): Node[] {
  return node.namedChildren.filter((child): child is Node => child !== null && child.type !== "comment");
}

function allChildren(node: Node): Node[] {
  return node.children.filter((child): child is Node => child !== null);
}

function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  for (const child of allChildren(node)) walk(child, visit);
}

function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

const ESCAPES: Record<string, string> = {
  "\\'": "'",
  "\\\\": "\\",
  "\\n": "\n",
  "\\r": "\r",
  "\\t": "\t",
  "\\$": "$",
};

/** The value of a string literal; undefined for interpolated strings and other expressions. */
function stringLiteral(node: Node): string | undefined {
  if (node.type !== "string") return undefined;
  let value = "";
  for (const part of namedChildren(node)) {
    if (part.type === "string_content") value += part.text;
    else if (part.type === "escape_sequence") value += ESCAPES[part.text] ?? part.text;
    else return undefined;
  }
  return value;
}

/** Every piece of literal text in a string, interpolated or not (to find credential-looking text). */
function stringText(node: Node): string {
  return namedChildren(node)
    .filter((part) => part.type === "string_content")
    .map((part) => part.text)
    .join("");
}

function decoratorNames(declaration: Node): string[] {
  let previous = declaration.previousNamedSibling;
  while (previous?.type === "comment") previous = previous.previousNamedSibling;
  if (!previous || previous.type !== "decorators") return [];
  return namedChildren(previous).map((decorator) => {
    const call = namedChildren(decorator)[0];
    const callee = call?.childForFieldName("function") ?? call;
    return (callee?.text ?? "").replace(/^sys\./, "");
  });
}

/** The object a resource or module declaration assigns, through `if (...)` and `for ...:`. */
function declarationBody(declaration: Node): Node | undefined {
  let candidate: Node | undefined = namedChildren(declaration).find((child) =>
    ["object", "if_statement", "for_statement"].includes(child.type),
  );
  while (candidate && candidate.type !== "object") {
    if (candidate.type === "for_statement") candidate = candidate.childForFieldName("body") ?? undefined;
    else if (candidate.type === "if_statement")
      candidate = namedChildren(candidate).find((c) => c.type === "object");
    else return undefined;
  }
  return candidate;
}

function propertyKey(property: Node): string | undefined {
  const key = namedChildren(property)[0];
  if (!key) return undefined;
  if (key.type === "identifier") return key.text;
  return stringLiteral(key);
}

/** `{ key: value }` pairs of an object literal (nested resource declarations are not properties). */
function objectEntries(object: Node): { key: string; keyNode: Node; value: Node }[] {
  const entries: { key: string; keyNode: Node; value: Node }[] = [];
  for (const property of namedChildren(object)) {
    if (property.type !== "object_property") continue;
    const [keyNode, value] = namedChildren(property);
    const key = propertyKey(property);
    if (keyNode && value && key !== undefined) entries.push({ key, keyNode, value });
  }
  return entries;
}

/** ARM property names are case-insensitive. */
function objectProperty(object: Node | undefined, key: string): Node | undefined {
  if (!object || object.type !== "object") return undefined;
  return objectEntries(object).find((entry) => entry.key.toLowerCase() === key.toLowerCase())?.value;
}

function resourceTypeOf(declaration: Node, parentType: string | undefined): string {
  const typeNode = namedChildren(declaration).find((child) => child.type === "string");
  const [type = ""] = (typeNode ? (stringLiteral(typeNode) ?? "") : "").split("@");
  // A nested child resource names only its own segment ('blobServices'): prefix the parent's type.
  return parentType && !type.includes("/") ? `${parentType}/${type}` : type;
}

function buildModel(file: BicepFile): Model {
  const model: Model = {
    file,
    variables: new Map(),
    secureParams: new Set(),
    resources: [],
    outputs: [],
    modules: [],
    imports: [],
  };
  const collectResources = (node: Node, parentType: string | undefined): void => {
    for (const child of allChildren(node)) {
      if (child.type === "resource_declaration") {
        const type = resourceTypeOf(child, parentType);
        model.resources.push({
          symbol: namedChildren(child)[0]?.text ?? "",
          type,
          existing: allChildren(child).some((token) => token.type === "existing"),
          body: declarationBody(child),
          node: child,
        });
        collectResources(child, type);
      } else {
        collectResources(child, parentType);
      }
    }
  };
  collectResources(file.root, undefined);
  for (const declaration of namedChildren(file.root)) {
    const [name, ...rest] = namedChildren(declaration);
    if (!name) continue;
    switch (declaration.type) {
      case "variable_declaration": {
        const value = rest[rest.length - 1];
        if (value) model.variables.set(name.text, value);
        break;
      }
      case "parameter_declaration":
        if (decoratorNames(declaration).includes("secure")) model.secureParams.add(name.text);
        break;
      case "output_declaration": {
        const value = rest[rest.length - 1];
        if (value)
          model.outputs.push({
            name: name.text,
            value,
            decorators: decoratorNames(declaration),
            node: declaration,
          });
        break;
      }
      case "module_declaration": {
        const pathNode = rest.find((child) => child.type === "string");
        model.modules.push({ path: (pathNode && stringLiteral(pathNode)) ?? "", node: declaration });
        break;
      }
      case "import_functionality":
      case "using_statement": {
        const pathNode = [name, ...rest].find((child) => child.type === "string");
        model.imports.push({ path: (pathNode && stringLiteral(pathNode)) ?? "", node: declaration });
        break;
      }
    }
  }
  return model;
}

/** Follows variable references and parentheses to the expression that gives the value. */
function deref(model: Model, node: Node, seen = new Set<string>()): Node {
  if (node.type === "parenthesized_expression") {
    const inner = namedChildren(node)[0];
    return inner ? deref(model, inner, seen) : node;
  }
  if (node.type === "identifier" && model.variables.has(node.text) && !seen.has(node.text)) {
    seen.add(node.text);
    return deref(model, model.variables.get(node.text) as Node, seen);
  }
  if (node.type === "member_expression") {
    const object = node.childForFieldName("object");
    const property = node.childForFieldName("property");
    if (object && property) {
      const target = deref(model, object, seen);
      const value = objectProperty(target, property.text);
      if (value) return deref(model, value, seen);
    }
  }
  return node;
}

function literalOf(model: Model, node: Node | undefined): string | boolean | undefined {
  if (!node) return undefined;
  const value = deref(model, node);
  if (value.type === "boolean") return value.text === "true";
  return stringLiteral(value);
}

export interface ParameterInfo {
  readonly name: string;
  readonly hasDefault: boolean;
  /** The default when it is a literal string or bool. */
  readonly defaultValue: string | boolean | undefined;
}

/** The `param` declarations of one file (to match them with a parameters file). */
export function parametersOf(file: BicepFile): ParameterInfo[] {
  const model = buildModel(file);
  return namedChildren(file.root)
    .filter((declaration) => declaration.type === "parameter_declaration")
    .map((declaration) => {
      const [name, , defaultNode] = namedChildren(declaration);
      return {
        name: name?.text ?? "",
        hasDefault: defaultNode !== undefined,
        defaultValue: literalOf(model, defaultNode),
      };
    });
}

function finding(check: CheckName, model: Model, node: Node, message: string): Finding {
  return { check, file: model.file.path, line: lineOf(node), message };
}

// ---------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------

/** Every file parses, with no error or missing node. */
export function checkSyntax(files: readonly BicepFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    walk(file.root, (node) => {
      if (node.isError || node.isMissing) {
        const what = node.isMissing ? `missing ${node.type}` : `cannot parse "${node.text.slice(0, 60)}"`;
        findings.push({ check: "syntax", file: file.path, line: lineOf(node), message: what });
      }
    });
  }
  return findings;
}

/** Every custom role definition holds exactly the three Import/Export job actions, and nothing else. */
export function checkCustomRoles(files: readonly BicepFile[]): Finding[] {
  const findings: Finding[] = [];
  const allowed = new Set<string>(IMPORT_EXPORT_JANITOR_ACTIONS.map((action) => action.toLowerCase()));
  for (const model of files.map(buildModel)) {
    for (const role of model.resources) {
      if (role.type.toLowerCase() !== "microsoft.authorization/roledefinitions" || role.existing) continue;
      const fail = (node: Node, message: string) =>
        findings.push(finding("custom-role", model, node, `role ${role.symbol}: ${message}`));
      const permissions = objectProperty(objectProperty(role.body, "properties"), "permissions");
      if (!permissions || permissions.type !== "array") {
        fail(role.node, "permissions must be a literal list so they can be checked");
        continue;
      }
      const granted = new Set<string>();
      for (const permission of namedChildren(permissions)) {
        if (permission.type !== "object") {
          fail(permission, "each permission must be a literal object");
          continue;
        }
        for (const { key, value } of objectEntries(permission)) {
          const lowerKey = key.toLowerCase();
          if (lowerKey === "actions") {
            if (value.type !== "array") {
              fail(value, "actions must be a literal list");
              continue;
            }
            for (const action of namedChildren(value)) {
              const text = stringLiteral(action);
              if (text === undefined) fail(action, `action ${action.text} is not a literal string`);
              else if (!allowed.has(text.toLowerCase()))
                fail(action, `action ${text} is beyond ${IMPORT_EXPORT_JANITOR_ACTIONS.join(", ")}`);
              else granted.add(text.toLowerCase());
            }
          } else if (["notactions", "dataactions", "notdataactions"].includes(lowerKey)) {
            if (value.type !== "array" || namedChildren(value).length > 0)
              fail(value, `${key} must be empty`);
          } else {
            fail(value, `unexpected permission field ${key}`);
          }
        }
      }
      for (const action of IMPORT_EXPORT_JANITOR_ACTIONS) {
        if (!granted.has(action.toLowerCase())) fail(permissions, `action ${action} is missing`);
      }
    }
  }
  return findings;
}

/** Every storage account refuses shared keys, plain http, public blobs and TLS older than 1.2. */
export function checkStorageAccounts(files: readonly BicepFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const model of files.map(buildModel)) {
    for (const account of model.resources) {
      if (account.type.toLowerCase() !== "microsoft.storage/storageaccounts" || account.existing) continue;
      const properties = objectProperty(account.body, "properties");
      const expect = (key: string, ok: (value: string | boolean | undefined) => boolean, wanted: string) => {
        const node = objectProperty(properties, key);
        if (!ok(literalOf(model, node))) {
          findings.push(
            finding(
              "storage",
              model,
              node ?? account.node,
              `storage ${account.symbol}: ${key} must be ${wanted}`,
            ),
          );
        }
      };
      expect("allowSharedKeyAccess", (v) => v === false, "false (Entra ID only)");
      expect("minimumTlsVersion", (v) => v === "TLS1_2" || v === "TLS1_3", "'TLS1_2' or newer");
      expect("allowBlobPublicAccess", (v) => v === false, "false");
      expect("supportsHttpsTrafficOnly", (v) => v === true, "true");
    }
  }
  return findings;
}

interface AppSetting {
  readonly name: string;
  readonly value: Node | undefined;
  readonly node: Node;
}

/** Names and values of every app setting the templates give a Function App, through vars, union() and ?:. */
function appSettingsOf(model: Model): { settings: AppSetting[]; unresolved: Node[] } {
  const settings: AppSetting[] = [];
  const unresolved: Node[] = [];
  const collect = (expression: Node): void => {
    const node = deref(model, expression);
    if (node.type === "object") {
      for (const entry of objectEntries(node))
        settings.push({ name: entry.key, value: entry.value, node: entry.keyNode });
    } else if (node.type === "array") {
      // siteConfig.appSettings: [{ name: 'X', value: ... }]
      for (const element of namedChildren(node)) {
        const item = deref(model, element);
        const name = literalOf(model, objectProperty(item, "name"));
        if (typeof name === "string")
          settings.push({ name, value: objectProperty(item, "value"), node: item });
        else unresolved.push(element);
      }
    } else if (
      node.type === "call_expression" &&
      ["union", "concat"].includes(node.childForFieldName("function")?.text ?? "")
    ) {
      const args = namedChildren(node).find((child) => child.type === "arguments");
      for (const arg of args ? namedChildren(args) : []) collect(arg);
    } else if (node.type === "ternary_expression") {
      for (const field of ["consequence", "alternative"]) {
        const branch = node.childForFieldName(field);
        if (branch) collect(branch);
      }
    } else {
      unresolved.push(node);
    }
  };
  for (const resource of model.resources) {
    const type = resource.type.toLowerCase();
    if (
      type === "microsoft.web/sites/config" &&
      literalOf(model, objectProperty(resource.body, "name")) === "appsettings"
    ) {
      const properties = objectProperty(resource.body, "properties");
      if (properties) collect(properties);
    } else if (type === "microsoft.web/sites") {
      const list = objectProperty(
        objectProperty(objectProperty(resource.body, "properties"), "siteConfig"),
        "appSettings",
      );
      if (list) collect(list);
    }
  }
  return { settings, unresolved };
}

/** Why an expression would put a secret where it is readable, or undefined. */
function secretIn(model: Model, expression: Node, context: "output" | "app-setting"): string | undefined {
  let reason: string | undefined;
  const seen = new Set<string>();
  const inspect = (node: Node): void => {
    if (reason) return;
    if (node.type === "call_expression") {
      const callee = node.childForFieldName("function");
      const name =
        callee?.type === "member_expression" ? callee.childForFieldName("property")?.text : callee?.text;
      if (name && /^list/i.test(name)) reason = `calls ${name}(), which returns keys`;
    } else if (node.type === "identifier") {
      const isKey = node.parent?.type === "object_property" && node.parent.namedChildren[0]?.id === node.id;
      if (!isKey && model.secureParams.has(node.text)) reason = `uses the @secure() parameter ${node.text}`;
      const value = model.variables.get(node.text);
      if (!isKey && value && !seen.has(node.text)) {
        seen.add(node.text);
        inspect(value);
      }
    } else if (node.type === "string") {
      if (SECRET_TEXT_PATTERN.test(stringText(node))) reason = "holds a credential-bearing string";
    } else if (node.type === "member_expression") {
      const property = node.childForFieldName("property")?.text ?? "";
      if (KEY_PROPERTY_PATTERN.test(property)) reason = `reads ${property}`;
      else if (/^connectionString$/i.test(property)) {
        const owner = node.childForFieldName("object")?.childForFieldName("object");
        const resource = model.resources.find((r) => r.symbol === owner?.text);
        const entraOnly =
          resource?.type.toLowerCase() === "microsoft.insights/components" &&
          literalOf(
            model,
            objectProperty(objectProperty(resource.body, "properties"), "DisableLocalAuth"),
          ) === true;
        // An Application Insights connection string is only an address when local auth is off; outputs
        // still never carry connection strings.
        if (context === "output" || !entraOnly) reason = `reads ${property}`;
      }
    }
    for (const child of allChildren(node)) inspect(child);
  };
  inspect(expression);
  return reason;
}

/** No output and no app setting carries a key, a connection string with a key, or a @secure() value. */
export function checkNoSecrets(files: readonly BicepFile[]): Finding[] {
  const findings: Finding[] = [];
  for (const model of files.map(buildModel)) {
    walk(model.file.root, (node) => {
      if (node.type !== "call_expression") return;
      const callee = node.childForFieldName("function");
      const name =
        callee?.type === "member_expression" ? callee.childForFieldName("property")?.text : callee?.text;
      if (name && /^list(Keys|Secrets|AccountSas|ServiceSas|ConnectionStrings|Credentials?)$/i.test(name)) {
        findings.push(
          finding("secrets", model, node, `${name}() fetches secrets; use managed identities instead`),
        );
      }
    });
    for (const output of model.outputs) {
      if (output.decorators.includes("secure")) {
        findings.push(
          finding(
            "secrets",
            model,
            output.node,
            `output ${output.name} is @secure(): outputs carry no secrets`,
          ),
        );
      }
      if (SECRET_OUTPUT_NAME_PATTERN.test(output.name)) {
        findings.push(finding("secrets", model, output.node, `output ${output.name} is named like a secret`));
      }
      const reason = secretIn(model, output.value, "output");
      if (reason) findings.push(finding("secrets", model, output.node, `output ${output.name} ${reason}`));
    }
    for (const setting of appSettingsOf(model).settings) {
      if (
        SECRET_SETTING_NAMES.has(setting.name.toLowerCase()) ||
        SECRET_SETTING_NAME_PATTERN.test(setting.name)
      ) {
        findings.push(
          finding(
            "secrets",
            model,
            setting.node,
            `app setting ${setting.name} holds a key or connection string`,
          ),
        );
        continue;
      }
      const reason = setting.value && secretIn(model, setting.value, "app-setting");
      if (reason)
        findings.push(finding("secrets", model, setting.node, `app setting ${setting.name} ${reason}`));
    }
  }
  return findings;
}

/** The Function App gets every setting the janitor and the host need, identity-based, and nothing Flex rejects. */
export function checkAppSettings(files: readonly BicepFile[]): Finding[] {
  const findings: Finding[] = [];
  const found = new Map<string, { model: Model; setting: AppSetting }>();
  for (const model of files.map(buildModel)) {
    const { settings, unresolved } = appSettingsOf(model);
    for (const node of unresolved) {
      findings.push(
        finding(
          "app-settings",
          model,
          node,
          `app settings from "${node.text.slice(0, 60)}" cannot be checked`,
        ),
      );
    }
    for (const setting of settings) found.set(setting.name, { model, setting });
  }
  const anchor = files[0];
  const missing = (message: string): Finding => ({
    check: "app-settings",
    file: anchor?.path ?? "",
    line: 1,
    message,
  });
  for (const name of REQUIRED_APP_SETTINGS) {
    if (!found.has(name)) findings.push(missing(`app setting ${name} is missing`));
  }
  for (const group of REQUIRED_ONE_OF_APP_SETTINGS) {
    if (!group.some((name) => found.has(name)))
      findings.push(missing(`none of the app settings ${group.join(", ")} is set`));
  }
  for (const [name, { model, setting }] of found) {
    if (name in APP_SETTINGS_LEFT_TO_DEFAULT) {
      findings.push(
        finding(
          "app-settings",
          model,
          setting.node,
          `${name} must stay unset in Azure: ${APP_SETTINGS_LEFT_TO_DEFAULT[name]}`,
        ),
      );
    }
    if ((FLEX_REJECTED_APP_SETTINGS as readonly string[]).includes(name)) {
      findings.push(
        finding("app-settings", model, setting.node, `${name} is not allowed on Flex Consumption`),
      );
    }
    if (name.endsWith("__credential") && literalOf(model, setting.value) !== "managedidentity") {
      findings.push(finding("app-settings", model, setting.node, `${name} must be 'managedidentity'`));
    }
  }
  return findings;
}

/** Modules are local files that exist; nothing comes from a registry (restoring one needs network). */
export function checkModuleReferences(files: readonly BicepFile[]): Finding[] {
  const findings: Finding[] = [];
  const known = new Set(files.map((file) => file.path));
  for (const model of files.map(buildModel)) {
    for (const reference of [...model.modules, ...model.imports]) {
      if (/^(br|ts)[:/]/i.test(reference.path)) {
        findings.push(
          finding("module-references", model, reference.node, `${reference.path} is a registry reference`),
        );
        continue;
      }
      const target = path.posix.normalize(
        path.posix.join(path.posix.dirname(model.file.path), reference.path),
      );
      if (!known.has(target))
        findings.push(
          finding("module-references", model, reference.node, `${reference.path} does not exist`),
        );
    }
  }
  return findings;
}

export function runAllChecks(files: readonly BicepFile[]): Finding[] {
  return [
    ...checkSyntax(files),
    ...checkCustomRoles(files),
    ...checkStorageAccounts(files),
    ...checkNoSecrets(files),
    ...checkAppSettings(files),
    ...checkModuleReferences(files),
  ];
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.file}:${f.line} [${f.check}] ${f.message}`).join("\n");
}
