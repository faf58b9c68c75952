import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { DefaultAzureCredential } from "@azure/identity";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  armClientOptions,
  createArmCredential,
  DEVELOPMENT_TOKEN,
  DevelopmentTokenCredential,
  isLoopbackHost,
  parseArmSettings,
} from "../../../../src/adapters/arm";
import { SettingsError } from "../../../../src/errors";

function problemsOf(env: Record<string, string | undefined>): { field: string; message: string }[] {
  try {
    parseArmSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as SettingsError).problems;
  }
  throw new Error("expected a SettingsError");
}

describe("parseArmSettings", () => {
  let dir: string;
  let caPath: string;
  let caPem: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "arm-settings-"));
    caPem = (await generate([{ name: "commonName", value: "janitor test CA" }], { keySize: 2048 })).cert;
    caPath = join(dir, "ca.pem");
    writeFileSync(caPath, caPem);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("defaults to the public ARM endpoint with no CA and no client id", () => {
    expect(parseArmSettings({})).toEqual({ endpoint: "https://management.azure.com", loopback: false });
  });

  it("normalises the endpoint to its origin", () => {
    expect(parseArmSettings({ JANITOR_ARM_ENDPOINT: " https://127.0.0.1:8443/ " }).endpoint).toBe(
      "https://127.0.0.1:8443",
    );
  });

  it("refuses an http endpoint, naming the setting and saying why", () => {
    const problems = problemsOf({ JANITOR_ARM_ENDPOINT: "http://127.0.0.1:8080" });

    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe("JANITOR_ARM_ENDPOINT");
    expect(problems[0]?.message).toMatch(/https/);
    expect(problems[0]?.message).toMatch(/tokens/);
  });

  it("refuses an endpoint that is not a URL or carries a path", () => {
    expect(problemsOf({ JANITOR_ARM_ENDPOINT: "management.azure.com" })[0]?.field).toBe(
      "JANITOR_ARM_ENDPOINT",
    );
    expect(
      problemsOf({ JANITOR_ARM_ENDPOINT: "https://management.azure.com/subscriptions" })[0]?.message,
    ).toMatch(/no path/);
  });

  it("reads the CA certificate once and passes it to the clients through tlsOptions", () => {
    const settings = parseArmSettings({
      JANITOR_ARM_ENDPOINT: "https://127.0.0.1:9000",
      JANITOR_ARM_CA_CERT: caPath,
    });

    expect(settings.caCertPem).toBe(caPem);
    expect(settings.caCertPath).toBe(caPath);
    expect(armClientOptions(settings)).toEqual({
      endpoint: "https://127.0.0.1:9000",
      tlsOptions: { ca: caPem },
      retryOptions: { maxRetries: 0 },
    });
  });

  it("sets no tlsOptions without a CA, and always turns the SDK's retries off", () => {
    expect(armClientOptions(parseArmSettings({}))).toEqual({
      endpoint: "https://management.azure.com",
      retryOptions: { maxRetries: 0 },
    });
  });

  it("refuses a missing CA file, naming JANITOR_ARM_CA_CERT", () => {
    const problems = problemsOf({ JANITOR_ARM_CA_CERT: join(dir, "missing.pem") });

    expect(problems).toEqual([
      { field: "JANITOR_ARM_CA_CERT", message: expect.stringContaining("missing.pem") },
    ]);
  });

  it("refuses a CA file that holds no certificate", () => {
    const notPem = join(dir, "not.pem");
    writeFileSync(notPem, "hello");
    const broken = join(dir, "broken.pem");
    writeFileSync(broken, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");

    expect(problemsOf({ JANITOR_ARM_CA_CERT: notPem })[0]).toMatchObject({
      field: "JANITOR_ARM_CA_CERT",
      message: expect.stringMatching(/no PEM certificate/),
    });
    expect(problemsOf({ JANITOR_ARM_CA_CERT: broken })[0]).toMatchObject({
      field: "JANITOR_ARM_CA_CERT",
      message: expect.stringMatching(/not a valid X.509/),
    });
    expect(problemsOf({ JANITOR_ARM_CA_CERT: dir })[0]?.message).toMatch(/not a file/);
  });

  it("accepts a GUID as AZURE_CLIENT_ID and refuses anything else", () => {
    const id = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    expect(parseArmSettings({ AZURE_CLIENT_ID: id }).managedIdentityClientId).toBe(id);
    expect(problemsOf({ AZURE_CLIENT_ID: "my-identity" })).toEqual([
      { field: "AZURE_CLIENT_ID", message: expect.stringMatching(/GUID/) },
    ]);
  });

  it("lists every bad setting at once", () => {
    const problems = problemsOf({
      JANITOR_ARM_ENDPOINT: "http://x",
      JANITOR_ARM_CA_CERT: join(dir, "nope.pem"),
      AZURE_CLIENT_ID: "nope",
    });

    expect(problems.map((problem) => problem.field)).toEqual([
      "JANITOR_ARM_ENDPOINT",
      "JANITOR_ARM_CA_CERT",
      "AZURE_CLIENT_ID",
    ]);
  });
});

describe("loopback detection and the credential", () => {
  it.each([
    ["https://127.0.0.1:8443", true],
    ["https://127.5.5.5", true],
    ["https://[::1]:8443", true],
    ["https://localhost:8443", true],
    ["https://LOCALHOST", true],
    ["https://management.azure.com", false],
    ["https://128.0.0.1", false],
    ["https://localhost.example.com", false],
    ["https://[::2]", false],
  ])("%s is loopback: %s", (endpoint, loopback) => {
    const settings = parseArmSettings({ JANITOR_ARM_ENDPOINT: endpoint });

    expect(settings.loopback).toBe(loopback);
    expect(isLoopbackHost(new URL(endpoint).hostname)).toBe(loopback);
  });

  it("gives a loopback endpoint the fixed development token", async () => {
    const credential = createArmCredential(parseArmSettings({ JANITOR_ARM_ENDPOINT: "https://127.0.0.1:1" }));

    expect(credential).toBeInstanceOf(DevelopmentTokenCredential);
    expect((await credential.getToken("https://127.0.0.1:1/.default"))?.token).toBe(DEVELOPMENT_TOKEN);
  });

  it("gives any other endpoint DefaultAzureCredential, never the development token", () => {
    const credential = createArmCredential(
      parseArmSettings({ AZURE_CLIENT_ID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" }),
    );

    expect(credential).toBeInstanceOf(DefaultAzureCredential);
    expect(credential).not.toBeInstanceOf(DevelopmentTokenCredential);
  });
});
