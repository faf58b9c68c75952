// Case-insensitive `*` / `?` globs for resource group and job name patterns (docs/policy.md#fields). Azure
// resource names are case-insensitive, so the patterns are too. Nothing else is special: `[`, `.`, `(` and the
// like match themselves.

const compiled = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re === undefined) {
    let source = "";
    for (const ch of pattern) {
      if (ch === "*") source += "[\\s\\S]*";
      else if (ch === "?") source += "[\\s\\S]";
      // Every regex syntax character is escaped (with the `u` flag only these may be escaped).
      else source += ch.replace(/[\\^$.|+()[\]{}/]/g, "\\$&");
    }
    re = new RegExp(`^${source}$`, "iu");
    compiled.set(pattern, re);
  }
  return re;
}

export function globMatches(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}

export function matchesAnyGlob(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => globMatches(p, value));
}
