// Runs one SDK operation with a per-request timeout and hands back the raw HTTP response, whatever the SDK
// made of it, so that callers decide from the status and the raw body (never from the SDK's deserialized
// model, nor from RestError messages, which may quote the whole body).
import type { OperationOptions, ServiceClient } from "@azure/core-client";
import {
  createHttpHeaders,
  createPipelineRequest,
  isRestError,
  type HttpHeaders,
  type HttpMethods,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";

import type { ArmFailure, RateLimitRemaining } from "../../engine/ports";
import { readRateLimitRemaining, sanitizeServiceMessage } from "./armResponse";

export const DEFAULT_ARM_TIMEOUT_MS = 30_000;

export interface RawArmResponse {
  status: number;
  headers: HttpHeaders;
  bodyAsText?: string;
  remaining: RateLimitRemaining;
}

export type ArmCallOutcome =
  | { response: RawArmResponse; failure?: undefined }
  | { response?: undefined; failure: ArmFailure; remaining: RateLimitRemaining };

/**
 * Sends one request through `send` (an SDK call given our `abortSignal` and `onResponse`).
 * - an HTTP response, of any status: `{ response }`;
 * - no response (connection refused or reset, TLS failure, no token, our timeout): a `transient` failure;
 * - the caller's `signal` aborted: the AbortError is rethrown, so a stopping run stops instead of recording a
 *   failure; anything else unexpected (a bug) is rethrown too.
 */
export async function callArm(
  send: (options: OperationOptions) => Promise<unknown>,
  options: { signal?: AbortSignal; timeoutMs: number },
): Promise<ArmCallOutcome> {
  const { signal, timeoutMs } = options;
  signal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const forwardAbort = (): void => controller.abort();
  signal?.addEventListener("abort", forwardAbort, { once: true });

  let captured: PipelineResponse | undefined;
  try {
    await send({
      abortSignal: controller.signal,
      onResponse: (rawResponse) => {
        captured = rawResponse;
      },
    });
    if (!captured) throw new Error("the ARM SDK completed without a response");
    return { response: toRaw(captured) };
  } catch (error) {
    if (signal?.aborted) {
      if (error instanceof Error && error.name === "AbortError") throw error;
      signal.throwIfAborted();
    }
    if (timedOut) {
      return {
        failure: { kind: "transient", code: "Timeout", message: `no response within ${timeoutMs} ms` },
        remaining: {},
      };
    }
    const response = captured ?? (isRestError(error) ? error.response : undefined);
    if (response) return { response: toRaw(response) };
    if (isRestError(error) || isCredentialError(error)) {
      const code = (isRestError(error) ? error.code : undefined) ?? (error as Error).name;
      const message = sanitizeServiceMessage((error as Error).message);
      return { failure: { kind: "transient", code, ...(message && { message }) }, remaining: {} };
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", forwardAbort);
  }
}

/**
 * As callArm, for a request no SDK operation sends as one request (a Data Box delete, whose SDK call would poll
 * at once, and its operation URL): sent once through the SDK client's own pipeline, so the same credential, TLS
 * trust, user agent and (disabled) retries apply. The caller has checked the URL.
 */
export function callPipeline(
  client: ServiceClient,
  request: { method: HttpMethods; url: string },
  options: { signal?: AbortSignal; timeoutMs: number },
): Promise<ArmCallOutcome> {
  return callArm(async ({ abortSignal, onResponse }) => {
    const pipelineRequest = createPipelineRequest({
      ...request,
      ...(abortSignal && { abortSignal }),
      headers: createHttpHeaders({ accept: "application/json" }),
    });
    const response = await client.sendRequest(pipelineRequest);
    onResponse?.(response, undefined);
  }, options);
}

function toRaw(response: PipelineResponse): RawArmResponse {
  return {
    status: response.status,
    headers: response.headers,
    ...(typeof response.bodyAsText === "string" && { bodyAsText: response.bodyAsText }),
    remaining: readRateLimitRemaining(response.headers),
  };
}

/** @azure/identity failures (no managed identity, no login): no request was sent, so nothing was decided. */
function isCredentialError(error: unknown): boolean {
  return (
    error instanceof Error &&
    ["CredentialUnavailableError", "AuthenticationError", "AggregateAuthenticationError"].includes(error.name)
  );
}
