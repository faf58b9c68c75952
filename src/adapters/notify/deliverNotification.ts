// One POST of one notice to its target (docs/operations.md#notifications). Signed when the target has a secret:
// `x-janitor-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with `x-janitor-timestamp`, and
// always the idempotency key `x-janitor-delivery`. The host name is resolved here and every address checked
// (private, loopback, link-local and metadata ranges need `allowPrivate`); the connection goes to the checked
// address, so a second DNS answer cannot differ. Redirects are never followed: a 3xx is a failed delivery.
import { createHmac } from "node:crypto";
import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { isIpLiteral, isPrivateAddress } from "../../domain/notifications/addressRules";
import { checkTargetUrl, type NotifyTarget } from "../../domain/notifications/notifyTargets";
import { JanitorError } from "../../errors";
import type { DeliverMessage } from "./notifyMessages";

export const DELIVERY_TIMEOUT_MS = 10_000;

/** A delivery that did not succeed; `retry` false when another attempt cannot help (a refused target). */
export class DeliveryError extends JanitorError {
  constructor(
    message: string,
    readonly retry: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface DeliveryOptions {
  timeoutMs?: number;
  now?: () => Date;
  /** DNS resolution (tests answer a host name with a chosen address). */
  resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

export interface DeliveryResult {
  status: number;
  durationMs: number;
}

export async function deliverNotification(
  message: DeliverMessage,
  target: NotifyTarget,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const problem = checkTargetUrl(target.url, target.allowPrivate === true);
  if (problem) throw new DeliveryError(`target ${target.name}: url ${problem}`, false);
  const url = new URL(target.url);
  const address = await checkedAddress(url.hostname, target, options);
  const timestamp = String(Math.floor((options.now?.() ?? new Date()).getTime() / 1000));
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "user-agent": "importexport-janitor",
    "x-janitor-delivery": message.deliveryId,
    "x-janitor-event": message.event,
    "x-janitor-timestamp": timestamp,
  };
  if (target.secret)
    headers["x-janitor-signature"] = `sha256=${signature(target.secret, timestamp, message.body)}`;
  const started = Date.now();
  const status = await post(url, address, headers, message.body, options.timeoutMs ?? DELIVERY_TIMEOUT_MS);
  const durationMs = Date.now() - started;
  if (status >= 300 && status < 400)
    throw new DeliveryError(
      `target ${target.name}: answered ${status} (redirects are not followed)`,
      false,
      status,
    );
  if (status < 200 || status >= 300)
    throw new DeliveryError(`target ${target.name}: answered HTTP ${status}`, true, status);
  return { status, durationMs };
}

/** The HMAC a receiver recomputes: hex HMAC-SHA256 of `<timestamp>.<body>` under the target's secret. */
export function signature(secret: string, timestamp: string, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

async function checkedAddress(
  hostname: string,
  target: NotifyTarget,
  options: DeliveryOptions,
): Promise<{ address: string; family: number }> {
  const host = hostname.replace(/^\[|\]$/g, "");
  const answers = isIpLiteral(host)
    ? [{ address: host, family: host.includes(":") ? 6 : 4 }]
    : await (options.resolve ?? ((h) => lookup(h, { all: true, verbatim: true })))(host).catch(() => {
        throw new DeliveryError(`target ${target.name}: ${host} could not be resolved`, true);
      });
  if (answers.length === 0) throw new DeliveryError(`target ${target.name}: ${host} has no address`, true);
  // Every answer is checked, not only the first: the connection must not land on any refused one.
  if (!target.allowPrivate && answers.some((a) => isPrivateAddress(a.address)))
    throw new DeliveryError(
      `target ${target.name}: ${host} resolves to a private, loopback or link-local address (set allowPrivate to allow it)`,
      false,
    );
  return answers[0]!;
}

function post(
  url: URL,
  address: { address: string; family: number },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  // The checked address, whatever the resolver would say now (no second lookup to rebind).
  const pinned: LookupFunction = (_host, opts, callback) => {
    if ((opts as { all?: boolean }).all) callback(null, [address]);
    else callback(null, address.address, address.family);
  };
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        lookup: pinned,
        timeout: timeoutMs,
        agent: false,
      },
      (response) => {
        response.resume(); // the answer's body is not read; only its status counts
        response.on("end", () => resolve(response.statusCode ?? 0));
        response.on("error", () => resolve(response.statusCode ?? 0));
      },
    );
    const timer = setTimeout(() => request.destroy(new Error("timeout")), timeoutMs);
    request.on("close", () => clearTimeout(timer));
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", (err) =>
      reject(
        new DeliveryError(
          err.message === "timeout"
            ? `no answer within ${timeoutMs} ms`
            : `connection failed (${(err as NodeJS.ErrnoException).code ?? err.name})`,
          true,
        ),
      ),
    );
    request.end(body);
  });
}
