import type { HttpRequest } from "@azure/functions";

export const OPERATOR_ROLE = "Janitor.Operator";
export const READER_ROLE = "Janitor.Reader";

/** Who is calling: from Easy Auth's `x-ms-client-principal` when present, else a function-key caller. */
export interface Caller {
  /** Easy Auth is in front of the app (the header is present). */
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
 * Reads the principal Easy Auth passes on (base64 JSON, SERVICE.md section 6). Easy Auth removes this header
 * from incoming requests, so with Easy Auth on it cannot be forged; without Easy Auth, access rests on function
 * keys and the roles are not enforced (documented in the README).
 */
export function readCaller(request: HttpRequest): Caller | { error: string } {
  const header = request.headers.get("x-ms-client-principal");
  if (!header) return { authenticated: false, name: "http:function-key", roles: [] };
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
    "unknown-principal";
  return { authenticated: true, name: name.slice(0, 128), roles };
}

/** With Easy Auth present, acting needs the operator role; reading needs reader or operator. */
export function allowed(caller: Caller, need: "operate" | "read"): boolean {
  if (!caller.authenticated) return true;
  if (caller.roles.includes(OPERATOR_ROLE)) return true;
  return need === "read" && caller.roles.includes(READER_ROLE);
}
