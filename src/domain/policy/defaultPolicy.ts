import { validatePolicy } from "./parsePolicy";
import type { Policy } from "./schema";

/**
 * The built-in policy (README.md#the-policy): delete drafts left in Creating for 7 days and Completed jobs 30
 * days after they finished (the service itself keeps them, with addresses and BitLocker keys, for 90), with
 * every other setting at its default. Parsed through the schema like any document, so it is normalised and
 * validated the same way.
 */
export const DEFAULT_POLICY: Policy = deepFreeze(
  validatePolicy(
    {
      version: 1,
      rules: [
        { name: "stale-drafts", states: ["Creating"], olderThan: "P7D", action: "delete" },
        { name: "completed-retention", states: ["Completed"], olderThan: "P30D", action: "delete" },
      ],
    },
    "built-in default policy",
  ),
);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
