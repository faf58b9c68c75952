import { createHash } from "node:crypto";
import { validatePolicy } from "./parsePolicy";
import type { Policy } from "./schema";

/**
 * A stable short hash of the effective policy, recorded with every run and audit entry so an auditor can tell
 * which policy made a decision. The policy is normalised again first (idempotent for a parsed policy), so key
 * order, JSON vs YAML, omitted defaults vs explicit ones, and case in case-insensitive fields do not change it;
 * any change in what the policy does does.
 */
export function policyHash(policy: Policy): string {
  const effective = validatePolicy(policy);
  return createHash("sha256").update(canonicalJson(effective)).digest("hex").slice(0, 16);
}

/** JSON with object keys sorted at every level; arrays keep their order (rule order matters). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
