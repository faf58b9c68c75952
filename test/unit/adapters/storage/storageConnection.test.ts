import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import { describe, expect, it } from "vitest";
import {
  createQueueClient,
  createTableClient,
  parseStorageSettings,
} from "../../../../src/adapters/storage/storageConnection";
import { SettingsError } from "../../../../src/errors";

// A made-up key: base64, not any real account's.
const KEY = Buffer.from("not-a-real-key-just-for-tests-0123456789").toString("base64");
const ACCOUNT_CS = `DefaultEndpointsProtocol=https;AccountName=janitorsa;AccountKey=${KEY};EndpointSuffix=core.windows.net`;
const CLIENT_ID = "0f0e0d0c-0b0a-4000-8000-000000000001";

function settingsError(env: Record<string, string>, need?: ("table" | "queue" | "blob")[]): SettingsError {
  try {
    parseStorageSettings(env, need ? { need } : {});
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    const text = JSON.stringify({
      message: (err as Error).message,
      problems: (err as SettingsError).problems,
    });
    // Never repeat a secret or the connection string.
    expect(text).not.toContain(KEY);
    for (const value of Object.values(env)) if (value.length > 12) expect(text).not.toContain(value);
    return err as SettingsError;
  }
  throw new Error("expected a SettingsError");
}

describe("parseStorageSettings: connection strings", () => {
  it("derives the endpoints of an account connection string and hides the string", () => {
    const conn = parseStorageSettings({ JANITOR_STORAGE: ACCOUNT_CS }, { need: ["table", "queue"] });
    expect(conn).toMatchObject({
      kind: "connectionString",
      setting: "JANITOR_STORAGE",
      tableEndpoint: "https://janitorsa.table.core.windows.net",
      queueEndpoint: "https://janitorsa.queue.core.windows.net",
      allowInsecureConnection: false,
    });
    expect(JSON.stringify(conn)).not.toContain(KEY);
    expect(conn.description).not.toContain(KEY);
    expect(Object.keys(conn)).not.toContain("connectionString");
  });

  it("falls back to AzureWebJobsStorage and accepts UseDevelopmentStorage=true", () => {
    const conn = parseStorageSettings(
      { AzureWebJobsStorage: "UseDevelopmentStorage=true" },
      { need: ["table", "queue"] },
    );
    expect(conn).toMatchObject({
      setting: "AzureWebJobsStorage",
      tableEndpoint: "http://127.0.0.1:10002/devstoreaccount1",
      queueEndpoint: "http://127.0.0.1:10001/devstoreaccount1",
      allowInsecureConnection: true,
    });
    const table = createTableClient(conn, "JanitorAudit");
    expect([table.url, table.tableName]).toEqual(["http://127.0.0.1:10002/devstoreaccount1", "JanitorAudit"]);
    expect(createQueueClient(conn, "janitor-runs").url).toBe(
      "http://127.0.0.1:10001/devstoreaccount1/janitor-runs",
    );
  });

  it("prefers JANITOR_STORAGE over AzureWebJobsStorage", () => {
    const conn = parseStorageSettings({
      JANITOR_STORAGE: ACCOUNT_CS,
      AzureWebJobsStorage: "UseDevelopmentStorage=true",
    });
    expect(conn.setting).toBe("JANITOR_STORAGE");
  });

  it("allows plain http only for loopback addresses and Azurite", () => {
    const local = `DefaultEndpointsProtocol=http;AccountName=janitorsa;AccountKey=${KEY};TableEndpoint=http://localhost:9999/janitorsa`;
    expect(parseStorageSettings({ JANITOR_STORAGE: local }).allowInsecureConnection).toBe(true);
    const remote = `DefaultEndpointsProtocol=http;AccountName=janitorsa;AccountKey=${KEY}`;
    const err = settingsError({ JANITOR_STORAGE: remote });
    expect(err.problems[0]).toMatchObject({ field: "JANITOR_STORAGE" });
    expect(err.problems[0]!.message).toMatch(/not https.*loopback/);
  });

  it.each([
    ["garbage", /not a connection string/],
    ["AccountName=janitorsa", /neither AccountKey nor SharedAccessSignature/],
    [`AccountKey=${KEY}`, /no AccountName/],
    ["AccountName=janitorsa;AccountKey=%%%", /not base64/],
    [`DefaultEndpointsProtocol=ftp;AccountName=janitorsa;AccountKey=${KEY}`, /DefaultEndpointsProtocol/],
    [`AccountName=janitorsa;AccountKey=${KEY};TableEndpoint=not a url`, /not a URL/],
    ["SharedAccessSignature=sv=2024&sig=abc", /gives no table endpoint/],
  ])("names JANITOR_STORAGE and what is accepted for a bad value (%#)", (value, reason) => {
    const err = settingsError({ JANITOR_STORAGE: value });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]!.field).toBe("JANITOR_STORAGE");
    expect(err.problems[0]!.message).toMatch(reason);
    expect(err.problems[0]!.message).toMatch(/expected|https URL/);
  });

  it("says what is accepted when nothing is set", () => {
    const err = settingsError({});
    expect(err.problems[0]!.field).toBe("JANITOR_STORAGE");
    expect(err.problems[0]!.message).toMatch(/not set.*connection string.*JANITOR_STORAGE__tableServiceUri/);
  });
});

describe("parseStorageSettings: identity-based settings", () => {
  it("uses a managed identity with the given client id", () => {
    const conn = parseStorageSettings(
      {
        JANITOR_STORAGE__tableServiceUri: "https://janitorsa.table.core.windows.net/",
        JANITOR_STORAGE__queueServiceUri: "https://janitorsa.queue.core.windows.net",
        JANITOR_STORAGE__credential: "managedidentity",
        JANITOR_STORAGE__clientId: CLIENT_ID,
      },
      { need: ["table", "queue"] },
    );
    expect(conn).toMatchObject({
      kind: "identity",
      tableEndpoint: "https://janitorsa.table.core.windows.net",
      queueEndpoint: "https://janitorsa.queue.core.windows.net",
      clientId: CLIENT_ID,
    });
    expect(conn.kind === "identity" && conn.credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(createTableClient(conn, "JanitorRuns").url).toBe("https://janitorsa.table.core.windows.net");
    expect(createQueueClient(conn, "janitor-parts").url).toBe(
      "https://janitorsa.queue.core.windows.net/janitor-parts",
    );
  });

  it("derives service URIs from an account name, and uses the developer's login without __credential", () => {
    const conn = parseStorageSettings(
      { AzureWebJobsStorage__accountName: "janitorsa" },
      { need: ["table", "queue"] },
    );
    expect(conn).toMatchObject({
      setting: "AzureWebJobsStorage",
      tableEndpoint: "https://janitorsa.table.core.windows.net",
    });
    expect(conn.kind === "identity" && conn.credential).toBeInstanceOf(DefaultAzureCredential);
  });

  it("names every bad identity setting", () => {
    const err = settingsError(
      {
        JANITOR_STORAGE__tableServiceUri: "http://janitorsa.table.core.windows.net",
        JANITOR_STORAGE__credential: "password",
        JANITOR_STORAGE__clientId: "me",
      },
      ["table", "queue"],
    );
    expect(err.problems.map((p) => p.field)).toEqual([
      "JANITOR_STORAGE__tableServiceUri",
      "JANITOR_STORAGE__queueServiceUri",
      "JANITOR_STORAGE__credential",
      "JANITOR_STORAGE__clientId",
    ]);
    expect(err.problems[2]!.message).toMatch(/managedidentity/);
    expect(err.problems[3]!.message).toMatch(/GUID/);
  });

  it("names the missing queue URI only when queues are needed, and when a queue client is made", () => {
    const env = { JANITOR_STORAGE__tableServiceUri: "https://janitorsa.table.core.windows.net" };
    const conn = parseStorageSettings(env);
    expect(() => createQueueClient(conn, "janitor-runs")).toThrow(SettingsError);
    expect(settingsError(env, ["table", "queue"]).problems[0]!.field).toBe(
      "JANITOR_STORAGE__queueServiceUri",
    );
  });
});
