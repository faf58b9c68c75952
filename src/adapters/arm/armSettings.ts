// Reads and checks the ARM connection settings (README.md#settings) once, at start.
import { X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { isIP } from "node:net";

import { isGuid } from "../../domain/armIds";
import { SettingsError, type FieldProblem } from "../../errors";

export const DEFAULT_ARM_ENDPOINT = "https://management.azure.com";

export interface ArmSettings {
  /** Origin of the ARM endpoint, without a trailing slash (`https://host[:port]`). */
  endpoint: string;
  /** True for 127.0.0.0/8, ::1 and localhost: the local emulator, which gets a development token. */
  loopback: boolean;
  /** PEM text of `JANITOR_ARM_CA_CERT`, read once at start. */
  caCertPem?: string;
  caCertPath?: string;
  /** `AZURE_CLIENT_ID`: the user-assigned managed identity to use. */
  managedIdentityClientId?: string;
}

/** Reads the ARM settings from the environment; throws one SettingsError naming every bad setting. */
export function parseArmSettings(env: Record<string, string | undefined>): ArmSettings {
  const problems: FieldProblem[] = [];

  const endpoint = parseEndpoint(env.JANITOR_ARM_ENDPOINT, problems);
  const ca = readCaCert(env.JANITOR_ARM_CA_CERT, problems);

  let managedIdentityClientId: string | undefined;
  const clientId = env.AZURE_CLIENT_ID?.trim();
  if (clientId) {
    if (isGuid(clientId)) managedIdentityClientId = clientId;
    else
      problems.push({
        field: "AZURE_CLIENT_ID",
        message:
          "must be the client id (a GUID like 00000000-0000-0000-0000-000000000000) of a managed identity",
      });
  }

  if (problems.length > 0 || endpoint === undefined) throw new SettingsError(problems);
  return {
    endpoint: endpoint.origin,
    loopback: isLoopbackHost(endpoint.hostname),
    ...(ca && { caCertPem: ca.pem, caCertPath: ca.path }),
    ...(managedIdentityClientId && { managedIdentityClientId }),
  };
}

function parseEndpoint(value: string | undefined, problems: FieldProblem[]): URL | undefined {
  const text = value?.trim() || DEFAULT_ARM_ENDPOINT;
  const field = "JANITOR_ARM_ENDPOINT";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push({ field, message: `must be an https URL such as ${DEFAULT_ARM_ENDPOINT}` });
    return undefined;
  }
  if (url.protocol !== "https:") {
    problems.push({
      field,
      message:
        "must be an https URL: bearer tokens are only ever sent over https (the local emulator serves https too)",
    });
    return undefined;
  }
  if (
    url.username ||
    url.password ||
    (url.pathname !== "/" && url.pathname !== "") ||
    url.search ||
    url.hash
  ) {
    problems.push({
      field,
      message: "must be a bare https origin (https://host[:port]) with no path, query or credentials",
    });
    return undefined;
  }
  return url;
}

function readCaCert(
  value: string | undefined,
  problems: FieldProblem[],
): { path: string; pem: string } | undefined {
  const field = "JANITOR_ARM_CA_CERT";
  const given = value?.trim();
  if (!given) return undefined;
  const path = resolve(given);
  let pem: string;
  try {
    if (!statSync(path).isFile()) {
      problems.push({
        field,
        message: `${path} is not a file; expected a PEM file holding a CA certificate`,
      });
      return undefined;
    }
    pem = readFileSync(path, "utf8");
  } catch {
    problems.push({
      field,
      message: `cannot read ${path}; expected an existing PEM file holding a CA certificate`,
    });
    return undefined;
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    problems.push({ field, message: `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` });
    return undefined;
  }
  try {
    new X509Certificate(pem);
  } catch {
    problems.push({ field, message: `${path} holds a PEM block that is not a valid X.509 certificate` });
    return undefined;
  }
  return { path, pem };
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts that get the development token instead of Azure credentials. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.split(".")[0] === "127";
  if (isIP(host) === 6) return host === "::1";
  return false;
}
