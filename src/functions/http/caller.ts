import type { HttpRequest } from "@azure/functions";

export const OPERATOR_ROLE = "Janitor.Operator";
export const READER_ROLE = "Janitor.Reader";
export const APPROVER_ROLE = "Janitor.Approver";

/** The actor of a caller known only by the function key it presented. */
export const FUNCTION_KEY_CALLER = "http:function-key";
/** Longest principal name used as an actor, in UTF-16 code units (the audit log allows more). */
export const PRINCIPAL_NAME_MAX = 128;

/** Who is calling: from Easy Auth's `x-ms-client-principal` when Easy Auth is on, else a function-key caller. */
export interface Caller {
  /** Easy Auth is on and vouched for this caller (the principal header is present). */
  authenticated: boolean;
  name: string;
  roles: string[];
}

interface ClientPrincipal {
  auth_typ?: string;
  name_typ?: string;
  role_typ?: string;
  claims?: { typ?: string; val?: string }[];
}

const ROLE_CLAIM = "roles";
const NAME_CLAIMS = [
  "name",
  "preferred_username",
  "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
];

/**
 * Easy Auth is on when the platform says so: App Service sets `WEBSITE_AUTH_ENABLED=True` in the app's
 * environment (a read-only setting; see docs/operations.md for the source). Compared without regard to case.
 */
export function easyAuthEnabled(env: NodeJS.ProcessEnv): boolean {
  return (env.WEBSITE_AUTH_ENABLED ?? "").trim().toLowerCase() === "true";
}

/**
 * Reads the principal Easy Auth passes on (base64 JSON `{auth_typ, claims, name_typ, role_typ}`). Only with Easy
 * Auth on is the header trusted, because only then does the platform remove a client-sent one; with it off the
 * header is whatever the caller wrote, so it is ignored and the caller is a function-key caller.
 */
export function readCaller(request: HttpRequest, easyAuth: boolean): Caller | { error: string } {
  const functionKeyCaller = { authenticated: false, name: FUNCTION_KEY_CALLER, roles: [] };
  if (!easyAuth) return functionKeyCaller;
  const header = request.headers.get("x-ms-client-principal");
  if (!header) return functionKeyCaller;
  let principal: ClientPrincipal;
  try {
    principal = JSON.parse(Buffer.from(header, "base64").toString("utf8")) as ClientPrincipal;
  } catch {
    return { error: "x-ms-client-principal is not base64 JSON" };
  }
  if (!principal || typeof principal !== "object" || !Array.isArray(principal.claims))
    return { error: "x-ms-client-principal has no claims" };
  const claims = principal.claims.filter((c) => typeof c?.typ === "string" && typeof c?.val === "string");
  const roleType = principal.role_typ || ROLE_CLAIM;
  const roles = claims.filter((c) => c.typ === roleType || c.typ === ROLE_CLAIM).map((c) => c.val!);
  const nameTypes = [principal.name_typ, ...NAME_CLAIMS].filter(Boolean);
  const name =
    nameTypes.map((t) => claims.find((c) => c.typ === t)?.val).find(Boolean) ??
    request.headers.get("x-ms-client-principal-name") ??
    "";
  return { authenticated: true, name: cleanPrincipalName(name), roles };
}

// C0 and C1 control characters and the line/paragraph separators, as the audit log refuses them.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu;
const LONE_SURROGATE = /\p{Cs}/gu;

/**
 * A principal name made safe to record as an actor: control characters and broken surrogates removed, then cut to
 * 128 UTF-16 code units on a code point boundary (never between the two halves of an emoji). A name that was
 * accepted must never make the run's audit writes fail.
 */
export function cleanPrincipalName(name: string): string {
  const clean = name.replace(CONTROL, "").replace(LONE_SURROGATE, "").trim();
  let out = "";
  for (const codePoint of clean) {
    if (out.length + codePoint.length > PRINCIPAL_NAME_MAX) break;
    out += codePoint;
  }
  return out.trimEnd() || "unknown-principal";
}

/**
 * With Easy Auth on, acting needs the operator role, approving or rejecting a plan the approver role; reading
 * needs any of the janitor's roles.
 */
export function allowed(caller: Caller, need: "operate" | "read" | "approve"): boolean {
  if (!caller.authenticated) return true;
  if (need === "approve") return caller.roles.includes(APPROVER_ROLE);
  if (caller.roles.includes(OPERATOR_ROLE)) return true;
  return need === "read" && (caller.roles.includes(READER_ROLE) || caller.roles.includes(APPROVER_ROLE));
}
