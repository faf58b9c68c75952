// How the SDK clients reach ARM: which credential, which endpoint, which CA, and no SDK retries.
import type { CommonClientOptions } from "@azure/core-client";
import { DefaultAzureCredential, type AccessToken, type TokenCredential } from "@azure/identity";

import type { ArmSettings } from "./armSettings";

/** The bearer token sent to a loopback endpoint (the local emulator). Not a secret: it opens nothing in Azure. */
export const DEVELOPMENT_TOKEN = "janitor-local-development-token";

/** A credential that hands out the fixed development token; used only for loopback endpoints. */
export class DevelopmentTokenCredential implements TokenCredential {
  async getToken(): Promise<AccessToken> {
    return { token: DEVELOPMENT_TOKEN, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
  }
}

/**
 * The credential for ARM calls. A loopback endpoint (the emulator) gets the development token and never Azure
 * credentials, so a local run cannot leak a real token to a local process; anything else gets
 * DefaultAzureCredential, with `AZURE_CLIENT_ID` selecting a user-assigned managed identity.
 */
export function createArmCredential(settings: ArmSettings): TokenCredential {
  if (settings.loopback) return new DevelopmentTokenCredential();
  return new DefaultAzureCredential(
    settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {},
  );
}

/** Client options shared by every ARM SDK client the janitor builds. */
export interface ArmClientOptions extends CommonClientOptions {
  endpoint: string;
}

/**
 * The SDK's own retry is off (`maxRetries: 0`): the engine paces, backs off and caps Retry-After itself, while
 * the SDK would sleep an uncapped Retry-After and never retries a 429 that lacks one (docs/service.md#sdk-traps).
 * The CA is scoped to these clients through `tlsOptions` instead of the process-wide trust store.
 */
export function armClientOptions(settings: ArmSettings): ArmClientOptions {
  return {
    endpoint: settings.endpoint,
    ...(settings.caCertPem !== undefined && { tlsOptions: { ca: settings.caCertPem } }),
    retryOptions: { maxRetries: 0 },
  };
}
