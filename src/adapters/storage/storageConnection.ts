// Where the janitor's tables and queues live (README.md#settings, `JANITOR_STORAGE`): a connection string
// (Azurite, tests, local) or the Functions-style identity-based settings `<NAME>__tableServiceUri`,
// `__queueServiceUri`, `__blobServiceUri` (or `__accountName`), `__credential=managedidentity`, `__clientId`.
// Errors name the setting and what is accepted; they never repeat a connection string or key.
import { TableClient, type TableServiceClientOptions } from "@azure/data-tables";
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { ContainerClient, type StoragePipelineOptions as BlobPipelineOptions } from "@azure/storage-blob";
import { QueueClient, type StoragePipelineOptions } from "@azure/storage-queue";
import { isGuid } from "../../domain/armIds";
import { SettingsError, type FieldProblem } from "../../errors";
import { DEV_ACCOUNT, developmentStorageConnectionString } from "./developmentStorage";

const SERVICES = ["table", "queue", "blob"] as const;
export type StorageService = (typeof SERVICES)[number];

interface ConnectionBase {
  /** The setting the connection came from (`JANITOR_STORAGE` or `AzureWebJobsStorage`). */
  setting: string;
  tableEndpoint?: string;
  queueEndpoint?: string;
  blobEndpoint?: string;
  /** Plain http is accepted for loopback addresses and Azurite's development account only. */
  allowInsecureConnection: boolean;
  /** Safe to log: endpoints and the kind of authentication, no secret. */
  description: string;
}

export interface ConnectionStringStorage extends ConnectionBase {
  kind: "connectionString";
  /** Not enumerable, so it stays out of JSON and logged objects. */
  readonly connectionString: string;
}

export interface IdentityStorage extends ConnectionBase {
  kind: "identity";
  credential: TokenCredential;
  clientId?: string;
}

export type StorageConnection = ConnectionStringStorage | IdentityStorage;

const SETTINGS = ["JANITOR_STORAGE", "AzureWebJobsStorage"] as const;
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
const ACCEPTED_VALUE =
  "a storage connection string (DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...[;TableEndpoint=...;QueueEndpoint=...]), " +
  "a SAS connection string (SharedAccessSignature=...;TableEndpoint=...;QueueEndpoint=...) or UseDevelopmentStorage=true";
const ACCEPTED_IDENTITY = (name: string) =>
  `${name}__tableServiceUri, ${name}__queueServiceUri, ${name}__blobServiceUri (https URLs) or ${name}__accountName, ` +
  `with ${name}__credential=managedidentity and optionally ${name}__clientId`;

/**
 * Reads the storage settings from `env`: `JANITOR_STORAGE` first, then `AzureWebJobsStorage`; for each, a
 * connection string value wins over identity-based `NAME__...` settings (as in the Functions host). `need`
 * lists the services the caller will use; a missing endpoint for one of them is a SettingsError.
 */
export function parseStorageSettings(
  env: Record<string, string | undefined>,
  options: { need?: StorageService[] } = {},
): StorageConnection {
  const need = options.need ?? ["table"];
  for (const name of SETTINGS) {
    const value = env[name]?.trim();
    if (value) return fromConnectionString(name, value, need);
    if (identityKeys(env, name).length > 0) return fromIdentitySettings(name, env, need);
  }
  throw new SettingsError([
    {
      field: "JANITOR_STORAGE",
      message: `is not set (nor AzureWebJobsStorage); expected ${ACCEPTED_VALUE}, or ${ACCEPTED_IDENTITY("JANITOR_STORAGE")}`,
    },
  ]);
}

/** Table names: 3-63 letters and digits, starting with a letter. */
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9]{2,62}$/;
/** Queue names: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit. */
const QUEUE_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

export function createTableClient(
  conn: StorageConnection,
  table: string,
  options: TableServiceClientOptions = {},
): TableClient {
  if (!TABLE_NAME.test(table))
    throw new RangeError("table name must be 3-63 letters and digits, starting with a letter");
  const clientOptions = { ...options, allowInsecureConnection: conn.allowInsecureConnection };
  if (conn.kind === "connectionString")
    return TableClient.fromConnectionString(conn.connectionString, table, clientOptions);
  return new TableClient(requireEndpoint(conn, "table"), table, conn.credential, clientOptions);
}

export function createQueueClient(
  conn: StorageConnection,
  queue: string,
  options: StoragePipelineOptions = {},
): QueueClient {
  if (!QUEUE_NAME.test(queue)) {
    throw new RangeError("queue name must be 3-63 lower-case letters, digits and single hyphens");
  }
  if (conn.kind === "connectionString") {
    requireEndpoint(conn, "queue");
    return new QueueClient(conn.connectionString, queue, options);
  }
  return new QueueClient(
    `${requireEndpoint(conn, "queue").replace(/\/+$/, "")}/${queue}`,
    conn.credential,
    options,
  );
}

/** Container names: 3-63 lower-case letters, digits and single hyphens, starting with a letter or digit. */
const CONTAINER_NAME = QUEUE_NAME;

export function createContainerClient(
  conn: StorageConnection,
  container: string,
  options: BlobPipelineOptions = {},
): ContainerClient {
  if (!CONTAINER_NAME.test(container))
    throw new RangeError("container name must be 3-63 lower-case letters, digits and single hyphens");
  if (conn.kind === "connectionString") {
    requireEndpoint(conn, "blob");
    return new ContainerClient(conn.connectionString, container, options);
  }
  return new ContainerClient(
    `${requireEndpoint(conn, "blob").replace(/\/+$/, "")}/${container}`,
    conn.credential,
    options,
  );
}

// ---------------------------------------------------------------- connection strings

function fromConnectionString(name: string, value: string, need: StorageService[]): StorageConnection {
  const bad = (detail: string): never => {
    throw new SettingsError([{ field: name, message: `${detail}; expected ${ACCEPTED_VALUE}` }]);
  };
  const parts = new Map<string, string>();
  for (const element of value.split(";")) {
    const item = element.trim();
    if (!item) continue;
    const eq = item.indexOf("=");
    if (eq <= 0) bad("is not a connection string (every part must be Key=Value)");
    parts.set(item.slice(0, eq).trim().toLowerCase(), item.slice(eq + 1).trim());
  }

  let connectionString = value;
  if (parts.get("usedevelopmentstorage")?.toLowerCase() === "true") {
    // Azurite on its default ports (docs/service.md#table-storage-and-azurite: on other ports use an explicit
    // connection string).
    connectionString = developmentStorageConnectionString({
      blobPort: 10000,
      queuePort: 10001,
      tablePort: 10002,
    });
    return build(name, connectionString, need, {
      blob: `http://127.0.0.1:10000/${DEV_ACCOUNT}`,
      queue: `http://127.0.0.1:10001/${DEV_ACCOUNT}`,
      table: `http://127.0.0.1:10002/${DEV_ACCOUNT}`,
      derived: new Set(),
      account: DEV_ACCOUNT,
      auth: "development storage",
    });
  }

  const account = parts.get("accountname");
  const key = parts.get("accountkey");
  const sas = parts.get("sharedaccesssignature");
  if (!key && !sas) bad("has neither AccountKey nor SharedAccessSignature");
  if (key && !account) bad("has an AccountKey but no AccountName");
  if (key && !/^[A-Za-z0-9+/]+=*$/.test(key)) bad("has an AccountKey that is not base64");
  const protocol = (parts.get("defaultendpointsprotocol") ?? "https").toLowerCase();
  if (protocol !== "https" && protocol !== "http")
    bad("has a DefaultEndpointsProtocol other than https or http");
  const suffix = parts.get("endpointsuffix") ?? "core.windows.net";
  const derive = (service: StorageService) =>
    account && ACCOUNT_NAME.test(account) ? `${protocol}://${account}.${service}.${suffix}` : undefined;
  const given = (service: StorageService) => parts.get(`${service}endpoint`) || undefined;
  return build(name, connectionString, need, {
    table: given("table") ?? derive("table"),
    queue: given("queue") ?? derive("queue"),
    blob: given("blob") ?? derive("blob"),
    derived: new Set(SERVICES.filter((service) => !given(service))),
    account,
    auth: key ? "account key" : "shared access signature",
  });
}

function build(
  name: string,
  connectionString: string,
  need: StorageService[],
  found: {
    table?: string;
    queue?: string;
    blob?: string;
    derived: Set<StorageService>;
    account?: string;
    auth: string;
  },
): ConnectionStringStorage {
  const problems: FieldProblem[] = [];
  const endpoints = checkEndpoints(found, need, problems, found.account, (service) => ({
    field: name,
    part: ` (${capital(service)}Endpoint)`,
  }));
  if (problems.length > 0) throw new SettingsError(problems);
  const conn = {
    kind: "connectionString" as const,
    setting: name,
    ...endpoints.urls,
    allowInsecureConnection: endpoints.insecure,
    description: describe(name, endpoints.urls, found.auth),
  };
  Object.defineProperty(conn, "connectionString", { value: connectionString, enumerable: false });
  return conn as ConnectionStringStorage;
}

// ---------------------------------------------------------------- identity-based settings

function identityKeys(env: Record<string, string | undefined>, name: string): string[] {
  const prefix = `${name}__`.toLowerCase();
  return Object.keys(env).filter((key) => key.toLowerCase().startsWith(prefix) && env[key]?.trim());
}

function fromIdentitySettings(
  name: string,
  env: Record<string, string | undefined>,
  need: StorageService[],
): IdentityStorage {
  const get = (suffix: string): string | undefined => {
    const wanted = `${name}__${suffix}`.toLowerCase();
    const key = Object.keys(env).find((k) => k.toLowerCase() === wanted);
    return key === undefined ? undefined : env[key]?.trim() || undefined;
  };
  const problems: FieldProblem[] = [];
  const account = get("accountName");
  if (account !== undefined && !ACCOUNT_NAME.test(account)) {
    problems.push({
      field: `${name}__accountName`,
      message: "must be a storage account name: 3-24 lower-case letters and digits",
    });
  }
  const derive = (service: StorageService) =>
    account && ACCOUNT_NAME.test(account) ? `https://${account}.${service}.core.windows.net` : undefined;
  const given = {
    table: get("tableServiceUri"),
    queue: get("queueServiceUri"),
    blob: get("blobServiceUri") ?? get("serviceUri"),
  };
  const found = {
    table: given.table ?? derive("table"),
    queue: given.queue ?? derive("queue"),
    blob: given.blob ?? derive("blob"),
    derived: new Set(SERVICES.filter((service) => given[service] === undefined)),
  };
  const endpoints = checkEndpoints(found, need, problems, account, (service) => ({
    field: `${name}__${service}ServiceUri`,
    part: "",
  }));

  const credentialKind = get("credential");
  if (credentialKind !== undefined && credentialKind.toLowerCase() !== "managedidentity") {
    problems.push({
      field: `${name}__credential`,
      message: "must be managedidentity (or left out to use the developer's Azure login locally)",
    });
  }
  const clientIdSetting = get("clientId") !== undefined ? `${name}__clientId` : "AZURE_CLIENT_ID";
  const clientId = get("clientId") ?? (env.AZURE_CLIENT_ID?.trim() || undefined);
  if (clientId !== undefined && !isGuid(clientId)) {
    problems.push({
      field: clientIdSetting,
      message: "must be the client id (a GUID) of a user-assigned managed identity",
    });
  }
  if (problems.length > 0) throw new SettingsError(problems);

  const credential =
    credentialKind !== undefined
      ? new ManagedIdentityCredential(clientId ? { clientId } : {})
      : new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
  return {
    kind: "identity",
    setting: name,
    ...endpoints.urls,
    allowInsecureConnection: endpoints.insecure,
    credential,
    ...(clientId ? { clientId } : {}),
    description: describe(
      name,
      endpoints.urls,
      credentialKind !== undefined ? "managed identity" : "Azure login",
    ),
  };
}

// ---------------------------------------------------------------- endpoints

/**
 * Checks each endpoint; `settingOf` says which setting to name (and which part of it) in a problem. An
 * endpoint that was only derived (not given) and is not needed is dropped rather than reported.
 */
function checkEndpoints(
  found: { table?: string; queue?: string; blob?: string; derived: Set<StorageService> },
  need: StorageService[],
  allProblems: FieldProblem[],
  account: string | undefined,
  settingOf: (service: StorageService) => { field: string; part: string },
): { urls: Pick<ConnectionBase, "tableEndpoint" | "queueEndpoint" | "blobEndpoint">; insecure: boolean } {
  const urls: Pick<ConnectionBase, "tableEndpoint" | "queueEndpoint" | "blobEndpoint"> = {};
  let insecure = false;
  for (const service of SERVICES) {
    const { field, part: what } = settingOf(service);
    const value = found[service];
    const problems = need.includes(service) || !found.derived.has(service) ? allProblems : [];
    if (value === undefined) {
      if (need.includes(service)) {
        problems.push({
          field,
          message: `gives no ${service} endpoint${what}; expected an https URL of the ${service} service`,
        });
      }
      continue;
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      problems.push({
        field,
        message: `has a ${service} endpoint${what} that is not a URL; expected an https URL`,
      });
      continue;
    }
    if (url.protocol === "http:" && (isLoopback(url.hostname) || account === DEV_ACCOUNT)) insecure = true;
    else if (url.protocol !== "https:") {
      problems.push({
        field,
        message: `has a ${service} endpoint${what} that is not https; plain http is accepted only for a loopback address or Azurite`,
      });
      continue;
    }
    if (url.search || url.hash || url.username || url.password) {
      problems.push({
        field,
        message: `has a ${service} endpoint${what} with a query, fragment or credentials; expected a plain URL`,
      });
      continue;
    }
    urls[`${service}Endpoint`] = url.toString().replace(/\/+$/, "");
  }
  return { urls, insecure };
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function describe(
  name: string,
  urls: Pick<ConnectionBase, "tableEndpoint" | "queueEndpoint">,
  auth: string,
): string {
  return `${name}: tables ${urls.tableEndpoint ?? "-"}, queues ${urls.queueEndpoint ?? "-"} (${auth})`;
}

function requireEndpoint(conn: StorageConnection, service: StorageService): string {
  const url = conn[`${service}Endpoint`];
  if (url === undefined) {
    const field = conn.kind === "identity" ? `${conn.setting}__${service}ServiceUri` : conn.setting;
    throw new SettingsError([
      { field, message: `gives no ${service} endpoint; expected an https URL of the ${service} service` },
    ]);
  }
  return url;
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
