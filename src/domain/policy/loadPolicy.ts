import { readFileSync } from "node:fs";
import { ValidationError } from "../../errors";
import { DEFAULT_POLICY } from "./defaultPolicy";
import { parsePolicy } from "./parsePolicy";
import { policyHash } from "./policyHash";
import type { Policy } from "./schema";

// The one place in the domain that does I/O: reading a policy file.

export interface PolicySources {
  /** Inline JSON (the `JANITOR_POLICY` setting). */
  inlineJson?: string;
  /** A JSON or YAML file (the `JANITOR_POLICY_PATH` setting, or `--policy FILE`). */
  path?: string;
}

export interface LoadedPolicy {
  policy: Policy;
  hash: string;
  /** Where it came from: `inline`, the file path, or `built-in default`. */
  source: string;
}

/**
 * The effective policy from inline JSON, a file, or (neither given) the built-in default. Both given is refused
 * rather than silently preferring one. Throws ValidationError for an unreadable file or an invalid document.
 * Synchronous, so the app can check its policy while it loads, where nothing may be awaited.
 */
export function loadPolicy(sources: PolicySources): LoadedPolicy {
  const inline = sources.inlineJson?.trim() ? sources.inlineJson : undefined;
  const path = sources.path?.trim() ? sources.path.trim() : undefined;
  if (inline !== undefined && path !== undefined) {
    throw new ValidationError([
      { field: "policy", message: "both an inline policy and a policy file were given; set only one" },
    ]);
  }
  if (inline !== undefined)
    return loaded(parsePolicy(inline, { format: "json", name: "inline policy" }), "inline");
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (code ?? "unreadable");
      throw new ValidationError([{ field: "policy", message: `cannot read policy file ${path}: ${why}` }]);
    }
    return loaded(parsePolicy(text, { name: path }), path);
  }
  return loaded(DEFAULT_POLICY, "built-in default");
}

function loaded(policy: Policy, source: string): LoadedPolicy {
  return { policy, hash: policyHash(policy), source };
}
