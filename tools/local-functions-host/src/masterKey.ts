import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

// The host's master key guards its admin API (`/admin/*`), as on a Functions host in Azure: Core Tools skips the
// check on a developer's machine, but anything on loopback (another user's process, a page's fetch through a
// DNS-rebound name) could then invoke functions. A fresh key per start, printed by `npm start` and given to
// in-process callers as `LocalHost.masterKey`.

export function createMasterKey(): string {
  return randomBytes(32).toString("base64url");
}

/** The request carries the key as the host takes it: header `x-functions-key`, or `?code=`. */
export function presentsMasterKey(req: IncomingMessage, url: URL, key: string): boolean {
  const header = req.headers["x-functions-key"];
  const given = (typeof header === "string" ? header : undefined) ?? url.searchParams.get("code") ?? "";
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}
